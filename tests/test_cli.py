"""
Tests for the C{isso-tx} command (L{isso_tx.cli}) and, through it, its
importers (L{isso_tx.importers}).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import io
import json
import os
import shutil
import sqlite3
import sys
import threading
import time
from typing import Self

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.bloom import VoterFilter, new_voters
from isso_tx.cli import main
from isso_tx.db import SCHEMA_VERSION, prepare_database

from .dumps import write_wordpress

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
DISQUS = os.path.join(FIXTURES, "disqus.xml")
WORDPRESS = os.path.join(FIXTURES, "wordpress.xml")
GENERIC = os.path.join(FIXTURES, "generic.json")


def utc(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


def write_site(directory: str, extra: str = "", name: str = "") -> str:
    """
    Write a site configuration whose database lives in C{directory}, and
    return its path.
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "site.cfg")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "[general]\n"
            f"dbpath = {os.path.join(os.path.abspath(directory), 'comments.db')}\n"
            "host = https://blog.example.org/\n"
            + (f"name = {name}\n" if name else "")
            + "[server]\nlisten = http://localhost:8181\n"
            + extra
        )
    return path


def all_rows(db: str) -> dict[str, list[tuple]]:
    """
    Every row of every table, in a stable order.
    """
    conn = sqlite3.connect(db)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}"), key=repr)
            for table in tables
        }
    finally:
        conn.close()


def threads(db: str) -> list[tuple]:
    """
    Every thread's id, uri and title, by id.
    """
    return query(db, "SELECT id, uri, title FROM threads ORDER BY id")


def checksum(db: str) -> str:
    return hashlib.sha256(repr(all_rows(db)).encode()).hexdigest()


