"""
C{isso-tx import} into a site on PostgreSQL.

The importers merge a dump into a SQLite file, deciding there which
comments are already present and which ids the new ones get (see
L{isso_tx.importers}).  On PostgreSQL they do exactly that, on a snapshot
of the site's threads and comments copied into a scratch file
(L{isso_tx.cli.copydb}); the threads and comments the merge added are then
written to PostgreSQL in one transaction, provided the site's threads and
comments are still those of the snapshot.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable
from typing import Any

from ..db import DatabaseError
from ..dialect import masked_uri
from ..importers import ImportSummary, import_dump
from .common import CommandError
from .copydb import TABLES, copy_database
from .database import postgres_failure

# The tables the merge reads and writes.
_MERGED = (TABLES["threads"], TABLES["comments"])


def _state(run: Callable[[str], Any]) -> tuple[int, ...]:
    """
    What tells whether the threads and comments changed: their highest ids
    and their numbers (ids only grow, and a deletion lowers a number).
    """
    return tuple(
        run(
            "SELECT (SELECT coalesce(max(id), 0) FROM threads), "
            "(SELECT count(*) FROM threads), "
            "(SELECT coalesce(max(id), 0) FROM comments), "
            "(SELECT count(*) FROM comments)"
        ).fetchone()
    )


def import_into_postgres(
    uri: str,
    dump_path: str,
    *,
    kind: str | None = None,
    empty_id: bool = False,
    dry_run: bool = False,
    legacy_session_key: str | None = None,
    purge_after: int = 0,
    progress: Callable[[int], object] | None = None,
) -> ImportSummary:
    """
    Import the dump at C{dump_path} into the PostgreSQL database at C{uri},
    as L{isso_tx.importers.import_dump} does into a file.

    @raise CommandError: the site changed while the dump was merged, or
        PostgreSQL refused the rows; nothing was imported.
    @raise isso_tx.importers.ImportFailure: the dump is unreadable.
    @raise isso_tx.db.DatabaseError: the server cannot be reached.
    """
    from ..pg import postgres_schema_version, prepare_postgres

    if not dry_run:
        # As on a file, the import creates the schema (or upgrades it).
        prepare_postgres(uri)
    with tempfile.TemporaryDirectory(prefix="isso-tx-import-") as scratch:
        path = os.path.join(scratch, "site.db")
        if postgres_schema_version(uri) > 0:
            copy_database(uri, path, tables=_MERGED)
        # else a dry run on a database without a schema: nothing to merge
        # with, and import_dump creates the scratch file.
        before: tuple[int, ...] = (0, 0, 0, 0)
        if os.path.exists(path):
            with sqlite3.connect(path) as conn:
                before = _state(conn.execute)
            conn.close()
        summary = import_dump(
            path,
            dump_path,
            kind=kind,
            empty_id=empty_id,
            dry_run=dry_run,
            purge_after=purge_after,
            progress=progress,
        )
        if not dry_run:
            _publish(uri, path, before)
    return summary


def _publish(uri: str, path: str, before: tuple[int, ...]) -> None:
    """
    Write the threads and comments that the merge added to the scratch
    file at C{path} (ids above those of the snapshot C{before}) into the
    database at C{uri}, in one transaction.
    """
    import psycopg

    from ..pg import connect_tool

    after_thread, _, after_comment, _ = before
    merged = sqlite3.connect(path)
    try:
        try:
            conn = connect_tool(uri)
        except DatabaseError as e:
            raise CommandError(str(e)) from None
        try:
            # The daemons' writes wait for this transaction; their reads do
            # not.
            conn.execute("LOCK TABLE threads, comments IN SHARE ROW EXCLUSIVE MODE")
            if _state(conn.execute) != before:
                raise CommandError(
                    f"{masked_uri(uri)}: threads or comments changed "
                    "while the dump was merged; nothing was imported: run the "
                    "import again (or while the site is quiet)"
                )
            for table, after in zip(_MERGED, (after_thread, after_comment)):
                columns = ", ".join(table.columns)
                rows = merged.execute(
                    f"SELECT {columns} FROM {table.name} WHERE id > ? ORDER BY id",
                    (after,),
                ).fetchall()
                marks = ", ".join("%s" for _ in table.columns)
                with conn.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows
                    )
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"coalesce(max(id), 0) + 1, false) FROM {table.name}"
                )
            conn.commit()
        except psycopg.Error as e:
            raise postgres_failure(uri, e, "importing failed: ") from None
        finally:
            conn.close()
    finally:
        merged.close()
