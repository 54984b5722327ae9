"""
How the site stands, for the metrics and the health check: counts read at
scrape time, and a probe of the database that changes nothing.
"""

from __future__ import annotations

from twisted.enterprise.adbapi import Transaction

from .rows import PENDING

# (kind, given up) -> rows in the outbox.
OutboxCounts = dict[tuple[str, int], int]


def status_interaction(txn: Transaction) -> tuple[int, OutboxCounts]:
    """
    Return how many comments await moderation, and how many outbox rows of
    each kind wait to be sent (given up: 0) or were given up (1).
    """
    txn.execute("SELECT COUNT(*) AS n FROM comments WHERE mode = ?", (PENDING,))
    pending = int(txn.fetchone()["n"])
    txn.execute(
        "SELECT kind, CASE WHEN failed IS NULL THEN 0 ELSE 1 END AS given_up, "
        "COUNT(*) AS n FROM isso_tx_outbox GROUP BY kind, given_up"
    )
    outbox = {
        (row["kind"], int(row["given_up"])): int(row["n"]) for row in txn.fetchall()
    }
    return pending, outbox


def probe_interaction(txn: Transaction) -> None:
    """
    Read the database, changing nothing: it answers.
    """
    txn.execute("SELECT COUNT(*) AS n FROM preferences")
    txn.fetchone()


def locking_probe_interaction(txn: Transaction, wait: float) -> None:
    """
    On SQLite: read the database and take its write lock, waiting at most
    C{wait} seconds for another program to release it (rather than the
    connection's usual five, which would hold up the pool's only thread);
    then let go, having written nothing.

    @raise sqlite3.OperationalError: the database is locked, unreadable
        or broken.
    """
    txn.execute("PRAGMA busy_timeout")
    (previous,) = txn.fetchone()
    txn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    try:
        probe_interaction(txn)
        txn.execute("BEGIN IMMEDIATE")
        txn.execute("ROLLBACK")
    finally:
        txn.execute(f"PRAGMA busy_timeout = {int(previous)}")
