"""
Tests for L{isso_tx.db}: Isso's schema, and upgrades of old Isso databases.
"""

from __future__ import annotations

import os
import sqlite3

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.bloom import VoterFilter
from isso_tx.db import SCHEMA_VERSION, DatabaseError, prepare_database
from isso_tx.store.comments import latest_interaction

# comments as Isso created it before the notification column (schema < 4)
# and before text became NOT NULL (schema < 5).
OLD_COMMENTS = """
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL)
"""
THREADS = "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256))"
PREFERENCES = "CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR)"

# Isso's schema version 5, as the tables are declared.
V5_COMMENTS = [
    ("tid", "", 0),
    ("id", "INTEGER", 0),
    ("parent", "INTEGER", 0),
    ("created", "FLOAT", 1),
    ("modified", "FLOAT", 0),
    ("mode", "INTEGER", 0),
    ("remote_addr", "VARCHAR", 0),
    ("text", "VARCHAR", 1),
    ("author", "VARCHAR", 0),
    ("email", "VARCHAR", 0),
    ("website", "VARCHAR", 0),
    ("likes", "INTEGER", 0),
    ("dislikes", "INTEGER", 0),
    ("voters", "BLOB", 1),
    ("notification", "INTEGER", 0),
]


def columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str, int]]:
    return [(r[1], r[2], r[3]) for r in conn.execute(f"PRAGMA table_info({table})")]


def isso_schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """
    Isso's part of the schema, normalised so that only meaning is compared.
    """
    return sorted(
        (kind, name)
        for kind, name in conn.execute("SELECT type, name FROM sqlite_master")
        if not name.startswith("isso_tx_")
    )


class DatabaseTestCase(SynchronousTestCase):
    def build(self, *statements: str, version: int, rows: list[tuple] = ()) -> str:
        """
        Write an Isso database of an old layout and return its path.
        """
        path = self.mktemp()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        conn = sqlite3.connect(path)
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO threads VALUES (1, '/post/', 'A post')")
        conn.execute("INSERT INTO threads VALUES (2, '/other/', 'Another')")
        for row in rows:
            conn.execute(
                f"INSERT INTO comments VALUES ({', '.join('?' * len(row))})", row
            )
        conn.execute(f"PRAGMA user_version = {version}")
        conn.commit()
        conn.close()
        return path

    def open(self, path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path)
        self.addCleanup(conn.close)
        return conn


def old_row(comment_id: int, parent: int | None, text: str | None = "hello",
            tid: int = 1) -> tuple:
    return (tid, comment_id, parent, 1500000000.0 + comment_id, None, 1,
            "10.0.0.0", text, f"author {comment_id}", "a@example.org",
            "http://example.org", comment_id, 0, b"\x00" * 256)


