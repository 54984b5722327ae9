"""
Mail that survives, with real daemons: C{twistd isso} in child processes,
killed with SIGKILL or sharing one database, mailing an in-process SMTP
server.  The database is a SQLite file here; tests/slow/test_postgres_daemons.py
runs the same tests on PostgreSQL.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from ..mailserver import start_mail_server
from ..pgcluster import fresh_database
from ..support import Client, write_config
from .test_tap import ROOT, TWISTD, free_port

OWNER = "owner@example.org"


def pause(seconds: float) -> Deferred[None]:
    return deferLater(reactor, seconds, lambda: None)


class Daemon:
    """
    One C{twistd isso} child process serving a site on a loopback port,
    its output in a log file of its own.
    """

    def __init__(self, test: TestCase, config: str, name: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        directory = os.path.dirname(config)
        self.log_path = os.path.join(directory, f"{name}.log")
        environ = dict(os.environ, PYTHONPATH=ROOT)
        environ.pop("ISSO_SETTINGS", None)
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                TWISTD + ["-c", config, "--listen", f"tcp:{self.port}:interface=127.0.0.1"],
                cwd=directory, env=environ, stdout=log, stderr=subprocess.STDOUT,
            )
        test.addCleanup(self.stop)

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8") as f:
            return f.read()

    @inlineCallbacks
    def ready(self) -> Any:
        """
        Wait until the daemon answers HTTP.
        """
        client = Client(self.base)
        deadline = time.monotonic() + 30
        while True:
            try:
                yield client.get("/info")
                return
            except Exception:
                if self.process.poll() is not None:
                    raise AssertionError(f"the daemon stopped:\n{self.log()}")
                if time.monotonic() > deadline:
                    raise
                yield pause(0.1)

    def kill(self) -> None:
        """
        End the daemon at once, as a crash or C{kill -9} would.
        """
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


class OutboxDaemonTestCase(TestCase):
    timeout = 120
    # Where the site keeps its comments: "sqlite" (a file in the test's
    # folder) or "postgresql" (a fresh database of tests/pgcluster.py).
    backend = "sqlite"

    def site(self, smtp_port: int) -> str:
        """
        Write a site that mails the owner about every comment through the
        SMTP server on C{smtp_port}; return its configuration's path.
        """
        self.directory = os.path.abspath(self.mktemp())
        self.dbpath = os.path.join(self.directory, "comments.db")
        if self.backend == "postgresql":
            self.dbpath = fresh_database(self)
        return write_config(
            self.directory,
            f"[general]\nnotify = smtp\ndbpath = {self.dbpath}\n"
            "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
            f"[smtp]\nhost = 127.0.0.1\nport = {smtp_port}\nsecurity = none\n"
            f"to = {OWNER}\nfrom = comments@example.org\ntimeout = 5\n",
        )

    def outbox(self) -> list[Any]:
        """
        Read the outbox of the site's database, as the daemons left it:
        rows whose columns are read by name.
        """
        if self.backend == "postgresql":
            import psycopg
            from psycopg.rows import dict_row

            with psycopg.connect(self.dbpath, row_factory=dict_row) as conn:
                return conn.execute("SELECT * FROM isso_tx_outbox").fetchall()
        connection = sqlite3.connect(self.dbpath)
        connection.row_factory = sqlite3.Row
        try:
            return connection.execute("SELECT * FROM isso_tx_outbox").fetchall()
        finally:
            connection.close()

    @inlineCallbacks
    def wait_for_outbox(self, condition: Any, what: str) -> Any:
        deadline = time.monotonic() + 60
        while not condition(self.outbox()):
            if time.monotonic() > deadline:
                self.fail(f"the outbox never showed {what}: {self.outbox()}")
            yield pause(0.1)

    @inlineCallbacks
    def post(self, daemon: Daemon, text: str) -> Any:
        response = yield Client(daemon.base).post(
            "/new?uri=/path/", {"text": text, "title": "A page"}
        )
        self.assertEqual(response.code, 201, response)
        return response.json()


def comment_ids(inbox: Any) -> list[int]:
    """
    Return the comment each received mail is about, in order of arrival.
    """
    ids = []
    for received in inbox.messages:
        [found] = re.findall(r"#isso-(\d+)", received.message.get_content())
        ids.append(int(found))
    return ids


class KilledDaemonTests(OutboxDaemonTestCase):
    @inlineCallbacks
    def test_mail_survives_kill(self):
        """
        A comment posted while the mail server is down is mailed exactly
        once after the daemon was killed with SIGKILL, restarted, and the
        mail server came back.
        """
        smtp_port = free_port()
        config = self.site(smtp_port)
        first = Daemon(self, config, "first")
        yield first.ready()
        comment = yield self.post(first, "Posted while mail is down")
        # The first attempt failed; the mail waits for its retry.
        yield self.wait_for_outbox(
            lambda rows: len(rows) == 1
            and rows[0]["attempts"] == 1
            and rows[0]["claimed_by"] is None,
            "a failed first attempt",
        )
        # The retry is stored before the failure is logged: wait for the
        # line, so that the kill does not fall in between.
        for _ in range(100):
            if "Could not send" in first.log():
                break
            yield pause(0.1)
        self.assertIn("Could not send", first.log())
        first.kill()
        self.assertEqual(len(self.outbox()), 1)

        smtp = yield start_mail_server(self, port=smtp_port)
        second = Daemon(self, config, "second")
        yield second.ready()
        yield smtp.inbox.wait_for(1)
        yield self.wait_for_outbox(lambda rows: rows == [], "the mail gone")
        # Long enough for a second copy to arrive, were one on its way.
        yield pause(1.0)
        self.assertEqual(comment_ids(smtp.inbox), [comment["id"]])
        [received] = smtp.inbox.messages
        self.assertEqual(received.recipient, OWNER)
        self.assertIn("Posted while mail is down", received.message.get_content())
        self.assertIn("Sent the mail about comment", second.log())


class TwoDaemonsTests(OutboxDaemonTestCase):
    @inlineCallbacks
    def post_alternately(self, config: str) -> Any:
        """
        Start two daemons of the site and post 20 comments, to each in
        turn; return the daemons and the comments' ids.
        """
        daemons = [Daemon(self, config, "one"), Daemon(self, config, "two")]
        for daemon in daemons:
            yield daemon.ready()
        posted = []
        for n in range(20):
            comment = yield self.post(daemons[n % 2], f"Comment {n}")
            posted.append(comment["id"])
        return daemons, posted

    @inlineCallbacks
    def test_each_mail_leaves_once(self):
        """
        Two daemons on one database, comments posted to each in turn:
        every comment is mailed, none twice.
        """
        smtp = yield start_mail_server(self)
        daemons, posted = yield self.post_alternately(self.site(smtp.port))
        yield smtp.inbox.wait_for(20)
        yield self.wait_for_outbox(lambda rows: rows == [], "every mail gone")
        # Both daemons poll every few seconds: give each a look.
        yield pause(6.0)
        self.assertEqual(sorted(comment_ids(smtp.inbox)), sorted(posted))
        self.assertEqual(len(set(posted)), 20)
        sent_by = [
            set(map(int, re.findall(r"Sent the mail about comment (\d+)", d.log())))
            for d in daemons
        ]
        self.assertEqual(sent_by[0] | sent_by[1], set(posted))
        self.assertEqual(sent_by[0] & sent_by[1], set())
        # Each daemon sent what was posted to it, at once.
        self.assertTrue(sent_by[0] and sent_by[1], sent_by)

    @inlineCallbacks
    def test_retries_leave_once(self):
        """
        Comments posted to two daemons while the mail server is down are
        each mailed once when it comes back, though both daemons look for
        the retries at the same moments.
        """
        smtp_port = free_port()
        _, posted = yield self.post_alternately(self.site(smtp_port))
        yield self.wait_for_outbox(
            lambda rows: len(rows) == 20
            and all(r["attempts"] == 1 and r["claimed_by"] is None for r in rows),
            "every first attempt failed",
        )
        smtp = yield start_mail_server(self, port=smtp_port)
        yield smtp.inbox.wait_for(20)
        yield self.wait_for_outbox(lambda rows: rows == [], "every mail gone")
        yield pause(6.0)
        self.assertEqual(sorted(comment_ids(smtp.inbox)), sorted(posted))
        self.assertEqual(len(set(posted)), 20)
