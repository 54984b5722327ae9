"""
The queries behind the admin panel's list of comments.

Like every query of L{isso_tx.store}, each public function here is an
adbapi interaction: one transaction, no network, nothing slow.  What the panel
changes goes through L{isso_tx.moderation}, as the links of mails do.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from twisted.enterprise.adbapi import Transaction

from .rows import PENDING, comment_rows


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
    """
    One page of the panel's list, and how many comments each state holds.
    """

    comments: list[dict[str, Any]] = field(default_factory=list)
    # Comments per mode, under the same thread and search.
    counts: dict[int, int] = field(default_factory=dict)

    def total(self, mode: int) -> int:
        """
        Return how many comments are in state C{mode}.
        """
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
        # SQLite's LIKE ignores the case of ASCII letters, PostgreSQL's does
        # not: lower() on both sides makes them agree.
        like = "LIKE lower(?) ESCAPE '\\'"
        clauses.append(
            f"(lower(c.text) {like} "
            f"OR lower(c.author) {like} OR lower(c.author) {like} "
            f"OR lower(c.email) {like} OR lower(c.email) {like})"
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
    page.comments = comment_rows(txn, fingerprint)
    return page
