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
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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


class ConfigurationTests(DaemonErrorMixin, SynchronousTestCase):
    """
    Mistakes in the file that are found before anything is opened.
    """

    def test_missing_database_directory(self) -> None:
        """
        A dbpath in a directory that does not exist is reported against
        [general] dbpath, naming that directory.
        """
        path = self.site_config(
            f"[general]\ndbpath = missing/comments.db\nhost = {HOST}\n"
            "[server]\nlisten = tcp:0:interface=127.0.0.1\n"
        )
        result = self.run_twistd("-c", path)
        missing = os.path.join(self.directory, "missing")
        self.assertStopped(
            result,
            f"isso-tx: {path}: [general] dbpath: {missing}/comments.db: "
            f"directory {missing} does not exist",
        )
        self.assertEqual(os.listdir(self.directory), ["site.cfg"])

    def test_second_site_database_directory_missing(self) -> None:
        """
        With several sites, a missing database folder of the second is
        reported before the first site's database is created.
        """
        first = os.path.join(self.directory, "first.cfg")
        second = os.path.join(self.directory, "second.cfg")
        with open(first, "w", encoding="utf-8") as f:
            f.write(f"[general]\nname = a\ndbpath = a.db\nhost = {HOST}\n"
                    "[server]\nlisten = tcp:0:interface=127.0.0.1\n")
        with open(second, "w", encoding="utf-8") as f:
            f.write(f"[general]\nname = b\ndbpath = gone/b.db\nhost = {HOST}\n")
        result = self.run_twistd("-c", first, "-c", second)
        gone = os.path.join(self.directory, "gone")
        self.assertStopped(
            result,
            f"isso-tx: {second}: [general] dbpath: {gone}/b.db: "
            f"directory {gone} does not exist",
        )
        self.assertEqual(sorted(os.listdir(self.directory)), ["first.cfg", "second.cfg"])

    def test_misspelt_section(self) -> None:
        """
        A misspelt [general] is reported as an unknown section with the
        name that was meant, not as a site without a host.
        """
        path = self.site_config(
            f"[generl]\ndbpath = comments.db\nhost = {HOST}\n"
        )
        result = self.run_twistd("-c", path)
        self.assertStopped(
            result,
            f"isso-tx: {path}: unknown section [generl], did you mean [general]?",
        )
        self.assertEqual(os.listdir(self.directory), ["site.cfg"])

    def test_misspelt_section_beside_the_real_one(self) -> None:
        """
        An unknown section next to the section it resembles is only a
        warning, with the same hint.
        """
        path = self.site_config(
            f"[general]\nhost = {HOST}\n[generl]\nmax-age = 1h\n"
        )
        config = load_site_config(path)
        self.assertEqual(
            config.warnings,
            (f"{path}: [generl] is not a known section; ignored "
             "(did you mean [general]?)",),
        )

    def test_unrelated_section_is_a_warning(self) -> None:
        """
        A section that resembles no known one is ignored with a warning, as
        files shared with other tools may have them.
        """
        path = self.site_config(f"[general]\nhost = {HOST}\n[extras]\na = b\n")
        config = load_site_config(path)
        self.assertEqual(
            config.warnings, (f"{path}: [extras] is not a known section; ignored",)
        )

    def test_misspelt_section_in_other_case(self) -> None:
        """
        Section names are case-sensitive, so [Guard] without [guard] is
        refused with the lower-case name that was meant.
        """
        path = self.site_config(
            f"[general]\nhost = {HOST}\n[Guard]\nratelimit = 5\n"
        )
        error = self.assertRaises(ConfigError, load_site_config, path)
        self.assertEqual(
            str(error), f"{path}: unknown section [Guard], did you mean [guard]?"
        )