def query(db: str, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


class CommandMixin:
    """
    Run C{main} as the console script would, capturing its output.
    """

    def run_cli(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        self.patch(sys, "stdout", out)
        self.patch(sys, "stderr", err)
        code = main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def site(self, extra: str = "", name: str = "") -> tuple[str, str]:
        """
        Return a new site's configuration path and database path.
        """
        directory = self.mktemp()
        config = write_site(directory, extra, name)
        return config, os.path.join(os.path.abspath(directory), "comments.db")

    def imported(self, config: str, *argv: str) -> str:
        code, out, err = self.run_cli("-c", config, "import", *argv)
        self.assertEqual((code, err), (0, ""), out)
        return out

    def imported_anew(self, *argv: str) -> tuple[str, str]:
        """
        Import into a new site; return its database path and the summary.
        """
        config, db = self.site()
        return db, self.imported(config, *argv)

    def assertOneLine(self, text: str, *parts: str) -> None:
        self.assertEqual(text.count("\n"), 1, text)
        self.assertTrue(text.startswith("isso-tx: "), text)
        for part in parts:
            self.assertIn(part, text)


class UsageTests(CommandMixin, SynchronousTestCase):
    def test_help(self) -> None:
        """
        The command and each subcommand explain themselves and exit 0.
        """
        code, out, _ = self.run_cli("--help")
        self.assertEqual(code, 0)
        for command in ("import", "export", "backup", "check", "rename-thread"):
            self.assertIn(command, out)
            code, out_command, _ = self.run_cli(command, "--help")
            self.assertEqual(code, 0)
            self.assertIn(f"usage: isso-tx {command}", out_command)

    def test_usage_errors(self) -> None:
        """
        A wrong command line exits with status 2.
        """
        config, _ = self.site()
        self.assertEqual(self.run_cli()[0], 2)
        self.assertEqual(self.run_cli("frobnicate")[0], 2)
        self.assertEqual(self.run_cli("-c", config, "import")[0], 2)
        self.assertEqual(
            self.run_cli("-c", config, "import", "-t", "csv", GENERIC)[0], 2
        )
        code, _, err = self.run_cli("-c", config, "-c", config, "export")
        self.assertEqual(code, 2)
        self.assertOneLine(err, "one site")

    def test_missing_config(self) -> None:
        """
        A configuration that does not exist is reported in one line.
        """
        missing = os.path.abspath(self.mktemp())
        for argv in (["import", GENERIC], ["export"], ["backup", "x.db"], ["check"]):
            code, _, err = self.run_cli("-c", missing, *argv)
            self.assertEqual(code, 1)
            self.assertOneLine(err, missing, "no such file")
        code, _, err = self.run_cli("-c", missing, "rename-thread", "/a/", "/b/")
        self.assertEqual(code, 1)
        self.assertOneLine(err, missing, "no such file")

    def test_bad_config(self) -> None:
        """
        A wrong value stops every command with the file, section and key.
        """
        config, db = self.site("[guard]\nenabled = maybe\n")
        code, _, err = self.run_cli("-c", config, "import", GENERIC)
        self.assertEqual(code, 1)
        self.assertOneLine(err, config, "[guard] enabled")
        self.assertFalse(os.path.exists(db))
        dest = os.path.abspath(self.mktemp())
        for argv in (
            ["export"],
            ["backup", dest],
            ["check"],
            ["rename-thread", "/a/", "/b/"],
        ):
            code, out, err = self.run_cli("-c", config, *argv)
            self.assertEqual((code, out), (1, ""), argv)
            self.assertOneLine(err, config, "[guard] enabled")
        self.assertFalse(os.path.exists(db))
        self.assertFalse(os.path.exists(dest))

    def test_config_after_command(self) -> None:
        """
        -c may also follow the command's name.
        """
        config, db = self.site()
        code, _, err = self.run_cli("import", "-c", config, GENERIC)
        self.assertEqual((code, err), (0, ""))
        self.assertTrue(os.path.exists(db))

    def test_settings_variable(self) -> None:
        """
        Without -c, $ISSO_SETTINGS names the configuration(s), as for the
        daemon.
        """
        config, db = self.site()
        self.patch(os, "environ", dict(os.environ, ISSO_SETTINGS=config))
        code, out, _ = self.run_cli("check")
        self.assertEqual(code, 0)
        self.assertIn(db, out)


class DisqusTests(CommandMixin, SynchronousTestCase):
    def test_import(self) -> None:
        """
        Posts become comments of the thread at their link's path; replies to
        replies join the conversation's first comment; spam is skipped; a
        deleted post stays as a placeholder only while answered; threads
        with an empty <id> are skipped (see --empty-id); every skip is
        counted with its reason.
        """
        db, out = self.imported_anew(DISQUS)
        self.assertEqual(
            threads(db),
            [
                (1, "/2019/tomatoes/", "Growing tomatoes on a balcony"),
                (2, "/2019/compost/", "Compost for beginners"),
            ],
        )
        rows = query(
            db,
            "SELECT tid, id, parent, created, mode, remote_addr, author, email, "
            "text, voters FROM comments ORDER BY id",
        )
        self.assertEqual(
            [row[:9] for row in rows],
            [
                (
                    1,
                    1,
                    None,
                    utc("2019-06-02 09:15:00"),
                    1,
                    "203.0.113.0",
                    "Ines",
                    "ines@example.org",
                    "<p>Mine never ripen. Too little sun?</p>",
                ),
                (
                    1,
                    2,
                    1,
                    utc("2019-06-02 10:00:00"),
                    1,
                    "2001:0db8:85a3:0000:0000:0000:0000:0000",
                    "Omar",
                    "omar@example.org",
                    "<p>Six hours a day is the minimum.</p>",
                ),
                (
                    1,
                    3,
                    1,
                    utc("2019-06-02 11:30:00"),
                    1,
                    "203.0.113.0",
                    "Ines",
                    None,
                    "<p>Then I need a new balcony.</p>",
                ),
                # Answered the spam: top-level now.
                (
                    1,
                    4,
                    None,
                    utc("2019-06-03 07:00:00"),
                    1,
                    "2001:0db8:85a3:0000:0000:0000:0000:0000",
                    "Omar",
                    None,
                    "<p>Nobody wants your seeds.</p>",
                ),
                (
                    2,
                    5,
                    None,
                    utc("2019-08-02 08:00:00"),
                    4,
                    "192.0.2.0",
                    None,
                    "kim@example.org",
                    "",
                ),
                (
                    2,
                    6,
                    5,
                    utc("2019-08-02 09:00:00"),
                    1,
                    "192.0.2.0",
                    "Lea",
                    None,
                    "<p>Too late, I read it.</p>",
                ),
            ],
        )
        for row in rows:
            self.assertEqual(row[9], new_voters(row[5]))
        lines = out.splitlines()
        self.assertIn("imported 6 comments into 2 threads (2 new)", lines[0])
        for reason in (
            "1 spam",
            "1 deleted without replies",
            "1 in a thread missing from the file",
            "1 in a thread without a Disqus identifier (see --empty-id)",
        ):
            self.assertIn(reason, lines[0])
        self.assertIn(
            "note: 1 thread skipped: no Disqus identifier (see --empty-id)", lines
        )
        self.assertIn(
            "note: 1 reply answered a comment that is not imported; made top-level",
            lines,
        )

    def test_empty_id(self) -> None:
        """
        With --empty-id, threads without a Disqus identifier are imported by
        their link.
        """
        db, out = self.imported_anew("--empty-id", DISQUS)
        self.assertIn("imported 7 comments into 3 threads (3 new)", out)
        self.assertEqual(
            query(
                db,
                "SELECT c.author, c.text, c.remote_addr FROM comments c "
                "JOIN threads t ON t.id = c.tid WHERE t.uri = '/2019/basil/'",
            ),
            [("Lea", "<p>Basil loves heat.</p>", "0.0.0.0")],
        )


class WordPressTests(CommandMixin, SynchronousTestCase):
    def test_import(self) -> None:
        """
        Each post with comments becomes a thread (its link's path and
        query); comments get ids in comment_id order; nested replies join
        the conversation's first comment; unapproved comments wait for
        moderation; pingbacks and spam are skipped with their reason; line
        breaks become Markdown hard breaks.
        """
        db, out = self.imported_anew(WORDPRESS)
        self.assertEqual(
            threads(db),
            [
                (1, "/2021/05/flat-tyre/", "Fixing a flat tyre"),
                (2, "/?page_id=2", "About"),
            ],
        )
        rows = query(
            db,
            "SELECT tid, id, parent, created, mode, remote_addr, author, email, "
            "website, text FROM comments ORDER BY id",
        )
        self.assertEqual(
            rows,
            [
                (
                    1,
                    1,
                    None,
                    utc("2021-05-01 08:00:00"),
                    1,
                    "203.0.113.0",
                    "Sofia",
                    "sofia@example.org",
                    None,
                    "My patches never hold.  \nAny tips?\n\nThanks!",
                ),
                (
                    1,
                    2,
                    1,
                    utc("2021-05-02 09:00:00"),
                    1,
                    "198.51.100.0",
                    "Ravi",
                    "ravi@example.org",
                    "https://ravi.example.org/",
                    "Use talc inside the tyre.",
                ),
                (
                    1,
                    3,
                    1,
                    utc("2021-05-02 10:00:00"),
                    1,
                    "203.0.113.0",
                    "Sofia",
                    "sofia@example.org",
                    None,
                    "Talc worked, thank you!",
                ),
                (
                    1,
                    4,
                    None,
                    utc("2021-05-03 06:00:00"),
                    2,
                    "192.0.2.0",
                    "Jonas",
                    "jonas@example.org",
                    None,
                    "Still waiting for moderation, I guess.",
                ),
                # No UTC date in the export: the local one is used.
                (
                    2,
                    5,
                    None,
                    utc("2022-01-10 18:30:00"),
                    2,
                    "2001:0db8:1234:0000:0000:0000:0000:0000",
                    "Mei",
                    None,
                    None,
                    "Who writes this blog?",
                ),
            ],
        )
        self.assertIn("imported 5 comments into 2 threads (2 new)", out)
        self.assertIn(
            "note: 2 imported comments awaiting moderation are older than "
            "[moderation] purge-after (30 days): the daemon deletes them",
            out,
        )
        self.assertIn("skipped 2 comments: ", out)
        self.assertIn("1 pingback", out)
        self.assertIn("1 spam", out)


class GenericTests(CommandMixin, SynchronousTestCase):
    def test_isso_format(self) -> None:
        """
        A file in Isso's documented generic format: comments are top-level
        and published, ordered by id within their thread; ids repeated
        across threads are not kept; dates are UTC; full addresses are
        anonymised.
        """
        db, out = self.imported_anew(GENERIC)
        self.assertIn("imported 3 comments into 2 threads (2 new)", out)
        self.assertNotIn("ids are kept", out)
        self.assertEqual(
            threads(db),
            [
                (1, "/recipes/bread/", "Sourdough bread"),
                (2, "/recipes/soup/", "Lentil soup"),
            ],
        )
        self.assertEqual(
            query(
                db,
                "SELECT tid, id, parent, created, mode, remote_addr, author, email, "
                "website, likes, dislikes, notification FROM comments ORDER BY id",
            ),
            [
                (
                    1,
                    1,
                    None,
                    utc("2020-02-01 12:00:00"),
                    1,
                    "",
                    "Anna",
                    "",
                    "https://anna.example.org/",
                    0,
                    0,
                    0,
                ),
                (
                    1,
                    2,
                    None,
                    utc("2020-02-02 20:00:00"),
                    1,
                    "192.0.2.0",
                    "Tariq",
                    "tariq@example.org",
                    None,
                    0,
                    0,
                    0,
                ),
                (
                    2,
                    3,
                    None,
                    utc("2020-03-03 13:30:00"),
                    1,
                    "2001:0db8:aaaa:0000:0000:0000:0000:0000",
                    "Pia",
                    "pia@example.org",
                    "",
                    0,
                    0,
                    0,
                ),
            ],
        )

    def test_bad_field(self) -> None:
        """
        A comment with a field of the wrong kind stops the import with the
        thread and comment it is in.
        """
        config, _ = self.site()
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            json.dump(
                [
                    {
                        "id": "/a/",
                        "title": "A",
                        "comments": [
                            {"id": 1, "text": "fine", "created": "2020-01-01 00:00:00"},
                            {"id": 2, "text": "bad", "created": "yesterday"},
                        ],
                    }
                ],
                f,
            )
        code, out, err = self.run_cli("-c", config, "import", dump)
        self.assertEqual((code, out), (1, ""))
        self.assertOneLine(
            err, dump, "thread #1 (/a/), comment #2", "'created'", "not changed"
        )

    def test_not_a_list(self) -> None:
        """
        JSON that is not a list of threads is refused.
        """
        config, _ = self.site()
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            f.write('{"threads": []}')
        code, _, err = self.run_cli("-c", config, "import", "-t", "generic", dump)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "a JSON list of threads")


class DetectionTests(CommandMixin, SynchronousTestCase):
    def test_detected(self) -> None:
        """
        Without -t, each format is recognised from the file's beginning.
        """
        for dump, name in (
            (DISQUS, "Disqus"),
            (WORDPRESS, "WordPress"),
            (GENERIC, "generic JSON"),
        ):
            self.assertIn(f"from a {name} dump", self.imported_anew(dump)[1])

    def test_unknown(self) -> None:
        """
        A file of no known format is refused in one line asking for -t.
        """
        config, db = self.site()
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            f.write("id,author,text\n1,me,hello\n")
        code, _, err = self.run_cli("-c", config, "import", dump)
        self.assertEqual(code, 1)
        self.assertOneLine(err, dump, "-t")
        self.assertFalse(os.path.exists(db))

    def test_wrong_type(self) -> None:
        """
        Forcing the wrong format is reported as a broken file (or as the
        wrong document), and creates no database.
        """
        config, db = self.site()
        code, _, err = self.run_cli("-c", config, "import", "-t", "generic", WORDPRESS)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "not valid JSON", "line 1, column 1")
        code, _, err = self.run_cli("-c", config, "import", "-t", "wordpress", GENERIC)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "not well-formed XML")
        code, _, err = self.run_cli("-c", config, "import", "-t", "wordpress", DISQUS)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "not a WordPress export: the document is a <disqus>")
        self.assertFalse(os.path.exists(db))

    def test_missing_file(self) -> None:
        """
        A dump that does not exist is reported in one line.
        """
        config, _ = self.site()
        code, _, err = self.run_cli("-c", config, "import", "/nonexistent/dump.xml")
        self.assertEqual(code, 1)
        self.assertOneLine(err, "/nonexistent/dump.xml: no such file")


