"""
The change log of threads (C{isso_tx_changes}), kept by triggers on
C{comments} and C{threads} for every program that writes the file.
"""

from __future__ import annotations

from twisted.enterprise.adbapi import Transaction


def changes_since_interaction(
    txn: Transaction, after: int | None
) -> tuple[int, list[str]]:
    """
    Return the newest change's number and the uris of the threads changed
    after number C{after}; with C{after} None, only the newest number (and
    no uris: the caller knows nothing yet, so everything may have changed).
    """
    if after is None:
        txn.execute("SELECT coalesce(max(seq), 0) AS seq FROM isso_tx_changes")
        return txn.fetchone()["seq"], []
    txn.execute(
        "SELECT uri, seq FROM isso_tx_changes WHERE seq > ? ORDER BY seq", (after,)
    )
    rows = txn.fetchall()
    newest = rows[-1]["seq"] if rows else after
    return newest, [row["uri"] for row in rows]
