"""
Opening a site's existing database from the command line.
"""

from __future__ import annotations

import os
import sqlite3

from ..db import table_names
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


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """
    Count the threads and the comments of an Isso database.
    """
    return conn.execute(
        "SELECT (SELECT count(*) FROM threads), (SELECT count(*) FROM comments)"
    ).fetchone()
