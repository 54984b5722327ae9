"""
C{isso-tx copy-db FROM TO}: move a site's database between SQLite and
PostgreSQL (or between two of either), row for row.

Each side is a SQLite file or a C{postgresql://} (C{postgres://}) URI.  The
target's schema is made by the code the daemon starts with
(L{isso_tx.db.prepare_database}, L{isso_tx.pg.prepare_postgres}), so a
SQLite target is a file Isso 0.14 opens as its own: Isso's three tables,
C{PRAGMA user_version} 5, and our C{isso_tx_*} tables beside them, which
Isso never reads.  The rows are then copied in one transaction on the
target, which therefore holds either all of them or what it held before.
The source is read in one transaction too: a snapshot.

L{copy_database} is also what C{backup} and C{import} use on a site whose
database is on PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..db import (
    SCHEMA_VERSION,
    DatabaseError,
    prepare_database,
    table_names,
    user_version,
)
from ..dialect import is_postgres_uri, masked_uri, without_password
from ..importers import connect
from ..validation import wants_notifications
from .common import (
    EXIT_OK,
    Command,
    CommandError,
    UsageError,
    argument,
    replacing,
)


@dataclass(frozen=True)
class Table:
    """
    A table that moves with the site: its columns (the same on both
    engines) and whether PostgreSQL numbers its rows with an identity
    sequence, which is moved past the highest id copied.
    """

    name: str
    columns: tuple[str, ...]
    identity: bool = False

    @property
    def order(self) -> str:
        return self.columns[0] if "id" not in self.columns else "id"


# Every table of either schema is listed here or in NOT_COPIED (a test
# checks it, so that a new table is not forgotten).
COPIED = (
    # Isso's, all of them: the signing key (session-key) is in preferences,
    # so cookies, moderation and unsubscribe links keep working.
    Table("preferences", ("key", "value")),
    Table("threads", ("id", "uri", "title"), identity=True),
    # Votes are the likes, dislikes and the voters filter of each comment.
    Table(
        "comments",
        (
            "tid", "id", "parent", "created", "modified", "mode", "remote_addr",
            "text", "author", "email", "website", "likes", "dislikes", "voters",
            "notification",
        ),
        identity=True,
    ),
    # The rendered HTML: it could be made again, but a big site would then
    # render every comment on its first requests; its digest depends only
    # on the text and the [markup] settings, not on the engine.
    Table("isso_tx_rendered", ("id", "source", "html")),
    # Mails and webhooks not yet delivered, and those given up with their
    # error: a move must not lose a notification.  Claims are copied as
    # they are: a claim of a daemon of the old database expires by its
    # lease, and a daemon of the new one takes the row over.
    Table(
        "isso_tx_outbox",
        (
            "id", "kind", "address", "description", "body", "created",
            "not_before", "attempts", "claimed_by", "claimed_until", "failed",
            "last_error",
        ),
        identity=True,
    ),
    # Admin sessions signed out: the signing key moves, so without these a
    # revoked cookie would be accepted again on the new database.
    Table("isso_tx_admin_revoked", ("sid", "expires")),
    # The admin login throttle: small, and it keeps a guesser slowed down
    # across the move.
    Table("isso_tx_login_failures", ("network", "at")),
    # The owner's spam rules, with their match counts: a move must not let
    # a banned writer back in.
    Table(
        "isso_tx_rules",
        (
            "id", "kind", "value", "action", "note", "created", "matches",
            "last_match",
        ),
        identity=True,
    ),
)

NOT_COPIED = {
    # A log of which threads changed, for the caches of the daemons of one
    # database; its numbers mean nothing elsewhere, and the target's own
    # triggers note every thread the copy writes.
    "isso_tx_changes": "rebuilt by the target's triggers",
    # The target's schema version is the one its schema code wrote.
    "isso_tx_schema": "the target keeps its own schema version",
}

TABLES = {table.name: table for table in COPIED}

# Rows read and written at a time.
_BATCH = 500


@dataclass
class Copied:
    """
    What a copy did: the rows of each table, in L{COPIED}'s order.
    """

    source: str
    target: str
    rows: dict[str, int]


def _is_sqlite_target(where: str) -> bool:
    return not is_postgres_uri(where)


def shown(where: str) -> str:
    """
    Name a side in a message: a path as it is, a URI without its password.
    """
    return masked_uri(where) if is_postgres_uri(where) else where


# -- reading ------------------------------------------------------------


class _Source:
    """
    A database read in one transaction: which of our tables it has, and
    their rows in batches.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.postgres = is_postgres_uri(where)
        if self.postgres:
            self.conn: Any = _pg_connect(where)
            self.conn.isolation_level = _pg().IsolationLevel.REPEATABLE_READ
            self.conn.read_only = True
            version = _pg_schema_version(self.conn)
            if version == 0:
                self.close()
                raise CommandError(f"{shown(where)}: no isso-tx database there")
            self.tables = _pg_tables(self.conn)
        else:
            from .database import open_existing

            self.conn = open_existing(where, readonly=True)
            try:
                self.conn.execute("BEGIN")
                self.tables = table_names(self.conn)
                version = user_version(self.conn)
            except sqlite3.Error as e:
                self.close()
                raise CommandError(f"{where}: {e}") from None
            if not {"threads", "comments", "preferences"} <= self.tables:
                self.close()
                raise CommandError(f"{where}: not an Isso database")
            if version != SCHEMA_VERSION:
                self.close()
                raise CommandError(
                    f"{where}: schema version {version}; copy-db reads version "
                    f"{SCHEMA_VERSION}: start isso-tx (or Isso 0.14) on it once to "
                    "upgrade it"
                )

    def rows(self, table: Table) -> Iterator[list[tuple[Any, ...]]]:
        sql = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order}"
        if self.postgres:
            # A server-side cursor: the rows come as they are read.
            cursor = self.conn.cursor(name=f"isso_tx_copy_{table.name}")
        else:
            cursor = self.conn.cursor()
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(_BATCH):
                yield [tuple(row) for row in batch]
        finally:
            cursor.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.rollback() if self.postgres else self.conn.execute("ROLLBACK")
        with contextlib.suppress(Exception):
            self.conn.close()


