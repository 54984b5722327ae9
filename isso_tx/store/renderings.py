"""
The stored HTML of comments (the table C{isso_tx_rendered}), kept so that
a page of comments is not rendered again on every request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from twisted.enterprise.adbapi import Transaction

# Keeps the newest rendering of a comment that already has one.
_REPLACE = (
    "ON CONFLICT (id) DO UPDATE SET source = excluded.source, html = excluded.html"
)


def rendering_source(fingerprint: str, text: str) -> str:
    """
    Return the digest that ties a stored rendering to the text and to the
    rendering settings it was made from.
    """
    return hashlib.sha1(f"{fingerprint}\0{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Rendering:
    """
    A comment's HTML and the L{rendering_source} it was made from.
    """

    source: str
    html: str


def store_rendering(txn: Transaction, comment_id: int, rendering: Rendering) -> None:
    """
    Keep C{rendering} as the HTML of comment C{comment_id}.
    """
    txn.execute(
        f"INSERT INTO isso_tx_rendered (id, source, html) VALUES (?, ?, ?) {_REPLACE}",
        (comment_id, rendering.source, rendering.html),
    )


def stale_renderings_interaction(
    txn: Transaction, fingerprint: str, after_id: int, batch: int
) -> tuple[list[tuple[int, str]], int | None]:
    """
    Scan up to C{batch} comments by id above C{after_id} and return the
    (id, text) pairs whose stored rendering is missing or stale, and the id
    to continue from (None once the scan is complete).
    """
    txn.execute(
        "SELECT c.id, c.text, r.source FROM comments c "
        "LEFT JOIN isso_tx_rendered r ON r.id = c.id "
        "WHERE c.id > ? ORDER BY c.id LIMIT ?",
        (after_id, batch),
    )
    rows = txn.fetchall()
    stale = [
        (comment_id, text)
        for comment_id, text, source in rows
        if source != rendering_source(fingerprint, text)
    ]
    return stale, (rows[-1][0] if len(rows) == batch else None)


def store_renderings_interaction(
    txn: Transaction, renderings: dict[int, Rendering]
) -> None:
    """
    Keep the renderings made for comments by id, skipping comments that
    were deleted while they were rendered.
    """
    txn.executemany(
        "INSERT INTO isso_tx_rendered (id, source, html) "
        "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM comments WHERE id = ?) "
        f"{_REPLACE}",
        [(i, r.source, r.html, i) for i, r in renderings.items()],
    )
