"""
Who is told about replies: the stored e-mail addresses that asked for
notifications, and unsubscribing from them.
"""

from __future__ import annotations

from typing import Any

from twisted.enterprise.adbapi import Transaction

from ..validation import wants_notifications
from .rows import PUBLISHED


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
        if row["id"] == comment["id"] or not email or not wants_notifications(
            row["notification"]
        ):
            continue
        key = email.strip().lower()
        if key == own or key in seen:
            continue
        seen.add(key)
        recipients.append(email)
    return recipients
