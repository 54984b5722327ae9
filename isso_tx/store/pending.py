"""
Comments that await moderation: publishing them, and purging those that
waited too long.
"""

from __future__ import annotations

from typing import Any

from twisted.enterprise.adbapi import Transaction

from ..db import serialised
from .comments import remove_stale_placeholders
from .rows import COLUMNS, PENDING, PUBLISHED


def activate_interaction(
    txn: Transaction, comment_id: int
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """
    Publish a comment waiting for moderation.

    Return the thread and the comment as it was before, or None if the
    comment does not exist.  Only pending comments change.
    """
    txn.execute(f"SELECT {COLUMNS} FROM comments c WHERE c.id = ?", (comment_id,))
    row = txn.fetchone()
    if row is None:
        return None
    comment = dict(row)
    txn.execute(
        "UPDATE comments SET mode = ? WHERE id = ? AND mode = ?",
        (PUBLISHED, comment_id, PENDING),
    )
    txn.execute("SELECT id, uri, title FROM threads WHERE id = ?", (comment["tid"],))
    thread = txn.fetchone()
    if thread is None:
        return {"id": comment["tid"], "uri": "", "title": ""}, comment
    return dict(thread), comment


@serialised
def purge_interaction(txn: Transaction, now: float, older_than: int) -> list[str]:
    """
    Delete comments that waited for moderation longer than C{older_than}
    seconds; return the uris of the threads that changed.
    """
    txn.execute(
        "SELECT c.id, t.uri FROM comments c LEFT JOIN threads t ON t.id = c.tid "
        "WHERE c.mode = ? AND ? - c.created > ?",
        (PENDING, now, older_than),
    )
    rows = txn.fetchall()
    for row in rows:
        txn.execute("DELETE FROM comments WHERE id = ?", (row[0],))
    if rows:
        remove_stale_placeholders(txn)
    return sorted({row[1] for row in rows if row[1] is not None})
