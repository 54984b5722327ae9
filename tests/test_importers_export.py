"""
Tests for writing a database as generic JSON (L{isso_tx.importers.export}).
"""

from __future__ import annotations

import io
import json
import sqlite3

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.importers.export import export_comment, write_export


class ExportTests(SynchronousTestCase):
    """
    The JSON written for threads and comments.
    """

    def test_comment(self) -> None:
        """
        A comment row becomes Isso's fields, a UTC date, the exact Unix time
        and the voters in base64.
        """
        row = (3, 1, 1580472000.5, None, 1, "192.0.2.0", "Hi", "Ann", None, None,
               2, 0, b"\x01", 0)  # fmt: skip
        exported = export_comment(row)
        self.assertEqual(exported["created"], "2020-01-31 12:00:00")
        self.assertEqual(exported["created_unix"], 1580472000.5)
        self.assertEqual(exported["voters"], "AQ==")
        self.assertEqual((exported["id"], exported["parent"]), (3, 1))

    def test_threads(self) -> None:
        """
        Every thread is written with its comments, an empty thread too, and
        a comment of no thread is left out.
        """
        conn = sqlite3.connect(":memory:")
        self.addCleanup(conn.close)
        conn.executescript(
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri, title);"
            "CREATE TABLE comments (tid, id INTEGER PRIMARY KEY, parent, created,"
            " modified, mode, remote_addr, text, author, email, website, likes,"
            " dislikes, voters, notification);"
            "INSERT INTO threads VALUES (1, '/a/', 'A'), (2, '/b/', NULL);"
            "INSERT INTO comments VALUES (1, 1, NULL, 0, NULL, 1, '', 'x', NULL,"
            " NULL, NULL, 0, 0, x'', 0), (9, 2, NULL, 0, NULL, 1, '', 'lost',"
            " NULL, NULL, NULL, 0, 0, x'', 0);"
        )
        out = io.StringIO()
        write_export(conn, out)
        threads = json.loads(out.getvalue())
        self.assertEqual(
            [(t["id"], t["tid"]) for t in threads], [("/a/", 1), ("/b/", 2)]
        )
        self.assertEqual([c["text"] for c in threads[0]["comments"]], ["x"])
        self.assertEqual(threads[1]["comments"], [])
