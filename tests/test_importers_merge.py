"""
Tests for copying staged comments into a site's database
(L{isso_tx.importers.merge}), through L{isso_tx.importers.import_dump}.
"""

from __future__ import annotations

import json
import os
import sqlite3

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.importers import detect_format, import_dump

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class MergeTests(SynchronousTestCase):
    """
    What an import adds to a database, and what it counts.
    """

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.db = os.path.join(self.directory, "comments.db")

    def dump(self, comments: list[dict]) -> str:
        """
        Write a generic dump of one thread /a/ with C{comments}; return its
        path.
        """
        path = os.path.join(self.directory, f"dump-{len(comments)}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump([{"id": "/a/", "comments": comments}], f)
        return path

    def test_ids_kept_then_new(self) -> None:
        """
        Into an empty database the file's ids are kept; a later dump adds
        only what is new, with ids after the highest.
        """
        first = [{"id": 5, "text": "five", "created": 100}]
        summary = import_dump(self.db, self.dump(first))
        self.assertEqual((summary.comments, summary.new_threads), (1, 1))
        self.assertTrue(summary.kept_ids)
        later = first + [{"id": 1, "text": "one", "created": 200}]
        summary = import_dump(self.db, self.dump(later))
        self.assertEqual(summary.comments, 1)
        self.assertEqual(summary.skipped["already in the database"], 1)
        self.assertFalse(summary.kept_ids)
        conn = sqlite3.connect(self.db)
        self.addCleanup(conn.close)
        self.assertEqual(
            conn.execute("SELECT id, text FROM comments ORDER BY id").fetchall(),
            [(5, "five"), (6, "one")],
        )

    def test_dry_run(self) -> None:
        """
        A dry run counts what it would import and does not even create the
        database.
        """
        summary = import_dump(
            self.db, self.dump([{"text": "x", "created": 1}]), dry_run=True
        )
        self.assertEqual(summary.comments, 1)
        self.assertFalse(os.path.exists(self.db))

    def test_stale_pending(self) -> None:
        """
        Imported comments awaiting moderation for longer than purge-after
        are counted, so that the user is warned.
        """
        summary = import_dump(
            self.db,
            self.dump([{"text": "old", "created": 10, "mode": 2}]),
            purge_after=60,
        )
        self.assertEqual(summary.pending_stale, 1)

    def test_formats_detected(self) -> None:
        """
        Each fixture is recognised as its own format.
        """
        for name, kind in [
            ("disqus.xml", "disqus"),
            ("wordpress.xml", "wordpress"),
            ("generic.json", "generic"),
        ]:
            self.assertEqual(detect_format(os.path.join(FIXTURES, name)), kind)