class AllOrNothingTests(CommandMixin, SynchronousTestCase):
    def populated(self) -> tuple[str, str]:
        config, db = self.site()
        self.imported(config, GENERIC)
        return config, db

    def truncated(self, source: str, fraction: float = 0.6) -> str:
        with open(source, "rb") as f:
            data = f.read()
        path = os.path.abspath(self.mktemp()) + os.path.splitext(source)[1]
        with open(path, "wb") as f:
            f.write(data[: int(len(data) * fraction)])
        return path

    def test_truncated(self) -> None:
        """
        A dump cut short changes nothing in the database (not one row of
        any table), and the error says where the file broke.
        """
        config, db = self.populated()
        before = checksum(db)
        for source in (DISQUS, WORDPRESS):
            dump = self.truncated(source)
            code, out, err = self.run_cli("-c", config, "import", dump)
            self.assertEqual((code, out), (1, ""))
            self.assertOneLine(
                err,
                dump,
                "not well-formed XML",
                "line",
                "column",
                "the database was not changed",
            )
            self.assertEqual(checksum(db), before)

        exported = os.path.abspath(self.mktemp())
        self.assertEqual(self.run_cli("-c", config, "export", exported)[0], 0)
        dump = self.truncated(exported)
        code, out, err = self.run_cli("-c", config, "import", dump)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "not valid JSON", "truncated?", "line")
        self.assertEqual(checksum(db), before)

    def test_truncated_late(self) -> None:
        """
        Even when the break comes after most comments were read, none of
        them is imported.
        """
        config, db = self.site()
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            write_wordpress(f, 300, words=5)
        broken = self.truncated(dump, 0.98)
        code, _, err = self.run_cli("-c", config, "import", broken)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "not well-formed XML")
        # The database was never created.
        self.assertFalse(os.path.exists(db))

    def test_syntax_error_location(self) -> None:
        """
        A JSON syntax error is located by line and column.
        """
        config, db = self.populated()
        before = checksum(db)
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            f.write(
                '[{"id": "/x/", "title": "X", "comments": [\n'
                '  {"id": 1, "text": "hi", "created": "2020-01-01 00:00:00"},\n'
                '  {"id": 2 "text": "oops"}\n'
                "]}]\n"
            )
        code, _, err = self.run_cli("-c", config, "import", dump)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "not valid JSON", "(line 3, column 12)")
        self.assertEqual(checksum(db), before)

    def test_dry_run(self) -> None:
        """
        --dry-run reports what would be imported and writes nothing.
        """
        config, db = self.populated()
        before = checksum(db)
        code, out, _ = self.run_cli("-c", config, "import", "--dry-run", WORDPRESS)
        self.assertEqual(code, 0)
        self.assertIn("would import 5 comments", out)
        self.assertIn("dry run", out)
        self.assertEqual(checksum(db), before)

        # Not even a new database is created.
        config, db = self.site()
        code, out, _ = self.run_cli("-c", config, "import", "-n", DISQUS)
        self.assertEqual(code, 0)
        self.assertIn("would import 6 comments", out)
        self.assertFalse(os.path.exists(db))


