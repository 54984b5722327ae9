"""
The site owner's spam rules (table C{isso_tx_rules}): listing, adding,
deleting, and counting their matches.

What a rule means is L{isso_tx.guard}'s; here they are rows.  The rules
are read by the transaction that stores each new comment
(L{rules_interaction}): the table is small, and a rule added by one daemon
is obeyed by every daemon of the site from its commit on, with no cache to
keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from twisted.enterprise.adbapi import Transaction

from ..db import serialised

# What a rule looks at, and what it does; the guard gives them meaning.
KINDS = ("network", "email", "author", "domain", "words", "regex")
ACTIONS = ("refuse", "hold")


@dataclass(frozen=True)
class Rule:
    """
    One rule, as stored.
    """

    id: int
    kind: str
    value: str
    action: str
    note: str = ""
    created: float = 0.0
    matches: int = 0
    last_match: float | None = None


_COLUMNS = "id, kind, value, action, note, created, matches, last_match"

# Rules one page of the admin panel's rules page lists, as many as the
# comments page lists comments.
RULES_PAGE_SIZE = 50


def page_count(total: int, page_size: int = RULES_PAGE_SIZE) -> int:
    """
    Return how many pages C{total} rules fill (one, even when there are none).
    """
    return max(1, -(-total // page_size))


@dataclass(frozen=True)
class RulesListing:
    """
    One page of the rules, and how many rules there are in all.
    """

    rules: list[Rule]
    total: int
    page: int
    page_size: int = RULES_PAGE_SIZE

    @property
    def pages(self) -> int:
        """
        How many pages the rules fill (one, even when there are none).
        """
        return page_count(self.total, self.page_size)


def _rule(row: object) -> Rule:
    values = tuple(row)  # type: ignore[call-overload]
    return Rule(*values)


def rules_interaction(txn: Transaction) -> list[Rule]:
    """
    Return every rule, oldest first.
    """
    txn.execute(f"SELECT {_COLUMNS} FROM isso_tx_rules ORDER BY id")
    return [_rule(row) for row in txn.fetchall()]


def rules_page_interaction(
    txn: Transaction, page: int, page_size: int = RULES_PAGE_SIZE
) -> RulesListing:
    """
    Return page C{page} (from 1) of the rules, oldest first as
    L{rules_interaction} lists them; a page past the last one is empty.
    """
    txn.execute("SELECT COUNT(*) FROM isso_tx_rules")
    total = txn.fetchone()[0]
    txn.execute(
        f"SELECT {_COLUMNS} FROM isso_tx_rules ORDER BY id LIMIT ? OFFSET ?",
        (page_size, (max(page, 1) - 1) * page_size),
    )
    rules = [_rule(row) for row in txn.fetchall()]
    return RulesListing(rules, total, page, page_size)


def rules_count_interaction(txn: Transaction) -> int:
    """
    Return how many rules there are.
    """
    txn.execute("SELECT COUNT(*) FROM isso_tx_rules")
    count: int = txn.fetchone()[0]
    return count


def rule_page_interaction(
    txn: Transaction, rule_id: int, page_size: int = RULES_PAGE_SIZE
) -> int:
    """
    Return the page (from 1) of L{rules_page_interaction} that lists rule
    C{rule_id}.
    """
    txn.execute("SELECT COUNT(*) FROM isso_tx_rules WHERE id < ?", (rule_id,))
    before: int = txn.fetchone()[0]
    return before // page_size + 1


def add_rule_interaction(
    txn: Transaction, kind: str, value: str, action: str, note: str, now: float
) -> tuple[int, bool]:
    """
    Add a rule (its value already checked and normalised by the guard);
    return its id and whether it is new.  The same kind, value and action
    twice is one rule: the second time, the first one's id is returned.
    """
    txn.execute(
        "SELECT id FROM isso_tx_rules WHERE kind = ? AND value = ? AND action = ?",
        (kind, value, action),
    )
    row = txn.fetchone()
    if row is not None:
        return row[0], False
    txn.execute(
        "INSERT INTO isso_tx_rules (kind, value, action, note, created) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (kind, value, action, note, now),
    )
    return txn.fetchone()[0], True


@serialised
def add_rules_interaction(
    txn: Transaction, rules: list[tuple[str, str, str]], note: str, now: float
) -> list[tuple[int, bool]]:
    """
    Add each C{(kind, value, action)} as L{add_rule_interaction} does, in
    one transaction taken in turn with every daemon's, so that two owners
    adding the same rule at once make one.
    """
    return [
        add_rule_interaction(txn, kind, value, action, note, now)
        for kind, value, action in rules
    ]


def delete_rule_interaction(txn: Transaction, rule_id: int) -> Rule | None:
    """
    Delete a rule; return it, or None if there was no such rule.
    """
    txn.execute(f"SELECT {_COLUMNS} FROM isso_tx_rules WHERE id = ?", (rule_id,))
    row = txn.fetchone()
    if row is None:
        return None
    txn.execute("DELETE FROM isso_tx_rules WHERE id = ?", (rule_id,))
    return _rule(row)


def delete_rules_interaction(
    txn: Transaction, rule_ids: list[int], note: str
) -> list[Rule]:
    """
    Delete those of C{rule_ids} whose note is C{note} (the rules one ban
    made); return them.
    """
    deleted = []
    for rule_id in rule_ids:
        txn.execute(
            f"SELECT {_COLUMNS} FROM isso_tx_rules WHERE id = ? AND note = ?",
            (rule_id, note),
        )
        row = txn.fetchone()
        if row is not None:
            txn.execute("DELETE FROM isso_tx_rules WHERE id = ?", (rule_id,))
            deleted.append(_rule(row))
    return deleted


def rule_matched_interaction(txn: Transaction, rule_id: int, now: float) -> None:
    """
    Count one match of a rule (nothing if it was deleted meanwhile).
    """
    txn.execute(
        "UPDATE isso_tx_rules SET matches = matches + 1, last_match = ? "
        "WHERE id = ?",
        (now, rule_id),
    )
