"""
Start-up errors as a site owner meets them: C{twistd -n isso} in a child
process stops with exit status 1 and one line on standard error naming the
file, section and key, and leaves no new database behind.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import site
import socket
import subprocess
import sys
import tempfile

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from isso_tx.config import ConfigError, load_site_config

# The checkout these tests belong to, whose code the child must run.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TWISTD_ARGS = [
    "-c", "from twisted.scripts.twistd import run; run()",
    "--nodaemon", "--pidfile=", "isso",
]
HOST = "http://example.org"
# The unprivileged user the permission tests run the daemon as.
UNPRIVILEGED = "nobody"


def short_directory(test: SynchronousTestCase) -> str:
    """
    Return a new directory under /tmp, removed after C{test}: a checkout's
    own _trial_temp can be too deep for a unix socket's path.
    """
    directory = tempfile.mkdtemp(prefix="isso-", dir="/tmp")
    test.addCleanup(shutil.rmtree, directory, ignore_errors=True)
    return directory


def child_environment(*extra_path: str) -> dict[str, str]:
    """
    Return the environment for a child running this checkout's code.
    """
    environ = {
        key: value for key, value in os.environ.items()
        if key not in ("ISSO_SETTINGS", "PYTHONPATH")
    }
    environ["PYTHONPATH"] = os.pathsep.join([ROOT, *extra_path])
    return environ


def busy_port(test: SynchronousTestCase) -> int:
    """
    Listen on a free loopback port for the rest of C{test}; return it.
    """
    busy = socket.socket()
    test.addCleanup(busy.close)
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    return busy.getsockname()[1]


class DaemonErrorMixin:
    """
    Write a site's configuration in a short directory of its own and run
    twistd on it.
    """

    def setUp(self) -> None:
        self.directory = short_directory(self)
        self.database = os.path.join(self.directory, "comments.db")

    def site_config(self, text: str | None = None) -> str:
        """
        Write C{site.cfg} (by default a site with its database beside it,
        listening on a port nobody uses) and return its path.
        """
        if text is None:
            text = (
                f"[general]\ndbpath = comments.db\nhost = {HOST}\n"
                "[server]\nlisten = tcp:0:interface=127.0.0.1\n"
            )
        path = os.path.join(self.directory, "site.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def run_twistd(self, *args: str, **how: object) -> subprocess.CompletedProcess:
        """
        Run C{twistd -n isso ARGS} in the site's directory as this process's
        user, and return what it did.
        """
        return subprocess.run(
            [sys.executable, *TWISTD_ARGS, *args], cwd=self.directory,
            env=child_environment(), capture_output=True, text=True, timeout=60,
            **how,
        )

    def assertStopped(self, result: subprocess.CompletedProcess, line: str) -> None:
        """
        The daemon exited with status 1 after writing exactly C{line} on
        standard error, and nothing else anywhere.
        """
        self.assertEqual(
            (result.returncode, result.stderr, result.stdout),
            (1, line + "\n", ""),
        )


class ListenTests(DaemonErrorMixin, SynchronousTestCase):
    """
    A busy listening address stops the daemon before it creates a database.
    """

    def test_port_in_use_from_config(self) -> None:
        """
        A port in use named by [server] listen is reported against that key,
        and no database file is created.
        """
        port = busy_port(self)
        path = self.site_config(
            f"[general]\ndbpath = comments.db\nhost = {HOST}\n"
            f"[server]\nlisten = http://127.0.0.1:{port}\n"
        )
        result = self.run_twistd("-c", path)
        self.assertStopped(
            result,
            f"isso-tx: {path}: [server] listen: cannot listen on "
            f"tcp:{port}:interface=127.0.0.1: Address already in use",
        )
        self.assertEqual(os.listdir(self.directory), ["site.cfg"])

    def test_port_in_use_from_command_line(self) -> None:
        """
        A port in use given with --listen is reported against --listen, and
        no database file is created.
        """
        port = busy_port(self)
        path = self.site_config()
        endpoint = f"tcp:{port}:interface=127.0.0.1"
        result = self.run_twistd("-c", path, "--listen", endpoint)
        self.assertStopped(
            result,
            f"isso-tx: --listen: cannot listen on {endpoint}: Address already in use",
        )
        self.assertEqual(os.listdir(self.directory), ["site.cfg"])

    def test_socket_held_by_running_daemon(self) -> None:
        """
        A unix socket whose lock another running process holds is reported
        against [server] listen, and no database file is created.
        """
        sock = os.path.join(self.directory, "isso.sock")
        # A lock naming this (running) test process, as a daemon leaves it.
        os.symlink(str(os.getpid()), sock + ".lock")
        path = self.site_config(
            f"[general]\ndbpath = comments.db\nhost = {HOST}\n"
            f"[server]\nlisten = unix://{sock}\n"
        )
        result = self.run_twistd("-c", path)
        self.assertStopped(
            result,
            f"isso-tx: {path}: [server] listen: cannot listen on unix:{sock}:mode=660: "
            f"{sock}.lock is held by a running process",
        )
        self.assertNotIn("comments.db", os.listdir(self.directory))
