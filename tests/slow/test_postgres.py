"""
A site on PostgreSQL as its owner meets it: the schema set up and
versioned, start-up refused in one line when the server is down, and a 503
rather than an error while the server restarts.
"""

from __future__ import annotations

import os
import time
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from isso_tx.cli.check import describe_database
from isso_tx.config import load_site_config
from isso_tx.pg import PG_SCHEMA_VERSION, PostgresDatabase, prepare_postgres
from isso_tx.settings import DatabaseConfig
from isso_tx.tap import StartupError, open_sites
from tests.pgcluster import SETUP_HINT, cluster, fresh_database, installed
from tests.support import SiteTestCase, write_config

if not installed():
    SKIP: str | None = SETUP_HINT
else:
    SKIP = None


class SchemaTests(TestCase):
    skip = SKIP

    def test_created_once_and_versioned(self) -> None:
        """
        The first start creates the schema; later starts keep the session
        key, and isso-tx check reports the schema version.
        """
        uri = fresh_database(self)
        self.assertIn("(PostgreSQL, empty; will be set up)", describe_database(uri)[0])
        key = prepare_postgres(uri)
        self.assertEqual(prepare_postgres(uri), key)
        description, problems = describe_database(uri)
        self.assertEqual(problems, [])
        self.assertIn(f"schema version {PG_SCHEMA_VERSION}", description)

    def test_upgraded_from_version_1(self) -> None:
        """
        A database set up by the release before the spam rules (schema
        version 1) is upgraded in place to the newest schema: its comments
        stay, and it gains the rules table.
        """
        from importlib import resources

        import psycopg

        uri = fresh_database(self)
        script = resources.files("isso_tx").joinpath("schema", "postgresql-1.sql")
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute(script.read_text("utf-8").encode())
            conn.execute("CREATE TABLE isso_tx_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO isso_tx_schema VALUES (1)")
            conn.execute("INSERT INTO threads (uri, title) VALUES ('/a', 'A')")
            conn.execute(
                "INSERT INTO comments (tid, created, text, voters) "
                "VALUES (1, 0, 'kept', '')"
            )
        prepare_postgres(uri)
        with psycopg.connect(uri) as conn:
            version = conn.execute("SELECT max(version) FROM isso_tx_schema")
            self.assertEqual(version.fetchone()[0], PG_SCHEMA_VERSION)
            texts = conn.execute("SELECT text FROM comments").fetchall()
            self.assertEqual(texts, [("kept",)])
            rules = conn.execute("SELECT count(*) FROM isso_tx_rules").fetchone()
            self.assertEqual(rules[0], 0)

    def test_newer_schema_refused(self) -> None:
        """
        A database upgraded by a newer release is refused, not downgraded.
        """
        import psycopg

        uri = fresh_database(self)
        prepare_postgres(uri)
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("UPDATE isso_tx_schema SET version = 99")
        error = self.assertRaises(Exception, prepare_postgres, uri)
        self.assertIn("schema version 99", str(error))
        self.assertIn("schema version 99", describe_database(uri)[1][0])