# -- PostgreSQL ---------------------------------------------------------


def _pg() -> Any:
    # The driver is imported only when a PostgreSQL database is named.
    import psycopg

    return psycopg


def _pg_connect(uri: str) -> Any:
    from ..pg import connect_tool

    try:
        return connect_tool(uri)
    except DatabaseError as e:
        raise CommandError(str(e)) from None


def _pg_schema_version(conn: Any) -> int:
    row = conn.execute("SELECT to_regclass('isso_tx_schema') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM isso_tx_schema").fetchone()
    return int(row[0] or 0)


def _pg_tables(conn: Any) -> set[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    return {name for (name,) in rows}


# -- writing ------------------------------------------------------------


def _to_postgres(table: Table) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """
    Return what makes a row of a SQLite file fit PostgreSQL's columns, or
    None when it fits as it is.  SQLite keeps whatever a program stored;
    Isso's own rows hold what the columns say, except two columns of
    comments.
    """
    if table.name != "comments":
        return None
    voters = table.columns.index("voters")
    notification = table.columns.index("notification")

    def fit(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        if isinstance(values[voters], str):
            # Very old files may keep the filter as text.
            values[voters] = values[voters].encode("utf-8")
        flag = values[notification]
        if flag is not None and not isinstance(flag, int):
            # Isso stores the flag the client sent, text included; the
            # daemon reads any of them this way.
            values[notification] = int(wants_notifications(flag))
        return tuple(values)

    return fit


class _Target:
    """
    The database written, in one transaction: L{begin}, L{clear} (with
    --force), L{write} each table, L{commit}.
    """

    def __init__(self, where: str, conn: Any) -> None:
        self.where = where
        self.postgres = is_postgres_uri(where)
        self.conn = conn
        self.tables = _pg_tables(conn) if self.postgres else table_names(conn)

    def execute(self, sql: str) -> Any:
        return self.conn.execute(sql)

    def begin(self) -> None:
        if not self.postgres:
            self.conn.execute("BEGIN IMMEDIATE")

    def occupied(self) -> list[str]:
        """
        Name the tables to be copied that already hold rows (Isso's
        preferences, which hold the new database's own session key, do
        not count).
        """
        return [
            table.name
            for table in COPIED
            if table.name != "preferences"
            and table.name in self.tables
            and self.execute(f"SELECT EXISTS (SELECT 1 FROM {table.name})").fetchone()[0]
        ]

    def clear(self, tables: Sequence[Table]) -> None:
        """
        Delete the rows of C{tables}.
        """
        names = [table.name for table in tables]
        if "threads" in names:
            # Threads first: on SQLite, Isso's trigger that removes a
            # thread with its last comment then finds none to look through.
            names.remove("threads")
            names.insert(0, "threads")
        for name in names:
            if name in self.tables:
                self.execute(f"DELETE FROM {name}")

    def write(self, table: Table, batches: Iterator[list[tuple[Any, ...]]]) -> int:
        marks = ", ".join("?" for _ in table.columns)
        sql = f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})"
        fit = _to_postgres(table) if self.postgres else None
        if self.postgres:
            from ..dialect import translate_placeholders

            sql = translate_placeholders(sql)
        cursor = self.conn.cursor()
        count = 0
        try:
            for batch in batches:
                if fit is not None:
                    batch = [fit(row) for row in batch]
                cursor.executemany(sql, batch)
                count += len(batch)
        finally:
            cursor.close()
        if self.postgres and table.identity:
            # New rows continue after the highest id copied, as SQLite's
            # would.
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce(max(id), 0) + 1, false) FROM {table.name}"
            )
        return count

    def commit(self) -> None:
        if self.postgres:
            self.conn.commit()
        else:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.rollback() if self.postgres else self.conn.execute("ROLLBACK")


