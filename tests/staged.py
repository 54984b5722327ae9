"""
Parsing a dump given as text into a scratch staging database, for the tests
of each format.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Callable
from typing import IO, Any

from isso_tx.importers import Staging


def stage(
    directory: str,
    parse: Callable[[IO[bytes], Staging], None],
    text: str,
    *,
    drop_unreferenced_deleted: bool = False,
) -> tuple[list[dict[str, Any]], Staging]:
    """
    Parse C{text} with C{parse} into a new staging database in
    C{directory}; return its staged comments (as dicts, in order) and the
    staging.
    """
    os.makedirs(directory, exist_ok=True)
    staging = Staging(os.path.join(directory, "staging.db"))
    try:
        parse(io.BytesIO(text.encode("utf-8")), staging)
    except BaseException:
        staging.abandon()
        raise
    staging.finish(drop_unreferenced_deleted=drop_unreferenced_deleted)
    conn = sqlite3.connect(staging.path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM staged_comments ORDER BY seq").fetchall()
        return [dict(row) for row in rows], staging
    finally:
        conn.close()
