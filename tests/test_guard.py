"""
The spam guard (L{isso_tx.guard}): rate limits per network, direct replies
per thread, replies to one's own fresh comment, required fields; its rules on
a database of their own (what commenters see over HTTP is in
L{tests.slow.test_guard}).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.guard import RATE_WINDOW, GuardRejection, Submission, check_guard
from isso_tx.settings import GuardConfig

from .syncdb import SynchronousDatabase

JSON = {"Accept": "application/json"}
NOW = 1_700_000_000.0
EDIT_WINDOW = 900
ADDRESS = "192.0.2.0"
OTHER = "198.51.100.0"
# Every rule on, with limits far enough not to get in each other's way.
STRICT = GuardConfig(
    enabled=True,
    ratelimit=100,
    direct_reply=100,
    reply_to_self=False,
    require_author=False,
    require_email=False,
)


class RuleTests(SynchronousTestCase):
    """
    L{check_guard} on a database of its own, at a fixed time.
    """

    def setUp(self) -> None:
        self.database = SynchronousDatabase(self.mktemp())
        self.addCleanup(self.database.close)
        for thread_id, uri in ((1, "/a"), (2, "/b")):
            self.database.execute(
                "INSERT INTO threads (id, uri, title) VALUES (?, ?, 't')",
                thread_id,
                uri,
            )

    def comment(
        self,
        comment_id: int,
        age: float = 3600,
        address: str = ADDRESS,
        thread: int = 1,
        parent: int | None = None,
    ) -> None:
        """
        Store a comment written C{age} seconds before L{NOW}.
        """
        self.database.execute(
            "INSERT INTO comments (tid, id, parent, created, mode, remote_addr, "
            "text, voters) VALUES (?, ?, ?, ?, 1, ?, 'text', x'')",
            thread, comment_id, parent, NOW - age, address,
        )

    def check(self, config: GuardConfig = STRICT, **fields: Any) -> None:
        """
        Check a submission to thread 1 (C{/a}) from L{ADDRESS}, top-level
        unless C{replied_to} is given.
        """
        submission = Submission(
            **{
                "uri": "/a",
                "thread_id": 1,
                "address": ADDRESS,
                "replied_to": None,
                "author": None,
                "email": None,
                **fields,
            }
        )
        cursor = self.database.connection.cursor()
        check_guard(cursor, config, submission, NOW, EDIT_WINDOW)

    def refused(self, config: GuardConfig = STRICT, **fields: Any) -> str:
        """
        Check a submission that must be refused; return the reason.
        """
        error = self.assertRaises(GuardRejection, self.check, config, **fields)
        self.assertEqual(error.reason, str(error))
        return error.reason

    def test_ratelimit(self) -> None:
        """
        A network that wrote as many comments as the limit in the last
        minute, on any thread, is refused with their ids; older comments
        and other networks do not count.
        """
        config = replace(STRICT, ratelimit=2)
        self.comment(1, age=RATE_WINDOW)
        self.comment(2, age=30, thread=2)
        self.comment(3, age=5, address=OTHER)
        self.check(config)
        self.comment(4, age=RATE_WINDOW - 0.5)
        self.assertEqual(self.refused(config), "192.0.2.0: ratelimit exceeded (2, 4)")

    def test_direct_replies(self) -> None:
        """
        A network that started as many conversations on a thread as the
        limit, however long ago, is refused; its replies, other threads and
        other networks do not count, and neither does a new thread.
        """
        config = replace(STRICT, direct_reply=2)
        self.comment(1, age=10**8)
        self.comment(2, parent=1)
        self.comment(3, thread=2)
        self.comment(4, address=OTHER)
        self.check(config)
        self.check(config, replied_to=1)
        self.comment(5)
        self.assertEqual(self.refused(config), "2 direct responses to /a")
        self.check(config, thread_id=None, uri="/new")

    def test_reply_to_self(self) -> None:
        """
        While a comment can still be edited, its author's network may not
        answer it; others may, and so may the author once the window has
        closed.
        """
        self.comment(1, age=EDIT_WINDOW - 1)
        self.comment(2, age=EDIT_WINDOW - 1, address=OTHER)
        self.comment(3, age=EDIT_WINDOW)
        self.assertEqual(self.refused(replied_to=1), "edit time frame is still open")
        self.check(replied_to=2)
        self.check(replied_to=3)

    def test_reply_to_self_allowed(self) -> None:
        """
        With reply-to-self, an author may answer their fresh comment.
        """
        self.comment(1, age=1)
        self.check(replace(STRICT, reply_to_self=True), replied_to=1)

    def test_required_email(self) -> None:
        """
        With require-email, a comment without an e-mail address, or with an
        empty one, is refused.
        """
        config = replace(STRICT, require_email=True)
        for email in (None, ""):
            self.assertEqual(
                self.refused(config, email=email),
                "email address required but not provided",
            )
        self.check(config, email="a@b.c")

    def test_required_author(self) -> None:
        """
        With require-author, a comment without a name, or with an empty
        one, is refused.
        """
        config = replace(STRICT, require_author=True)
        for author in (None, ""):
            self.assertEqual(
                self.refused(config, author=author),
                "author name required but not provided",
            )
        self.check(config, author="Alice")

    def test_order(self) -> None:
        """
        When several rules are broken the reason given is the first of: the
        rate limit, the direct replies, the e-mail, the name.
        """
        config = replace(
            STRICT, ratelimit=1, direct_reply=1, require_author=True, require_email=True
        )
        self.comment(1, age=1)
        self.assertEqual(self.refused(config), "192.0.2.0: ratelimit exceeded (1)")
        self.assertEqual(
            self.refused(replace(config, ratelimit=100)), "1 direct responses to /a"
        )
        config = replace(config, ratelimit=100, direct_reply=100)
        self.assertEqual(
            self.refused(config), "email address required but not provided"
        )
        self.assertEqual(
            self.refused(config, email="a@b.c"), "author name required but not provided"
        )

    def test_disabled(self) -> None:
        """
        With the guard off, no rule applies.
        """
        config = GuardConfig(
            enabled=False,
            ratelimit=1,
            direct_reply=1,
            reply_to_self=False,
            require_author=True,
            require_email=True,
        )
        self.comment(1, age=1)
        self.check(config)
        self.check(config, replied_to=1)


