"""
Many readers posting at once through two daemons on one database (a SQLite
file here; tests/slow/test_postgres_daemons.py runs the same on
PostgreSQL): every comment acknowledged is stored once, and a daemon
killed with SIGKILL in the middle loses none that it acknowledged.

The load is 64 HTTP/1.1 connections kept alive, half to each daemon, each
sending its share of C{POST /new} one after the other from a thread of
this process: http.client on a kept connection costs this process little,
so the daemons have the machine's cores.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field

from twisted.trial.unittest import SynchronousTestCase

from ..pgcluster import fresh_database
from .daemons import Daemon, connection
from .test_tap import HOST, free_port

# The figures: 2,000 comments over 64 connections.
COMMENTS = 2000
CONNECTIONS = 64
# The threads the comments land on: the first comments of each create it,
# from both daemons at once.
URIS = [f"/load/{n}/" for n in range(16)]


@dataclass
class Writers:
    """
    C{CONNECTIONS} connections, alternating between the C{addresses},
    sending C{POST /new} with texts of their own until C{total} were sent.

    A connection whose daemon went away (refused, reset, closed without an
    answer) marks that comment as in doubt (it may have been stored), and
    goes on with the next comment on the next address that still answers,
    as a load balancer would.
    """

    addresses: list[str]
    total: int
    connections: int = CONNECTIONS
    # Texts answered 201 or 202, by the id the daemon gave.
    acknowledged: dict[int, str] = field(default_factory=dict)
    # Texts sent on a connection that failed before an answer came.
    in_doubt: set[str] = field(default_factory=set)
    # Connection-level failures: (address, what happened).
    lost: list[tuple[str, str]] = field(default_factory=list)
    # Anything else: an answer other than 201/202, or an unreadable body.
    wrong: list[str] = field(default_factory=list)
    _numbers: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _down: set[str] = field(default_factory=set)

    def start(self) -> None:
        for n in range(self.connections):
            thread = threading.Thread(target=self._writer, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = sum(thread.is_alive() for thread in self._threads)
        if alive:
            raise AssertionError(f"{alive} writers still busy after {timeout} s")

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def _next(self) -> int | None:
        with self._lock:
            number = next(self._numbers)
        return number if number < self.total else None

    def _writer(self, n: int) -> None:
        choice = n % len(self.addresses)
        address = self.addresses[choice]
        conn = connection(address)
        try:
            while (number := self._next()) is not None:
                text = f"Comment {number} of {self.total}, writer {n}"
                uri = URIS[number % len(URIS)]
                body = json.dumps({"text": text, "title": "Load", "author": f"W{n}"})
                try:
                    conn.request(
                        "POST", f"/new?uri={uri}", body=body.encode(),
                        headers={"Host": "comments.example",
                                 "Content-Type": "application/json"},
                    )
                    response = conn.getresponse()
                    answer = response.read()
                except (OSError, http.client.HTTPException) as e:
                    conn.close()
                    with self._lock:
                        self.in_doubt.add(text)
                        self.lost.append((address, repr(e)))
                        self._down.add(address)
                        up = [a for a in self.addresses if a not in self._down]
                    if not up:
                        return
                    address = up[n % len(up)]
                    conn = connection(address)
                    continue
                with self._lock:
                    if response.status not in (201, 202):
                        self.wrong.append(f"{response.status} {answer[:200]!r}")
                        continue
                    try:
                        comment_id = json.loads(answer)["id"]
                    except (ValueError, KeyError):
                        self.wrong.append(f"{response.status} {answer[:200]!r}")
                        continue
                    self.acknowledged[comment_id] = text
        finally:
            conn.close()


class ConcurrentWriters(SynchronousTestCase):
    """
    Two daemons of one configuration (the guard off, so that one network
    may post thousands of comments) on one database.
    """

    # "sqlite" (a file in the test's folder) or "postgresql" (a fresh
    # database of tests/pgcluster.py).
    backend = "sqlite"

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        if self.backend == "postgresql":
            self.dbpath = fresh_database(self)
        else:
            self.dbpath = os.path.join(self.directory, "comments.db")
        config = os.path.join(self.directory, "site.cfg")
        with open(config, "w") as f:
            f.write(
                f"[general]\ndbpath = {self.dbpath}\nhost = {HOST}\nnotify = stdout\n"
                "[guard]\nenabled = false\n"
            )
        self.daemons = []
        for name in ("first", "second"):
            daemon = Daemon(self, self.directory, name, config, f"127.0.0.1:{free_port()}")
            # The first creates the database; the second opens it as it is.
            daemon.start()
            self.daemons.append(daemon)

    def stored(self) -> list[tuple[int, str]]:
        """
        Return the id and text of every comment in the database.
        """
        query = "SELECT id, text FROM comments ORDER BY id"
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(self.dbpath) as conn:
                return [(i, t) for i, t in conn.execute(query).fetchall()]
        with sqlite3.connect(self.dbpath) as conn:
            return [(i, t) for i, t in conn.execute(query).fetchall()]

    def thread_uris(self) -> list[str]:
        query = "SELECT uri FROM threads"
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(self.dbpath) as conn:
                return [u for (u,) in conn.execute(query).fetchall()]
        with sqlite3.connect(self.dbpath) as conn:
            return [u for (u,) in conn.execute(query).fetchall()]

    def writers(self, total: int) -> Writers:
        return Writers([d.address for d in self.daemons], total)


class ConcurrentWritesTests(ConcurrentWriters):
    """
    Comments posted at once through both daemons.
    """

    def test_none_lost_or_duplicated(self) -> None:
        """
        2,000 comments posted over 64 connections to two daemons are all
        acknowledged, and the database holds exactly those 2,000, each
        once, under the id its daemon answered.
        """
        writers = self.writers(COMMENTS)
        writers.start()
        writers.join()
        self.assertEqual((writers.wrong, writers.lost), ([], []))
        self.assertEqual(len(writers.acknowledged), COMMENTS)
        self.assertEqual(self.stored(), sorted(writers.acknowledged.items()))
        self.assertEqual(sorted(self.thread_uris()), sorted(URIS))


class KillTests(ConcurrentWriters):
    """
    A daemon killed (SIGKILL) while both take comments.
    """

    # How many comments are sent in all, and how many must be acknowledged
    # before the second daemon is killed.
    total = COMMENTS
    kill_after = 500

    def test_acknowledged_kept(self) -> None:
        """
        When one daemon is killed in the middle of 2,000 comments over 64
        connections, every comment either daemon acknowledged is in the
        database, once; the killed daemon's readers see their connections
        fail, and nothing else fails.
        """
        writers = self.writers(self.total)
        writers.start()
        deadline = time.monotonic() + 120
        while writers.count() < self.kill_after:
            self.assertLess(time.monotonic(), deadline, "the load does not progress")
            time.sleep(0.005)
        victim, survivor = self.daemons[1], self.daemons[0]
        victim.kill()
        writers.join()
        self.assertEqual(writers.wrong, [])
        # Only the killed daemon's connections failed, at least one of them
        # (its connections were busy when it died).
        self.assertEqual({address for address, _ in writers.lost}, {victim.address})
        self.assertTrue(writers.in_doubt)
        stored = self.stored()
        texts = [text for _, text in stored]
        self.assertEqual(len(texts), len(set(texts)), "a comment was stored twice")
        by_id = dict(stored)
        missing = {
            i: text for i, text in writers.acknowledged.items() if by_id.get(i) != text
        }
        self.assertEqual(missing, {}, "acknowledged but not stored")
        # What is stored beyond the acknowledged was in flight when the
        # daemon died.
        unacknowledged = set(texts) - set(writers.acknowledged.values())
        self.assertLessEqual(unacknowledged, writers.in_doubt)
        self.assertEqual(
            len(writers.acknowledged) + len(writers.in_doubt), self.total
        )
        # The survivor went on taking comments.
        self.assertGreater(len(writers.acknowledged), self.kill_after)
        status, _ = survivor_status(survivor)
        self.assertEqual(status, 200)


def survivor_status(daemon: Daemon) -> tuple[int, bytes]:
    conn = connection(daemon.address)
    try:
        conn.request("GET", f"/?uri={URIS[0]}", headers={"Host": "comments.example"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
