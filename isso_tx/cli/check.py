"""
C{isso-tx check}: say what the daemon would serve where, and fail on what
would stop it from starting (for C{ExecStartPre=} or CI).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys

from ..config import ConfigError, SiteConfig, check_sites, load_site_config
from ..db import (
    ISSO_TABLES,
    SCHEMA_VERSION,
    DatabaseError,
    access_problem,
    check_schema_version,
    table_names,
    user_version,
)
from ..dialect import is_postgres_uri, masked_uri, without_password
from ..importers import connect
from ..listening import listen_problems
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    Command,
    argument,
    plural,
    site_config_paths,
)
from .database import counts, outbox_counts


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
        if config.server.metrics_listen:
            print(f"  metrics    {', '.join(config.server.metrics_listen)}")
        for warning in config.warnings:
            print(f"  warning    {warning}")
        warnings += config.warnings
    if several and configs:
        from ..tap import Options, listen_addresses

        # As twistd isso would, given no --listen.
        print(f"listening on {', '.join(listen_addresses(Options(), configs))}")
    problems += listen_problems(
        [
            (f"{config.path}: [server] listen", description)
            for config in configs
            for description in config.server.listen
        ]
        + [
            (f"{config.path}: [server] metrics-listen", description)
            for config in configs
            for description in config.server.metrics_listen
        ]
    )
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


def describe_postgres(uri: str) -> tuple[str, list[str]]:
    """
    Return a description of the PostgreSQL database at C{uri} (without its
    password) and its problems: its isso-tx schema version.
    """
    from ..pg import PG_SCHEMA_VERSION, postgres_schema_version

    shown = masked_uri(uri)
    try:
        version = postgres_schema_version(uri)
    except DatabaseError as e:
        return f"{shown} (PostgreSQL)", [str(e)]
    if version == 0:
        return f"{shown} (PostgreSQL, empty; will be set up)", []
    if version > PG_SCHEMA_VERSION:
        newer = (
            f"{shown}: schema version {version} was written by a newer release "
            f"of isso-tx; this one understands up to version {PG_SCHEMA_VERSION}"
        )
        return f"{shown} (PostgreSQL, schema version {version})", [newer]
    try:
        threads, comments, waiting, given_up = _postgres_counts(uri)
    except DatabaseError as e:
        return f"{shown} (PostgreSQL, schema version {version})", [str(e)]
    return (
        f"{shown} (PostgreSQL, schema version {version}, "
        f"{plural(threads, 'thread')}, {plural(comments, 'comment')}"
        f"{_mail(waiting, given_up)})"
    ), []


def _postgres_counts(uri: str) -> tuple[int, int, int, int]:
    """
    Count the threads and comments of the database at C{uri}, and its mails
    waiting and given up.

    @raise DatabaseError: it cannot be read.
    """
    import psycopg

    from ..pg import connect_tool

    conn = connect_tool(uri)
    try:
        conn.read_only = True
        row = conn.execute(
            "SELECT (SELECT count(*) FROM threads), (SELECT count(*) FROM comments), "
            "(SELECT count(*) - count(failed) FROM isso_tx_outbox), "
            "(SELECT count(failed) FROM isso_tx_outbox)"
        ).fetchone()
    except psycopg.Error as e:
        raise DatabaseError(
            f"{masked_uri(uri)}: {without_password(str(e).strip(), uri).splitlines()[0]}"
        ) from None
    finally:
        conn.close()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def _mail(waiting: int, given_up: int) -> str:
    mail = ""
    if waiting:
        mail += f", {plural(waiting, 'mail')} waiting to be sent"
    if given_up:
        mail += f", {plural(given_up, 'mail')} given up (see isso_tx_outbox)"
    return mail


def describe_database(path: str) -> tuple[str, list[str]]:
    """
    Return a description of the database at C{path} and its problems,
    opening it read-only and changing nothing.
    """
    if is_postgres_uri(path):
        return describe_postgres(path)
    problem = access_problem(path)
    if problem is not None and not os.path.exists(path):
        return path, [problem]
    problems = [problem] if problem is not None else []
    if not os.path.exists(path):
        return f"{path} (does not exist yet; will be created)", problems
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
        waiting, given_up = outbox_counts(conn)
    except sqlite3.Error as e:
        return path, problems + [f"{path}: {e}"]
    finally:
        conn.close()
    upgrade = (
        f", will be upgraded from schema version {version} (a copy is kept)"
        if version < SCHEMA_VERSION
        else ""
    )
    mail = _mail(waiting, given_up)
    return (
        f"{path} (schema version {version}{upgrade}, {journal} journal, "
        f"{plural(threads, 'thread')}, {plural(comments, 'comment')}{mail})"
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
