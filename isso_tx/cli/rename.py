"""
C{isso-tx rename-thread}: give threads new uris after a site's URLs changed.
"""

from __future__ import annotations

import argparse
import sqlite3

from ..db import DatabaseError
from ..dialect import is_postgres_uri, masked_uri, without_password
from ..store.threads import NoSuchThread, ThreadExists, rename_thread_interaction
from .common import (
    EXIT_OK,
    Command,
    CommandError,
    UsageError,
    argument,
    dry_run,
    one_site,
    plural,
)
from .database import open_existing, require_postgres_schema


def run_rename_thread(args: argparse.Namespace) -> int:
    """
    Rename the thread(s) in one transaction and list each move.
    """
    config = one_site(args)
    old, new = args.old, args.new
    if old == new:
        raise UsageError("OLD and NEW are the same")
    if not new:
        raise UsageError("NEW cannot be empty")
    dbpath = config.general.dbpath
    rename = _rename_postgres if is_postgres_uri(dbpath) else _rename_sqlite
    try:
        renamed = rename(
            dbpath, old, new, prefix=args.prefix, merge=args.merge, dry_run=args.dry_run
        )
    except NoSuchThread:
        if args.prefix:
            raise CommandError(f"no thread's uri is {old!r} or below it") from None
        raise CommandError(f"there is no thread {old!r}") from None
    except ThreadExists as e:
        raise CommandError(
            f"thread {e.uri!r} already exists ({plural(e.comments, 'comment')}); "
            "--merge moves the comments into it"
        ) from None
    would = "would be " if args.dry_run else ""
    for before, after, into in renamed:
        verb = "merged into" if into else "renamed to"
        print(f"{before} {would}{verb} {after}")
    if args.prefix:
        merged = sum(into for _, _, into in renamed)
        print(
            f"{plural(len(renamed), 'thread')} {'would move' if would else 'moved'} "
            f"({merged} merged)"
        )
    if args.dry_run:
        print("dry run; nothing was changed")
    return EXIT_OK


def _rename_sqlite(
    path: str, old: str, new: str, *, prefix: bool, merge: bool, dry_run: bool
) -> list[tuple[str, str, bool]]:
    conn = open_existing(path, readonly=False)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            renamed = rename_thread_interaction(
                conn.cursor(), old, new, prefix=prefix, merge=merge
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("ROLLBACK" if dry_run else "COMMIT")
    except sqlite3.Error as e:
        raise CommandError(f"{path}: {e}") from None
    finally:
        conn.close()
    return renamed


def _rename_postgres(
    uri: str, old: str, new: str, *, prefix: bool, merge: bool, dry_run: bool
) -> list[tuple[str, str, bool]]:
    import psycopg

    from ..pg import SERIALISED_LOCK, connect_tool

    require_postgres_schema(uri)
    try:
        conn = connect_tool(uri, store=True)
    except DatabaseError as e:
        raise CommandError(str(e)) from None
    try:
        txn = conn.cursor()
        # One rename at a time with the daemons' own read-then-write
        # transactions (see isso_tx.db.serialised).
        txn.execute("SELECT pg_advisory_xact_lock(?)", (SERIALISED_LOCK,))
        try:
            renamed = rename_thread_interaction(
                txn, old, new, prefix=prefix, merge=merge
            )
        except BaseException:
            conn.rollback()
            raise
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
    except psycopg.Error as e:
        lines = without_password(str(e).strip(), uri).splitlines()
        raise CommandError(
            f"{masked_uri(uri)}: {lines[0] if lines else type(e).__name__}"
        ) from None
    finally:
        conn.close()
    return renamed


RENAME_THREAD = Command(
    "rename-thread",
    "move a thread to a new uri",
    "Give a thread a new uri, for example after the site's "
    "URL structure changed. Fails if OLD does not exist, or if NEW "
    "already does, unless --merge is given: then OLD's comments join "
    "NEW's thread (which keeps its title) and OLD is removed.",
    run_rename_thread,
    (
        argument("old", metavar="OLD", help="the thread's uri now, e.g. /2019/hello/"),
        argument("new", metavar="NEW", help="its new uri, e.g. /posts/hello/"),
        argument(
            "--prefix",
            action="store_true",
            help="rename every thread at or below OLD, replacing that beginning "
            "by NEW; OLD matches whole path segments (/p matches /p and "
            "/p/..., not /posts)",
        ),
        argument(
            "--merge",
            action="store_true",
            help="when a new uri is already a thread, move the comments into it",
        ),
        dry_run("list what would be renamed; change nothing"),
    ),
)
