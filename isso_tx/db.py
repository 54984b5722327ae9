"""
The SQLite file: Isso's schema, its migrations, and the connection pool.

L{prepare_database} runs once per site before the reactor starts, on a
short-lived connection of its own: it creates or upgrades the schema exactly
as Isso does, after copying an old file aside.  Afterwards every query goes
through L{Database}, a single-connection adbapi pool, so that the reactor
never waits on SQLite and our own writers never contend for the lock.
"""

from __future__ import annotations

import os
import pwd
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any, TypeVar

from twisted.application.service import Service
from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger

from .bloom import new_voters

SCHEMA_VERSION = 5

_log = Logger()

T = TypeVar("T")


class DatabaseError(Exception):
    """
    The database file cannot be opened or upgraded; the message says why.
    """


class DatabaseUnavailable(Exception):
    """
    The database server cannot be reached just now (stopped, restarting,
    or too slow to answer); a request may be tried again shortly.
    """


def _statements(name: str) -> Iterator[str]:
    """
    Yield the SQL statements of one of our schema files, one by one.

    They are run one at a time inside an explicit transaction, because
    C{executescript} would commit behind our back.
    """
    text = resources.files(__package__).joinpath("schema", name).read_text("utf-8")
    pending = ""
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


# The tables that make a file an Isso database.
ISSO_TABLES = frozenset({"threads", "comments", "preferences"})


def table_names(conn: sqlite3.Connection) -> set[str]:
    """
    Return the names of the database's tables.
    """
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


def check_schema_version(path: str, version: int) -> None:
    """
    @raise DatabaseError: the database was written by a newer Isso, whose
        schema this server cannot know.
    """
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path}: schema version {version} was written by a newer release "
            f"of Isso; this server understands up to version {SCHEMA_VERSION}"
        )


def user_version(conn: sqlite3.Connection) -> int:
    """
    Return the schema version Isso keeps in C{PRAGMA user_version}.
    """
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


# Each step upgrades the schema by one version.  It runs inside the
# transaction that also bumps user_version, so a failure leaves the file as
# it was.


def _reset_voters(conn: sqlite3.Connection, session_key: str | None) -> None:
    # Filters written before version 1 were corrupt; Isso replaced them all
    # with one that only holds the loopback network.
    conn.execute("UPDATE comments SET voters = ?", (new_voters("127.0.0.0"),))


def _adopt_session_key(conn: sqlite3.Connection, session_key: str | None) -> None:
    # Before version 2 the signing key lived in the configuration file.
    if session_key is not None:
        conn.execute(
            "UPDATE preferences SET value = ? WHERE key = 'session-key'",
            (session_key,),
        )


def _flatten_replies(conn: sqlite3.Connection, session_key: str | None) -> None:
    # Since version 3 a reply points at the top-level comment of its
    # conversation, however deep it was nested before.
    children: dict[int, list[int]] = {}
    for comment_id, parent in conn.execute(
        "SELECT id, parent FROM comments WHERE parent IS NOT NULL"
    ):
        children.setdefault(parent, []).append(comment_id)
    top_level = [
        comment_id
        for (comment_id,) in conn.execute(
            "SELECT id FROM comments WHERE parent IS NULL"
        )
    ]
    for root in top_level:
        queue = list(children.get(root, ()))
        seen = set()
        while queue:
            comment_id = queue.pop(0)
            if comment_id in seen:
                continue
            seen.add(comment_id)
            conn.execute(
                "UPDATE comments SET parent = ? WHERE id = ?", (root, comment_id)
            )
            queue.extend(children.get(comment_id, ()))


def _add_notification_column(
    conn: sqlite3.Connection, session_key: str | None
) -> None:
    if "notification" not in _columns(conn, "comments"):
        conn.execute("ALTER TABLE comments ADD COLUMN notification INTEGER DEFAULT 0")


_COMMENT_COLUMNS = (
    "tid, id, parent, created, modified, mode, remote_addr, text, author, "
    "email, website, likes, dislikes, voters, notification"
)