def _sqlite_rows(where: str) -> list[str]:
    """
    Name the tables of the SQLite file at C{where} that would be replaced
    (see L{_Target.occupied}), reading it without changing it.
    """
    from .database import open_existing

    conn = open_existing(where, readonly=True)
    try:
        target = _Target(where, conn)
        return target.occupied()
    except sqlite3.Error as e:
        raise CommandError(f"{where}: {e}") from None
    finally:
        conn.close()


def _postgres_rows(uri: str) -> list[str]:
    """
    As L{_sqlite_rows}, for the PostgreSQL database at C{uri}.
    """
    conn = _pg_connect(uri)
    try:
        if _pg_schema_version(conn) == 0:
            return []
        return _Target(uri, conn).occupied()
    finally:
        conn.close()


def copy_database(
    source: str,
    target: str,
    *,
    force: bool = False,
    tables: Sequence[Table] = COPIED,
) -> Copied:
    """
    Copy the tables of C{source} into C{target} (each a SQLite path or a
    PostgreSQL URI) in one transaction on C{target}, creating its schema
    first if it has none, and return how many rows each table had.

    A SQLite target that does not exist is written in a new file beside it,
    which takes its name once complete.

    @param force: replace what C{target} holds; without it, a target with
        rows (other than its session key) is refused.
    @raise CommandError: either side cannot be used, or the copy failed;
        the target is then as it was.
    """
    if source == target or (
        not is_postgres_uri(source)
        and not is_postgres_uri(target)
        and os.path.exists(target)
        and os.path.exists(source)
        and os.path.samefile(source, target)
    ):
        raise UsageError("FROM and TO are the same database")
    if _is_sqlite_target(target) and os.path.isdir(target):
        raise CommandError(f"{target}: is a directory; give a file name")

    try:
        reader = _Source(source)
        try:
            if _is_sqlite_target(target) and not os.path.exists(target):
                with replacing(target, ".isso-tx-copy-", ".db") as temporary:
                    _permissions_of_new_file(temporary)
                    try:
                        rows = _copy_into_sqlite(reader, temporary, target, force, tables)
                    except BaseException:
                        for suffix in ("-wal", "-shm", "-journal"):
                            with contextlib.suppress(OSError):
                                os.unlink(temporary + suffix)
                        raise
            elif _is_sqlite_target(target):
                rows = _copy_into_sqlite(reader, target, target, force, tables)
            else:
                rows = _copy_into_postgres(reader, target, force, tables)
        finally:
            reader.close()
    except CommandError:
        raise
    except Exception as e:
        if not isinstance(e, sqlite3.Error) and not _is_driver_error(e):
            raise
        lines = str(e).strip().splitlines()
        message = lines[0] if lines else type(e).__name__
        for where in (source, target):
            if is_postgres_uri(where):
                message = without_password(message, where)
        raise CommandError(
            f"copying {shown(source)} to {shown(target)} failed: {message}; "
            f"{shown(target)} was not changed"
        ) from None
    return Copied(shown(source), shown(target), rows)


def _is_driver_error(error: Exception) -> bool:
    # psycopg's errors, without importing it for a copy between two files.
    return type(error).__module__.split(".")[0] == "psycopg"