class IdempotencyTests(CommandMixin, SynchronousTestCase):
    def test_twice(self) -> None:
        """
        Importing the same dumps again adds nothing and says why: every
        comment is already there (same thread, time, author and text).
        """
        config, db = self.site()
        for dump in (DISQUS, WORDPRESS, GENERIC):
            self.imported(config, dump)
        before = checksum(db)
        expected = {DISQUS: 6, WORDPRESS: 5, GENERIC: 3}
        for dump in (DISQUS, WORDPRESS, GENERIC):
            out = self.imported(config, dump)
            self.assertIn("imported 0 comments into 0 threads (0 new)", out)
            self.assertIn(f"{expected[dump]} already in the database", out)
            self.assertNotIn("made top-level", out)
        self.assertEqual(checksum(db), before)

    def test_newer_dump(self) -> None:
        """
        A later dump of the same site adds only its new comments, and a new
        reply finds the comment it answers among those already imported.
        """
        config, db = self.site()
        first = [
            {
                "id": "/p/",
                "title": "P",
                "comments": [
                    {
                        "id": 1,
                        "text": "first",
                        "author": "A",
                        "created": "2020-01-01 00:00:00",
                    },
                ],
            }
        ]
        second = [
            {
                "id": "/p/",
                "title": "P",
                "comments": [
                    {
                        "id": 1,
                        "text": "first",
                        "author": "A",
                        "created": "2020-01-01 00:00:00",
                    },
                    {
                        "id": 2,
                        "text": "reply",
                        "author": "B",
                        "created": "2020-01-02 00:00:00",
                        "parent": 1,
                    },
                ],
            }
        ]
        dump = os.path.abspath(self.mktemp())
        for content in (first, second):
            with open(dump, "w") as f:
                json.dump(content, f)
            out = self.imported(config, dump)
        self.assertIn("imported 1 comment into 1 thread (0 new)", out)
        self.assertIn("1 already in the database", out)
        self.assertEqual(
            query(db, "SELECT id, parent, text FROM comments ORDER BY id"),
            [(1, None, "first"), (2, 1, "reply")],
        )

    def test_repeated_in_file(self) -> None:
        """
        A comment listed twice in one dump is imported once.
        """
        config, _ = self.site()
        comment = {
            "id": 1,
            "text": "twice",
            "author": "A",
            "created": "2020-01-01 00:00:00",
        }
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            json.dump(
                [
                    {
                        "id": "/p/",
                        "title": "P",
                        "comments": [comment, dict(comment, id=2)],
                    }
                ],
                f,
            )
        out = self.imported(config, dump)
        self.assertIn("imported 1 comment", out)
        self.assertIn("1 repeated in the file", out)


