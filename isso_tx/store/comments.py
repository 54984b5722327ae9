"""
Reading and writing one comment: storing a new one (after the guard),
an edit (a writer's under the owner's rules), a deletion, and the latest
comments of the site.

Like every query of the store, these run in one transaction and do no
network I/O and no heavy hashing, because while one runs every other
query of the site waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from twisted.enterprise.adbapi import Transaction

from ..bloom import new_voters
from ..db import serialised
from ..guard import (
    Submission,
    check_guard,
    check_rules,
    hold_reason,
)
from ..settings import GuardConfig
from .renderings import Rendering, store_rendering
from .rows import (
    COLUMNS,
    DELETED,
    PENDING,
    PUBLISHED,
    WITH_RENDERING,
    comment_rows,
)
from .threads import thread_interaction


def months_before(now: float, months: int) -> float:
    """
    Return the whole second C{months} calendar months before C{now} (UTC),
    a day past the end of the shorter month rolling over into the next, as
    SQLite's C{datetime(now, 'unixepoch', '-6 month')} reckons it.
    """
    # SQLite keeps milliseconds, then drops them when it prints the date.
    moment = datetime.fromtimestamp(round(now * 1000) // 1000, UTC)
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    first = moment.replace(year=year, month=month + 1, day=1)
    return (first + timedelta(days=moment.day - 1)).timestamp()


def comment_interaction(
    txn: Transaction, comment_id: int, fingerprint: str
) -> dict[str, Any] | None:
    """
    Return one comment, in any state, with its thread's uri and its stored
    rendering; None if there is no such comment.
    """
    txn.execute(f"{WITH_RENDERING} WHERE c.id = ?", (comment_id,))
    rows = comment_rows(txn, fingerprint)
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
    """
    What storing a new comment made: its thread (created if
    C{thread_created}) and the comment's row.
    """

    thread: dict[str, Any]
    comment: dict[str, Any]
    thread_created: bool
    # Why the comment waits for moderation though the site does not
    # moderate (a rule of the owner's, the link limit); None otherwise.
    held: str | None = None


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
    Check the guard and the owner's rules, create the thread if needed,
    and store the comment: pending if the site moderates, or a rule or the
    link limit holds it.

    @raise isso_tx.guard.GuardRejection: nothing is stored.
    """
    thread = thread_interaction(txn, comment.uri)
    thread_id = thread["id"] if thread else None
    parent = _resolve_parent(txn, comment.parent, thread_id)
    submission = Submission(
        uri=comment.uri,
        thread_id=thread_id,
        address=comment.address,
        replied_to=comment.parent if parent is not None else None,
        author=comment.author,
        email=comment.email,
        website=comment.website,
        text=comment.text,
    )
    rule = check_rules(txn, submission)
    check_guard(txn, guard, submission, now, edit_window)
    held = hold_reason(txn, guard, rule, comment.rendering.html, now)

    created = thread is None
    if thread is None:
        title = comment.title or "Untitled."
        # Another daemon may create the same thread at the same moment: then
        # the comment joins that one.
        txn.execute(
            "INSERT INTO threads (uri, title) VALUES (?, ?) "
            "ON CONFLICT (uri) DO NOTHING RETURNING id",
            (comment.uri, title),
        )
        row = txn.fetchone()
        if row is not None:
            thread = {"id": row["id"], "uri": comment.uri, "title": title}
        else:
            created = False
            thread = thread_interaction(txn, comment.uri)
            assert thread is not None

    mode = PENDING if moderated else PUBLISHED
    if mode == PENDING and approve_known_authors and comment.email is not None:
        txn.execute(
            "SELECT 1 FROM comments WHERE email = ? AND mode = ? AND created > ? "
            "LIMIT 1",
            (comment.email, PUBLISHED, months_before(now, 6)),
        )
        if txn.fetchone() is not None:
            mode = PUBLISHED
    if held is not None:
        mode = PENDING

    txn.execute(
        "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, "
        "text, author, email, website, voters, notification) "
        "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    comment_id = txn.fetchone()["id"]
    store_rendering(txn, comment_id, comment.rendering)
    txn.execute(f"SELECT {COLUMNS} FROM comments c WHERE c.id = ?", (comment_id,))
    row = dict(txn.fetchone())
    row["html"] = comment.rendering.html
    return Stored(thread=thread, comment=row, thread_created=created, held=held)


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
        store_rendering(txn, comment_id, rendering)
    txn.execute(f"{WITH_RENDERING} WHERE c.id = ?", (comment_id,))
    rows = comment_rows(txn)
    if not rows:
        return None
    row = rows[0]
    del row["source"]
    return row


@dataclass(frozen=True)
class Edited:
    """
    What a writer's edit made: the comment's row (None if it is gone), and
    why the edit sent it back to moderation (None if it did not).
    """

    comment: dict[str, Any] | None
    held: str | None = None


def edit_comment_interaction(
    txn: Transaction,
    comment_id: int,
    changes: dict[str, Any],
    rendering: Rendering,
    *,
    address: str,
    now: float,
    guard: GuardConfig,
) -> Edited:
    """
    Apply a writer's edit under the owner's rules and the link limit, as a
    new comment would be: a holding rule or too many links store the edit
    but send the comment back to moderation.  (The owner's own edits, in
    the admin panel or from a mail's link, use L{update_comment_interaction}
    unchecked.)

    The rules see the comment as it would be after the edit: the new text,
    the new author and website if the edit changes them, else the stored
    ones; the stored e-mail (an edit cannot change it); and C{address}, the
    network the edit comes from, as a new comment from the writer would be
    judged by.  The guard's other limits (rate, replies, required fields)
    are about posting, and apply to new comments only, as in Isso.

    @raise isso_tx.guard.GuardRejection: a rule refuses the edit; nothing
        is changed.
    """
    txn.execute(
        "SELECT c.tid, c.parent, c.mode, c.author, c.email, c.website, t.uri "
        "FROM comments c LEFT JOIN threads t ON t.id = c.tid WHERE c.id = ?",
        (comment_id,),
    )
    stored = txn.fetchone()
    if stored is None:
        return Edited(None)
    submission = Submission(
        uri=stored["uri"],
        thread_id=stored["tid"],
        address=address,
        replied_to=stored["parent"],
        author=changes.get("author", stored["author"]),
        email=stored["email"],
        website=changes.get("website", stored["website"]),
        text=changes["text"],
    )
    rule = check_rules(txn, submission)
    held = hold_reason(txn, guard, rule, rendering.html, now)
    if held is not None and stored["mode"] == PUBLISHED:
        # Back to the moderation queue; a later harmless edit does not
        # publish it again (the owner decides).  A deleted comment stays
        # deleted.
        changes = {**changes, "mode": PENDING}
    updated = update_comment_interaction(txn, comment_id, changes, rendering)
    return Edited(updated, held)


def remove_stale_placeholders(txn: Transaction) -> None:
    """
    Hard-delete placeholders of deleted comments that have no replies left,
    until none is left: in a database where replies nest deeper than one
    level (Isso before schema 3), removing one placeholder can leave its
    parent placeholder without replies.
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


@serialised
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
        store_rendering(txn, comment_id, placeholder)
        remove_stale_placeholders(txn)
        txn.execute(f"{WITH_RENDERING} WHERE c.id = ?", (comment_id,))
        rows = comment_rows(txn)
        del rows[0]["source"]
        return rows[0]
    txn.execute("DELETE FROM comments WHERE id = ?", (comment_id,))
    remove_stale_placeholders(txn)
    return None


def latest_interaction(
    txn: Transaction, limit: int, fingerprint: str
) -> list[dict[str, Any]]:
    """
    Return the C{limit} most recent published comments of all threads,
    oldest first, each with its thread's C{uri}.
    """
    txn.execute(
        f"SELECT * FROM ({WITH_RENDERING} WHERE c.mode = {PUBLISHED} "
        "ORDER BY c.created DESC, c.id DESC LIMIT ?) AS latest ORDER BY created, id",
        (limit,),
    )
    return comment_rows(txn, fingerprint)
