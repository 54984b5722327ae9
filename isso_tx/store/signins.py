"""
The admin panel's sign-ins: sessions signed out, and wrong passwords per
network.  They live in the database so that every daemon serving the site
agrees on them.
"""

from __future__ import annotations

from twisted.enterprise.adbapi import Transaction

from ..db import serialised


class Throttled(Exception):
    """
    The network has failed too often; raised inside an interaction, so that
    the attempt it was recording is rolled back.
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        # When, in seconds from now, the oldest counted failure expires.
        self.retry_after = retry_after


def revoke_session_interaction(
    txn: Transaction, sid: str, expires: float, now: float
) -> None:
    """
    Refuse session C{sid} from now until it would have expired anyway.
    """
    txn.execute("DELETE FROM isso_tx_admin_revoked WHERE expires <= ?", (now,))
    txn.execute(
        "INSERT INTO isso_tx_admin_revoked (sid, expires) VALUES (?, ?) "
        "ON CONFLICT (sid) DO NOTHING",
        (sid, expires),
    )


def session_revoked_interaction(txn: Transaction, sid: str) -> bool:
    """
    Whether session C{sid} was signed out.
    """
    txn.execute("SELECT 1 FROM isso_tx_admin_revoked WHERE sid = ?", (sid,))
    return txn.fetchone() is not None


@serialised
def login_attempt_interaction(
    txn: Transaction, network: str, now: float, window: float, limit: int
) -> None:
    """
    Count a sign-in attempt from C{network} as a failure until it succeeds
    (L{login_succeeded_interaction}), unless C{limit} failures within
    C{window} seconds came before it.

    Serialised: attempts take turns from their first statement, so that two
    at once, from one daemon's pool or from two daemons, cannot both see
    room for one more (on PostgreSQL, whose transactions do not see each
    other's uncommitted rows, writing first would not be enough).

    @raise Throttled: too many failures; nothing is recorded.
    """
    txn.execute("DELETE FROM isso_tx_login_failures WHERE at <= ?", (now - window,))
    txn.execute(
        "INSERT INTO isso_tx_login_failures (network, at) VALUES (?, ?)",
        (network, now),
    )
    txn.execute(
        "SELECT at FROM isso_tx_login_failures WHERE network = ? "
        "ORDER BY at DESC LIMIT ?",
        (network, limit + 1),
    )
    times = [row["at"] for row in txn.fetchall()]
    if len(times) > limit:
        # The newest row is this attempt; the limit-th before it is the
        # oldest failure that still counts.
        raise Throttled(times[limit] + window - now)


def login_wait_interaction(
    txn: Transaction, network: str, now: float, window: float, limit: int
) -> float | None:
    """
    Return in how many seconds C{network} may try to sign in again, or None
    if it may now; records nothing.
    """
    txn.execute(
        "SELECT at FROM isso_tx_login_failures WHERE network = ? AND at > ? "
        "ORDER BY at DESC LIMIT ?",
        (network, now - window, limit),
    )
    times = [row["at"] for row in txn.fetchall()]
    if len(times) < limit:
        return None
    return times[-1] + window - now


def login_succeeded_interaction(txn: Transaction, network: str) -> None:
    """
    Forget C{network}'s failures: it signed in.
    """
    txn.execute("DELETE FROM isso_tx_login_failures WHERE network = ?", (network,))
