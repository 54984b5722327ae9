"""
Unit tests of L{isso_tx.changes}: noticing what other processes committed
to a site's database, and bringing the cached answers up to date.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.changes import Changes, Freshness, SQLiteChangeFeed
from isso_tx.db import prepare_database, serialised

from .fast_support import InlineDatabase

NEW_COMMENT = (
    "INSERT INTO comments (tid, created, mode, text, voters, remote_addr) "
    "VALUES (?, 1, 1, 'text', x'', '10.0.0.0')"
)


class SQLiteChangeFeedTests(SynchronousTestCase):
    """
    The feed of an SQLite file written by other connections, as another
    daemon, the command line or Isso would write it.
    """

    def setUp(self) -> None:
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        self.path = os.path.join(directory, "comments.db")
        prepare_database(self.path)
        self.database = InlineDatabase(self.path)
        self.feed = SQLiteChangeFeed(self.database)
        self.feed.startService()
        # Stopped in this order, as the site stops them: the feed's map of
        # the -shm file is closed after the database's connection.
        self.addCleanup(self.feed.stopService)
        self.addCleanup(self.database.stopService)
        self.write(
            "INSERT INTO threads (id, uri, title) VALUES (1, '/a/', 'A')",
            "INSERT INTO threads (id, uri, title) VALUES (2, '/b/', 'B')",
        )

    def write(self, *statements: str, params: tuple = ()) -> None:
        """
        Commit C{statements} on a connection of another program.
        """
        other = sqlite3.connect(self.path)
        try:
            for statement in statements:
                other.execute(statement, params if "?" in statement else ())
            other.commit()
        finally:
            other.close()

    def changes(self) -> Changes:
        return self.successResultOf(self.feed.changes())

    def test_first_look(self) -> None:
        """
        Before it has ever looked, the feed cannot tell what changed: it
        says everything did, and afterwards that nothing was committed.
        """
        self.assertTrue(self.feed.maybe_changed())
        self.assertEqual(self.changes(), Changes(everything=True))
        self.assertFalse(self.feed.maybe_changed())

    def test_comment_from_another_process(self) -> None:
        """
        A comment committed elsewhere is noticed without the database, and
        its thread alone is reported, once.
        """
        self.changes()
        calls = self.database.calls
        self.assertFalse(self.feed.maybe_changed())
        self.assertEqual(self.database.calls, calls)
        self.write(NEW_COMMENT, params=(1,))
        self.assertTrue(self.feed.maybe_changed())
        self.assertEqual(self.changes(), Changes(frozenset({"/a/"})))
        self.assertFalse(self.feed.maybe_changed())
        self.assertEqual(self.changes(), Changes())

    def test_every_kind_of_write(self) -> None:
        """
        Edits, votes, moves between threads, renames and deletions report
        the threads they touch.
        """
        self.write(NEW_COMMENT, NEW_COMMENT, params=(1,))
        self.changes()
        self.write("UPDATE comments SET text = 'edited' WHERE id = 1")
        self.assertEqual(self.changes().uris, {"/a/"})
        self.write("UPDATE comments SET likes = 1 WHERE id = 2")
        self.assertEqual(self.changes().uris, {"/a/"})
        self.write("UPDATE comments SET tid = 2 WHERE id = 2")
        self.assertEqual(self.changes().uris, {"/a/", "/b/"})
        self.write("UPDATE threads SET uri = '/c/' WHERE id = 2")
        self.assertEqual(self.changes().uris, {"/b/", "/c/"})
        self.write("DELETE FROM comments WHERE id = 2")
        self.assertEqual(self.changes().uris, {"/c/"})

    def test_unrelated_commit(self) -> None:
        """
        A commit that touches no thread (a stored rendering) costs one look
        at the log, which reports nothing.
        """
        self.changes()
        self.write("INSERT INTO isso_tx_rendered (id, source, html) VALUES (9, 's', 'h')")
        self.assertTrue(self.feed.maybe_changed())
        self.assertEqual(self.changes(), Changes())
        self.assertFalse(self.feed.maybe_changed())

    def test_without_wal(self) -> None:
        """
        On a database that is not in WAL mode every check goes to the
        database, and still reports the right threads.
        """
        self.feed.stopService()
        self.database.stopService()
        self.write("PRAGMA journal_mode = DELETE")
        self.database = InlineDatabase(self.path)
        self.addCleanup(self.database.stopService)
        self.assertEqual(
            [tuple(r) for r in self.database.query("PRAGMA journal_mode")],
            [("delete",)],
        )
        self.feed = SQLiteChangeFeed(self.database)
        self.changes()
        self.assertTrue(self.feed.maybe_changed())
        self.write(NEW_COMMENT, params=(2,))
        self.assertEqual(self.changes().uris, {"/b/"})
        self.assertTrue(self.feed.maybe_changed())


class FakeFeed:
    """
    A change feed whose answers the test gives.
    """

    def __init__(self) -> None:
        self.changed = True
        self.asked: list[Deferred[Changes]] = []

    def maybe_changed(self) -> bool:
        return self.changed

    def changes(self) -> Deferred[Changes]:
        d: Deferred[Changes] = Deferred()
        self.asked.append(d)
        return d


class FreshnessTests(SynchronousTestCase):
    """
    Bringing the cache up to date before a cached answer.
    """

    def setUp(self) -> None:
        self.feed = FakeFeed()
        self.forgotten: list[Changes] = []
        self.freshness = Freshness(self.feed, self.forgotten.append)

    def test_nothing_committed(self) -> None:
        """
        With nothing committed, the cached answer is given at once.
        """
        self.feed.changed = False
        self.assertIsNone(self.freshness.check())
        self.assertEqual(self.feed.asked, [])

    def test_one_look_at_a_time(self) -> None:
        """
        Requests arriving while the feed is asked wait for a second look,
        which starts after the first and serves them all; each waits until
        the stale threads were dropped.
        """
        first = self.freshness.check()
        second = self.freshness.check()
        third = self.freshness.check()
        self.assertEqual(len(self.feed.asked), 1)
        self.feed.asked[0].callback(Changes(frozenset({"/a/"})))
        self.successResultOf(first)
        self.assertNoResult(second)
        self.assertEqual(self.forgotten, [Changes(frozenset({"/a/"}))])
        self.assertEqual(len(self.feed.asked), 2)
        self.feed.asked[1].callback(Changes(frozenset({"/b/"})))
        self.successResultOf(second)
        self.successResultOf(third)
        self.assertEqual(len(self.forgotten), 2)

    def test_failure_drops_everything(self) -> None:
        """
        When the database cannot say what changed, every cached answer is
        dropped and the request goes on to read the database.
        """
        waiting = self.freshness.check()
        self.feed.asked[0].errback(RuntimeError("database is locked"))
        self.successResultOf(waiting)
        self.assertEqual(self.forgotten, [Changes(everything=True)])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_reader_gone(self) -> None:
        """
        A request whose reader went away while it waited is simply dropped.
        """
        waiting = self.freshness.check()
        waiting.cancel()
        self.failureResultOf(waiting)
        self.feed.asked[0].callback(Changes())
        self.assertEqual(self.forgotten, [Changes()])


class SerialisedTests(SynchronousTestCase):
    """
    Interactions that read and then write on what they read, with another
    process writing the same file.
    """

    def test_write_lock_from_the_first_read(self) -> None:
        """
        No other process can commit between a serialised interaction's read
        and its write; an unmarked one lets it.
        """
        path = os.path.abspath(self.mktemp())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        prepare_database(path)
        database = InlineDatabase(path)
        self.addCleanup(database.stopService)

        def other_writer_commits() -> bool:
            other = sqlite3.connect(path, timeout=0)
            try:
                other.execute("INSERT INTO threads (uri, title) VALUES ('/x/', 'X')")
                other.commit()
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                other.close()

        def read_then_write(txn: Any) -> bool:
            txn.execute("SELECT count(*) FROM threads")
            committed = other_writer_commits()
            txn.execute("DELETE FROM threads WHERE uri = '/x/'")
            return committed

        self.assertTrue(self.successResultOf(database.run(read_then_write)))
        self.assertFalse(self.successResultOf(database.run(serialised(read_then_write))))