class FreshDatabaseTests(DatabaseTestCase):
    def test_new_file(self) -> None:
        """
        A new database gets Isso's schema version 5 and a random session key.
        """
        path = self.mktemp()
        key = prepare_database(path)
        conn = self.open(path)
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 5)
        self.assertEqual(columns(conn, "comments"), V5_COMMENTS)
        self.assertEqual(
            columns(conn, "threads"),
            [("id", "INTEGER", 0), ("uri", "VARCHAR(256)", 0), ("title", "VARCHAR(256)", 0)],
        )
        self.assertEqual(
            conn.execute("SELECT value FROM preferences WHERE key = 'session-key'")
            .fetchone()[0],
            key,
        )
        self.assertRegex(key, "^[0-9a-f]{48}$")
        self.assertEqual(
            conn.execute("PRAGMA journal_mode").fetchone()[0], "wal"
        )
        # Opening again changes nothing.
        self.assertEqual(prepare_database(path), key)
        self.assertFalse(os.path.exists(path + "-backup-v5"))

    def test_isso_schema_unchanged(self) -> None:
        """
        Isso's tables, trigger and indexes are exactly Isso's; ours are
        prefixed so Isso ignores them.
        """
        path = self.mktemp()
        prepare_database(path)
        conn = self.open(path)
        self.assertEqual(
            isso_schema(conn),
            [
                ("index", "sqlite_autoindex_preferences_1"),
                ("index", "sqlite_autoindex_threads_1"),
                ("table", "comments"),
                ("table", "preferences"),
                ("table", "threads"),
                ("trigger", "remove_stale_threads"),
            ],
        )

    def test_stale_thread_trigger(self) -> None:
        """
        Deleting a thread's last comment removes the thread, as under Isso.
        """
        path = self.mktemp()
        prepare_database(path)
        conn = self.open(path)
        conn.execute("INSERT INTO threads VALUES (1, '/a', 'A')")
        conn.execute(
            "INSERT INTO comments (tid, created, text, voters) VALUES (1, 1, 'x', x'')"
        )
        conn.execute("DELETE FROM comments")
        self.assertEqual(conn.execute("SELECT count(*) FROM threads").fetchone()[0], 0)


    def test_renderings_follow_deletes(self) -> None:
        """
        A comment deleted by another program (Isso, the sqlite3 shell) takes
        its stored rendering with it; other renderings stay.
        """
        path = self.mktemp()
        prepare_database(path)
        conn = self.open(path)
        conn.execute("INSERT INTO threads VALUES (1, '/a', 'A')")
        for comment_id in (1, 2):
            conn.execute(
                "INSERT INTO comments (id, tid, created, text, voters) "
                "VALUES (?, 1, 1, 'x', x'')",
                (comment_id,),
            )
            conn.execute(
                "INSERT INTO isso_tx_rendered VALUES (?, 's', '<p>x</p>')",
                (comment_id,),
            )
        conn.execute("DELETE FROM comments WHERE id = 1")
        self.assertEqual(
            conn.execute("SELECT id FROM isso_tx_rendered").fetchall(), [(2,)]
        )


    def test_latest_comments_use_an_index(self) -> None:
        """
        The site's newest comments (GET /latest) are found through an index,
        not by sorting every comment of the site for each read.
        """
        path = self.mktemp()
        prepare_database(path)
        conn = self.open(path)

        class Recorded(Exception):
            pass

        class RecordingCursor:
            statements: list[tuple[str, tuple]] = []

            def execute(self, sql: str, args: tuple = ()) -> None:
                self.statements.append((sql, args))
                raise Recorded()

        cursor = RecordingCursor()
        self.assertRaises(Recorded, latest_interaction, cursor, 100, "")
        [(sql, args)] = cursor.statements
        plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
        self.assertIn(
            "SEARCH c USING INDEX isso_tx_comments_published (mode=?)", plan
        )
        self.assertFalse([step for step in plan if step.startswith("SCAN c")], plan)