class ChangeLogTests(TestCase):
    skip = SKIP

    def test_writes_wait_only_at_commit(self) -> None:
        """
        A comment being written through one daemon does not hold up a
        comment on another thread written through another, and the change
        log numbers the two in the order they were committed.
        """
        import psycopg

        uri = fresh_database(self)
        prepare_postgres(uri)

        def write(conn: Any, thread: str) -> None:
            tid = conn.execute(
                "INSERT INTO threads (uri, title) VALUES (%s, 'T') RETURNING id",
                (thread,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO comments (tid, created, mode, text, voters) "
                "VALUES (%s, 0, 1, 'text', '')",
                (tid,),
            )

        with psycopg.connect(uri) as slow, psycopg.connect(uri) as quick:
            write(slow, "/slow/")
            # Before, the first change's lock was held until the slow
            # transaction ended: this one waited for it.
            quick.execute("SET lock_timeout = '2s'")
            write(quick, "/quick/")
            quick.commit()
            slow.commit()
            order = slow.execute("SELECT uri FROM isso_tx_changes ORDER BY seq").fetchall()
        self.assertEqual([u for (u,) in order], ["/quick/", "/slow/"])


class PreparedStatementTests(TestCase):
    skip = SKIP

    @inlineCallbacks
    def test_schema_changed_while_serving(self) -> Any:
        """
        A read the daemon has prepared on its connections (in a
        transaction, and in autocommit mode) keeps answering when a newer
        release adds a column to the table while it runs.
        """
        import psycopg

        uri = fresh_database(self)
        prepare_postgres(uri)
        database = PostgresDatabase(uri, reactor, DatabaseConfig(pool_size=1))
        database.startService()
        self.addCleanup(database.stopService)

        def read(txn: Any) -> list[str]:
            txn.execute("SELECT * FROM preferences WHERE key <> ?", ("",))
            return list(txn.fetchone().keys())

        for _ in range(8):
            columns = yield database.run(read)
            self.assertEqual(columns, ["key", "value"])
            columns = yield database.read(read)
            self.assertEqual(columns, ["key", "value"])
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("ALTER TABLE preferences ADD COLUMN note TEXT")
        for _ in range(2):
            columns = yield database.run(read)
            self.assertEqual(columns, ["key", "value", "note"])
            columns = yield database.read(read)
            self.assertEqual(columns, ["key", "value", "note"])


class StartupTests(TestCase):
    skip = SKIP

    def test_server_down(self) -> None:
        """
        With no server to reach, the daemon stops with one line naming the
        URI, without its password.
        """
        directory = self.mktemp()
        missing = os.path.abspath(self.mktemp())
        uri = f"postgresql://isso:s3cret@/comments?host={missing}"
        path = write_config(directory, f"[general]\ndbpath = {uri}\n")
        error = self.assertRaises(
            StartupError, open_sites, [load_site_config(path)], reactor
        )
        message = str(error)
        self.assertNotIn("s3cret", message)
        self.assertNotIn("\n", message)
        self.assertIn(f"postgresql://isso:***@/comments?host={missing}", message)
        self.assertIn("[general] dbpath", message)


class RestartTests(SiteTestCase):
    backend = "postgresql"
    skip = SKIP

    @inlineCallbacks
    def test_server_restarted(self) -> Any:
        """
        While the server is down readers get a 503 with Retry-After and a
        message, nothing half-written is stored, and comments work again
        within 5 seconds of its return.
        """
        yield self.post_comment(text="before")
        server = cluster()
        server.stop()
        restarted = False
        try:
            response = yield self.client.post(
                "/new?uri=/other/",
                {"text": "during", "title": "t"},
                headers={"Accept": "application/json"},
            )
            self.assertEqual(response.code, 503, response)
            self.assertEqual(response.header("retry-after"), "5")
            self.assertIn("try again", response.json()["message"])
            response = yield self.client.get(
                "/?uri=/third/", headers={"Accept": "text/html"}
            )
            self.assertEqual(response.code, 503, response)
            self.assertIn(b"<h1>Service Unavailable</h1>", response.body)
            self.assertNotIn(b"Traceback", response.body)
            server.start()
            restarted = True
            back = time.monotonic()
            while True:
                response = yield self.client.get("/?uri=/path/")
                if response.code == 200 or time.monotonic() - back > 5:
                    break
                yield deferLater(reactor, 0.2, lambda: None)
            self.assertEqual(response.code, 200, response)
            self.assertEqual(
                [c["text"] for c in response.json()["replies"]], ["<p>before</p>"]
            )
            yield self.post_comment(uri="/other/", text="after")
            rows = self.connect_database().execute(
                "SELECT text FROM comments ORDER BY id"
            ).fetchall()
            self.assertEqual(rows, [("before",), ("after",)])
        finally:
            if not restarted:
                server.start()