class ExportTests(CommandMixin, SynchronousTestCase):
    def varied(self) -> tuple[str, str]:
        """
        A database holding every kind of value a comment can have.
        """
        config, db = self.site()
        for dump in (DISQUS, WORDPRESS, GENERIC):
            self.imported(config, dump)
        voters = VoterFilter(new_voters("203.0.113.0"))
        for address in ("192.0.2.0", "198.51.100.0", "10.0.0.0"):
            voters.add(address)
        conn = sqlite3.connect(db)
        with conn:
            conn.execute(
                "UPDATE comments SET likes = 2, dislikes = 1, voters = ?, "
                "modified = 1600000000.25, notification = 1 WHERE id = 1",
                (voters.to_bytes(),),
            )
            conn.execute("UPDATE comments SET created = 1590000000.123456 WHERE id = 7")
            conn.execute(
                "UPDATE comments SET text = 'Ünïcödé ✓ \"quoted\"\n<b>' WHERE id = 8"
            )
            conn.execute("UPDATE comments SET voters = x'' WHERE id = 9")
            # A gap in the ids, a thread without title, a thread without
            # comments (left by a rejected comment).
            conn.execute("DELETE FROM comments WHERE id = 10")
            conn.execute("UPDATE threads SET title = NULL WHERE id = 2")
            conn.execute("INSERT INTO threads (uri, title) VALUES ('/empty/', 'Empty')")
        conn.close()
        return config, db

    def test_round_trip(self) -> None:
        """
        export, then import -t generic into an empty database, reproduces
        every thread and comment row exactly, ids included.
        """
        config, db = self.varied()
        exported = os.path.abspath(self.mktemp())
        code, out, err = self.run_cli("-c", config, "export", exported)
        self.assertEqual(code, 0)
        self.assertIn("exported 13 comments in 7 threads", err)

        target_config, target_db = self.site()
        out = self.imported(target_config, "-t", "generic", exported)
        self.assertIn("ids are kept as in the file", out)
        source_rows, target_rows = all_rows(db), all_rows(target_db)
        for table in ("threads", "comments"):
            self.assertEqual(target_rows[table], source_rows[table])
        self.assertEqual(len(source_rows["comments"]), 13)

        # And back into the database it came from: nothing new.
        out = self.imported(config, exported)
        self.assertIn("imported 0 comments", out)

    def test_stdout(self) -> None:
        """
        Without FILE, the JSON goes to standard output, the summary to
        standard error.
        """
        config, _ = self.varied()
        exported = os.path.abspath(self.mktemp())
        self.run_cli("-c", config, "export", exported)
        code, out, err = self.run_cli("-c", config, "export")
        self.assertEqual(code, 0)
        with open(exported, encoding="utf-8") as f:
            self.assertEqual(out, f.read())
        self.assertIn("exported", err)

    def test_isso_can_read_it(self) -> None:
        """
        The file keeps what Isso's own generic importer needs: it starts
        with "[{", and every comment has Isso's fields, with "created" in
        Isso's date format.
        """
        config, _ = self.varied()
        code, out, _ = self.run_cli("-c", config, "export")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("[{"))
        threads = json.loads(out)
        self.assertEqual(len(threads), 7)
        for thread in threads:
            self.assertIsInstance(thread["id"], str)
            self.assertIn("title", thread)
            for comment in thread["comments"]:
                for key in ("id", "text", "author", "email", "website", "remote_addr"):
                    self.assertIn(key, comment)
                int(comment["id"])
                created = time.strptime(comment["created"], "%Y-%m-%d %H:%M:%S")
                self.assertEqual(calendar.timegm(created), int(comment["created_unix"]))
                base64.b64decode(comment["voters"], validate=True)

    def test_empty(self) -> None:
        """
        An empty database exports as an empty list.
        """
        config, db = self.site()
        prepare_database(db)
        code, out, _ = self.run_cli("-c", config, "export")
        self.assertEqual((code, json.loads(out)), (0, []))

    def test_missing_database(self) -> None:
        """
        Exporting a database that does not exist fails and creates nothing.
        """
        config, db = self.site()
        code, out, err = self.run_cli("-c", config, "export")
        self.assertEqual((code, out), (1, ""))
        self.assertOneLine(err, db, "no such database")
        self.assertFalse(os.path.exists(db))


class IssoValidityTests(CommandMixin, SynchronousTestCase):
    def test_still_isso(self) -> None:
        """
        A database the importer wrote is still one Isso 0.14 opens: schema
        version 5, Isso's tables, trigger and nothing else of Isso's
        changed, 256-byte voter filters, and replies one level deep within
        their thread.
        """
        fresh = os.path.abspath(self.mktemp())
        prepare_database(fresh)
        config, db = self.site()
        for dump in (DISQUS, WORDPRESS, GENERIC):
            self.imported(config, dump)

        def schema(path: str) -> list[tuple]:
            return query(
                path,
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name",
            )

        self.assertEqual(schema(db), schema(fresh))
        self.assertEqual(query(db, "PRAGMA user_version"), [(SCHEMA_VERSION,)])
        self.assertEqual(SCHEMA_VERSION, 5)
        self.assertEqual(query(db, "PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(
            query(db, "SELECT DISTINCT length(voters) FROM comments"), [(256,)]
        )
        self.assertEqual(
            query(
                db,
                "SELECT count(*) FROM comments "
                "WHERE tid NOT IN (SELECT id FROM threads)",
            ),
            [(0,)],
        )
        self.assertEqual(
            query(
                db,
                "SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent "
                "WHERE p.parent IS NOT NULL OR p.tid != c.tid",
            ),
            [(0,)],
        )
        self.assertEqual(query(db, "SELECT count(*) FROM preferences"), [(1,)])


class Writer:
    """
    Another connection that keeps writing to a database while the block
    runs, as the daemon does: a thread and its first comment in each
    transaction.  The block starts once 20 transactions are in.
    """

    def __init__(self, db: str) -> None:
        self._db = db
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write)
        # The number of each transaction committed, and what went wrong.
        self.written: list[int] = []
        self.errors: list[sqlite3.Error] = []

    def __enter__(self) -> Self:
        self._thread.start()
        while len(self.written) < 20 and self._thread.is_alive():
            time.sleep(0.001)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _write(self) -> None:
        conn = sqlite3.connect(self._db, isolation_level=None, timeout=10)
        try:
            n = 0
            while not self._stop.is_set():
                n += 1
                conn.execute("BEGIN IMMEDIATE")
                cursor = conn.execute(
                    "INSERT INTO threads (uri, title) VALUES (?, 'T')",
                    (f"/w/{n}/",),
                )
                conn.execute(
                    "INSERT INTO comments "
                    "(tid, created, mode, remote_addr, text, voters) "
                    "VALUES (?, ?, 1, '127.0.0.0', 'written meanwhile', ?)",
                    (cursor.lastrowid, time.time(), new_voters("127.0.0.0")),
                )
                conn.execute("COMMIT")
                self.written.append(n)
        except sqlite3.Error as e:
            self.errors.append(e)
        finally:
            conn.close()