def unprivileged_python(user: pwd.struct_passwd) -> tuple[str, tuple[str, ...]]:
    """
    Return an interpreter C{user} can run this checkout's daemon with, and
    the module folders it needs: this one, or (when it lives where C{user}
    cannot read, as under /root) the system's Python of the same version
    with this environment's packages.

    @raise SkipTest: there is no such interpreter.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [(sys.executable, ())] + [
        (candidate, tuple(site.getsitepackages()))
        for candidate in sorted(glob.glob(f"/usr/bin/{version}"))
        + sorted(glob.glob(f"/usr/local/bin/{version}"))
    ]
    for python, path in candidates:
        try:
            probe = subprocess.run(
                [python, "-c", "import isso_tx.tap, twisted.scripts.twistd"],
                cwd="/", env=child_environment(*path), capture_output=True,
                user=user.pw_uid, group=user.pw_gid, extra_groups=[], timeout=60,
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return python, path
    raise SkipTest(
        f"user {user.pw_name} can run no {version} that imports this "
        f"checkout and Twisted ({sys.executable} is not readable to it)"
    )


class PermissionTests(DaemonErrorMixin, SynchronousTestCase):
    """
    A database or folder the daemon's user may not use is named with the
    permission it lacks, that user, and the mode and owner in the way.
    """

    def setUp(self) -> None:
        super().setUp()
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam(UNPRIVILEGED)
            except KeyError:
                raise SkipTest(
                    f"running as root, and there is no user {UNPRIVILEGED!r} "
                    "to run the daemon as (root ignores permission bits)"
                ) from None
            self.python, self.path = unprivileged_python(self.user)
            self.as_user = {
                "user": self.user.pw_uid, "group": self.user.pw_gid,
                "extra_groups": [],
            }
        else:
            self.user = pwd.getpwuid(os.geteuid())
            self.python, self.path, self.as_user = sys.executable, (), {}
        self.owner = pwd.getpwuid(os.geteuid()).pw_name
        self.config = self.site_config()
        # Modes that deny the daemon's user whether or not it owns the file,
        # so that the tests mean the same run as root or not.
        self.chmod(self.directory, 0o555)

    def chmod(self, path: str, mode: int) -> None:
        """
        Set C{path}'s mode, and give its owner everything back afterwards so
        that it can be removed.
        """
        os.chmod(path, mode)
        self.addCleanup(os.chmod, path, 0o700)

    def give_away(self, path: str) -> None:
        """
        Make C{path} belong to the daemon's user.
        """
        os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def run_daemon(self) -> subprocess.CompletedProcess:
        """
        Run C{twistd -n isso} on the site as the unprivileged user.
        """
        return subprocess.run(
            [self.python, *TWISTD_ARGS, "-c", self.config], cwd=self.directory,
            env=child_environment(*self.path), capture_output=True, text=True,
            timeout=60, **self.as_user,
        )

    def make_database(self, mode: int) -> None:
        """
        Create an empty database file with C{mode}, owned by this process.
        """
        os.chmod(self.directory, 0o755)
        with open(self.database, "wb"):
            pass
        os.chmod(self.directory, 0o555)
        self.chmod(self.database, mode)

    def test_database_cannot_be_created(self) -> None:
        """
        A database that does not exist yet in a folder the user may not
        write names the folder, and nothing is created.
        """
        result = self.run_daemon()
        self.assertStopped(
            result,
            f"isso-tx: {self.config}: [general] dbpath: {self.database} cannot be "
            f"created: {self.directory} is not writable by user "
            f"{self.user.pw_name} (mode 0555, owner {self.owner})",
        )
        self.assertEqual(os.listdir(self.directory), ["site.cfg"])

    def test_read_only_database(self) -> None:
        """
        A database the user may read but not write is named with its mode
        and owner.
        """
        self.make_database(0o444)
        self.chmod(self.directory, 0o755)
        self.give_away(self.directory)
        result = self.run_daemon()
        self.assertStopped(
            result,
            f"isso-tx: {self.config}: [general] dbpath: {self.database} is not "
            f"writable by user {self.user.pw_name} (mode 0444, owner {self.owner})",
        )
        self.assertEqual(os.path.getsize(self.database), 0)

    def test_unreadable_database(self) -> None:
        """
        A database the user may not read is named with its mode and owner.
        """
        self.make_database(0o000)
        self.chmod(self.directory, 0o755)
        self.give_away(self.directory)
        result = self.run_daemon()
        self.assertStopped(
            result,
            f"isso-tx: {self.config}: [general] dbpath: {self.database} is not "
            f"readable by user {self.user.pw_name} (mode 0000, owner {self.owner})",
        )

    def test_folder_not_writable_for_wal(self) -> None:
        """
        A writable database in a folder the user may not write is refused,
        naming the folder and SQLite's -wal and -shm files.
        """
        self.make_database(0o644)
        self.give_away(self.database)
        result = self.run_daemon()
        self.assertStopped(
            result,
            f"isso-tx: {self.config}: [general] dbpath: {self.database}: "
            f"{self.directory} is not writable by user {self.user.pw_name} "
            f"(mode 0555, owner {self.owner}), and SQLite needs to create its "
            "-wal and -shm files there",
        )
        self.assertEqual(os.path.getsize(self.database), 0)

    def test_folder_cannot_be_entered(self) -> None:
        """
        A database below a folder the user may not enter names that folder
        rather than calling the database's folder missing.
        """
        locked = os.path.join(self.directory, "locked")
        os.chmod(self.directory, 0o755)
        os.makedirs(os.path.join(locked, "data"))
        # Readable but not searchable, by its owner too.
        self.chmod(locked, 0o600)
        self.config = self.site_config(
            f"[general]\ndbpath = locked/data/comments.db\nhost = {HOST}\n"
            "[server]\nlisten = tcp:0:interface=127.0.0.1\n"
        )
        result = self.run_daemon()
        self.assertStopped(
            result,
            f"isso-tx: {self.config}: [general] dbpath: {locked}/data/comments.db: "
            f"{locked} is not searchable by user {self.user.pw_name} "
            f"(mode 0600, owner {self.owner})",
        )
