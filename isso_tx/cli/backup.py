"""
C{isso-tx backup}: a consistent, verified copy of a site's database, taken
while the daemon writes.
"""

from __future__ import annotations

import argparse
import os
import sqlite3

from ..db import table_names, user_version
from ..dialect import is_postgres_uri, masked_uri
from ..importers import connect
from .common import (
    EXIT_OK,
    Command,
    CommandError,
    argument,
    one_site,
    plural,
    replacing,
)
from .copydb import copy_database
from .database import counts, open_existing


def run_backup(args: argparse.Namespace) -> int:
    """
    Copy the site's database to C{args.dest}, check the copy and say what
    it holds.
    """
    config = one_site(args)
    source_path = config.general.dbpath
    dest = args.dest
    if os.path.isdir(dest):
        raise CommandError(f"{dest}: is a directory; give a file name")
    on_postgres = is_postgres_uri(source_path)
    if os.path.exists(dest):
        if (
            not on_postgres
            and os.path.exists(source_path)
            and os.path.samefile(dest, source_path)
        ):
            raise CommandError(f"{dest}: is the database itself")
        if not args.force:
            raise CommandError(f"{dest}: already exists (--force replaces it)")
    if on_postgres:
        version, threads, comments = _backup_postgres(source_path, dest)
        shown = masked_uri(source_path)
    else:
        version, threads, comments = _backup_sqlite(source_path, dest)
        shown = source_path
    print(
        f"backed up {shown} to {dest}: schema version {version}, "
        f"{plural(threads, 'thread')}, {plural(comments, 'comment')}; "
        "integrity check ok"
    )
    return EXIT_OK


def _backup_sqlite(source_path: str, dest: str) -> tuple[int, int, int]:
    source = open_existing(source_path, readonly=False)
    try:
        with replacing(dest, ".isso-tx-backup-", ".db") as temporary:
            return _copy_verified(source, temporary, dest)
    except sqlite3.Error as e:
        raise CommandError(f"backup of {source_path} failed: {e}") from None
    finally:
        source.close()


def _backup_postgres(uri: str, dest: str) -> tuple[int, int, int]:
    """
    Write the site's PostgreSQL database as a SQLite file that Isso (or
    isso-tx) can serve, with copy-db's code; check it as any backup.
    """
    with replacing(dest, ".isso-tx-backup-", ".db") as temporary:
        # copy-db writes a new file beside the name it is given.
        os.unlink(temporary)
        copy_database(uri, temporary)
        # Like a backup of a file: the signing key and e-mail addresses are
        # for its owner's eyes only.
        os.chmod(temporary, 0o600)
        try:
            copy = connect(temporary, readonly=False)
        except sqlite3.Error as e:
            raise CommandError(f"{dest}: {e}") from None
        try:
            return _copy_verified(copy, None, dest)
        except sqlite3.Error as e:
            raise CommandError(f"{dest}: {e}") from None
        finally:
            copy.close()


def _copy_verified(
    source: sqlite3.Connection, path: str | None, dest: str
) -> tuple[int, int, int]:
    """
    Copy the database of C{source} into the file at C{path} (None: check
    C{source} itself, already a copy), check the copy and return its schema
    version and how many threads and comments it holds.

    @raise CommandError: the copy failed its integrity check.
    """
    copy = sqlite3.connect(path, isolation_level=None) if path else source
    try:
        if path:
            # All pages in one step: one read transaction, so the copy is
            # one consistent state of the database even while the daemon
            # writes (in WAL mode, the daemon does not wait for us).
            source.backup(copy)
        # A backup is one self-contained file.
        copy.execute("PRAGMA journal_mode = DELETE")
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise CommandError(
                f"{dest}: the copy failed its integrity check: "
                + "; ".join(problems[:5])
            )
        threads, comments = (
            counts(copy) if {"threads", "comments"} <= table_names(copy) else (0, 0)
        )
        return user_version(copy), threads, comments
    finally:
        if path:
            copy.close()


BACKUP = Command(
    "backup",
    "copy the database safely, then verify the copy",
    "Copy the live database with SQLite's online backup API "
    "(a consistent snapshot, even while the daemon writes), then check "
    "the copy with PRAGMA integrity_check. The copy is a single file "
    "(not in WAL mode). A site on PostgreSQL is written, as one snapshot, "
    "into a SQLite file that Isso or isso-tx can serve, as copy-db would "
    "(its rows, not PostgreSQL's own settings: for those, use pg_dump).",
    run_backup,
    (
        argument("dest", metavar="DEST", help="the file to write"),
        argument(
            "-f", "--force", action="store_true", help="replace DEST if it exists"
        ),
    ),
)
