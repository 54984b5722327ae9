"""
PostgreSQL: isso-tx's schema on a server, its versions, and the pool.

A site whose C{[general] dbpath} is a C{postgresql://} URI keeps its
comments there.  L{prepare_postgres} runs once before the reactor starts:
it creates or upgrades the schema (versions kept in C{isso_tx_schema}, each
step in one transaction) and returns the session key.  L{PostgresDatabase}
then runs the store's interactions on a pool of C{psycopg} connections
through adbapi, exactly as L{isso_tx.db.Database} does on SQLite: the same
SQL, its C{?} placeholders translated by the cursor (L{isso_tx.dialect}).

When the server goes away, interactions fail with
L{isso_tx.db.DatabaseUnavailable} (answered with a 503) and broken
connections are dropped; the next request opens new ones, so service
resumes as soon as the server is back.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

import psycopg
from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger
from twisted.python.failure import Failure

from .db import Database, DatabaseError, DatabaseUnavailable
from .dialect import (
    POSTGRESQL,
    masked_uri,
    row_class,
    translate_placeholders,
    without_password,
)
from .settings import DatabaseConfig

# The newest schema this release writes and understands.
PG_SCHEMA_VERSION = 3

# Taken while the schema is created or upgraded, so that daemons started
# together on one database do it once.
_SCHEMA_LOCK = 0x15507

# How long to wait for the server when connecting, in seconds.
CONNECT_TIMEOUT = 5

_log = Logger()

T = TypeVar("T")


class TranslatingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """
    A cursor that takes the store's SQLite-style SQL: C{?} placeholders,
    Python booleans stored as the integers SQLite makes of them.

    Values travel apart from the statement (the server binds them), so
    that a statement run a few times on a connection is prepared there
    (psycopg's C{prepare_threshold}): the server no longer parses and
    plans it, which halves the time of a thread's read.
    """

    # Read by the store where the engines store a value differently.
    dialect = POSTGRESQL
    # Statements that succeeded on this cursor (one transaction).
    succeeded = 0

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if params is not None:
            query = _translated(query)
            params = _sqlite_values(params)
        result = super().execute(query, params, **kwargs)
        self.succeeded += 1
        return result

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        super().executemany(
            _translated(query),
            [_sqlite_values(params) for params in params_seq],
            **kwargs,
        )
        self.succeeded += 1


def _sqlite_values(params: Any) -> Any:
    return [int(p) if isinstance(p, bool) else p for p in params]


# The store's statements are a few hundred strings, run again and again:
# each is translated once (a statement with a list of values in it is one
# string per length of the list, and the least used are forgotten).
_translated = lru_cache(maxsize=1024)(translate_placeholders)


@lru_cache(maxsize=256)
def _row_type(names: tuple[bytes, ...]) -> Any:
    return row_class([name.decode("utf-8", "replace") for name in names])


def _rows(cursor: Any) -> Callable[[Any], Any]:
    """
    psycopg's row factory: rows read by position and by name.

    The column names are read from the result itself: the cursor's
    C{description} builds an object per column at every statement.
    """
    result = cursor.pgresult
    fields = result.nfields if result is not None else 0
    row = _row_type(tuple(result.fname(i) or b"" for i in range(fields)))
    return lambda values: tuple.__new__(row, values)


def _connect_error(uri: str, error: Exception) -> DatabaseError:
    message = without_password(str(error).strip(), uri).splitlines()
    return DatabaseError(
        f"{masked_uri(uri)}: cannot connect to PostgreSQL: "
        f"{message[0] if message else type(error).__name__}"
    )


def _schema_version(conn: psycopg.Connection[Any]) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS isso_tx_schema (version INTEGER NOT NULL)"
    )
    row = conn.execute("SELECT max(version) FROM isso_tx_schema").fetchone()
    return row[0] if row and row[0] is not None else 0


def prepare_postgres(uri: str, legacy_session_key: str | None = None) -> str:
    """
    Create or upgrade isso-tx's schema in the database at C{uri}, in one
    transaction, and return the session key used to sign cookies and links.

    Blocks: meant to run before the reactor starts.

    @param legacy_session_key: unused; Isso's 0.9 configurations predate
        any PostgreSQL database of ours.
    @raise DatabaseError: the server cannot be reached, or the schema is
        from a newer release; the message names the URI without password.
    """
    try:
        conn = psycopg.connect(uri, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as e:
        raise _connect_error(uri, e) from None
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            version = _schema_version(conn)
            if version > PG_SCHEMA_VERSION:
                raise DatabaseError(
                    f"{masked_uri(uri)}: schema version {version} was written by "
                    f"a newer release of isso-tx; this one understands up to "
                    f"version {PG_SCHEMA_VERSION}"
                )
            for step in range(version + 1, PG_SCHEMA_VERSION + 1):
                script = resources.files(__package__).joinpath(
                    "schema", f"postgresql-{step}.sql"
                )
                conn.execute(script.read_text("utf-8").encode())
                conn.execute("DELETE FROM isso_tx_schema")
                conn.execute("INSERT INTO isso_tx_schema VALUES (%s)", (step,))
                _log.info(
                    "Upgraded {uri} to schema version {version}",
                    uri=masked_uri(uri),
                    version=step,
                )
            conn.execute(
                "INSERT INTO preferences (key, value) VALUES ('session-key', %s) "
                "ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(24),),
            )
            row = conn.execute(
                "SELECT value FROM preferences WHERE key = 'session-key'"
            ).fetchone()
    except psycopg.OperationalError as e:
        raise _connect_error(uri, e) from None
    except psycopg.Error as e:
        raise DatabaseError(
            f"{masked_uri(uri)}: preparing the schema failed: "
            f"{without_password(str(e).strip(), uri)}"
        ) from None
    finally:
        conn.close()
    assert row is not None
    return str(row[0])


def postgres_schema_version(uri: str) -> int:
    """
    Return the isso-tx schema version of the database at C{uri} (0: none).

    @raise DatabaseError: the server cannot be reached.
    """
    try:
        with psycopg.connect(uri, connect_timeout=CONNECT_TIMEOUT) as conn:
            row = conn.execute(
                "SELECT to_regclass('isso_tx_schema') IS NOT NULL"
            ).fetchone()
            if not (row and row[0]):
                return 0
            row = conn.execute("SELECT max(version) FROM isso_tx_schema").fetchone()
            return int(row[0]) if row and row[0] is not None else 0
    except psycopg.Error as e:
        raise _connect_error(uri, e) from None


def connect_tool(uri: str, *, store: bool = False) -> psycopg.Connection[Any]:
    """
    Open a connection of the command line to the database at C{uri}, not
    in autocommit mode (each command commits what it did).

    @param store: give it the cursors the store's interactions expect
        (C{?} placeholders, rows read by name), as the daemon's pool does.
    @raise DatabaseError: the server cannot be reached; the message names
        the URI without its password.
    """
    try:
        conn = psycopg.connect(uri, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as e:
        raise _connect_error(uri, e) from None
    if store:
        conn.cursor_factory = TranslatingCursor
        conn.row_factory = _rows  # type: ignore[assignment]
    return conn


class _Connection(adbapi.Connection):
    """
    A pooled connection whose failed rollback means the server went away:
    it is dropped, quietly, and the interaction's own error is reported.
    """

    def rollback(self) -> None:
        try:
            self._connection.rollback()
        except psycopg.Error:
            self._pool.disconnect(self._connection)


class _Pool(adbapi.ConnectionPool):  # type: ignore[misc]
    connectionFactory = _Connection


class _StaleConnection(Exception):
    """
    An interaction's first statement found its pooled connection broken:
    nothing was done, so it may be run again on a new connection.
    """


class _PlanChanged(Exception):
    """
    A statement prepared on this connection no longer fits its tables (a
    newer release changed the schema while this daemon ran): the
    transaction was rolled back, and every prepared statement forgotten,
    so it may be run again.
    """


# The name of the lock that serialised interactions take (see
# isso_tx.db.serialised), shared by every daemon of the database.
SERIALISED_LOCK = 1396861


def _tracked(txn: Any, interaction: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        if getattr(interaction, "serialised", False):
            # What SQLite's BEGIN IMMEDIATE is there: one such transaction
            # at a time, whichever daemon runs it.
            txn.execute("SELECT pg_advisory_xact_lock(?)", (SERIALISED_LOCK,))
        return interaction(txn, *args, **kwargs)
    except psycopg.OperationalError as e:
        if txn.succeeded == 0 and txn.connection.closed:
            raise _StaleConnection(str(e)) from e
        raise
    except psycopg.errors.FeatureNotSupported as e:
        if "cached plan must not change result type" in str(e):
            if txn.connection.autocommit:
                # No rollback follows to forget the prepared statements.
                txn.execute("DEALLOCATE ALL")
            raise _PlanChanged(str(e)) from e
        raise


class PostgresDatabase(Database):
    """
    One site's PostgreSQL database: a pool of C{[database] pool-size}
    connections, each statement limited to C{statement-timeout}.

    Interactions are the store's, unchanged; each call of L{run} is one
    transaction.
    """

    def __init__(
        self, uri: str, reactor: IReactorThreads, config: DatabaseConfig
    ) -> None:
        self.path = masked_uri(uri)
        self._uri = uri
        self._timeout_ms = config.statement_timeout * 1000
        self._pool = _Pool(
            "psycopg",
            uri,
            connect_timeout=CONNECT_TIMEOUT,
            cp_min=1,
            cp_max=config.pool_size,
            cp_openfun=self._prepare_connection,
            cp_reconnect=True,
            cp_name="isso-db-postgresql",
            cp_reactor=reactor,
            cp_noisy=False,
        )
        # One more connection, in autocommit mode, for the reads of one
        # statement that every cached answer waits for (the change log):
        # no BEGIN and COMMIT around them, so one round trip instead of
        # three, and no wait behind the pool's writes.
        self._reads = _Pool(
            "psycopg",
            uri,
            connect_timeout=CONNECT_TIMEOUT,
            cp_min=1,
            cp_max=1,
            cp_openfun=self._prepare_reading_connection,
            cp_reconnect=True,
            cp_name="isso-db-postgresql-reads",
            cp_reactor=reactor,
            cp_noisy=False,
        )

    def _prepare_connection(self, conn: psycopg.Connection[Any]) -> None:
        # Runs in a pool thread for each new connection.
        conn.cursor_factory = TranslatingCursor
        conn.row_factory = _rows  # type: ignore[assignment]
        conn.execute(f"SET statement_timeout = {int(self._timeout_ms)}")
        conn.commit()

    def _prepare_reading_connection(self, conn: psycopg.Connection[Any]) -> None:
        self._prepare_connection(conn)
        conn.autocommit = True

    def run(
        self, interaction: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Deferred[T]:
        return self._run_on(self._pool, interaction, *args, **kwargs)

    def read(
        self, interaction: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Deferred[T]:
        return self._run_on(self._reads, interaction, *args, **kwargs)

    def _run_on(
        self, pool: _Pool, interaction: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Deferred[T]:
        d = pool.runInteraction(_tracked, interaction, *args, **kwargs)

        def again(failure: Failure) -> Any:
            # A connection broken while it sat in the pool (the server was
            # restarted) costs no request: the work runs on a new one.  So
            # does a prepared statement that the schema outgrew.
            failure.trap(_StaleConnection, _PlanChanged)
            return pool.runInteraction(_tracked, interaction, *args, **kwargs)

        d.addErrback(again)
        d.addErrback(self._unavailable)
        return d

    def stopService(self) -> Deferred[None] | None:
        super().stopService()
        self._reads.close()
        return None

    def _unavailable(self, failure: Failure) -> Failure:
        if failure.check(psycopg.OperationalError, adbapi.ConnectionLost, _StaleConnection):
            reason = without_password(str(failure.value).strip(), self._uri)
            raise DatabaseUnavailable(
                f"{self.path}: {reason.splitlines()[0] if reason else 'connection lost'}"
            )
        return failure
