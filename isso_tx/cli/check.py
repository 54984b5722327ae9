"""
C{isso-tx check}: say what the daemon would serve where, and fail on what
would stop it from starting (for C{ExecStartPre=} or CI).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sqlite3
import sys

from twisted.internet import endpoints
from twisted.internet.abstract import isIPv6Address
from twisted.internet.protocol import Factory
from twisted.internet.testing import MemoryReactor
from twisted.python.lockfile import FilesystemLock

from ..config import ConfigError, SiteConfig, check_sites, load_site_config
from ..db import (
    ISSO_TABLES,
    SCHEMA_VERSION,
    DatabaseError,
    check_schema_version,
    table_names,
    user_version,
)
from ..importers import connect
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    Command,
    argument,
    plural,
    site_config_paths,
)
from .database import counts


def run_check(args: argparse.Namespace) -> int:
    """
    Load each configuration, describe each site, try each listening
    address; exit 1 on a problem (and, with --strict, on a warning).
    """
    paths = site_config_paths(args)
    problems: list[str] = []
    configs: list[SiteConfig] = []
    for path in paths:
        try:
            configs.append(load_site_config(path))
        except ConfigError as e:
            problems.append(str(e))
    several = len(paths) > 1
    if several and len(configs) == len(paths):
        try:
            check_sites(configs)
        except ConfigError as e:
            problems.append(str(e))

    warnings: list[str] = []
    for config in configs:
        database, database_problems = describe_database(config.general.dbpath)
        problems += database_problems
        name = config.general.name
        print(f"{config.path}: site {name!r}" if name else f"{config.path}:")
        if not several:
            mount = "/"
        else:
            mount = f"/{name}/" if name else "(nowhere: a name is needed)"
        print(f"  served at  {mount}")
        print(f"  database   {database}")
        print(f"  websites   {', '.join(config.general.hosts)}")
        print(f"  listen     {', '.join(config.server.listen)}")
        for warning in config.warnings:
            print(f"  warning    {warning}")
        warnings += config.warnings
    if several and configs:
        from ..tap import Options, listen_addresses

        # As twistd isso would, given no --listen.
        print(f"listening on {', '.join(listen_addresses(Options(), configs))}")
    problems += _listen_problems(configs)
    if args.strict:
        problems += warnings
    for problem in problems:
        print(f"isso-tx: check: {problem}", file=sys.stderr)
    if problems:
        return EXIT_FAILURE
    line = f"ok: {plural(len(configs), 'site')}"
    if warnings:
        line += f", {plural(len(warnings), 'warning')} (--strict fails on them)"
    print(line)
    return EXIT_OK


def _listen_problems(configs: list[SiteConfig]) -> list[str]:
    """
    Try to listen on every address the sites name, once each, as the daemon
    would; say, naming the file, which ones it could not.
    """
    problems = []
    tried: set[str] = set()
    for config in configs:
        for description in config.server.listen:
            if description in tried:
                continue
            tried.add(description)
            reason = listen_problem(description)
            if reason is not None:
                problems.append(
                    f"{config.path}: [server] listen: cannot listen on "
                    f"{description}: {reason}"
                )
    return problems


def listen_problem(description: str) -> str | None:
    """
    Bind the TCP or unix socket address of the endpoint C{description} as
    the daemon would, and release it at once; return why that failed, or
    None.  Other kinds of endpoint (systemd:, ssl:...) are not tried.
    """
    if description.partition(":")[0] not in ("tcp", "tcp6", "unix"):
        return None
    # Twisted's own reading of the endpoint, recorded instead of listened.
    recorder = MemoryReactor()
    try:
        endpoints.serverFromString(recorder, description).listen(Factory())
    except (ValueError, TypeError, KeyError) as e:
        return f"not an endpoint Twisted reads: {e}"
    if recorder.tcpServers:
        port, _factory, _backlog, interface = recorder.tcpServers[0]
        family = socket.AF_INET6 if isIPv6Address(interface) else socket.AF_INET
        return _bind_problem(family, (interface, port))
    path, _factory, _backlog, _mode, want_pid = recorder.unixServers[0]
    if not want_pid:
        return _bind_problem(socket.AF_UNIX, path)
    # The daemon holds a lock beside its socket, and replaces a socket left
    # by a process that died holding the lock.
    lock = FilesystemLock(path + ".lock")
    try:
        if not lock.lock():
            return f"{path}.lock is held by a running process"
    except OSError as e:
        return f"{path}.lock: {e.strerror}"
    try:
        if not lock.clean and os.path.exists(path):
            return None
        return _bind_problem(socket.AF_UNIX, path)
    finally:
        lock.unlock()


def _bind_problem(family: socket.AddressFamily, address: object) -> str | None:
    """
    Bind and listen on C{address}, then close the socket (removing the file
    of a unix socket that was bound); return why that failed, or None.
    """
    bound = False
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            if family != socket.AF_UNIX:
                # As Twisted does: a port whose last connections are still
                # closing can be listened on again.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(address)
            bound = True
            s.listen(1)
    except OSError as e:
        return e.strerror or str(e)
    finally:
        if bound and family == socket.AF_UNIX:
            with contextlib.suppress(OSError):
                os.unlink(address)  # type: ignore[arg-type]
    return None


def describe_database(path: str) -> tuple[str, list[str]]:
    """
    Return a description of the database at C{path} and its problems,
    opening it read-only and changing nothing.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return path, [f"{path}: directory {directory} does not exist"]
    problems = []
    if not os.access(directory, os.W_OK):
        problems.append(
            f"{path}: directory {directory} is not writable (SQLite needs it "
            "for its -wal and -shm files)"
        )
    if not os.path.exists(path):
        return f"{path} (does not exist yet; will be created)", problems
    if not os.access(path, os.W_OK):
        problems.append(f"{path}: not writable")
    try:
        conn = connect(path, readonly=True)
    except sqlite3.Error as e:
        return path, problems + [f"{path}: cannot open: {e}"]
    try:
        version = user_version(conn)
        tables = table_names(conn)
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
        try:
            check_schema_version(path, version)
        except DatabaseError as e:
            return f"{path} (schema version {version})", problems + [str(e)]
        if not tables & ISSO_TABLES:
            return f"{path} (empty; will be set up)", problems
        if not {"threads", "comments"} <= tables:
            problems.append(f"{path}: an Isso database but tables are missing")
            return path, problems
        threads, comments = counts(conn)
    except sqlite3.Error as e:
        return path, problems + [f"{path}: {e}"]
    finally:
        conn.close()
    upgrade = (
        f", will be upgraded from schema version {version} (a copy is kept)"
        if version < SCHEMA_VERSION
        else ""
    )
    return (
        f"{path} (schema version {version}{upgrade}, {journal} journal, "
        f"{plural(threads, 'thread')}, {plural(comments, 'comment')})"
    ), problems


CHECK = Command(
    "check",
    "check the configuration(s) and say what would be served where",
    "Load each configuration (-c is repeatable), open each "
    "database read-only without creating or upgrading it, try to listen on "
    "each address (releasing it at once), and print what the daemon would "
    "serve where. Exits with status 1 on a problem that would stop the "
    "daemon, for use in ExecStartPre= or CI; warnings (unknown sections and "
    "options) are printed, and fail only with --strict.",
    run_check,
    (
        argument(
            "--strict",
            action="store_true",
            help="fail on warnings too (unknown sections and options, "
            "deprecated settings)",
        ),
    ),
)
