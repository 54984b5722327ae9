"""
The outbox: work waiting to leave (mails), kept in the database so that a
restart loses none of it, and shared by every daemon serving the site.

A daemon claims rows before it sends them: one C{UPDATE ... RETURNING}
marks the due, unclaimed rows (or rows whose claim ran out) with its id
and a lease, and hands back the rows it marked.  Two daemons claiming at once
cannot both get a row: SQLite runs one writer at a time, and PostgreSQL
rechecks the outer C{WHERE} on a row another transaction just changed.
Finishing a row (deleted, rescheduled, given up) is done only under the
claim that sent it, so a daemon whose lease ran out changes nothing.

Times are seconds since the epoch, from the caller's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.enterprise.adbapi import Transaction

# A row still to be sent (not given up).
_WAITING = "failed IS NULL"
# A row no daemon holds (never claimed, released, or its lease ran out).
_FREE = "(claimed_by IS NULL OR claimed_until <= ?)"


@dataclass(frozen=True)
class OutboxRow:
    """
    One piece of work as claimed: what to send, and how often it was tried
    (this attempt included).
    """

    id: int
    kind: str
    address: str
    description: str
    body: str
    attempts: int
    # The end of the lease: with the claimer's id, it names this claim.
    claimed_until: float


@dataclass(frozen=True)
class Dropped:
    """
    A waiting row removed to keep the outbox within its bound.
    """

    address: str
    description: str


def enqueue_interaction(
    txn: Transaction,
    kind: str,
    address: str,
    description: str,
    body: str,
    now: float,
    limit: int,
) -> list[Dropped]:
    """
    Add a row, due at once.  When C{limit} rows wait already, the oldest
    ones no daemon is sending are removed first; return those.
    """
    txn.execute(f"SELECT COUNT(*) AS n FROM isso_tx_outbox WHERE {_WAITING}")
    excess = txn.fetchone()["n"] - limit + 1
    dropped: list[Dropped] = []
    if excess > 0:
        txn.execute(
            "SELECT id, address, description FROM isso_tx_outbox "
            f"WHERE {_WAITING} AND {_FREE} ORDER BY id LIMIT ?",
            (now, excess),
        )
        rows = txn.fetchall()
        for row in rows:
            txn.execute("DELETE FROM isso_tx_outbox WHERE id = ?", (row["id"],))
            dropped.append(Dropped(row["address"], row["description"]))
    txn.execute(
        "INSERT INTO isso_tx_outbox "
        "(kind, address, description, body, created, not_before, attempts) "
        "VALUES (?, ?, ?, ?, ?, ?, 0)",
        (kind, address, description, body, now, now),
    )
    return dropped


def claim_interaction(
    txn: Transaction, kind: str, claimer: str, now: float, lease: float, limit: int
) -> list[OutboxRow]:
    """
    Claim up to C{limit} due rows of one kind for C{claimer} until
    C{now + lease}, oldest due first, counting an attempt on each; return
    them, oldest first.
    """
    if limit <= 0:
        return []
    # Looking first keeps the polls of idle daemons from taking the
    # database's write lock.
    txn.execute(
        "SELECT 1 FROM isso_tx_outbox "
        f"WHERE kind = ? AND {_WAITING} AND not_before <= ? AND {_FREE} LIMIT 1",
        (kind, now, now),
    )
    if txn.fetchone() is None:
        return []
    until = now + lease
    # The outer conditions are the whole test of a free, due row: on
    # PostgreSQL an UPDATE that waited for another daemon's claim or release
    # of a row checks them again on what that daemon committed (the
    # subquery's choice stands), so a row released with a later not_before
    # is not taken again at once.
    txn.execute(
        "UPDATE isso_tx_outbox "
        "SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 "
        f"WHERE {_WAITING} AND not_before <= ? AND {_FREE} AND id IN ("
        "SELECT id FROM isso_tx_outbox "
        f"WHERE kind = ? AND {_WAITING} AND not_before <= ? AND {_FREE} "
        "ORDER BY not_before, id LIMIT ?) "
        "RETURNING id, kind, address, description, body, attempts, claimed_until",
        (claimer, until, now, now, kind, now, now, limit),
    )
    rows = [
        OutboxRow(
            id=row["id"],
            kind=row["kind"],
            address=row["address"],
            description=row["description"],
            body=row["body"],
            attempts=row["attempts"],
            claimed_until=row["claimed_until"],
        )
        for row in txn.fetchall()
    ]
    return sorted(rows, key=lambda row: row.id)


def next_due_interaction(
    txn: Transaction, kind: str, claimer: str, now: float
) -> float | None:
    """
    Return when a row of this kind may next be claimed (C{now} if one may
    be already), or None when none waits.  Rows C{claimer} holds are not
    counted: their attempts end (and say so) before their lease does.
    """
    txn.execute(
        "SELECT MIN(CASE WHEN claimed_by IS NULL OR claimed_until < not_before "
        "THEN not_before ELSE claimed_until END) AS due "
        f"FROM isso_tx_outbox WHERE kind = ? AND {_WAITING} "
        "AND (claimed_by IS NULL OR claimed_by <> ?)",
        (kind, claimer),
    )
    due = txn.fetchone()["due"]
    return None if due is None else max(due, now)


_CLAIMED = "id = ? AND claimed_by = ? AND claimed_until = ?"


def delivered_interaction(txn: Transaction, row: OutboxRow, claimer: str) -> None:
    """
    Remove a row that was delivered under C{claimer}'s claim.
    """
    txn.execute(
        f"DELETE FROM isso_tx_outbox WHERE {_CLAIMED}",
        (row.id, claimer, row.claimed_until),
    )


def retry_interaction(
    txn: Transaction, row: OutboxRow, claimer: str, not_before: float, error: str
) -> None:
    """
    Release a row whose attempt failed, due again at C{not_before}.
    """
    txn.execute(
        "UPDATE isso_tx_outbox SET claimed_by = NULL, claimed_until = NULL, "
        f"not_before = ?, last_error = ? WHERE {_CLAIMED}",
        (not_before, error, row.id, claimer, row.claimed_until),
    )


def give_up_interaction(
    txn: Transaction, row: OutboxRow, claimer: str, now: float, error: str
) -> None:
    """
    Mark a row as given up: it is kept, with its last error, and never
    tried again.
    """
    txn.execute(
        "UPDATE isso_tx_outbox SET claimed_by = NULL, claimed_until = NULL, "
        f"failed = ?, last_error = ? WHERE {_CLAIMED}",
        (now, error, row.id, claimer, row.claimed_until),
    )


def forget_failed_interaction(txn: Transaction, before: float) -> int:
    """
    Remove rows given up before C{before}; return how many.
    """
    txn.execute(
        "DELETE FROM isso_tx_outbox WHERE failed IS NOT NULL AND failed < ?",
        (before,),
    )
    return txn.rowcount


def release_interaction(txn: Transaction, claimer: str, kind: str) -> int:
    """
    Give back every row C{claimer} holds, due at once (for another daemon,
    or this one's next start); return how many rows of C{kind} still wait.
    """
    txn.execute(
        "UPDATE isso_tx_outbox SET claimed_by = NULL, claimed_until = NULL "
        "WHERE claimed_by = ?",
        (claimer,),
    )
    return waiting_interaction(txn, kind)


def waiting_interaction(txn: Transaction, kind: str) -> int:
    """
    Return how many rows of C{kind} wait to be sent (claimed or not).
    """
    txn.execute(
        f"SELECT COUNT(*) AS n FROM isso_tx_outbox WHERE kind = ? AND {_WAITING}",
        (kind,),
    )
    return int(txn.fetchone()["n"])


def rows_interaction(txn: Transaction) -> list[dict[str, Any]]:
    """
    Return every row, oldest first (for the command line and tests).
    """
    txn.execute("SELECT * FROM isso_tx_outbox ORDER BY id")
    return [dict(row) for row in txn.fetchall()]
