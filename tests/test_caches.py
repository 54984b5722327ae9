"""
Unit tests of L{isso_tx.caches.ResponseCache}: finished answers of C{GET /},
dropped when their thread changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from twisted.internet.defer import CancelledError, Deferred
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.caches import ENTRY_COST, CountKey, LatestKey, ResponseCache


@dataclass(frozen=True)
class Query:
    """
    A checked query, as far as the cache cares: its thread and the rest.
    """

    uri: str
    sort: str = "oldest"


class ResponseCacheTests(SynchronousTestCase):
    """
    Storing, finding and dropping bodies.
    """

    def setUp(self) -> None:
        self.cache = ResponseCache(budget=1000)

    def put(self, query: Query, body: bytes) -> None:
        self.cache.put(query, body, self.cache.generation)

    def test_miss_then_hit(self) -> None:
        """
        A thread is answered from the cache once an answer was stored for
        exactly that query.
        """
        self.assertIsNone(self.cache.get(Query("/a/")))
        self.put(Query("/a/"), b"body")
        self.assertEqual(self.cache.get(Query("/a/")), b"body")
        self.assertIsNone(self.cache.get(Query("/a/", sort="newest")))

    def test_invalidate_one_thread(self) -> None:
        """
        A write to a thread drops all its answers and keeps other threads'.
        """
        self.put(Query("/a/"), b"a1")
        self.put(Query("/a/", sort="newest"), b"a2")
        self.put(Query("/b/"), b"b")
        self.cache.invalidate("/a/")
        self.assertIsNone(self.cache.get(Query("/a/")))
        self.assertIsNone(self.cache.get(Query("/a/", sort="newest")))
        self.assertEqual(self.cache.get(Query("/b/")), b"b")

    def test_invalidate_several(self) -> None:
        """
        A purge that touched several threads drops each of them.
        """
        self.put(Query("/a/"), b"a")
        self.put(Query("/b/"), b"b")
        self.cache.invalidate("/a/", "/b/")
        self.assertIsNone(self.cache.get(Query("/a/")))
        self.assertIsNone(self.cache.get(Query("/b/")))

    def test_stale_answer_not_stored(self) -> None:
        """
        An answer computed before a write is not stored after it, so no
        reader ever gets it from the cache.
        """
        before = self.cache.generation
        self.cache.invalidate("/other/")
        self.cache.put(Query("/a/"), b"old", before)
        self.assertIsNone(self.cache.get(Query("/a/")))

    def test_clear(self) -> None:
        """
        Clearing (another program wrote) drops everything and makes answers
        in flight stale.
        """
        self.put(Query("/a/"), b"a")
        before = self.cache.generation
        self.cache.clear()
        self.assertIsNone(self.cache.get(Query("/a/")))
        self.cache.put(Query("/b/"), b"b", before)
        self.assertIsNone(self.cache.get(Query("/b/")))

    def test_budget(self) -> None:
        """
        Past its budget the cache forgets the least recently read answers.
        """
        # Room for four answers of 240 bytes on uris of 3 characters.
        self.cache = ResponseCache(budget=4 * (ENTRY_COST + 243) + 10)
        for name in "abcd":
            self.put(Query(f"/{name}/"), name.encode() * 240)
        self.cache.get(Query("/a/"))
        self.put(Query("/e/"), b"e" * 240)
        self.assertIsNotNone(self.cache.get(Query("/a/")))
        self.assertIsNone(self.cache.get(Query("/b/")))
        self.assertIsNotNone(self.cache.get(Query("/e/")))

    def test_write_after_eviction(self) -> None:
        """
        A write to a thread whose answers the budget pushed out, or that
        were stored again since, drops exactly its current answers and
        frees their room.
        """
        self.cache = ResponseCache(budget=4 * (ENTRY_COST + 243) + 10)
        for name in "abcde":
            self.put(Query(f"/{name}/"), name.encode() * 240)
        self.cache.invalidate("/a/")
        self.put(Query("/b/", "newest"), b"B" * 240)
        self.cache.invalidate("/b/")
        self.assertIsNone(self.cache.get(Query("/b/")))
        self.assertIsNone(self.cache.get(Query("/b/", "newest")))
        for name in "fg":
            self.put(Query(f"/{name}/"), name.encode() * 240)
        for name in "cdefg"[1:]:
            self.assertIsNotNone(self.cache.get(Query(f"/{name}/")), name)

    def test_large_answer_not_kept(self) -> None:
        """
        An answer larger than a quarter of the budget is not kept at all.
        """
        self.put(Query("/big/"), b"x" * 251)
        self.assertIsNone(self.cache.get(Query("/big/")))
        self.put(Query("/fits/"), b"x" * 250)
        self.assertIsNotNone(self.cache.get(Query("/fits/")))

    def test_replaced(self) -> None:
        """
        Storing a query again replaces its answer and counts its size once.
        """
        for _ in range(10):
            self.put(Query("/a/"), b"x" * 200)
        self.put(Query("/b/"), b"y" * 200)
        self.assertIsNotNone(self.cache.get(Query("/a/")))
        self.assertIsNotNone(self.cache.get(Query("/b/")))

    def test_many_small_answers(self) -> None:
        """
        Many small answers (counts of made-up uris) are held to the budget
        with what each entry costs beyond its bytes.
        """
        cache = ResponseCache(budget=100_000)
        for n in range(10_000):
            cache.put(CountKey(f"/{n}/"), b"0", cache.generation)
        kept = sum(cache.get(CountKey(f"/{n}/")) is not None for n in range(10_000))
        self.assertLessEqual(kept, 100_000 // ENTRY_COST)
        self.assertGreater(kept, 100_000 // (2 * ENTRY_COST))

    def test_every_thread_answers(self) -> None:
        """
        An answer drawn from every thread (the latest comments) is dropped
        by a write to any thread; a thread's count only by its own.
        """
        self.put(LatestKey(10), b"latest")
        self.put(CountKey("/a/"), b"1")
        self.put(CountKey("/b/"), b"2")
        self.cache.invalidate("/b/")
        self.assertIsNone(self.cache.get(LatestKey(10)))
        self.assertEqual(self.cache.get(CountKey("/a/")), b"1")
        self.assertIsNone(self.cache.get(CountKey("/b/")))


class ReadOnceTests(SynchronousTestCase):
    """
    Readers of an answer that is being read share that read.
    """

    def setUp(self) -> None:
        self.cache = ResponseCache(budget=1000)
        self.reads: list[Deferred[bytes]] = []

    def read(self) -> Deferred[bytes]:
        d: Deferred[bytes] = Deferred()
        self.reads.append(d)
        return d

    def test_shared(self) -> None:
        """
        Readers who come while an answer is read get it from that one read,
        and it is kept for the next.
        """
        first = self.cache.read_once(Query("/a/"), self.read)
        second = self.cache.read_once(Query("/a/"), self.read)
        self.assertEqual(len(self.reads), 1)
        self.reads[0].callback(b"body")
        self.assertEqual(self.successResultOf(first), b"body")
        self.assertEqual(self.successResultOf(second), b"body")
        self.assertEqual(self.cache.get(Query("/a/")), b"body")

    def test_not_shared_after_a_write(self) -> None:
        """
        A reader who comes after a write gets a read of its own, and the
        read that began before it is not kept.
        """
        first = self.cache.read_once(Query("/a/"), self.read)
        self.cache.invalidate("/a/")
        second = self.cache.read_once(Query("/a/"), self.read)
        self.assertEqual(len(self.reads), 2)
        self.reads[0].callback(b"old")
        self.assertEqual(self.successResultOf(first), b"old")
        self.assertIsNone(self.cache.get(Query("/a/")))
        self.reads[1].callback(b"new")
        self.assertEqual(self.successResultOf(second), b"new")
        self.assertEqual(self.cache.get(Query("/a/")), b"new")

    def test_reader_gone(self) -> None:
        """
        A reader who goes away does not stop the read for the others.
        """
        first = self.cache.read_once(Query("/a/"), self.read)
        second = self.cache.read_once(Query("/a/"), self.read)
        first.cancel()
        self.failureResultOf(first, CancelledError)
        self.reads[0].callback(b"body")
        self.assertEqual(self.successResultOf(second), b"body")

    def test_failure(self) -> None:
        """
        A read that fails fails for every reader waiting on it, and the
        next reader tries again.
        """
        first = self.cache.read_once(Query("/a/"), self.read)
        second = self.cache.read_once(Query("/a/"), self.read)
        self.reads[0].errback(ValueError("database gone"))
        self.failureResultOf(first, ValueError)
        self.failureResultOf(second, ValueError)
        self.cache.read_once(Query("/a/"), self.read)
        self.assertEqual(len(self.reads), 2)