class MigrationTests(DatabaseTestCase):
    def test_version_0(self) -> None:
        """
        A database from the first Isso releases is upgraded to version 5 with
        every row kept, nesting flattened, voters reset, and a copy aside.
        """
        rows = [old_row(1, None), old_row(2, 1), old_row(3, 2), old_row(4, 3),
                old_row(5, None, text=None), old_row(6, 5, tid=2)]
        path = self.build(THREADS, OLD_COMMENTS, version=0, rows=rows)
        prepare_database(path)
        conn = self.open(path)
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 5)
        self.assertEqual(columns(conn, "comments"), V5_COMMENTS)
        got = conn.execute(
            "SELECT id, parent, text, author, likes, notification FROM comments "
            "ORDER BY id"
        ).fetchall()
        self.assertEqual(
            got,
            [(1, None, "hello", "author 1", 1, 0), (2, 1, "hello", "author 2", 2, 0),
             (3, 1, "hello", "author 3", 3, 0), (4, 1, "hello", "author 4", 4, 0),
             (5, None, "", "author 5", 5, 0), (6, 5, "hello", "author 6", 6, 0)],
        )
        for (voters,) in conn.execute("SELECT voters FROM comments"):
            self.assertIn("127.0.0.0", VoterFilter(voters))
        self.assertTrue(os.path.exists(path + "-backup-v0"))
        backup = self.open(path + "-backup-v0")
        self.assertEqual(backup.execute("SELECT count(*) FROM comments").fetchone()[0], 6)
        self.assertEqual(backup.execute("PRAGMA user_version").fetchone()[0], 0)

    def test_version_1_session_key(self) -> None:
        """
        The session key of an Isso 0.8 configuration is adopted, so cookies
        and links issued back then stay valid; later starts keep it.
        """
        path = self.build(PREFERENCES, THREADS, OLD_COMMENTS, version=1)
        self.assertEqual(prepare_database(path, "supersecretkey"), "supersecretkey")
        self.assertEqual(prepare_database(path), "supersecretkey")

    def test_version_2_flattening(self) -> None:
        """
        Nested replies are filed under their conversation's top comment.
        """
        rows = [old_row(1, None), old_row(2, None), old_row(3, 2), old_row(4, 3),
                old_row(5, 2), old_row(6, None), old_row(7, 3)]
        path = self.build(PREFERENCES, THREADS, OLD_COMMENTS, version=2, rows=rows)
        prepare_database(path)
        parents = dict(self.open(path).execute("SELECT id, parent FROM comments"))
        self.assertEqual(
            parents, {1: None, 2: None, 3: 2, 4: 2, 5: 2, 6: None, 7: 2}
        )

    def test_version_3_with_and_without_notification(self) -> None:
        """
        The notification column is added when missing and kept when present.
        """
        path = self.build(PREFERENCES, THREADS, OLD_COMMENTS, version=3,
                          rows=[old_row(1, None)])
        prepare_database(path)
        self.assertEqual(columns(self.open(path), "comments"), V5_COMMENTS)

        path = self.build(
            PREFERENCES, THREADS,
            OLD_COMMENTS.rstrip()[:-1] + ", notification INTEGER DEFAULT 0)",
            version=3, rows=[old_row(1, None) + (1,)],
        )
        prepare_database(path)
        conn = self.open(path)
        self.assertEqual(columns(conn, "comments"), V5_COMMENTS)
        self.assertEqual(conn.execute("SELECT notification FROM comments").fetchall(), [(1,)])

    def test_version_4_text_not_null(self) -> None:
        """
        NULL texts become empty and the column NOT NULL; other texts stay.
        """
        path = self.build(
            PREFERENCES, THREADS,
            OLD_COMMENTS.rstrip()[:-1] + ", notification INTEGER DEFAULT 0)",
            version=4,
            rows=[old_row(1, None, None) + (0,), old_row(2, None, "kept") + (1,)],
        )
        prepare_database(path)
        conn = self.open(path)
        self.assertEqual(columns(conn, "comments"), V5_COMMENTS)
        self.assertEqual(
            conn.execute("SELECT id, text FROM comments ORDER BY id").fetchall(),
            [(1, ""), (2, "kept")],
        )
        self.assertEqual(
            [
                (kind_name[1],)
                for kind_name in isso_schema(conn)
                if kind_name[0] == "trigger"
            ],
            [("remove_stale_threads",)],
        )

    def test_failed_step_rolls_back(self) -> None:
        """
        A step that fails leaves the file as it was and says which step.
        """
        path = self.build(PREFERENCES, THREADS, OLD_COMMENTS, version=4,
                          rows=[old_row(1, None, None)])
        error = self.assertRaises(DatabaseError, prepare_database, path)
        self.assertIn("from schema version 4 to 5 failed", str(error))
        self.assertIn("notification", str(error))
        conn = self.open(path)
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 4)
        self.assertEqual(conn.execute("SELECT text FROM comments").fetchall(), [(None,)])
        # Trying again does not overwrite the first copy.
        self.assertRaises(DatabaseError, prepare_database, path)
        self.assertTrue(os.path.exists(path + "-backup-v4"))
        self.assertTrue(os.path.exists(path + "-backup-v4.1"))


class RefusalTests(DatabaseTestCase):
    def test_newer_version(self) -> None:
        """
        A database written by a newer Isso is refused untouched.
        """
        path = self.build(PREFERENCES, THREADS, OLD_COMMENTS, version=SCHEMA_VERSION + 1)
        before = open(path, "rb").read()
        error = self.assertRaises(DatabaseError, prepare_database, path)
        self.assertIn("newer", str(error))
        self.assertEqual(open(path, "rb").read(), before)

    def test_not_a_database(self) -> None:
        """
        A file that is not SQLite gives a clear error naming it.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("this is not a database" * 100)
        error = self.assertRaises(DatabaseError, prepare_database, path)
        self.assertIn(path, str(error))

    def test_missing_directory(self) -> None:
        """
        A database path in a directory that does not exist is refused.
        """
        path = os.path.join(self.mktemp(), "nowhere", "comments.db")
        error = self.assertRaises(DatabaseError, prepare_database, path)
        self.assertIn("does not exist", str(error))