class BackupTests(CommandMixin, SynchronousTestCase):
    def test_during_writes(self) -> None:
        """
        A backup taken while another connection keeps writing is a
        consistent snapshot: it passes integrity_check, holds only whole
        transactions, and is a single file (not WAL).
        """
        config, db = self.site()
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            write_wordpress(f, 4000, words=80)
        self.imported(config, "-q", dump)
        (before,) = query(db, "SELECT count(*) FROM comments")[0]

        with Writer(db) as writer:
            written = writer.written
            at_start = len(written)
            dest = os.path.abspath(self.mktemp())
            code, out, err = self.run_cli("-c", config, "backup", dest)
            at_end = len(written)
        self.assertEqual(writer.errors, [])
        self.assertEqual((code, err), (0, ""))
        self.assertIn("integrity check ok", out)
        self.assertGreater(at_end, at_start, "no write happened during the backup")

        self.assertEqual(query(dest, "PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(query(dest, "PRAGMA journal_mode"), [("delete",)])
        self.assertFalse(os.path.exists(dest + "-wal"))
        (copied,) = query(dest, "SELECT count(*) FROM comments")[0]
        self.assertGreaterEqual(copied, before + at_start)
        self.assertLessEqual(copied, before + len(written))
        # Each writer transaction is in the copy whole, or not at all.
        self.assertEqual(
            query(
                dest,
                "SELECT count(*) FROM threads WHERE uri LIKE '/w/%' "
                "AND id NOT IN (SELECT tid FROM comments)",
            ),
            [(0,)],
        )
        self.assertEqual(
            query(dest, "SELECT count(*) FROM threads WHERE uri LIKE '/w/%'"),
            [(copied - before,)],
        )
        self.assertEqual(query(dest, "PRAGMA user_version"), [(5,)])

    def test_existing_destination(self) -> None:
        """
        An existing file is not overwritten unless --force is given.
        """
        config, db = self.site()
        self.imported(config, GENERIC)
        dest = os.path.abspath(self.mktemp())
        with open(dest, "w") as f:
            f.write("precious")
        code, _, err = self.run_cli("-c", config, "backup", dest)
        self.assertEqual(code, 1)
        self.assertOneLine(err, dest, "--force")
        with open(dest) as f:
            self.assertEqual(f.read(), "precious")
        code, _, _ = self.run_cli("-c", config, "backup", "--force", dest)
        self.assertEqual(code, 0)
        self.assertEqual(all_rows(dest), all_rows(db))

    def test_missing_database(self) -> None:
        """
        Backing up a database that does not exist fails and creates
        neither file.
        """
        config, db = self.site()
        dest = os.path.abspath(self.mktemp())
        code, _, err = self.run_cli("-c", config, "backup", dest)
        self.assertEqual(code, 1)
        self.assertOneLine(err, "no such database")
        self.assertFalse(os.path.exists(db))
        self.assertFalse(os.path.exists(dest))


class ConcurrencyTests(CommandMixin, SynchronousTestCase):
    def test_import_and_rename_while_written(self) -> None:
        """
        Import and rename-thread wait for another writer's transactions
        (as the daemon's) instead of failing, and lose none of its rows.
        """
        config, db = self.site()
        prepare_database(db)
        stop = threading.Event()
        written = []
        errors = []

        def write() -> None:
            conn = sqlite3.connect(db, isolation_level=None, timeout=10)
            try:
                conn.execute(
                    "INSERT INTO threads (uri, title) VALUES ('/live/', 'Live')"
                )
                n = 0
                while not stop.is_set():
                    n += 1
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(
                        "INSERT INTO comments (tid, created, mode, text, voters) "
                        "SELECT id, ?, 1, ?, x'' FROM threads WHERE uri = '/live/'",
                        (time.time(), f"live {n}"),
                    )
                    time.sleep(0.002)  # hold the lock a little
                    conn.execute("COMMIT")
                    written.append(n)
                    time.sleep(0.005)  # a busy site, not a tight loop
            except sqlite3.Error as e:
                errors.append(e)
            finally:
                conn.close()

        writer = threading.Thread(target=write)
        writer.start()
        try:
            while len(written) < 5:
                time.sleep(0.001)
            results = [
                self.run_cli("-c", config, "import", dump)[::2]
                for dump in (DISQUS, WORDPRESS, GENERIC)
            ]
            results.append(
                self.run_cli("-c", config, "rename-thread", "/recipes/soup/", "/soup/")[
                    ::2
                ]
            )
        finally:
            stop.set()
            writer.join()
        self.assertEqual(errors, [])
        self.assertEqual(results, [(0, "")] * 4)
        self.assertEqual(
            query(db, "SELECT count(*) FROM comments WHERE text LIKE 'live %'"),
            [(len(written),)],
        )
        self.assertEqual(
            query(db, "SELECT count(*) FROM comments WHERE text NOT LIKE 'live %'"),
            [(14,)],
        )


class ExportWhileWrittenTests(CommandMixin, SynchronousTestCase):
    def test_snapshot(self) -> None:
        """
        An export taken while another connection keeps writing is one
        consistent state of the database: it holds only whole transactions,
        and its summary counts what the file holds.
        """
        config, db = self.site()
        dump = os.path.abspath(self.mktemp())
        with open(dump, "w") as f:
            write_wordpress(f, 3000, words=80)
        self.imported(config, "-q", dump)
        (before,) = query(db, "SELECT count(*) FROM comments")[0]

        exported = os.path.abspath(self.mktemp())
        with Writer(db) as writer:
            at_start = len(writer.written)
            code, _, err = self.run_cli("-c", config, "export", exported)
            at_end = len(writer.written)
        self.assertEqual(writer.errors, [])
        self.assertEqual(code, 0, err)
        self.assertGreater(at_end, at_start, "no write happened during the export")

        with open(exported, encoding="utf-8") as f:
            exported_threads = json.load(f)
        comments = sum(len(t["comments"]) for t in exported_threads)
        self.assertIn(
            f"exported {comments} comments in {len(exported_threads)} threads", err
        )
        meanwhile = [t for t in exported_threads if t["id"].startswith("/w/")]
        self.assertGreaterEqual(len(meanwhile), at_start)
        self.assertLessEqual(len(meanwhile), at_end)
        self.assertEqual([len(t["comments"]) for t in meanwhile], [1] * len(meanwhile))
        self.assertEqual(comments, before + len(meanwhile))


class CheckTests(CommandMixin, SynchronousTestCase):
    def test_good(self) -> None:
        """
        check prints, for a good site, its database (schema version and
        size), websites, listening address and where it is served; exits 0.
        """
        config, db = self.site()
        self.imported(config, GENERIC)
        code, out, err = self.run_cli("-c", config, "check")
        self.assertEqual((code, err), (0, ""))
        self.assertIn(
            f"database   {db} (schema version 5, wal journal, 2 threads, 3 comments)",
            out,
        )
        self.assertIn("websites   https://blog.example.org/", out)
        self.assertIn("listen     tcp:8181:interface=127.0.0.1", out)
        self.assertIn("served at  /\n", out)
        self.assertIn("ok: 1 site", out)

    def test_outbox(self) -> None:
        """
        check says how many mails wait in the outbox and how many were
        given up, when there are any.
        """
        config, db = self.site()
        self.imported(config, GENERIC)
        conn = sqlite3.connect(db)
        conn.executemany(
            "INSERT INTO isso_tx_outbox (kind, address, description, body, "
            "created, not_before, failed) VALUES ('mail', '{}', 'm', '', 1, 1, ?)",
            [(None,), (None,), (5.0,)],
        )
        conn.commit()
        conn.close()
        code, out, err = self.run_cli("-c", config, "check")
        self.assertEqual((code, err), (0, ""))
        self.assertIn(
            "3 comments, 2 mails waiting to be sent, 1 mail given up "
            "(see isso_tx_outbox))",
            out,
        )

    def test_creates_and_migrates_nothing(self) -> None:
        """
        check neither creates a missing database nor upgrades an old one.
        """
        config, db = self.site()
        code, out, _ = self.run_cli("-c", config, "check")
        self.assertEqual(code, 0)
        self.assertIn("does not exist yet; will be created", out)
        self.assertFalse(os.path.exists(db))

        conn = sqlite3.connect(db)
        conn.execute(
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, "
            "title VARCHAR(256))"
        )
        conn.execute(
            "CREATE TABLE comments (tid, id INTEGER PRIMARY KEY, text VARCHAR)"
        )
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
        conn.close()
        before = os.listdir(os.path.dirname(db))
        code, out, _ = self.run_cli("-c", config, "check")
        self.assertEqual(code, 0)
        self.assertIn("will be upgraded from schema version 3", out)
        self.assertEqual(query(db, "PRAGMA user_version"), [(3,)])
        self.assertEqual(os.listdir(os.path.dirname(db)), before)

    def test_problems(self) -> None:
        """
        A broken configuration, a database from a newer Isso, or a bad
        trusted proxy address each make check exit 1 with one line per problem.
        """
        config, _ = self.site("[guard]\nratelimit = many\n")
        code, _, err = self.run_cli("-c", config, "check")
        self.assertEqual(code, 1)
        self.assertOneLine(err, config, "[guard] ratelimit")

        config, db = self.site()
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version = 6")
        conn.execute("CREATE TABLE comments (id)")
        conn.close()
        code, _, err = self.run_cli("-c", config, "check")
        self.assertEqual(code, 1)
        self.assertOneLine(err, "schema version 6")

        # A value only the daemon's parts can judge (an address).
        config, _ = self.site("trusted-proxies = 10.0.0.300\n")
        code, _, err = self.run_cli("-c", config, "check")
        self.assertEqual(code, 1)
        self.assertOneLine(err, config, "10.0.0.300")

    def test_several_sites(self) -> None:
        """
        With several -c, each site is served under its name; two sites of
        the same name are a problem.
        """
        blog, _ = self.site(name="blog")
        shop, _ = self.site(name="shop")
        code, out, err = self.run_cli("-c", blog, "-c", shop, "check")
        self.assertEqual((code, err), (0, ""))
        self.assertIn("served at  /blog/", out)
        self.assertIn("served at  /shop/", out)
        self.assertIn("listening on tcp:8181:interface=127.0.0.1\n", out)
        self.assertIn("ok: 2 sites", out)

        again, _ = self.site(name="blog")
        code, _, err = self.run_cli("-c", blog, "-c", again, "check")
        self.assertEqual(code, 1)
        self.assertOneLine(err, again, "name")


class RenameTests(CommandMixin, SynchronousTestCase):
    def setUp(self) -> None:
        self.config, self.db = self.site()
        self.imported(self.config, GENERIC)
        self.imported(self.config, WORDPRESS)

    def comments_of(self, uri: str) -> list[int]:
        return [
            comment_id
            for (comment_id,) in query(
                self.db,
                "SELECT c.id FROM comments c JOIN threads t ON t.id = c.tid "
                "WHERE t.uri = ? ORDER BY c.id",
                uri,
            )
        ]

    def test_rename(self) -> None:
        """
        A thread moves to its new uri with its id, title and comments.
        """
        before = self.comments_of("/recipes/bread/")
        code, out, _ = self.run_cli(
            "-c", self.config, "rename-thread", "/recipes/bread/", "/bread/"
        )
        self.assertEqual(code, 0)
        self.assertIn("/recipes/bread/ renamed to /bread/", out)
        self.assertEqual(
            query(self.db, "SELECT id, title FROM threads WHERE uri = '/bread/'"),
            [(1, "Sourdough bread")],
        )
        self.assertEqual(self.comments_of("/bread/"), before)
        self.assertEqual(self.comments_of("/recipes/bread/"), [])

    def test_refused(self) -> None:
        """
        A missing OLD, or a NEW that exists already (without --merge), is an
        error that changes nothing.
        """
        before = checksum(self.db)
        code, _, err = self.run_cli("-c", self.config, "rename-thread", "/nope/", "/x/")
        self.assertEqual(code, 1)
        self.assertOneLine(err, "no thread '/nope/'")
        code, _, err = self.run_cli(
            "-c", self.config, "rename-thread", "/recipes/bread/", "/recipes/soup/"
        )
        self.assertEqual(code, 1)
        self.assertOneLine(
            err, "'/recipes/soup/' already exists (1 comment)", "--merge"
        )
        self.assertEqual(checksum(self.db), before)

    def test_merge(self) -> None:
        """
        With --merge, OLD's comments join NEW's thread, replies still under
        their comment, and OLD's thread is gone.
        """
        moved = self.comments_of("/2021/05/flat-tyre/")
        kept = self.comments_of("/recipes/soup/")
        code, out, _ = self.run_cli(
            "-c",
            self.config,
            "rename-thread",
            "--merge",
            "/2021/05/flat-tyre/",
            "/recipes/soup/",
        )
        self.assertEqual(code, 0)
        self.assertIn("merged into", out)
        self.assertEqual(self.comments_of("/recipes/soup/"), sorted(kept + moved))
        self.assertEqual(
            query(
                self.db,
                "SELECT count(*) FROM threads WHERE uri = '/2021/05/flat-tyre/'",
            ),
            [(0,)],
        )
        self.assertEqual(
            query(self.db, "SELECT title FROM threads WHERE uri = '/recipes/soup/'"),
            [("Lentil soup",)],
        )
        self.assertEqual(
            query(
                self.db,
                "SELECT count(*) FROM comments WHERE parent IS NOT NULL "
                "AND parent NOT IN (SELECT id FROM comments)",
            ),
            [(0,)],
        )

    def test_prefix(self) -> None:
        """
        --prefix moves every thread under OLD to the same place under NEW.
        """
        code, out, _ = self.run_cli(
            "-c", self.config, "rename-thread", "--prefix", "/recipes/", "/food/"
        )
        self.assertEqual(code, 0)
        self.assertIn("2 threads moved (0 merged)", out)
        self.assertEqual(
            query(
                self.db, "SELECT uri FROM threads WHERE uri LIKE '/food/%' ORDER BY uri"
            ),
            [("/food/bread/",), ("/food/soup/",)],
        )

    def test_prefix_onto_moved_uris(self) -> None:
        """
        A prefix rename that gives one moved thread the uri another moved
        thread has now (/recipes -> /recipes/recipes) moves each thread
        once, without a collision halfway.
        """
        self.run_cli(
            "-c", self.config, "rename-thread", "/recipes/soup/", "/recipes/recipes/bread/"
        )
        bread = self.comments_of("/recipes/bread/")
        soup = self.comments_of("/recipes/recipes/bread/")
        code, out, err = self.run_cli(
            "-c", self.config, "rename-thread", "--prefix", "/recipes", "/recipes/recipes"
        )
        self.assertEqual((code, err), (0, ""))
        self.assertIn("2 threads moved (0 merged)", out)
        self.assertEqual(self.comments_of("/recipes/recipes/bread/"), bread)
        self.assertEqual(self.comments_of("/recipes/recipes/recipes/bread/"), soup)
        self.assertEqual(
            query(self.db, "SELECT count(*) FROM threads WHERE uri IS NULL"), [(0,)]
        )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ProgressTests(CommandMixin, SynchronousTestCase):
    def test_on_a_terminal(self) -> None:
        """
        On a terminal, a progress bar for the reading of the dump is drawn
        on standard error (and cleared); --quiet turns it off.
        """
        config, _ = self.site()
        for argv, shown in ((["import"], True), (["import", "--quiet"], False)):
            err = _Terminal()
            out = io.StringIO()
            self.patch(sys, "stderr", err)
            self.patch(sys, "stdout", out)
            self.assertEqual(main(["-c", config, *argv, WORDPRESS]), 0)
            self.assertEqual("reading wordpress.xml" in err.getvalue(), shown)
            self.assertIn("imported", out.getvalue())
            self.assertNotIn("reading", out.getvalue())


def _console_script() -> str | None:
    script = os.path.join(os.path.dirname(sys.executable), "isso-tx")
    return script if os.path.exists(script) else shutil.which("isso-tx")


