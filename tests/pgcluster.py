"""
A throw-away PostgreSQL server for the tests that use one.

The first test that asks for a database starts a cluster of its own in a
short directory under /tmp (initdb as an unprivileged user: as root, the
C{postgres} user Debian's package creates), listening on a unix socket
only; it is stopped and removed when the test process exits.  Each test
gets a fresh database in it (L{fresh_database}).
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile

SETUP_HINT = (
    "PostgreSQL is not installed: run `make test-deps` (it installs Debian's "
    "postgresql package) to run the PostgreSQL tests"
)

# The cluster's superuser, which the tests connect as.
USER = "isso_test"

# The server's settings for tests: nothing waits for the disk.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ClusterUnavailable(Exception):
    """
    No PostgreSQL server can be started for the tests; the message says why.
    """


def _binaries() -> str | None:
    """
    Return the folder of PostgreSQL's server programs, or None.
    """
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(versions[-1]) if versions else None


def installed() -> bool:
    """
    Whether PostgreSQL's server programs are installed.
    """
    return _binaries() is not None


class Cluster:
    """
    A running PostgreSQL server in a temporary folder.

    @param settings: the server's options besides where it listens
        (bench/scale_bench.py asks for a server that keeps its files safe).
    """

    def __init__(self, settings: str = FAST) -> None:
        self._settings = settings
        bindir = _binaries()
        if bindir is None:
            raise ClusterUnavailable(SETUP_HINT)
        self._bindir = bindir
        # Short: the socket's path must fit in 108 bytes.
        self.directory = tempfile.mkdtemp(prefix="pg", dir="/tmp")
        self._as: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root.
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable(
                    "running as root and there is no postgres user to run "
                    "the test cluster as: " + SETUP_HINT
                ) from None
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._data = os.path.join(self.directory, "data")
        self._names = itertools.count(1)
        atexit.register(self.remove)
        self._run(
            "initdb", "-D", self._data, "-U", USER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )
        self._run(
            "pg_ctl", "-D", self._data, "-o", self._options(), "-w",
            "-l", os.path.join(self.directory, "log"), "start",
        )

    def _options(self) -> str:
        return f"-c listen_addresses='' -k {self.directory} {self._settings}"

    def _run(self, program: str, *args: str) -> None:
        try:
            subprocess.run(
                [*self._as, os.path.join(self._bindir, program), *args],
                check=True, capture_output=True, text=True,
            )
        except subprocess.CalledProcessError as e:
            raise ClusterUnavailable(
                f"{program} failed ({e.returncode}): {e.stderr.strip()}"
            ) from None

    def uri(self, database: str) -> str:
        """
        Return the URI of one database of the cluster.
        """
        return f"postgresql://{USER}@/{database}?host={self.directory}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.uri("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        """
        Create an empty database and return its name.
        """
        name = f"t{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def server_pid(self) -> int:
        """
        Return the process id of the server's main process (its other
        processes are its children).
        """
        with open(os.path.join(self._data, "postmaster.pid")) as f:
            return int(f.readline())

    def drop_database(self, name: str) -> None:
        """
        Remove a database, closing whatever is still connected to it.
        """
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """
        Stop the server (it can be started again with L{start}).
        """
        self._run("pg_ctl", "-D", self._data, "-m", "fast", "-w", "stop")

    def start(self) -> None:
        """
        Start the stopped server again, on the same socket.
        """
        self._run(
            "pg_ctl", "-D", self._data, "-o", self._options(), "-w",
            "-l", os.path.join(self.directory, "log"), "start",
        )

    def remove(self) -> None:
        """
        Stop the server and delete its files.
        """
        if not os.path.isdir(self.directory):
            return
        try:
            self._run("pg_ctl", "-D", self._data, "-m", "immediate", "-w", "stop")
        except ClusterUnavailable:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


_cluster: Cluster | None = None
_failure: ClusterUnavailable | None = None


def cluster() -> Cluster:
    """
    Return this process's cluster, started on first use.

    @raise ClusterUnavailable: PostgreSQL is missing or would not start
        (raised again, without retrying, to every later caller).
    """
    global _cluster, _failure
    if _failure is not None:
        raise _failure
    if _cluster is None:
        try:
            _cluster = Cluster()
        except ClusterUnavailable as e:
            _failure = e
            raise
    return _cluster


def fresh_database(test: object) -> str:
    """
    Create an empty database for one test, dropped when the test ends, and
    return its URI.  C{test} is a trial test case.
    """
    server = cluster()
    name = server.create_database()
    test.addCleanup(server.drop_database, name)  # type: ignore[attr-defined]
    return server.uri(name)
