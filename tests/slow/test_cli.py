"""
Tests for the C{isso-tx} command (L{isso_tx.cli}) and, through it, its
importers (L{isso_tx.importers}).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import sqlite3
import struct
import subprocess
import termios
import threading

from twisted.trial.unittest import SynchronousTestCase

from ..commandline import child_environment
from ..dumps import measured_import, write_wordpress
from ..test_cli import (
    GENERIC,
    WORDPRESS,
    _console_script,
    query,
    write_site,
)


class ConsoleScriptTests(SynchronousTestCase):
    """
    The installed isso-tx command, run in a child process as a user runs it.
    """

    def setUp(self) -> None:
        self.script = _console_script()
        self.assertIsNotNone(self.script, "the isso-tx console script is not installed")
        self.directory = self.mktemp()
        self.config = write_site(self.directory)
        self.db = os.path.join(os.path.abspath(self.directory), "comments.db")

    def isso_tx(
        self, *argv: str, text: bool = True, **kwargs: object
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.script, "-c", self.config, *argv],
            check=False,
            capture_output="stderr" not in kwargs,
            text=text,
            timeout=120,
            **{"env": child_environment(), **kwargs},
        )

    def test_installed(self) -> None:
        """
        The isso-tx console script runs main and returns its exit status;
        a bad input is one line on standard error.
        """
        result = self.isso_tx("import", "-q", GENERIC)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("imported 3 comments", result.stdout)
        result = self.isso_tx("check")
        self.assertEqual(result.returncode, 0, result.stderr)
        result = self.isso_tx("import", os.path.join(self.directory, "missing.xml"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)

    def test_export_is_utf8(self) -> None:
        """
        isso-tx export > FILE writes UTF-8 even where the locale's encoding
        is ASCII, and the file reads back as JSON.
        """
        self.assertEqual(self.isso_tx("import", "-q", GENERIC).returncode, 0)
        conn = sqlite3.connect(self.db)
        with conn:
            conn.execute("UPDATE comments SET text = 'Ünïcödé ✓' WHERE id = 1")
        conn.close()
        environ = dict(
            child_environment(), LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0"
        )
        environ.pop("PYTHONIOENCODING", None)
        result = self.isso_tx("export", text=False, env=environ)
        self.assertEqual(result.returncode, 0, result.stderr)
        exported = json.loads(result.stdout.decode("utf-8"))
        self.assertIn("Ünïcödé ✓", [c["text"] for t in exported for c in t["comments"]])

    def test_export_reader_goes_away(self) -> None:
        """
        When the reader of isso-tx export stops early (as "| head" does),
        the command says so in one line, without a traceback, and exits 1.
        """
        dump = os.path.join(self.directory, "dump.xml")
        with open(dump, "w") as f:
            write_wordpress(f, 300, words=80)
        self.assertEqual(self.isso_tx("import", "-q", dump).returncode, 0)
        process = subprocess.Popen(
            [self.script, "-c", self.config, "export"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_environment(),
        )
        self.assertEqual(len(process.stdout.read(100)), 100)
        process.stdout.close()
        self.assertEqual(process.wait(120), 1)
        err = process.stderr.read()
        process.stderr.close()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("isso-tx: export: "), err)
        self.assertNotIn("Traceback", err)

    def on_a_terminal(self, *argv: str) -> tuple[int, str, str]:
        """
        Run isso-tx with its standard error on an 80-column terminal; return
        its status, standard output and what the terminal received.
        """
        terminal, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        received: list[bytes] = []

        def read() -> None:
            # Until the last copy of the child's end is closed.
            while True:
                try:
                    data = os.read(terminal, 65536)
                except OSError:
                    return
                if not data:
                    return
                received.append(data)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            result = self.isso_tx(*argv, stdout=subprocess.PIPE, stderr=child)
        finally:
            os.close(child)
            reader.join(30)
            os.close(terminal)
        return result.returncode, result.stdout, b"".join(received).decode()

    def test_progress_bar(self) -> None:
        """
        On a terminal, isso-tx import draws a progress bar for the reading of
        the dump and clears it; the summary goes to standard output; with
        -q, the terminal gets nothing.
        """
        code, out, terminal = self.on_a_terminal("import", WORDPRESS)
        self.assertEqual(code, 0, terminal)
        self.assertIn("imported 5 comments", out)
        self.assertIn("reading wordpress.xml", terminal)
        # Cleared: what was last drawn over the bar is blank.
        self.assertEqual(terminal.rstrip("\r").rsplit("\r", 1)[-1].strip(), "")
        code, out, terminal = self.on_a_terminal("import", "-q", WORDPRESS)
        self.assertEqual((code, terminal), (0, ""))
        self.assertIn("imported 0 comments", out)


class MemoryTests(SynchronousTestCase):
    def peak(self, comments: int) -> int:
        directory = os.path.abspath(self.mktemp())
        config = write_site(directory)
        dump = os.path.join(directory, "dump.xml")
        with open(dump, "w") as f:
            write_wordpress(f, comments, words=150)
        result, peak = measured_import(config, dump, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("into", result.stdout)
        (imported,) = query(
            os.path.join(directory, "comments.db"), "SELECT count(*) FROM comments"
        )[0]
        self.assertGreater(imported, comments * 0.9)
        assert peak is not None
        return peak

    def test_streaming(self) -> None:
        """
        Importing a 5,000-comment WordPress export (about 6 MB) takes about
        as much memory as a 1,000-comment one: the dump is streamed, not
        loaded.  (bench/import_bench.py measures 100,000 comments.)
        """
        small, large = self.peak(1000), self.peak(5000)
        self.assertLess(large - small, 12 * 1024, (small, large))
