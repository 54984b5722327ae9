"""
The response cache: finished answers of the hot read requests (a thread's
comments, counts, feeds, the latest comments), dropped when what they show
changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sized
from dataclasses import dataclass
from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

A = TypeVar("A", bound=Sized)

# What an entry costs beyond the bytes of its answer and of its uri: the
# key object, the dictionary's slot, the objects' headers (about 230
# bytes for a count, measured with tracemalloc).  Without it, many small
# answers (the counts of 5,000 made-up uris a request) would take ten
# times the budget.
ENTRY_COST = 256


@dataclass(frozen=True)
class CountKey:
    """
    The key of one thread's number of published comments (C{POST /count}).
    """

    uri: str


@dataclass(frozen=True)
class FeedKey:
    """
    The key of a thread's feed (C{GET /feed}) of at most C{limit} entries.
    """

    uri: str
    limit: int


@dataclass(frozen=True)
class LatestKey:
    """
    The key of C{GET /latest}'s answer for one limit.  It shows comments of
    every thread, so it has no C{uri} of its own: any change drops it.
    """

    limit: int
    uri: None = None


class ResponseCache:
    """
    Finished answers, per thread, within a memory budget.

    Keys are the requests' checked queries, each with the C{uri} of the
    thread it reads, or C{uri = None} when it reads every thread (the
    latest comments): a change to a thread drops the entries of its uri
    and those of every thread.  Answers are bytes, or objects whose
    C{len} is their size (a feed with its ETag, say).
    """

    def __init__(self, budget: int = 8 * 1024 * 1024) -> None:
        self._entries: OrderedDict[Any, Sized] = OrderedDict()
        # The keys of the entries, by the uri they read: a write drops its
        # threads' entries without walking the whole cache (tens of
        # thousands of counts, on a site with as many articles).
        self._by_uri: dict[str | None, set[Any]] = {}
        self._size = 0
        self._budget = budget
        # Bumped by every invalidation, so that a body computed from data
        # read before a write is not stored after it.
        self.generation = 0
        # Lookups that found a body, and those that did not (the metrics
        # read them).
        self.hits = 0
        self.misses = 0
        # The answers being read, by query and generation, each with the
        # readers waiting for it.
        self._reading: dict[tuple[Any, int], list[Deferred[Any]]] = {}

    def get(self, query: Any) -> Any:
        body = self._entries.get(query)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
            self._entries.move_to_end(query)
        return body

    def put(self, query: Any, body: Sized, generation: int) -> None:
        if generation != self.generation or len(body) > self._budget // 4:
            return
        # The key counts too: a client may ask for many long made-up uris,
        # each with a small body.
        self._size += self._cost(query, body) - self._cost(
            query, self._entries.pop(query, None)
        )
        self._entries[query] = body
        self._by_uri.setdefault(query.uri, set()).add(query)
        while self._size > self._budget:
            evicted_query, evicted = self._entries.popitem(last=False)
            self._size -= self._cost(evicted_query, evicted)
            self._unindex(evicted_query)

    def _unindex(self, query: Any) -> None:
        keys = self._by_uri[query.uri]
        keys.discard(query)
        if not keys:
            del self._by_uri[query.uri]

    @staticmethod
    def _cost(query: Any, body: Sized | None) -> int:
        return 0 if body is None else ENTRY_COST + len(body) + len(query.uri or "")

    def read_once(self, query: Any, read: Callable[[], Awaitable[A]]) -> Deferred[A]:
        """
        Return the answer of C{read()}, kept unless a write came in
        between.  Readers of the same query who come while it is being
        read, with no invalidation since it started, get that answer too:
        one read for all of them rather than one each, which for a slow
        answer (a thread of thousands of comments) would queue up on the
        database.  A reader who goes away does not cancel it for the others.
        """
        waiter: Deferred[A] = Deferred()
        key = (query, self.generation)
        waiters = self._reading.get(key)
        if waiters is not None:
            waiters.append(waiter)
            return waiter
        waiters = self._reading[key] = [waiter]
        generation = self.generation

        def done(result: Any) -> None:
            del self._reading[key]
            if not isinstance(result, Failure):
                self.put(query, result, generation)
            for each in waiters:
                # A reader who went away was cancelled already.
                if each.called:
                    continue
                if isinstance(result, Failure):
                    each.errback(result)
                else:
                    each.callback(result)

        Deferred.fromCoroutine(_awaited(read())).addBoth(done)
        return waiter

    def invalidate(self, *uris: str) -> None:
        self.generation += 1
        for uri in {None, *uris}:
            for query in self._by_uri.pop(uri, ()):
                self._size -= self._cost(query, self._entries.pop(query))

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_uri.clear()
        self._size = 0


async def cached(
    cache: ResponseCache,
    check: Callable[[], Deferred[None] | None],
    query: Any,
    read: Callable[[], Awaitable[A]],
) -> A:
    """
    Return the answer to C{query}: from C{cache} once C{check} (the site's
    L{isso_tx.changes.Freshness.check}) has brought it up to date with
    what any process committed, else from C{read()} (see
    L{ResponseCache.read_once}).
    """
    waiting = check()
    if waiting is not None:
        await waiting
    answer = cache.get(query)
    if answer is None:
        answer = await cache.read_once(query, read)
    return answer


async def _awaited(value: Awaitable[A]) -> A:
    return await value
