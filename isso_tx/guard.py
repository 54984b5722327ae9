"""
The spam guard: limits on how much one network may post.

The rules are Isso's (C{[guard]} section), checked in the same transaction
that stores the comment, so two simultaneous posts cannot both slip under a
limit.  Where Isso can be bypassed we close the gap: a comment that ends up
top-level (C{parent} 0, or a parent that does not exist) counts against the
direct-reply limit like any other top-level comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from twisted.enterprise.adbapi import Transaction

from .dialect import POSTGRESQL
from .settings import GuardConfig

RATE_WINDOW = 60

# The first key of the PostgreSQL advisory locks that keep one network's
# posts in turn (the second is a hash of the network).  Two-key locks never
# meet the one-key lock of serialised interactions.
NETWORK_LOCK = 0x15508


class GuardRejection(Exception):
    """
    The guard refused a new comment; the message says why, and C{kind}
    names the rule (one of a fixed set, for the metrics).
    """

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class Submission:
    """
    What the guard needs to know about a comment about to be stored.
    """

    uri: str
    thread_id: int | None
    address: str
    # The comment being answered, as the client named it, when it exists in
    # the same thread; None when the new comment will be top-level.
    replied_to: int | None
    author: str | None
    email: str | None


def check_guard(
    txn: Transaction,
    config: GuardConfig,
    submission: Submission,
    now: float,
    edit_window: int,
) -> None:
    """
    Raise L{GuardRejection} if the comment breaks a rule.

    @param edit_window: C{[general] max-age}: while a comment can still be
        edited, its author may not reply to it (unless C{reply-to-self}).
    """
    if not config.enabled:
        return
    address = submission.address
    _hold_network(txn, address)

    txn.execute(
        "SELECT id FROM comments WHERE remote_addr = ? AND ? - created < ? "
        "ORDER BY id",
        (address, now, RATE_WINDOW),
    )
    recent = [row[0] for row in txn.fetchall()]
    if len(recent) >= config.ratelimit:
        ids = ", ".join(str(comment_id) for comment_id in recent)
        raise GuardRejection(f"{address}: ratelimit exceeded ({ids})", "ratelimit")

    if submission.replied_to is None:
        if submission.thread_id is not None:
            txn.execute(
                "SELECT count(*) FROM comments WHERE tid = ? AND remote_addr = ? "
                "AND parent IS NULL",
                (submission.thread_id, address),
            )
            (count,) = txn.fetchone()
            if count >= config.direct_reply:
                raise GuardRejection(
                    f"{count} direct responses to {submission.uri}", "direct-reply"
                )
    elif not config.reply_to_self:
        txn.execute(
            "SELECT 1 FROM comments WHERE id = ? AND remote_addr = ? "
            "AND ? - created < ?",
            (submission.replied_to, address, now, edit_window),
        )
        if txn.fetchone() is not None:
            raise GuardRejection("edit time frame is still open", "reply-to-self")

    if config.require_email and not submission.email:
        raise GuardRejection(
            "email address required but not provided", "require-email"
        )
    if config.require_author and not submission.author:
        raise GuardRejection(
            "author name required but not provided", "require-author"
        )


def _hold_network(txn: Transaction, address: str) -> None:
    """
    Make posts from C{address} take turns from here to their commit, so
    that the checks below count every comment acknowledged to that network,
    whichever daemon (or pooled connection) stored it.

    On PostgreSQL a transaction-scoped advisory lock per network: posts from
    other networks go on in parallel, and each check, run after the lock is
    held, sees what the previous holder committed.  On SQLite the write lock,
    taken now rather than at the insert (it is one per file, and the
    daemon's single connection already puts its own posts in turn).
    """
    if getattr(txn, "dialect", None) == POSTGRESQL:
        txn.execute(
            "SELECT pg_advisory_xact_lock(?, hashtext(?))", (NETWORK_LOCK, address)
        )
    elif not txn.connection.in_transaction:
        txn.execute("BEGIN IMMEDIATE")