def _permissions_of_new_file(path: str) -> None:
    # mkstemp makes files only their owner can read; a new database gets
    # the mode SQLite would have given it.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _refuse_occupied(where: str, occupied: list[str]) -> None:
    if occupied:
        raise CommandError(
            f"{shown(where)} is not empty ({', '.join(occupied)} hold rows); "
            "--force replaces what it holds"
        )


def _copy_into_sqlite(
    reader: _Source,
    path: str,
    target: str,
    force: bool,
    tables: Sequence[Table],
) -> dict[str, int]:
    new = os.path.getsize(path) == 0
    if not new and not force:
        _refuse_occupied(target, _sqlite_rows(path))
    try:
        prepare_database(path)
    except DatabaseError as e:
        raise CommandError(str(e)) from None
    try:
        conn = connect(path)
    except sqlite3.Error as e:
        raise CommandError(f"{target}: {e}") from None
    try:
        rows = _copy(reader, _Target(target, conn), force, tables)
        if new:
            # One self-contained file (the daemon turns WAL on again).
            conn.execute("PRAGMA journal_mode = DELETE")
        return rows
    finally:
        conn.close()


def _copy_into_postgres(
    reader: _Source,
    uri: str,
    force: bool,
    tables: Sequence[Table],
) -> dict[str, int]:
    from ..pg import prepare_postgres

    if not force:
        _refuse_occupied(uri, _postgres_rows(uri))
    try:
        prepare_postgres(uri)
    except DatabaseError as e:
        raise CommandError(str(e)) from None
    conn = _pg_connect(uri)
    try:
        return _copy(reader, _Target(uri, conn), force, tables)
    finally:
        conn.close()


def _copy(
    reader: _Source,
    target: _Target,
    force: bool,
    tables: Sequence[Table],
) -> dict[str, int]:
    """
    Copy C{tables} from C{reader} into C{target} in one transaction.
    """
    target.begin()
    try:
        if not force:
            # Again, inside the transaction: something may have written
            # since the first look.
            _refuse_occupied(target.where, target.occupied())
        target.clear(tables)
        rows: dict[str, int] = {}
        for table in tables:
            if table.name not in reader.tables:
                # A file that Isso alone has used has none of ours.
                rows[table.name] = 0
                continue
            rows[table.name] = target.write(table, reader.rows(table))
        target.commit()
    except BaseException:
        target.rollback()
        raise
    return rows


# -- the command --------------------------------------------------------


def run_copy_db(args: argparse.Namespace) -> int:
    """
    Copy FROM into TO and print how many rows each table had.
    """
    if getattr(args, "configs", None):
        raise UsageError(
            "copy-db takes the two databases, not -c: give the [general] dbpath "
            "of each site"
        )
    copied = copy_database(args.source, args.target, force=args.force)
    print(f"copied {copied.source} to {copied.target}, in one transaction:")
    width = max(len(name) for name in copied.rows)
    for name, count in copied.rows.items():
        print(f"  {name:<{width}}  {count}")
    for name, why in NOT_COPIED.items():
        print(f"  {name:<{width}}  not copied: {why}")
    return EXIT_OK


COPY_DB = Command(
    "copy-db",
    "copy a site's database to another, e.g. from SQLite to PostgreSQL",
    "Copy every thread, comment (with its votes and rendered HTML), the "
    "signing key, and isso-tx's mails waiting to be sent, from FROM into TO, "
    "keeping ids. Each is a SQLite file or a postgresql:// (postgres://) "
    "URI; a URI's password is better kept in ~/.pgpass or PGPASSWORD than "
    "on the command line, where other users can see it. TO's schema is "
    "created as the daemon would; a SQLite TO is a file Isso 0.14 can serve. "
    "Everything is written in one transaction: TO gets all of it or keeps "
    "what it had. TO must be empty unless --force is given. FROM is read as "
    "one snapshot: while daemons still write to FROM, what they write after "
    "the snapshot is not in TO, so stop them first (or accept a copy as of "
    "the moment it started). Daemons already serving TO show the copied "
    "comments at once but sign with the key they started with: restart them.",
    run_copy_db,
    (
        argument("source", metavar="FROM", help="the database to read"),
        argument("target", metavar="TO", help="the database to write"),
        argument(
            "-f",
            "--force",
            action="store_true",
            help="replace what TO holds (in the same transaction)",
        ),
    ),
    of_a_site=False,
)