def _text_not_null(conn: sqlite3.Connection, session_key: str | None) -> None:
    # SQLite cannot change a column's constraint in place: the table is
    # rebuilt with the version-5 declaration and the rows copied over.
    conn.execute("UPDATE comments SET text = '' WHERE text IS NULL")
    create = next(s for s in _statements("isso-v5.sql") if "comments (" in s)
    conn.execute(create.replace("comments (", "comments_new (", 1))
    conn.execute(
        f"INSERT INTO comments_new ({_COMMENT_COLUMNS}) "
        f"SELECT {_COMMENT_COLUMNS} FROM comments"
    )
    conn.execute("ALTER TABLE comments RENAME TO comments_backup_v4")
    conn.execute("ALTER TABLE comments_new RENAME TO comments")
    conn.execute("DROP TABLE comments_backup_v4")


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection, str | None], None]] = {
    0: _reset_voters,
    1: _adopt_session_key,
    2: _flatten_replies,
    3: _add_notification_column,
    4: _text_not_null,
}


def _backup(conn: sqlite3.Connection, path: str, version: int) -> str:
    """
    Copy the database aside before changing its schema, and return the copy's
    path.  An existing copy from an earlier attempt is kept, never overwritten.
    """
    target = f"{path}-backup-v{version}"
    suffix = 1
    while os.path.exists(target):
        target = f"{path}-backup-v{version}.{suffix}"
        suffix += 1
    with sqlite3.connect(target) as copy:
        conn.backup(copy)
    copy.close()
    return target


