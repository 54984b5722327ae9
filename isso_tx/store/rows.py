"""
What every query of comments shares: the states a comment is in, the
columns read, the join with stored renderings, and turning rows into dicts.

A row is a plain dict of Isso's columns plus, where a comment's HTML is
needed, C{html}: its stored rendering, or None when that rendering is
missing or stale and must be made again.
"""

from __future__ import annotations

from typing import Any

from twisted.enterprise.adbapi import Transaction

from .renderings import rendering_source

# The states of a comment, as Isso stores them in comments.mode.
PUBLISHED, PENDING, DELETED = 1, 2, 4

# Modes shown in threads and feeds: published comments, and the placeholders
# of deleted comments that still have replies.
VISIBLE = f"c.mode IN ({PUBLISHED}, {DELETED})"

COLUMNS = (
    "c.tid, c.id, c.parent, c.created, c.modified, c.mode, c.remote_addr, "
    "c.text, c.author, c.email, c.website, c.likes, c.dislikes, c.notification"
)

WITH_RENDERING = (
    f"SELECT {COLUMNS}, t.uri AS uri, r.source AS source, r.html AS html "
    "FROM comments c LEFT JOIN threads t ON t.id = c.tid "
    "LEFT JOIN isso_tx_rendered r ON r.id = c.id"
)


def placeholders(values: list[Any]) -> str:
    """
    Return the C{?, ?, ...} that passes each of C{values} as a parameter of
    an C{IN (...)} list (never empty: callers skip the query instead).
    """
    return ", ".join("?" * len(values))


def comment_rows(
    txn: Transaction, fingerprint: str | None = None
) -> list[dict[str, Any]]:
    """
    Return the rows just selected as dicts; with a C{fingerprint} (from a
    query joined with the renderings), C{html} is None where the stored
    rendering is stale, and C{source} is dropped.
    """
    rows = [dict(row) for row in txn.fetchall()]
    if fingerprint is not None:
        for row in rows:
            source = row.pop("source")
            if source != rendering_source(fingerprint, row["text"]):
                row["html"] = None
    return rows
