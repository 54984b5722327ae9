"""
Tests for L{isso_tx.cli.copydb} that need no database: what it copies.
"""

from __future__ import annotations

import re
from importlib import resources

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.cli.copydb import COPIED, NOT_COPIED, TABLES, shown


class TablesTests(SynchronousTestCase):
    def test_every_table_decided(self) -> None:
        """
        Every table any schema file creates is either moved by copy-db or
        named as left behind, with the reason, so that a new table is not
        silently lost in a move.
        """
        created: set[str] = set()
        for schema in resources.files("isso_tx").joinpath("schema").iterdir():
            if schema.name.endswith(".sql"):
                created |= set(
                    re.findall(
                        r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)",
                        schema.read_text("utf-8"),
                    )
                )
        # isso_tx_schema is made by pg.py itself.
        self.assertEqual(created | {"isso_tx_schema"}, set(TABLES) | set(NOT_COPIED))
        self.assertFalse(set(TABLES) & set(NOT_COPIED))
        self.assertEqual([t.name for t in COPIED][:3], ["preferences", "threads", "comments"])

    def test_password_not_shown(self) -> None:
        """
        A database named in a message shows its URI without the password,
        and a file as it is.
        """
        self.assertEqual(
            shown("postgresql://isso:s3cret@db/comments"), "postgresql://isso:***@db/comments"
        )
        self.assertEqual(shown("/var/lib/isso/comments.db"), "/var/lib/isso/comments.db")
