"""
Threads: one page of a thread, the counts and feeds of threads, and
renaming a thread's uri.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twisted.enterprise.adbapi import Transaction

from .rows import (
    COLUMNS,
    PUBLISHED,
    VISIBLE,
    WITH_RENDERING,
    comment_rows,
    placeholders,
)


def thread_interaction(txn: Transaction, uri: str) -> dict[str, Any] | None:
    """
    Return the thread at C{uri} (id, uri, title), or None.
    """
    txn.execute("SELECT id, uri, title FROM threads WHERE uri = ?", (uri,))
    row = txn.fetchone()
    return dict(row) if row is not None else None


@dataclass
class ThreadPage:
    """
    One page of a thread, as C{GET /} returns it.
    """

    # Number of visible comments per parent id (None: top-level).
    counts: dict[int | None, int] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    # Embedded replies per top-level comment id.
    replies: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # How many comments the requested level skipped.
    offset: int = 0


_SORTS = {
    "oldest": "c.created ASC, c.id ASC",
    "newest": "c.created DESC, c.id DESC",
    "upvotes": "(c.likes - c.dislikes) DESC, c.id ASC",
}


SORTS = tuple(_SORTS)


def thread_page_interaction(
    txn: Transaction,
    uri: str,
    *,
    fingerprint: str,
    parent: int | None = None,
    sort: str = "oldest",
    limit: int | None = None,
    offset: int = 0,
    after: float = 0,
    nested_limit: int | None = None,
) -> ThreadPage:
    """
    Return the visible comments of a thread at one level, with their replies.

    C{limit} and C{offset} page the requested level only; C{nested_limit}
    caps the replies embedded under each top-level comment (all of them when
    it is None).  A negative C{limit} means no limit.
    """
    page = ThreadPage()
    thread = thread_interaction(txn, uri)
    if thread is None:
        return page
    txn.execute(
        f"SELECT c.parent, count(*) FROM comments c WHERE c.tid = ? AND {VISIBLE} "
        "GROUP BY c.parent",
        (thread["id"],),
    )
    page.counts = {row[0]: row[1] for row in txn.fetchall()}
    if limit == 0:
        return page

    # Replies are always listed oldest first, whatever the sort asks for the
    # top level.
    order = _SORTS[sort] if parent is None else _SORTS["oldest"]
    paging = ""
    params: list[Any] = [thread["id"]]
    if parent is None:
        level = "c.parent IS NULL"
    else:
        level = "c.parent = ?"
        params.append(parent)
    params.append(after)
    if limit is not None and limit > 0:
        paging = " LIMIT ? OFFSET ?"
        params += [limit, offset]
        page.offset = offset
    txn.execute(
        f"{WITH_RENDERING} WHERE c.tid = ? AND {VISIBLE} AND {level} "
        f"AND c.created > ? ORDER BY {order}{paging}",
        params,
    )
    page.comments = comment_rows(txn, fingerprint)

    if parent is not None or nested_limit is not None and nested_limit <= 0:
        return page
    with_replies = [c["id"] for c in page.comments if page.counts.get(c["id"])]
    if not with_replies:
        return page
    txn.execute(
        f"SELECT * FROM (SELECT {COLUMNS}, r.source AS source, r.html AS html, "
        "row_number() OVER (PARTITION BY c.parent ORDER BY c.created, c.id) AS n "
        "FROM comments c LEFT JOIN isso_tx_rendered r ON r.id = c.id "
        f"WHERE c.tid = ? AND {VISIBLE} AND c.created > ? "
        f"AND c.parent IN ({placeholders(with_replies)})) AS replies "
        "WHERE ? < 0 OR n <= ? ORDER BY parent, n",
        (
            thread["id"],
            after,
            *with_replies,
            -1 if nested_limit is None else nested_limit,
            -1 if nested_limit is None else nested_limit,
        ),
    )
    for row in comment_rows(txn, fingerprint):
        del row["n"]
        page.replies.setdefault(row["parent"], []).append(row)
    return page


def count_interaction(txn: Transaction, uris: list[str]) -> list[int]:
    """
    Return the number of published comments of each thread, in order.
    """
    if not uris:
        return []
    # Isso declares comments.tid without a type: compared with the typed
    # t.id, SQLite would convert every tid and so could not search the
    # index on it; "+t.id" is a value without a type, compared as it is.
    txn.execute(
        "SELECT t.uri, count(c.id) FROM threads t JOIN comments c ON c.tid = +t.id "
        f"WHERE c.mode = {PUBLISHED} "
        f"AND t.uri IN ({placeholders(uris)}) GROUP BY t.uri",
        uris,
    )
    counts = {row[0]: row[1] for row in txn.fetchall()}
    return [counts.get(uri, 0) for uri in uris]


def feed_interaction(
    txn: Transaction, uri: str, limit: int, fingerprint: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """
    Return a thread and the entries of its feed: the top-level comments,
    newest first, then the replies in the order they were written.
    """
    thread = thread_interaction(txn, uri)
    if thread is None:
        return None, []
    txn.execute(
        f"{WITH_RENDERING} WHERE c.tid = ? AND {VISIBLE} "
        "ORDER BY CASE WHEN c.parent IS NOT NULL THEN c.created END NULLS FIRST, "
        "c.id DESC "
        "LIMIT ?",
        (thread["id"], limit),
    )
    return thread, comment_rows(txn, fingerprint)


@dataclass
class NoSuchThread(Exception):
    """
    A thread rename found nothing to rename at C{uri} (or, for a prefix,
    under it).
    """

    uri: str
    prefix: bool


@dataclass
class ThreadExists(Exception):
    """
    A thread rename would give a thread the uri of another one, which holds
    C{comments} comments, and merging was not asked for.
    """

    uri: str
    comments: int


def renamed_uri(uri: str, old: str, new: str) -> str | None:
    """
    Return what C{uri} becomes when the prefix C{old} is renamed C{new}, or
    None when C{uri} is not at or below C{old}.

    A prefix matches whole path segments: C{/p} matches C{/p}, C{/p/...}
    and C{/p?...}, not C{/posts}.  A trailing slash on either prefix does
    not change what follows it in the renamed uris.
    """
    if old.endswith("/"):
        if not uri.startswith(old):
            return None
    elif uri != old and not uri.startswith((old + "/", old + "?")):
        return None
    rest = uri[len(old.rstrip("/")) :]
    return new.rstrip("/") + rest if rest else new


def rename_thread_interaction(
    txn: Transaction, old: str, new: str, *, merge: bool, prefix: bool
) -> list[tuple[str, str, bool]]:
    """
    Give the thread at uri C{old} the uri C{new} (with C{prefix}: every
    thread at or below C{old}, see L{renamed_uri}); return (old uri, new
    uri, merged) for each thread moved.

    @param merge: when a new uri is already another thread's, move the
        comments into that thread (which keeps its title) and delete the
        moved one.
    @raise NoSuchThread: nothing to rename.
    @raise ThreadExists: a new uri is taken and C{merge} is false; nothing
        was changed.
    """
    if prefix:
        txn.execute(
            "SELECT id, uri FROM threads WHERE substr(uri, 1, ?) = ? ORDER BY id",
            (len(old.rstrip("/")), old.rstrip("/")),
        )
        moves = [
            (tid, uri, after)
            for tid, uri in txn.fetchall()
            if (after := renamed_uri(uri, old, new)) is not None
        ]
    else:
        txn.execute("SELECT id, uri FROM threads WHERE uri = ?", (old,))
        moves = [(tid, uri, new) for tid, uri in txn.fetchall()]
    if not moves:
        raise NoSuchThread(old, prefix)
    moving = {tid for tid, _, _ in moves}
    targets: dict[int, int] = {}
    for tid, _, after in moves:
        txn.execute("SELECT id FROM threads WHERE uri = ?", (after,))
        row = txn.fetchone()
        if row is None or row[0] in moving:
            continue
        if not merge:
            txn.execute("SELECT count(*) FROM comments WHERE tid = ?", (row[0],))
            raise ThreadExists(after, txn.fetchone()[0])
        targets[tid] = row[0]
    # Out of the way first, so that renames within the moved set cannot
    # collide with each other halfway: no uri at all, which the unique
    # index allows for any number of threads on both engines (a marker
    # text could be a real uri, and PostgreSQL's text holds no NUL).
    for tid, _, _ in moves:
        if tid not in targets:
            txn.execute("UPDATE threads SET uri = NULL WHERE id = ?", (tid,))
    for tid, _, after in moves:
        if tid in targets:
            txn.execute(
                "UPDATE comments SET tid = ? WHERE tid = ?", (targets[tid], tid)
            )
            txn.execute("DELETE FROM threads WHERE id = ?", (tid,))
        else:
            txn.execute("UPDATE threads SET uri = ? WHERE id = ?", (after, tid))
    return [(before, after, tid in targets) for tid, before, after in moves]
