"""
Opening a site's existing database from the command line.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

from ..db import DatabaseError, table_names
from ..dialect import is_postgres_uri, masked_uri, without_password
from ..importers import connect
from .common import CommandError


def open_existing(path: str, *, readonly: bool) -> sqlite3.Connection:
    """
    Open the site's database, which must exist.

    @raise CommandError: it does not, or cannot be opened.
    """
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such database")
    try:
        conn = connect(path, readonly=readonly)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise CommandError(f"{path}: cannot open the database: {e}") from None
    return conn


def outbox_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """
    Count the messages of the outbox that wait to be sent, and those given
    up (kept with their last error); zeros when the table is not there yet.
    """
    if "isso_tx_outbox" not in table_names(conn):
        return 0, 0
    return conn.execute(
        "SELECT COUNT(*) - COUNT(failed), COUNT(failed) FROM isso_tx_outbox"
    ).fetchone()


def counts(conn: Any) -> tuple[int, int]:
    """
    Count the threads and the comments of an Isso database.
    """
    return conn.execute(
        "SELECT (SELECT count(*) FROM threads), (SELECT count(*) FROM comments)"
    ).fetchone()


def require_postgres_schema(uri: str) -> None:
    """
    @raise CommandError: the database at C{uri} has no isso-tx schema yet
        (as a missing file would be), or cannot be reached.
    """
    from ..pg import postgres_schema_version

    try:
        version = postgres_schema_version(uri)
    except DatabaseError as e:
        raise CommandError(str(e)) from None
    if version == 0:
        raise CommandError(
            f"{masked_uri(uri)}: no isso-tx database there yet (the daemon, "
            "copy-db or import creates it)"
        )


def postgres_failure(uri: str, error: Exception, doing: str = "") -> CommandError:
    """
    Say in one line, without the password, that PostgreSQL refused what
    the command did.
    """
    lines = without_password(str(error).strip(), uri).splitlines()
    return CommandError(
        f"{masked_uri(uri)}: {doing}{lines[0] if lines else type(error).__name__}"
    )


class _BufferedCursor:
    """
    A server-side cursor read a batch at a time, whether by iteration or
    by C{fetchone} (which would otherwise ask the server for each row).
    """

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._rows: collections.deque[Any] = collections.deque()

    def execute(self, sql: str, params: Any = None) -> _BufferedCursor:
        self._cursor.execute(sql, params)
        return self

    def fetchone(self) -> Any:
        if not self._rows:
            self._rows.extend(self._cursor.fetchmany(1000))
        return self._rows.popleft() if self._rows else None

    def __iter__(self) -> Iterator[Any]:
        while (row := self.fetchone()) is not None:
            yield row


class _PostgresSnapshot:
    """
    A PostgreSQL connection in a read-only, repeatable-read transaction,
    with the C{execute} and C{cursor} of a C{sqlite3} connection.
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._names = itertools.count(1)

    def execute(self, sql: str) -> Any:
        return self._conn.execute(sql)

    def cursor(self) -> _BufferedCursor:
        return _BufferedCursor(self._conn.cursor(name=f"isso_tx_{next(self._names)}"))


@contextlib.contextmanager
def snapshot(dbpath: str) -> Iterator[Any]:
    """
    Read the site's database at C{dbpath} (a file or a PostgreSQL URI) in
    one read-only transaction: a consistent state, even while daemons write.

    @raise CommandError: it cannot be opened or read; the message names a
        URI without its password.
    """
    if not is_postgres_uri(dbpath):
        conn = open_existing(dbpath, readonly=True)
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise CommandError(f"{dbpath}: {e}") from None
        finally:
            conn.close()
        return
    import psycopg

    from ..pg import connect_tool

    require_postgres_schema(dbpath)
    try:
        pg = connect_tool(dbpath)
    except DatabaseError as e:
        raise CommandError(str(e)) from None
    try:
        pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        yield _PostgresSnapshot(pg)
    except psycopg.Error as e:
        raise postgres_failure(dbpath, e) from None
    finally:
        with contextlib.suppress(psycopg.Error):
            pg.rollback()
        pg.close()