def access_problem(path: str) -> str | None:
    """
    Say why this process cannot create, read or write the database at
    C{path}, naming the file or directory, the permission it lacks and the
    user; or return None.

    SQLite's own errors ("unable to open database file", "attempt to write
    a readonly database") name neither, and the schema is written at once,
    so a database that can only be read is as unusable as a missing one.
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    # Walk down from the root so that a folder that cannot be entered is
    # named, rather than taken for a missing one.
    parent = "/"
    for part in directory.split(os.sep)[1:]:
        if not _can(parent, os.X_OK):
            return f"{path}: {_lacks(parent, 'searchable')}"
        parent = os.path.join(parent, part)
        if not os.path.isdir(parent):
            return f"{path}: directory {directory} does not exist"
    if not _can(directory, os.X_OK):
        return f"{path}: {_lacks(directory, 'searchable')}"
    if not os.path.exists(path):
        if not _can(directory, os.W_OK):
            return f"{path} cannot be created: {_lacks(directory, 'writable')}"
        return None
    for permission, mode in (("readable", os.R_OK), ("writable", os.W_OK)):
        if not _can(path, mode):
            return _lacks(path, permission)
    wal_files_exist = all(os.path.exists(path + s) for s in ("-wal", "-shm"))
    if not _can(directory, os.W_OK) and not wal_files_exist:
        # SQLite creates <path>-wal and -shm (or -journal) beside the
        # database when the first connection opens it.
        return (
            f"{path}: {_lacks(directory, 'writable')}, and SQLite needs to "
            "create its -wal and -shm files there"
        )
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix) and not _can(
            path + suffix, os.R_OK | os.W_OK
        ):
            return _lacks(path + suffix, "readable and writable")
    return None


def _can(path: str, mode: int) -> bool:
    """
    Whether this process may use C{path} in C{mode}, as the user it runs as.
    """
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _lacks(path: str, permission: str) -> str:
    """
    Say that C{path} is not C{permission} by this process's user, with the
    mode and owner that make it so.
    """
    how = ""
    try:
        status = os.stat(path)
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        pass
    else:
        owner = _user_name(status.st_uid)
        how = f" (mode {status.st_mode & 0o7777:04o}, owner {owner})"
        if read_only and permission != "searchable":
            how = " (on a read-only file system)"
    return f"{path} is not {permission} by user {_user_name(os.geteuid())}{how}"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def prepare_database(path: str, legacy_session_key: str | None = None) -> str:
    """
    Create or upgrade the database at C{path} to Isso's schema version 5.

    This blocks, and is meant to run before the reactor starts.  An existing
    database that needs upgrading is first copied to C{<path>-backup-v<N>}.

    @param legacy_session_key: the C{[general] session-key} of configurations
        older than Isso 0.9, adopted by the 1 -> 2 step.
    @return: the session key used to sign cookies and links.
    @raise DatabaseError: the file is unusable, from a newer version, or a
        migration step failed (the file is then left as it was).
    """
    problem = access_problem(path)
    if problem is not None:
        raise DatabaseError(problem)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as e:
        raise DatabaseError(f"{path}: cannot open database: {e}") from e
    try:
        return _prepare(conn, path, legacy_session_key)
    except sqlite3.DatabaseError as e:
        raise DatabaseError(f"{path}: {e}") from e
    finally:
        conn.close()


def _prepare(
    conn: sqlite3.Connection, path: str, legacy_session_key: str | None
) -> str:
    existing = table_names(conn) & ISSO_TABLES
    version = user_version(conn)
    check_schema_version(path, version)
    if existing and version < SCHEMA_VERSION:
        backup = _backup(conn, path, version)
        _log.info(
            "Copied {path} to {backup} before upgrading it from schema "
            "version {version}",
            path=path,
            backup=backup,
            version=version,
        )

    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements("isso-v5.sql"):
            conn.execute(statement)
        if not conn.execute(
            "SELECT 1 FROM preferences WHERE key = 'session-key'"
        ).fetchone():
            conn.execute(
                "INSERT INTO preferences (key, value) VALUES ('session-key', ?)",
                (secrets.token_hex(24),),
            )
        if not existing:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

    while (version := user_version(conn)) < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _MIGRATIONS[version](conn, legacy_session_key)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            conn.execute("ROLLBACK")
            raise DatabaseError(
                f"Migrating {path} from schema version {version} to "
                f"{version + 1} failed: {e}"
            ) from e
        _log.info(
            "Upgraded {path} to schema version {version}",
            path=path,
            version=version + 1,
        )

    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements("isso-trigger.sql"):
            conn.execute(statement)
        for statement in _statements("isso-tx.sql"):
            conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

    # WAL lets readers (Isso, backups, the command line) work while we
    # write.  It is a property of the file, so this switches the user's
    # database on purpose; see the README.
    conn.execute("PRAGMA journal_mode = WAL")
    (key,) = conn.execute(
        "SELECT value FROM preferences WHERE key = 'session-key'"
    ).fetchone()
    return key


def _prepare_connection(conn: sqlite3.Connection) -> None:
    """
    Set up each pooled connection (runs in the pool's thread).
    """
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    # In WAL mode NORMAL still survives a crash of the process; only a power
    # failure can lose the last transactions, in exchange for one fsync per
    # checkpoint instead of one per comment.
    conn.execute("PRAGMA synchronous = NORMAL")


F = TypeVar("F", bound=Callable[..., Any])


def serialised(interaction: F) -> F:
    """
    Mark an interaction that reads rows and then writes on what it read (a
    vote checks who voted, moderation checks a comment's state): it runs
    with the database's write lock held from its first statement, so that
    no other process (a second daemon on the same database) writes in
    between.  Interactions that only read, or only write, need no mark:
    SQLite readers never wait.
    """
    interaction.serialised = True  # type: ignore[attr-defined]
    return interaction


def transaction_of(interaction: Callable[..., T]) -> Callable[..., T]:
    """
    Return what runs C{interaction} as the transaction its mark asks for
    (see L{serialised}): a function of the same arguments.
    """
    if not getattr(interaction, "serialised", False):
        return interaction

    def locked(txn: Any, *args: Any, **kwargs: Any) -> T:
        # Python's sqlite3 would begin only at the first write, after the
        # reads; once begun here, it begins nothing more.
        txn.execute("BEGIN IMMEDIATE")
        return interaction(txn, *args, **kwargs)

    return locked


class Database(Service):
    """
    One site's database: a single-connection pool that serialises all
    queries on one thread.

    Queries are plain functions taking an adbapi transaction (named
    C{*_interaction}); each call of L{run} is one transaction, committed when
    the function returns and rolled back when it raises.
    """

    def __init__(self, path: str, reactor: IReactorThreads) -> None:
        self.path = path
        self._pool = adbapi.ConnectionPool(
            "sqlite3",
            path,
            check_same_thread=False,
            cp_min=1,
            cp_max=1,
            cp_openfun=_prepare_connection,
            cp_name=f"isso-db-{os.path.basename(path)}",
            cp_reactor=reactor,
            cp_noisy=False,
        )

    def run(
        self, interaction: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Deferred[T]:
        return self._pool.runInteraction(transaction_of(interaction), *args, **kwargs)

    def read(
        self, interaction: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Deferred[T]:
        """
        Run an interaction of a single statement that only reads.

        A backend may run it outside a transaction (PostgreSQL: on a
        connection of its own, one round trip instead of three); on SQLite
        it is L{run}.
        """
        return self.run(interaction, *args, **kwargs)

    def stopService(self) -> Deferred[None] | None:
        super().stopService()
        self._pool.close()
        return None


