"""
A database stand-in for unit tests: interactions run at once, in the
test's thread, on one sqlite3 connection to a file with the real schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from twisted.internet.defer import Deferred, fail, succeed

from isso_tx.db import prepare_database

T = TypeVar("T")


class SynchronousDatabase:
    """
    Runs each interaction at once in one transaction, committed when it
    returns and rolled back when it raises, as L{isso_tx.db.Database} does
    in its pool's thread.
    """

    def __init__(self, path: str) -> None:
        prepare_database(path)
        self.path = path
        self.connection = sqlite3.connect(path)
        self.connection.row_factory = sqlite3.Row
        # The interactions run, by name, in order.
        self.runs: list[str] = []

    def close(self) -> None:
        self.connection.close()

    def run(self, interaction: Callable[..., T], *args: Any) -> Deferred[T]:
        self.runs.append(interaction.__name__)
        cursor = self.connection.cursor()
        try:
            result = interaction(cursor, *args)
        except Exception:
            self.connection.rollback()
            return fail()
        self.connection.commit()
        return succeed(result)

    def execute(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """
        Run one statement, as another program sharing the file would, and
        return its rows.
        """
        rows = [tuple(row) for row in self.connection.execute(sql, params)]
        self.connection.commit()
        return rows

    def add_comment(self, comment_id: int, text: str, uri: str = "/path/") -> None:
        """
        Store a published comment the way Isso would: without a rendering.
        """
        self.execute("INSERT OR IGNORE INTO threads (uri, title) VALUES (?, 't')", uri)
        self.execute(
            "INSERT INTO comments (tid, id, created, mode, remote_addr, text, voters) "
            "SELECT id, ?, 0, 1, '192.0.2.0', ?, x'' FROM threads WHERE uri = ?",
            comment_id, text, uri,
        )
