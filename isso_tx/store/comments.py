"""
The queries behind the comments API.

Every public function here is an adbapi interaction: it takes the pool's
transaction as its first argument and runs inside one transaction (see
L{isso_tx.db.Database.run}).  They do no network I/O and no heavy hashing,
because while one runs every other query of the site waits.

Rows are returned as plain dicts holding Isso's columns plus, where a
comment's HTML is needed, C{html}: its stored rendering, or None when that
rendering is missing or stale and must be made again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from twisted.enterprise.adbapi import Transaction

from ..bloom import MAX_VOTES, VoterFilter, new_voters
from ..guard import Submission, check_guard
from ..settings import GuardConfig

PUBLISHED, PENDING, DELETED = 1, 2, 4

# Modes shown in threads and feeds: published comments, and the placeholders
# of deleted comments that still have replies.
_VISIBLE = f"c.mode IN ({PUBLISHED}, {DELETED})"

_COLUMNS = (
    "c.tid, c.id, c.parent, c.created, c.modified, c.mode, c.remote_addr, "
    "c.text, c.author, c.email, c.website, c.likes, c.dislikes, c.notification"
)
_WITH_RENDERING = (
    f"SELECT {_COLUMNS}, t.uri AS uri, r.source AS source, r.html AS html "
    "FROM comments c LEFT JOIN threads t ON t.id = c.tid "
    "LEFT JOIN isso_tx_rendered r ON r.id = c.id"
)


def rendering_source(fingerprint: str, text: str) -> str:
    """
    Return the digest that ties a stored rendering to the text and to the
    rendering settings it was made from.
    """
    return hashlib.sha1(f"{fingerprint}\0{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Rendering:
    source: str
    html: str


def _rows(txn: Transaction, fingerprint: str | None = None) -> list[dict[str, Any]]:
    rows = [dict(row) for row in txn.fetchall()]
    if fingerprint is not None:
        for row in rows:
            source = row.pop("source")
            if source != rendering_source(fingerprint, row["text"]):
                row["html"] = None
    return rows


def _store_rendering(txn: Transaction, comment_id: int, rendering: Rendering) -> None:
    txn.execute(
        "INSERT OR REPLACE INTO isso_tx_rendered (id, source, html) VALUES (?, ?, ?)",
        (comment_id, rendering.source, rendering.html),
    )


def thread_interaction(txn: Transaction, uri: str) -> dict[str, Any] | None:
    txn.execute("SELECT id, uri, title FROM threads WHERE uri = ?", (uri,))
    row = txn.fetchone()
    return dict(row) if row is not None else None


def comment_interaction(
    txn: Transaction, comment_id: int, fingerprint: str
) -> dict[str, Any] | None:
    txn.execute(f"{_WITH_RENDERING} WHERE c.id = ?", (comment_id,))
    rows = _rows(txn, fingerprint)
    return rows[0] if rows else None


@dataclass(frozen=True)
class NewComment:
    """
    A validated comment, ready to be stored.
    """

    uri: str
    text: str
    author: str | None
    email: str | None
    website: str | None
    # As sent by the client: None or 0 for a top-level comment.
    parent: int | None
    notification: Any
    address: str
    rendering: Rendering
    # The title of the thread, used only if the thread must be created.
    title: str | None


@dataclass(frozen=True)
class Stored:
    thread: dict[str, Any]
    comment: dict[str, Any]
    thread_created: bool


def _resolve_parent(
    txn: Transaction, parent: int | None, thread_id: int | None
) -> int | None:
    """
    Return the top-level comment a reply to C{parent} belongs under.

    Replies are nested one level deep: answering a reply files the new
    comment under the conversation's first comment.  A parent that does not
    exist, or belongs to another thread, makes the comment top-level.
    """
    if not parent or thread_id is None:
        return None
    current = None
    candidate: int | None = parent
    while candidate is not None:
        txn.execute("SELECT id, parent, tid FROM comments WHERE id = ?", (candidate,))
        row = txn.fetchone()
        if row is None or row["tid"] != thread_id:
            break
        current = row["id"]
        candidate = row["parent"]
        if candidate == current:
            break
    return current


def new_comment_interaction(
    txn: Transaction,
    comment: NewComment,
    *,
    now: float,
    moderated: bool,
    approve_known_authors: bool,
    guard: GuardConfig,
    edit_window: int,
) -> Stored:
    """
    Check the guard, create the thread if needed, and store the comment.

    @raise isso_tx.guard.GuardRejection: nothing is stored.
    """
    thread = thread_interaction(txn, comment.uri)
    thread_id = thread["id"] if thread else None
    parent = _resolve_parent(txn, comment.parent, thread_id)
    check_guard(
        txn,
        guard,
        Submission(
            uri=comment.uri,
            thread_id=thread_id,
            address=comment.address,
            replied_to=comment.parent if parent is not None else None,
            author=comment.author,
            email=comment.email,
        ),
        now,
        edit_window,
    )

    created = thread is None
    if thread is None:
        title = comment.title or "Untitled."
        txn.execute(
            "INSERT INTO threads (uri, title) VALUES (?, ?)", (comment.uri, title)
        )
        thread = {"id": txn.lastrowid, "uri": comment.uri, "title": title}

    mode = PENDING if moderated else PUBLISHED
    if mode == PENDING and approve_known_authors and comment.email is not None:
        txn.execute(
            "SELECT 1 FROM comments WHERE email = ? AND mode = ? AND created > "
            "CAST(strftime('%s', datetime(?, 'unixepoch', '-6 month')) AS REAL) "
            "LIMIT 1",
            (comment.email, PUBLISHED, now),
        )
        if txn.fetchone() is not None:
            mode = PUBLISHED

    txn.execute(
        "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, "
        "text, author, email, website, voters, notification) "
        "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            thread["id"],
            parent,
            now,
            mode,
            comment.address,
            comment.text,
            comment.author,
            comment.email,
            comment.website,
            new_voters(comment.address),
            comment.notification,
        ),
    )
    comment_id = txn.lastrowid
    _store_rendering(txn, comment_id, comment.rendering)
    txn.execute(f"SELECT {_COLUMNS} FROM comments c WHERE c.id = ?", (comment_id,))
    row = dict(txn.fetchone())
    row["html"] = comment.rendering.html
    return Stored(thread=thread, comment=row, thread_created=created)


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
        f"SELECT c.parent, count(*) FROM comments c WHERE c.tid = ? AND {_VISIBLE} "
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
    params: list[Any] = [thread["id"], parent, after]
    if limit is not None and limit > 0:
        paging = " LIMIT ? OFFSET ?"
        params += [limit, offset]
        page.offset = offset
    txn.execute(
        f"{_WITH_RENDERING} WHERE c.tid = ? AND {_VISIBLE} AND c.parent IS ? "
        f"AND c.created > ? ORDER BY {order}{paging}",
        params,
    )
    page.comments = _rows(txn, fingerprint)

    if parent is not None or nested_limit is not None and nested_limit <= 0:
        return page
    with_replies = [c["id"] for c in page.comments if page.counts.get(c["id"])]
    if not with_replies:
        return page
    txn.execute(
        f"SELECT * FROM (SELECT {_COLUMNS}, r.source AS source, r.html AS html, "
        "row_number() OVER (PARTITION BY c.parent ORDER BY c.created, c.id) AS n "
        "FROM comments c LEFT JOIN isso_tx_rendered r ON r.id = c.id "
        f"WHERE c.tid = ? AND {_VISIBLE} AND c.created > ? "
        "AND c.parent IN (SELECT value FROM json_each(?))) "
        "WHERE ? < 0 OR n <= ? ORDER BY parent, n",
        (
            thread["id"],
            after,
            json.dumps(with_replies),
            -1 if nested_limit is None else nested_limit,
            -1 if nested_limit is None else nested_limit,
        ),
    )
    for row in _rows(txn, fingerprint):
        del row["n"]
        page.replies.setdefault(row["parent"], []).append(row)
    return page


def update_comment_interaction(
    txn: Transaction,
    comment_id: int,
    changes: dict[str, Any],
    rendering: Rendering | None,
) -> dict[str, Any] | None:
    """
    Set the given columns of a comment; return the updated row, or None if
    the comment is gone.
    """
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        txn.execute(
            f"UPDATE comments SET {assignments} WHERE id = ?",
            (*changes.values(), comment_id),
        )
        if txn.rowcount == 0:
            return None
    if rendering is not None:
        _store_rendering(txn, comment_id, rendering)
    txn.execute(f"{_WITH_RENDERING} WHERE c.id = ?", (comment_id,))
    rows = _rows(txn)
    if not rows:
        return None
    row = rows[0]
    del row["source"]
    return row


def _remove_stale_placeholders(txn: Transaction) -> None:
    """
    Hard-delete placeholders of deleted comments that no longer have replies,
    until none is left (legacy data may chain them).
    """
    while True:
        txn.execute(
            f"SELECT id FROM comments WHERE mode = {DELETED} AND id NOT IN "
            "(SELECT parent FROM comments WHERE parent IS NOT NULL)"
        )
        stale = [row[0] for row in txn.fetchall()]
        if not stale:
            return
        for comment_id in stale:
            txn.execute("DELETE FROM comments WHERE id = ?", (comment_id,))


def delete_comment_interaction(
    txn: Transaction, comment_id: int, placeholder: Rendering
) -> dict[str, Any] | None:
    """
    Delete a comment.

    A comment that has replies becomes a placeholder (mode 4, no text,
    author or website) so the conversation stays readable; it is returned.
    Otherwise the row is removed and None is returned.
    """
    txn.execute("SELECT 1 FROM comments WHERE parent = ? LIMIT 1", (comment_id,))
    if txn.fetchone() is not None:
        txn.execute(
            "UPDATE comments SET text = '', mode = ?, author = NULL, website = NULL "
            "WHERE id = ?",
            (DELETED, comment_id),
        )
        _store_rendering(txn, comment_id, placeholder)
        _remove_stale_placeholders(txn)
        txn.execute(f"{_WITH_RENDERING} WHERE c.id = ?", (comment_id,))
        rows = _rows(txn)
        del rows[0]["source"]
        return rows[0]
    txn.execute("DELETE FROM comments WHERE id = ?", (comment_id,))
    _remove_stale_placeholders(txn)
    return None


@dataclass(frozen=True)
class VoteResult:
    uri: str
    likes: int
    dislikes: int
    # Why the vote did not count, when it did not.
    refused: str | None = None


def vote_interaction(
    txn: Transaction, comment_id: int, address: str, upvote: bool
) -> VoteResult | None:
    """
    Count one vote from C{address}, unless that network already voted (or
    wrote the comment).  Return None if the comment does not exist.
    """
    txn.execute(
        "SELECT c.likes, c.dislikes, c.voters, t.uri FROM comments c "
        "LEFT JOIN threads t ON t.id = c.tid WHERE c.id = ?",
        (comment_id,),
    )
    row = txn.fetchone()
    if row is None:
        return None
    likes, dislikes = row["likes"] or 0, row["dislikes"] or 0
    kind = "Upvote" if upvote else "Downvote"
    if likes + dislikes >= MAX_VOTES:
        return VoteResult(
            row["uri"],
            likes,
            dislikes,
            f'{kind} denied due to a "likes + dislikes" total too high '
            f"({likes + dislikes} >= {MAX_VOTES})",
        )
    voters = VoterFilter(row["voters"])
    if address in voters:
        return VoteResult(
            row["uri"],
            likes,
            dislikes,
            f"{kind} denied because a vote has already been registered for "
            f"this remote address: {address}",
        )
    voters.add(address)
    column = "likes" if upvote else "dislikes"
    txn.execute(
        f"UPDATE comments SET {column} = coalesce({column}, 0) + 1, voters = ? "
        "WHERE id = ?",
        (voters.to_bytes(), comment_id),
    )
    if upvote:
        likes += 1
    else:
        dislikes += 1
    return VoteResult(row["uri"], likes, dislikes)


def count_interaction(txn: Transaction, uris: list[str]) -> list[int]:
    """
    Return the number of published comments of each thread, in order.
    """
    txn.execute(
        "SELECT t.uri, count(c.id) FROM threads t JOIN comments c ON c.tid = t.id "
        f"WHERE c.mode = {PUBLISHED} "
        "AND t.uri IN (SELECT value FROM json_each(?)) GROUP BY t.uri",
        (json.dumps(uris),),
    )
    counts = {row[0]: row[1] for row in txn.fetchall()}
    return [counts.get(uri, 0) for uri in uris]


def latest_interaction(
    txn: Transaction, limit: int, fingerprint: str
) -> list[dict[str, Any]]:
    """
    Return the C{limit} most recent published comments of all threads,
    oldest first, each with its thread's C{uri}.
    """
    txn.execute(
        f"SELECT * FROM ({_WITH_RENDERING} WHERE c.mode = {PUBLISHED} "
        "ORDER BY c.created DESC, c.id DESC LIMIT ?) ORDER BY created, id",
        (limit,),
    )
    return _rows(txn, fingerprint)


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
        f"{_WITH_RENDERING} WHERE c.tid = ? AND {_VISIBLE} "
        "ORDER BY CASE WHEN c.parent IS NOT NULL THEN c.created END, c.id DESC "
        "LIMIT ?",
        (thread["id"], limit),
    )
    return thread, _rows(txn, fingerprint)


def activate_interaction(
    txn: Transaction, comment_id: int
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """
    Publish a comment waiting for moderation.

    Return the thread and the comment as it was before, or None if the
    comment does not exist.  Only pending comments change.
    """
    txn.execute(f"SELECT {_COLUMNS} FROM comments c WHERE c.id = ?", (comment_id,))
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
    return (dict(thread) if thread else {"id": comment["tid"], "uri": "", "title": ""}), comment


def unsubscribe_interaction(txn: Transaction, comment_id: int, email: str) -> bool:
    """
    Stop reply notifications to C{email} for one conversation.  Return
    False if the comment does not exist.
    """
    txn.execute("SELECT 1 FROM comments WHERE id = ?", (comment_id,))
    if txn.fetchone() is None:
        return False
    txn.execute(
        "UPDATE comments SET notification = 0 WHERE email = ? "
        "AND (id = ? OR parent = ?)",
        (email, comment_id, comment_id),
    )
    return True


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
        _remove_stale_placeholders(txn)
    return sorted({row[1] for row in rows if row[1] is not None})


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
    txn.executemany(
        "INSERT OR REPLACE INTO isso_tx_rendered (id, source, html) "
        "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM comments WHERE id = ?)",
        [(i, r.source, r.html, i) for i, r in renderings.items()],
    )


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
    # collide with each other halfway.
    for tid, _, _ in moves:
        if tid not in targets:
            txn.execute(
                "UPDATE threads SET uri = ? WHERE id = ?",
                (f"\0isso-tx-moving-{tid}", tid),
            )
    for tid, _, after in moves:
        if tid in targets:
            txn.execute(
                "UPDATE comments SET tid = ? WHERE tid = ?", (targets[tid], tid)
            )
            txn.execute("DELETE FROM threads WHERE id = ?", (tid,))
        else:
            txn.execute("UPDATE threads SET uri = ? WHERE id = ?", (after, tid))
    return [(before, after, tid in targets) for tid, before, after in moves]


def _subscribed(value: Any) -> bool:
    """
    Isso stores the C{notification} flag as the client sent it.
    """
    return bool(value) and str(value).strip().lower() not in ("0", "false")


def reply_recipients_interaction(
    txn: Transaction, comment: dict[str, Any]
) -> list[str]:
    """
    Return the stored e-mails to tell about C{comment}, a reply that has
    just been published: the author of the comment it answers, and those of
    the published answers beside it, if they asked for notifications.
    Never the reply's own author, and each address once.
    """
    parent = comment["parent"]
    if parent is None:
        return []
    txn.execute(
        "SELECT id, email, notification FROM comments WHERE id = ?", (parent,)
    )
    candidates = list(txn.fetchall())
    txn.execute(
        "SELECT id, email, notification FROM comments "
        "WHERE tid = ? AND parent = ? AND mode = ? ORDER BY id",
        (comment["tid"], parent, PUBLISHED),
    )
    candidates += txn.fetchall()
    own = (comment["email"] or "").strip().lower()
    seen: set[str] = set()
    recipients = []
    for row in candidates:
        email = row["email"]
        if row["id"] == comment["id"] or not email or not _subscribed(
            row["notification"]
        ):
            continue
        key = email.strip().lower()
        if key == own or key in seen:
            continue
        seen.add(key)
        recipients.append(email)
    return recipients
