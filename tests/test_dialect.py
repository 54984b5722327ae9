"""
What differs between SQLite and PostgreSQL, kept in isso_tx.dialect.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.dialect import (
    POSTGRESQL,
    SQLITE,
    dialect_of,
    masked_uri,
    row_class,
    translate_placeholders,
    without_password,
)
from isso_tx.store.comments import months_before


class DbpathTests(SynchronousTestCase):
    def test_uri_or_file(self) -> None:
        """
        A postgresql:// or postgres:// dbpath is PostgreSQL; a path stays SQLite.
        """
        self.assertEqual(dialect_of("postgresql://isso@db/comments"), POSTGRESQL)
        self.assertEqual(dialect_of("POSTGRES://isso@db/comments"), POSTGRESQL)
        self.assertEqual(dialect_of("/var/lib/isso-tx/comments.db"), SQLITE)
        self.assertEqual(dialect_of("postgresql.db"), SQLITE)

    def test_password_masked(self) -> None:
        """
        A password in the URI, as user:password or password=, never shows.
        """
        self.assertEqual(
            masked_uri("postgresql://isso:s3cret@db.example.org:5433/comments"),
            "postgresql://isso:***@db.example.org:5433/comments",
        )
        self.assertEqual(
            masked_uri("postgres://db/comments?user=isso&password=s3cret&sslmode=require"),
            "postgres://db/comments?user=isso&password=***&sslmode=require",
        )
        self.assertEqual(
            masked_uri("postgresql://isso@/comments?host=/run/pg"),
            "postgresql://isso@/comments?host=/run/pg",
        )

    def test_password_struck_from_messages(self) -> None:
        """
        A driver's message quoting the URI or the password loses the password.
        """
        uri = "postgresql://isso:s3cret@db/comments"
        message = without_password(f"cannot use {uri}: password s3cret refused", uri)
        self.assertNotIn("s3cret", message)
        self.assertIn("postgresql://isso:***@db/comments", message)


class PlaceholderTests(SynchronousTestCase):
    def test_translated(self) -> None:
        """
        Each ? becomes %s and each % is doubled, outside quotes; quoted
        text keeps its question marks.
        """
        self.assertEqual(
            translate_placeholders(
                "SELECT * FROM t WHERE a = ? AND b LIKE '%?%' AND c = ? "
                "AND \"odd?\" = '?'"
            ),
            "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%' AND c = %s "
            "AND \"odd?\" = '?'",
        )


class RowTests(SynchronousTestCase):
    def test_by_position_and_name(self) -> None:
        """
        A row reads like sqlite3.Row: by index, by name, unpacked, as a dict.
        """
        row = tuple.__new__(row_class(["id", "text"]), (1, "hi"))
        self.assertEqual((row[0], row["text"]), (1, "hi"))
        comment_id, text = row
        self.assertEqual((comment_id, text), (1, "hi"))
        self.assertEqual(dict(row), {"id": 1, "text": "hi"})


class MonthsBeforeTests(SynchronousTestCase):
    def test_calendar_months(self) -> None:
        """
        Six months before 31 August is 3 March (31 February rolls over), as
        SQLite reckons it.
        """
        # 2023-08-31 12:00:00.6 UTC
        self.assertEqual(months_before(1693483200.6, 6), 1677844800.0)
