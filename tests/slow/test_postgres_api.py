"""
The API's feature tests again, each site keeping its comments in a fresh
PostgreSQL database (tests/pgcluster.py) instead of a SQLite file.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import TestCase

from tests.pgcluster import SETUP_HINT, installed
from tests.slow import (
    test_admin,
    test_api_comments,
    test_api_misc,
    test_api_threads,
    test_guard,
    test_hashing,
    test_moderation,
    test_requests,
    test_titles,
)
from tests.support import on_postgresql

# What SQLite does and PostgreSQL, by design, does not.
_REUSED_IDS = (
    "PostgreSQL never gives a deleted comment's id to a new comment, so an "
    "old cookie cannot meet a reused id"
)
NOT_ON_POSTGRESQL = {
    ("OwnCommentTestsOnPostgreSQL", "test_reused_id"): _REUSED_IDS,
    ("OwnCommentTestsOnPostgreSQL", "test_reused_id_with_the_real_cookie"): _REUSED_IDS,
}


def _skipped(reason: str) -> Any:
    def test(self: TestCase) -> None:
        """
        Not a property of PostgreSQL; see the reason given.
        """

    test.skip = reason  # type: ignore[attr-defined]
    return test


if installed():
    on_postgresql(
        globals(),
        test_admin,
        test_api_comments,
        test_api_misc,
        test_api_threads,
        test_guard,
        test_hashing,
        test_moderation,
        test_requests,
        test_titles,
    )
    for (_class, _method), _reason in NOT_ON_POSTGRESQL.items():
        setattr(globals()[_class], _method, _skipped(_reason))
else:

    class PostgreSQLSetup(TestCase):
        """
        Without PostgreSQL, one failure says how to install it, instead of
        one per test.
        """

        def test_postgresql_installed(self) -> None:
            """
            The PostgreSQL tests need Debian's postgresql package.
            """
            self.fail(SETUP_HINT)
