"""
Tests for C{isso-tx check} (L{isso_tx.cli.check}), run as C{ExecStartPre=}
runs it: the installed command in a child process.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile

from twisted.trial.unittest import SynchronousTestCase

from ..commandline import isso_tx, write_config


class ListenTests(SynchronousTestCase):
    """
    check tries every listening address the daemon would use.
    """

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        # Unix socket paths must stay short (AF_UNIX allows 108 bytes).
        self.short = tempfile.mkdtemp(prefix="isso-tx-")
        self.addCleanup(shutil.rmtree, self.short, True)

    def busy_port(self) -> int:
        """
        Listen on a free loopback port for the rest of the test; return it.
        """
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        return busy.getsockname()[1]

    def test_port_in_use(self) -> None:
        """
        A listen address another program holds fails check with one line
        naming the file, [server] listen and the address; once it is free,
        check passes and leaves it free.
        """
        port = self.busy_port()
        config = write_config(self.directory, f"http://127.0.0.1:{port}")
        result = isso_tx("-c", config, "check")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        for part in (config, "[server] listen", f"tcp:{port}", "in use"):
            self.assertIn(part, result.stderr)

        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()
        config = write_config(self.directory, f"http://127.0.0.1:{port}")
        result = isso_tx("-c", config, "check")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        again = socket.socket()
        self.addCleanup(again.close)
        again.bind(("127.0.0.1", port))

    def test_metrics_port_in_use(self) -> None:
        """
        A metrics address another program holds fails check with one line
        naming [server] metrics-listen; the address is shown when free.
        """
        port = self.busy_port()
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        listen = free.getsockname()[1]
        free.close()
        config = write_config(
            self.directory,
            f"http://127.0.0.1:{listen}",
            f"metrics-listen = http://127.0.0.1:{port}\n",
        )
        result = isso_tx("-c", config, "check")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        for part in (config, "[server] metrics-listen", f"tcp:{port}", "in use"):
            self.assertIn(part, result.stderr)
        self.assertIn(f"  metrics    tcp:{port}:interface=127.0.0.1\n", result.stdout)

    def test_unix_socket(self) -> None:
        """
        A unix socket path is tried and removed again; a socket another
        program listens on fails check.
        """
        path = os.path.join(self.short, "isso.sock")
        config = write_config(self.directory, f"unix://{path}")
        result = isso_tx("-c", config, "check")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertEqual(os.listdir(self.short), [])

        busy = socket.socket(socket.AF_UNIX)
        self.addCleanup(busy.close)
        busy.bind(path)
        busy.listen(1)
        result = isso_tx("-c", config, "check")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn(path, result.stderr)


class WarningTests(SynchronousTestCase):
    """
    Warnings are shown without failing, unless --strict.
    """

    def setUp(self) -> None:
        directory = os.path.abspath(self.mktemp())
        self.config = write_config(
            directory, "tcp:0:interface=127.0.0.1", "colour = blue\n[generl]\n"
        )

    def test_warned(self) -> None:
        """
        Unknown options and sections are printed as warnings, and the final
        line counts them, but check exits 0.
        """
        result = isso_tx("-c", self.config, "check")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertIn("[server] colour is not a known option", result.stdout)
        self.assertIn("[generl] is not a known section", result.stdout)
        self.assertIn("ok: 1 site, 2 warnings (--strict fails on them)", result.stdout)

    def test_strict(self) -> None:
        """
        With --strict, each warning is a line on standard error and check
        exits 1.
        """
        result = isso_tx("-c", self.config, "check", "--strict")
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 2, result.stderr)
        self.assertIn("colour", lines[0])
        self.assertIn("[generl]", lines[1])
        self.assertNotIn("ok:", result.stdout)
