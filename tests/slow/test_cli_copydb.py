"""
C{isso-tx copy-db} as a site's owner uses it to move to PostgreSQL and
back: an Isso SQLite file copied to PostgreSQL is served the same by a
daemon there, and copied back is a file with Isso's schema and the same
rows; and the other commands on a site kept on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.bloom import VoterFilter, new_voters
from isso_tx.cli.copydb import COPIED, NOT_COPIED
from isso_tx.db import _statements, prepare_database
from isso_tx.signing import Signer
from isso_tx.validation import wants_notifications

from ..commandline import isso_tx
from ..pgcluster import SETUP_HINT, fresh_database, installed
from .test_several_daemons import Daemon
from .test_tap import HOST

SKIP = None if installed() else SETUP_HINT

SESSION_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef"
# The reader the daemons of these tests see (test_several_daemons.Daemon
# names it in X-Forwarded-For), as Isso keeps it.
READER = "198.51.100.0"

ISSO_COLUMNS = {
    "preferences": "key, value",
    "threads": "id, uri, title",
    "comments": (
        "tid, id, parent, created, modified, mode, remote_addr, text, author, "
        "email, website, likes, dislikes, voters, notification"
    ),
}


def voters(*addresses: str) -> bytes:
    """
    Return a voters BLOB holding the author (the first) and those who voted.
    """
    bloom = VoterFilter(new_voters(addresses[0]))
    for address in addresses[1:]:
        bloom.add(address)
    return bloom.to_bytes()


# What Isso 0.14 would have written: comments, a reply, votes (one of them
# by the reader of these tests), a comment deleted while answered, one
# awaiting moderation, a notification flag kept as the text a client sent,
# and thread ids with a gap.
THREADS = [(1, "/first/", "First"), (2, "/second/", "Second"), (4, "/third/", "Third")]
COMMENTS = [
    (1, 1, None, 1700000000.25, None, 1, "192.0.2.0", "Hello *world*", "Ann",
     "ann@example.org", "https://ann.example", 1, 0,
     voters("192.0.2.0", READER), 1),
    (1, 2, 1, 1700000100.5, 1700000200.0, 1, "192.0.2.0", "A reply, [link](https://example.org)",
     "Bob", None, None, 0, 2, voters("192.0.2.0", "203.0.113.0", "203.0.114.0"), 0),
    (1, 3, None, 1700000300.0, None, 4, "192.0.2.0", "", None, "gone@example.org", None,
     0, 0, voters("192.0.2.0"), 0),
    (1, 4, 3, 1700000400.0, None, 1, "192.0.2.0", "Answer to a deleted one", "Cy",
     None, None, 0, 0, voters("192.0.2.0"), "true"),
    (2, 5, None, 1700000500.0, None, 2, "192.0.2.0", "Awaiting moderation", "Dee",
     "dee@example.org", None, 0, 0, voters("192.0.2.0"), 0),
    (2, 7, None, 1700000600.0, None, 1, "2001:db8::", "On the second page", None,
     None, None, 0, 0, voters("2001:db8::"), 0),
    (4, 8, None, 1700000700.0, None, 1, "192.0.2.0", "Third", "Eve", None, None, 0, 0,
     voters("192.0.2.0"), None),
]


def isso_file(path: str, comments: list[tuple[Any, ...]] = COMMENTS) -> str:
    """
    Write the file Isso 0.14 makes (its schema, user_version 5, its
    trigger, nothing of ours) holding L{THREADS} and C{comments}.
    """
    conn = sqlite3.connect(path)
    for name in ("isso-v5.sql", "isso-trigger.sql"):
        for statement in _statements(name):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 5")
    conn.execute("INSERT INTO preferences VALUES ('session-key', ?)", (SESSION_KEY,))
    conn.executemany("INSERT INTO threads VALUES (?, ?, ?)", THREADS)
    conn.executemany(f"INSERT INTO comments ({ISSO_COLUMNS['comments']}) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", comments)
    conn.commit()
    conn.close()
    return path


def sqlite_rows(path: str, table: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            f"SELECT {ISSO_COLUMNS.get(table, '*')} FROM {table} ORDER BY 1, 2"
        ).fetchall()
    finally:
        conn.close()


def pg_rows(uri: str, table: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(uri) as conn:
        return conn.execute(
            f"SELECT {ISSO_COLUMNS.get(table, '*')} FROM {table} ORDER BY 1, 2"
        ).fetchall()


def as_isso_reads(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """
    Comments as PostgreSQL keeps them: the notification flag a number, as
    the daemon reads any flag.
    """
    out = []
    for row in rows:
        row = list(row)
        if isinstance(row[14], str):
            row[14] = 1
        out.append(tuple(row))
    return out


def numeric_flags(value: Any) -> Any:
    """
    Return an API answer with each notification flag as a number, as the
    daemon reads the flag.
    """
    if isinstance(value, list):
        return [numeric_flags(item) for item in value]
    if isinstance(value, dict):
        return {
            key: int(wants_notifications(item))
            if key == "notification" and isinstance(item, str)
            else numeric_flags(item)
            for key, item in value.items()
        }
    return value


def site(directory: str, dbpath: str) -> str:
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "site.cfg"), "w") as f:
        f.write(f"[general]\ndbpath = {dbpath}\nhost = {HOST}\nnotify = stdout\n"
                "[guard]\nenabled = false\n"
                # Moderation links work; nothing old is purged.
                "[moderation]\nenabled = true\npurge-after = 0\n")
    return directory


class RoundTripTests(SynchronousTestCase):
    """
    An Isso file moved to PostgreSQL, served there, and moved back.
    """

    skip = SKIP

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.original = isso_file(os.path.join(self.directory, "isso.db"))
        self.uri = fresh_database(self)

    def copy_db(self, *argv: str) -> Any:
        result = isso_tx("copy-db", *argv)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def test_to_postgresql_and_back(self) -> None:
        """
        A daemon on the PostgreSQL copy answers every thread, count, vote
        and moderation link as one on the original file does, takes a new
        comment under the next id, and the copy back is a file with Isso's
        schema and version holding the same rows.
        """
        result = self.copy_db(self.original, self.uri)
        self.assertIn("  threads                 3\n", result.stdout)
        self.assertIn("  comments                7\n", result.stdout)
        self.assertIn("  preferences             1\n", result.stdout)
        self.assertIn("isso_tx_changes         not copied", result.stdout)

        on_file = Daemon(self, site(os.path.join(self.directory, "a"), self.original), "file")
        on_pg = Daemon(self, site(os.path.join(self.directory, "b"), self.uri), "pg")
        on_file.wait_until_serving()
        on_pg.wait_until_serving()
        for request in [
            ("GET", "/?uri=/first/"),
            ("GET", "/?uri=/first/&plain=1"),
            ("GET", "/?uri=/second/"),
            ("GET", "/?uri=/third/&nested_limit=0"),
            ("POST", "/count", ["/first/", "/second/", "/third/", "/none/"]),
        ]:
            (code, on_file_body), (_, on_pg_body) = [
                daemon.request(*request)[::2] for daemon in (on_file, on_pg)
            ]
            self.assertEqual(code, 200, request)
            if request[1].startswith("/?uri=/first/"):
                # A notification flag Isso kept as text is a number on
                # PostgreSQL: the only difference.
                self.assertEqual(
                    numeric_flags(json.loads(on_file_body)), json.loads(on_pg_body)
                )
                self.assertIn(b'"notification": "true"', on_file_body)
            else:
                self.assertEqual(on_file_body, on_pg_body, request)
        # The reader's vote was copied: a second one is refused; Bob's comment
        # takes it.
        for daemon in (on_file, on_pg):
            self.assertEqual(
                json.loads(daemon.request("POST", "/id/1/like")[2])["likes"], 1
            )
        self.assertEqual(json.loads(on_pg.request("POST", "/id/2/like")[2])["likes"], 1)
        # Moderation links signed with the original session key still work.
        key = Signer(SESSION_KEY, Clock()).moderation_key(5)
        code, _, page = on_pg.request("GET", f"/id/5/activate/{key}")
        self.assertEqual((code, b"Publish this comment?" in page), (200, True))
        self.assertEqual(on_pg.request("GET", "/id/5/activate/forged")[0], 403)

        new, _ = on_pg.new_comment("/third/", "Written on PostgreSQL")
        self.assertEqual(new, 9)

        back = os.path.join(self.directory, "back.db")
        result = self.copy_db(self.uri, back)
        self.assertIn("  comments                8\n", result.stdout)
        conn = sqlite3.connect(back)
        try:
            self.assertEqual(conn.execute("PRAGMA user_version").fetchone(), (5,))
            schema = dict(conn.execute("SELECT name, sql FROM sqlite_master"))
        finally:
            conn.close()
        conn = sqlite3.connect(self.original)
        try:
            original_schema = dict(conn.execute("SELECT name, sql FROM sqlite_master"))
        finally:
            conn.close()
        for name in ("preferences", "threads", "comments", "remove_stale_threads"):
            self.assertEqual(schema[name], original_schema[name], name)
        for table in ("preferences", "threads"):
            self.assertEqual(sqlite_rows(back, table), sqlite_rows(self.original, table))
        comments = sqlite_rows(back, "comments")
        self.assertEqual(comments[-1][1:2], (9,))
        expected = as_isso_reads(sqlite_rows(self.original, "comments"))
        # The daemon on PostgreSQL counted Bob's like and the new comment.
        expected[1] = expected[1][:11] + (1,) + expected[1][12:]
        self.assertEqual([row[:13] for row in comments[:-1]], [r[:13] for r in expected])
        self.assertEqual(comments[:-1][0][13], expected[0][13])
        # The HTML the daemon on PostgreSQL rendered came along.
        self.assertEqual(
            len(sqlite_rows(back, "isso_tx_rendered")), len(pg_rows(self.uri, "isso_tx_rendered"))
        )
        self.assertTrue(pg_rows(self.uri, "isso_tx_rendered"))

    def test_isso_tx_tables_travel(self) -> None:
        """
        Mail waiting to be sent, a mail given up, an admin sign-out, failed
        sign-ins, stored HTML and a spam rule with its match count go to
        PostgreSQL and back with their ids;
        the next mail queued there takes the next id.
        """
        path = os.path.join(self.directory, "ours.db")
        isso_file(path)
        prepare_database(path)
        conn = sqlite3.connect(path)
        conn.executemany(
            "INSERT INTO isso_tx_outbox (id, kind, address, description, body, created, "
            "not_before, attempts, claimed_by, claimed_until, failed, last_error) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (3, "mail", '{"to": "ann@example.org"}', "reply to 1", "Subject: x\r\n\r\n\xe9",
                 1.5, 2.5, 1, "daemon-1", 9.5, None, None),
                (8, "webhook", '{"name": "chat"}', "new comment 2", "{}", 1.0, 1.0, 6,
                 None, None, 7.0, "HTTP 500"),
            ],
        )
        conn.execute("INSERT INTO isso_tx_admin_revoked VALUES ('sid-1', 99.5)")
        conn.execute("INSERT INTO isso_tx_login_failures VALUES ('203.0.113.0', 5.0)")
        conn.execute("INSERT INTO isso_tx_rendered VALUES (1, 'digest', '<p>Hello</p>')")
        conn.execute(
            "INSERT INTO isso_tx_rules VALUES "
            "(4, 'email', 'spam@example.org', 'refuse', 'banned from comment 9', 3.5, "
            "7, 8.25)"
        )
        conn.commit()
        conn.close()
        ours = ["isso_tx_outbox", "isso_tx_admin_revoked", "isso_tx_login_failures",
                "isso_tx_rendered", "isso_tx_rules"]

        result = self.copy_db(path, self.uri)
        self.assertIn("  isso_tx_outbox          2\n", result.stdout)
        for table in ours:
            self.assertEqual(pg_rows(self.uri, table), sqlite_rows(path, table), table)
        back = os.path.join(self.directory, "back.db")
        self.copy_db(self.uri, back)
        for table in ours + ["preferences", "threads"]:
            self.assertEqual(sqlite_rows(back, table), sqlite_rows(path, table), table)
        self.assertEqual(
            sqlite_rows(back, "comments"), as_isso_reads(sqlite_rows(path, "comments"))
        )

        import psycopg

        with psycopg.connect(self.uri) as conn:
            (queued,) = conn.execute(
                "INSERT INTO isso_tx_outbox (kind, address, description, body, created, "
                "not_before) VALUES ('mail', '{}', 'd', 'b', 1, 1) RETURNING id"
            ).fetchone()
        self.assertEqual(queued, 9)

    def test_not_empty_refused_force_replaces(self) -> None:
        """
        A target holding comments is refused, unchanged, with a message
        pointing at --force; --force replaces what it held in one go.
        """
        self.copy_db(self.original, self.uri)
        other = isso_file(
            os.path.join(self.directory, "other.db"),
            [row for row in COMMENTS if row[0] == 1],
        )
        before = pg_rows(self.uri, "comments")
        result = isso_tx("copy-db", other, self.uri)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is not empty (threads, comments", result.stderr)
        self.assertIn("--force replaces", result.stderr)
        self.assertEqual(pg_rows(self.uri, "comments"), before)

        result = self.copy_db("--force", other, self.uri)
        self.assertIn("  comments                4\n", result.stdout)
        self.assertEqual(
            [row[1] for row in pg_rows(self.uri, "comments")], [1, 2, 3, 4]
        )
        # Threads without comments in the new content are gone too.
        self.assertEqual(len(pg_rows(self.uri, "threads")), 3)

        # The same for a SQLite target.
        target = os.path.join(self.directory, "target.db")
        self.copy_db(self.original, target)
        result = isso_tx("copy-db", other, target)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(sqlite_rows(target, "comments")), 7)
        self.copy_db("-f", other, target)
        self.assertEqual(len(sqlite_rows(target, "comments")), 4)

    def test_failure_changes_nothing(self) -> None:
        """
        A copy that fails halfway (a row PostgreSQL cannot store, after
        others it could) leaves the target as it was, empty or not, and
        says so.
        """
        broken = isso_file(
            os.path.join(self.directory, "broken.db"),
            COMMENTS + [(4, 99, None, "yesterday", None, 1, "192.0.2.0", "Bad date",
                         None, None, None, 0, 0, voters("192.0.2.0"), 0)],
        )
        result = isso_tx("copy-db", broken, self.uri)
        self.assertEqual(result.returncode, 1)
        self.assertIn("was not changed", result.stderr)
        self.assertEqual(pg_rows(self.uri, "comments"), [])
        self.assertEqual(pg_rows(self.uri, "threads"), [])

        self.copy_db(self.original, self.uri)
        before = {table: pg_rows(self.uri, table) for table in ISSO_COLUMNS}
        result = isso_tx("copy-db", "--force", broken, self.uri)
        self.assertEqual(result.returncode, 1)
        for table in ISSO_COLUMNS:
            self.assertEqual(pg_rows(self.uri, table), before[table], table)

    def test_failure_into_sqlite(self) -> None:
        """
        A copy into a SQLite file that fails halfway leaves no file when
        there was none, and the old content when it replaced one.
        """
        # A file whose comments table lets a missing text through, as no
        # Isso does: the target's refuses it at the last row.
        broken = os.path.join(self.directory, "broken.db")
        conn = sqlite3.connect(broken)
        for statement in _statements("isso-v5.sql"):
            conn.execute(statement.replace("text VARCHAR NOT NULL", "text VARCHAR"))
        conn.execute("PRAGMA user_version = 5")
        conn.executemany("INSERT INTO threads VALUES (?, ?, ?)", THREADS)
        conn.executemany(
            f"INSERT INTO comments ({ISSO_COLUMNS['comments']}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            COMMENTS + [(4, 99, None, 1.0, None, 1, "", None, None, None, None, 0, 0,
                         b"", 0)],
        )
        conn.commit()
        conn.close()
        target = os.path.join(self.directory, "new.db")
        result = isso_tx("copy-db", broken, target)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("NOT NULL", result.stderr)
        self.assertEqual(sorted(os.listdir(self.directory)), ["broken.db", "isso.db"])
        self.copy_db(self.original, target)
        before = sqlite_rows(target, "comments")
        result = isso_tx("copy-db", "--force", broken, target)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(sqlite_rows(target, "comments"), before)

    def test_same_and_missing(self) -> None:
        """
        Copying a database onto itself, or from one that is not there, is
        refused in one line that shows no password.
        """
        result = isso_tx("copy-db", self.original, self.original)
        self.assertEqual(result.returncode, 2)
        self.assertIn("FROM and TO are the same database", result.stderr)
        missing = os.path.join(self.directory, "missing.db")
        result = isso_tx("copy-db", missing, self.uri)
        self.assertEqual((result.returncode, result.stderr.count("\n")), (1, 1))
        self.assertIn("no such database", result.stderr)
        secret = self.uri.replace("isso_test@", "isso_test:s3cret@").replace(
            "host=", "host=/nonexistent"
        )
        result = isso_tx("copy-db", self.original, secret)
        self.assertEqual(result.returncode, 1)
        self.assertNotIn("s3cret", result.stderr + result.stdout)
        self.assertIn("isso_test:***@", result.stderr)

    def test_every_table_classified(self) -> None:
        """
        Every table of the PostgreSQL schema is either copied, with the
        columns copy-db names, or deliberately left out.
        """
        isso_tx("copy-db", self.original, self.uri)
        import psycopg

        with psycopg.connect(self.uri) as conn:
            columns: dict[str, list[str]] = {}
            for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY ordinal_position"
            ):
                columns.setdefault(table, []).append(column)
        copied = {table.name: sorted(table.columns) for table in COPIED}
        self.assertEqual(set(columns), set(copied) | set(NOT_COPIED))
        for name, names in copied.items():
            self.assertEqual(sorted(columns[name]), names, name)

        # And SQLite's, as the daemon makes it.
        path = os.path.join(self.directory, "daemon.db")
        prepare_database(path)
        conn = sqlite3.connect(path)
        try:
            tables = {
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            self.assertEqual(tables, set(copied) | (set(NOT_COPIED) - {"isso_tx_schema"}))
            for name, names in copied.items():
                found = sorted(row[1] for row in conn.execute(f"PRAGMA table_info({name})"))
                self.assertEqual(found, names, name)
        finally:
            conn.close()


class PostgresCommandTests(SynchronousTestCase):
    """
    import, export, backup, check and rename-thread on a site kept on
    PostgreSQL.
    """

    skip = SKIP

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        self.uri = fresh_database(self)
        site(self.directory, self.uri)
        self.config = os.path.join(self.directory, "site.cfg")
        self.dump = os.path.join(self.directory, "dump.json")
        with open(self.dump, "w") as f:
            json.dump(
                [
                    {"id": "/2019/a/", "title": "A", "comments": [
                        {"id": 1, "text": "First", "author": "Ann",
                         "created": "2020-01-01 10:00:00"},
                        {"id": 2, "text": "Second", "created": "2020-01-01 11:00:00"},
                    ]},
                    {"id": "/2019/b/", "title": "B", "comments": [
                        {"id": 3, "text": "Third", "created": "2020-01-02 10:00:00"},
                    ]},
                ],
                f,
            )

    def run_command(self, *argv: str, status: int = 0) -> Any:
        result = isso_tx("-c", self.config, *argv)
        self.assertEqual(result.returncode, status, result.stderr)
        return result

    def test_commands(self) -> None:
        """
        A dump imports into PostgreSQL once (again adds nothing), check
        counts what is there, threads are renamed, the export lists them,
        and a backup is a SQLite file Isso can open holding the same rows.
        """
        result = self.run_command("import", "-n", self.dump)
        self.assertIn("would import 3 comments into 2 threads", result.stdout)
        self.assertEqual(self.run_command("export", status=1).returncode, 1)
        result = self.run_command("import", self.dump)
        self.assertIn("imported 3 comments into 2 threads (2 new)", result.stdout)
        result = self.run_command("import", self.dump)
        self.assertIn("3 already in the database", result.stdout)
        result = self.run_command("check")
        self.assertIn("(PostgreSQL, schema version", result.stdout)
        self.assertIn("2 threads, 3 comments)", result.stdout)

        self.run_command("rename-thread", "/2019/a/", "/2019/b/", status=1)
        result = self.run_command("rename-thread", "--prefix", "/2019", "/posts")
        self.assertIn("2 threads moved (0 merged)", result.stdout)
        result = self.run_command("rename-thread", "--merge", "/posts/a/", "/posts/b/")
        self.assertIn("/posts/a/ merged into /posts/b/", result.stdout)

        result = self.run_command("export")
        exported = json.loads(result.stdout)
        self.assertEqual([thread["id"] for thread in exported], ["/posts/b/"])
        self.assertEqual(
            sorted(c["text"] for c in exported[0]["comments"]), ["First", "Second", "Third"]
        )
        self.assertIn("exported 3 comments in 1 thread", result.stderr)

        backup = os.path.join(self.directory, "backup.db")
        result = self.run_command("backup", backup)
        self.assertIn("schema version 5, 1 thread, 3 comments", result.stdout)
        self.assertEqual(os.stat(backup).st_mode & 0o777, 0o600)
        for table in ISSO_COLUMNS:
            self.assertEqual(sqlite_rows(backup, table), pg_rows(self.uri, table), table)

        # The daemon numbers new comments after the imported ones.
        daemon = Daemon(self, self.directory, "pg")
        daemon.wait_until_serving()
        self.assertEqual(daemon.new_comment("/posts/b/", "New")[0], 4)

    def test_rename_onto_moved_uris(self) -> None:
        """
        On PostgreSQL too, a prefix rename that gives one moved thread the
        uri another moved thread has now moves each thread once (the
        threads step aside without a marker text PostgreSQL would refuse).
        """
        self.run_command("import", self.dump)
        self.run_command("rename-thread", "/2019/b/", "/2019/2019/a/")
        result = self.run_command("rename-thread", "--prefix", "/2019", "/2019/2019")
        self.assertIn("2 threads moved (0 merged)", result.stdout)
        self.assertEqual(
            [row[1] for row in pg_rows(self.uri, "threads")],
            ["/2019/2019/a/", "/2019/2019/2019/a/"],
        )

    def test_import_refused_after_change(self) -> None:
        """
        When the site's comments change between the snapshot an import
        merged into and its writing, nothing is imported and the message
        says to run it again.
        """
        from isso_tx.cli.common import CommandError
        from isso_tx.cli.postgres_import import _publish
        from isso_tx.importers import import_dump
        from isso_tx.pg import prepare_postgres

        prepare_postgres(self.uri)
        scratch = os.path.join(self.directory, "scratch.db")
        import_dump(scratch, self.dump)
        error = self.assertRaises(CommandError, _publish, self.uri, scratch, (0, 0, 5, 1))
        self.assertIn("run the import again", str(error))
        self.assertEqual(pg_rows(self.uri, "comments"), [])

