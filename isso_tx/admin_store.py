"""
The queries behind the admin panel.

Like those of L{isso_tx.store}, every public function here is an adbapi
interaction: one transaction, no network, nothing slow.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from twisted.enterprise.adbapi import Transaction

from .store import (
    DELETED,
    PENDING,
    PUBLISHED,
    Rendering,
    activate_interaction,
    delete_comment_interaction,
    rendering_source,
)

MODES = (PENDING, PUBLISHED, DELETED)


@dataclass(frozen=True)
class AdminQuery:
    """
    What the panel lists: one state, optionally one thread and a search,
    one page of them.
    """

    mode: int = PENDING
    # The thread's uri, exactly; "" for every thread.
    uri: str = ""
    # Looked for in the text, the author and the e-mail address.
    search: str = ""
    # 1 for the first page.
    page: int = 1
    page_size: int = 50


@dataclass
class AdminPage:
    comments: list[dict[str, Any]] = field(default_factory=list)
    # Comments per mode, under the same thread and search.
    counts: dict[int, int] = field(default_factory=dict)

    def total(self, mode: int) -> int:
        return self.counts.get(mode, 0)


def like_pattern(term: str) -> str:
    """
    Return a C{LIKE ... ESCAPE '\\'} pattern matching C{term} anywhere, its
    wildcards taken literally.
    """
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(query: AdminQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.uri:
        clauses.append("t.uri = ?")
        params.append(query.uri)
    if query.search:
        # Author and e-mail are stored HTML-escaped; look for the term as
        # typed and as stored.
        plain = like_pattern(query.search)
        stored = like_pattern(html.escape(query.search, quote=False))
        clauses.append(
            "(c.text LIKE ? ESCAPE '\\' "
            "OR c.author LIKE ? ESCAPE '\\' OR c.author LIKE ? ESCAPE '\\' "
            "OR c.email LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\')"
        )
        params += [plain, plain, stored, plain, stored]
    where = " AND ".join(clauses)
    return (f" AND {where}" if where else ""), params


def admin_page_interaction(
    txn: Transaction, query: AdminQuery, fingerprint: str
) -> AdminPage:
    """
    Return one page of comments in one state, newest first, with the number
    of comments in each state under the same filters.
    """
    where, params = _filters(query)
    page = AdminPage()
    txn.execute(
        "SELECT c.mode, count(*) FROM comments c "
        f"LEFT JOIN threads t ON t.id = c.tid WHERE 1 = 1{where} GROUP BY c.mode",
        params,
    )
    page.counts = {row[0]: row[1] for row in txn.fetchall()}
    txn.execute(
        "SELECT c.id, c.tid, c.parent, c.created, c.modified, c.mode, "
        "c.remote_addr, c.text, c.author, c.email, c.website, c.likes, "
        "c.dislikes, t.uri AS uri, t.title AS title, r.source AS source, "
        "r.html AS html FROM comments c LEFT JOIN threads t ON t.id = c.tid "
        "LEFT JOIN isso_tx_rendered r ON r.id = c.id "
        f"WHERE c.mode = ?{where} ORDER BY c.created DESC, c.id DESC "
        "LIMIT ? OFFSET ?",
        [
            query.mode,
            *params,
            query.page_size,
            (max(query.page, 1) - 1) * query.page_size,
        ],
    )
    for row in txn.fetchall():
        comment = dict(row)
        if comment.pop("source") != rendering_source(fingerprint, comment["text"]):
            comment["html"] = None
        page.comments.append(comment)
    return page


def _uri_of(txn: Transaction, comment_id: int) -> str | None:
    txn.execute(
        "SELECT t.uri FROM comments c LEFT JOIN threads t ON t.id = c.tid "
        "WHERE c.id = ?",
        (comment_id,),
    )
    row = txn.fetchone()
    return row[0] if row is not None else None


@dataclass(frozen=True)
class Activated:
    thread: dict[str, Any]
    # The row as it was before activation.
    comment: dict[str, Any]


def activate_many_interaction(
    txn: Transaction, comment_ids: list[int]
) -> list[Activated]:
    """
    Publish the pending comments among C{comment_ids}; return those that
    changed.  Others (gone, already published, deleted) are left alone.
    """
    done = []
    for comment_id in comment_ids:
        found = activate_interaction(txn, comment_id)
        if found is not None and found[1]["mode"] == PENDING:
            done.append(Activated(*found))
    return done


def delete_many_interaction(
    txn: Transaction, comment_ids: list[int], placeholder: Rendering
) -> list[tuple[int, str]]:
    """
    Delete the comments among C{comment_ids} that are not deleted yet (one
    with replies stays as a placeholder, as for a reader's delete); return
    the (id, thread uri) of each.
    """
    done = []
    for comment_id in comment_ids:
        txn.execute("SELECT mode FROM comments WHERE id = ?", (comment_id,))
        row = txn.fetchone()
        if row is None or row[0] == DELETED:
            continue
        uri = _uri_of(txn, comment_id) or ""
        delete_comment_interaction(txn, comment_id, placeholder)
        done.append((comment_id, uri))
    return done


def edit_interaction(
    txn: Transaction,
    comment_id: int,
    changes: dict[str, Any],
    rendering: Rendering,
) -> dict[str, Any] | None:
    """
    Change a comment that is not deleted; return the new row (with its
    thread's C{uri} and its C{html}), or None if there is no such comment.
    """
    txn.execute("SELECT mode FROM comments WHERE id = ?", (comment_id,))
    row = txn.fetchone()
    if row is None or row[0] == DELETED:
        return None
    assignments = ", ".join(f"{column} = ?" for column in changes)
    txn.execute(
        f"UPDATE comments SET {assignments} WHERE id = ?",
        (*changes.values(), comment_id),
    )
    txn.execute(
        "INSERT OR REPLACE INTO isso_tx_rendered (id, source, html) "
        "VALUES (?, ?, ?)",
        (comment_id, rendering.source, rendering.html),
    )
    txn.execute(
        "SELECT c.id, c.parent, c.created, c.modified, c.mode, c.text, c.author, "
        "c.website, c.likes, c.dislikes, c.notification, t.uri AS uri "
        "FROM comments c LEFT JOIN threads t ON t.id = c.tid WHERE c.id = ?",
        (comment_id,),
    )
    updated = dict(txn.fetchone())
    updated["html"] = rendering.html
    return updated
