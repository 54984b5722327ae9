"""
The outbox on a fake clock and a database answered inline: what waits
survives, each row leaves once however many daemons share the database,
retries keep their pauses, a dead daemon's claim is taken over, and the
outbox stays within its bound.
"""

from __future__ import annotations

import json
import os
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.mail.smtp import SMTPClientError
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.config import SMTPConfig
from isso_tx.mail import Mailer, OutgoingMail
from isso_tx.outbox import FAILED_KEPT, Courier
from isso_tx.store.outbox import (
    OutboxRow,
    claim_interaction,
    delivered_interaction,
)

from .fast_support import InlineDatabase, InlineReactor, seed_database


class Recorder(Courier):
    """
    A courier whose attempts wait for the test: each one is a Deferred the
    test fires (delivered) or fails.
    """

    kind = "test"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (row, its attempt) in the order attempts started.
        self.attempts: list[tuple[OutboxRow, Deferred[None]]] = []

    def attempt(self, row: OutboxRow) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self.attempts.append((row, d))
        return d

    def permanent(self, failure: Failure) -> bool:
        return failure.check(PermissionError) is not None

    def on_the_wire(self) -> list[str]:
        return [row.description for row, d in self.attempts if not d.called]


class OutboxTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = InlineReactor()
        path = os.path.join(os.path.abspath(self.mktemp()), "comments.db")
        os.makedirs(os.path.dirname(path))
        seed_database(path)
        self.database = InlineDatabase(path)
        self.addCleanup(self.database.stopService)
        self.events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)

    def courier(self, name: str = "one", **kwargs: Any) -> Recorder:
        """
        Return a started courier: one daemon, named C{name}.
        """
        courier = Recorder(self.database, self.reactor, claimer=name, **kwargs)
        courier.startService()
        self.addCleanup(courier.stopService)
        return courier

    def enqueue(self, courier: Courier, *names: str) -> None:
        for name in names:
            self.successResultOf(
                courier.enqueue({"to": f"{name}@example.org"}, name, f"body {name}")
            )

    def rows(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.database.query(
            "SELECT * FROM isso_tx_outbox ORDER BY id"
        )]

    def logged(self, fragment: str) -> list[dict[str, Any]]:
        return [e for e in self.events if fragment in (e.get("log_format") or "")]


class DeliveryTests(OutboxTestCase):
    def test_sent_at_once_and_deleted(self):
        """
        A row queued is tried at once, two at a time per daemon, and is
        gone from the outbox once delivered.
        """
        courier = self.courier()
        self.enqueue(courier, "a", "b", "c")
        self.assertEqual(courier.on_the_wire(), ["a", "b"])
        courier.attempts[0][1].callback(None)
        self.assertEqual(courier.on_the_wire(), ["b", "c"])
        courier.attempts[1][1].callback(None)
        courier.attempts[2][1].callback(None)
        self.assertEqual(self.rows(), [])
        self.assertEqual(len(self.logged("Sent {description}")), 3)
        self.successResultOf(courier.idle())

    def test_queued_before_start(self):
        """
        What was queued while no daemon ran (a restart) is sent when one
        starts.
        """
        waiting = Recorder(self.database, self.reactor, claimer="before")
        self.successResultOf(waiting.enqueue({"to": "x@example.org"}, "x", "body"))
        self.assertEqual(waiting.attempts, [])
        courier = self.courier()
        self.assertEqual(courier.on_the_wire(), ["x"])
        self.assertEqual(courier.attempts[0][0].body, "body")

    def test_backoff(self):
        """
        A failed attempt is tried again after 10 s, 1 min and 5 min; after
        the fourth the row is kept as failed, with its last error.
        """
        courier = self.courier()
        self.enqueue(courier, "a")
        for attempt, delay in enumerate((10, 60, 300)):
            courier.attempts[-1][1].errback(ConnectionRefusedError("down"))
            [row] = self.rows()
            self.assertEqual(row["attempts"], attempt + 1)
            self.assertIsNone(row["claimed_by"])
            self.assertIn("down", row["last_error"])
            self.reactor.advance(delay - 0.5)
            self.assertEqual(len(courier.attempts), attempt + 1)
            self.reactor.advance(0.5)
            self.assertEqual(len(courier.attempts), attempt + 2)
        courier.attempts[-1][1].errback(ConnectionRefusedError("still down"))
        [row] = self.rows()
        self.assertEqual(row["failed"], self.reactor.seconds())
        self.assertEqual(row["attempts"], 4)
        self.assertIn("still down", row["last_error"])
        [given_up] = self.logged("Gave up")
        self.assertEqual(given_up["attempts"], 4)
        self.assertEqual(
            [e["delay"] for e in self.logged("Could not send")], [10, 60, 300]
        )
        self.reactor.advance(3600)
        self.assertEqual(len(courier.attempts), 4)
        self.successResultOf(courier.idle())
        self.assertEqual(self.successResultOf(courier.pending()), 0)
        self.flushLoggedErrors(ConnectionRefusedError)

    def test_permanent_failure(self):
        """
        A refusal for good is not tried again.
        """
        courier = self.courier()
        self.enqueue(courier, "a")
        courier.attempts[0][1].errback(PermissionError("550 no such user"))
        [row] = self.rows()
        self.assertIsNotNone(row["failed"])
        self.assertEqual(row["attempts"], 1)
        self.reactor.advance(1000)
        self.assertEqual(len(courier.attempts), 1)
        self.assertEqual(self.logged("Could not send"), [])
        self.assertEqual(len(self.flushLoggedErrors(PermissionError)), 1)

    def test_failed_rows_forgotten(self):
        """
        Rows given up are kept for a month, then removed.
        """
        courier = self.courier()
        self.enqueue(courier, "a")
        courier.attempts[0][1].errback(PermissionError("550"))
        self.flushLoggedErrors(PermissionError)
        self.reactor.advance(FAILED_KEPT - 3600)
        self.assertEqual(len(self.rows()), 1)
        self.reactor.advance(2 * 3600)
        self.assertEqual(self.rows(), [])


class SeveralDaemonsTests(OutboxTestCase):
    def test_each_row_claimed_once(self):
        """
        Two daemons on one database never send the same row: each claims
        its own, and the second picks up the rest when it polls.
        """
        first = self.courier("first", poll_interval=3.0)
        second = self.courier("second", poll_interval=3.0)
        self.enqueue(first, "a", "b", "c", "d", "e")
        self.assertEqual(first.on_the_wire(), ["a", "b"])
        self.assertEqual(second.on_the_wire(), [])
        self.reactor.advance(3.0)
        self.assertEqual(second.on_the_wire(), ["c", "d"])
        for courier in (first, second):
            for _, d in list(courier.attempts):
                d.callback(None)
        self.assertEqual(first.on_the_wire() + second.on_the_wire(), ["e"])
        for courier in (first, second):
            for _, d in courier.attempts:
                if not d.called:
                    d.callback(None)
        sent = sorted(
            row.description for c in (first, second) for row, _ in c.attempts
        )
        self.assertEqual(sent, ["a", "b", "c", "d", "e"])
        self.assertEqual(self.rows(), [])

    def test_retry_due_for_any_daemon(self):
        """
        A row another daemon released after a failure is retried when it
        falls due, by whichever daemon looks first, once.
        """
        first = self.courier("first", poll_interval=None)
        second = self.courier("second", poll_interval=None)
        self.enqueue(first, "a")
        first.attempts[0][1].errback(ConnectionRefusedError())
        self.reactor.advance(10)
        attempts = len(first.attempts) + len(second.attempts)
        self.assertEqual(attempts, 2)
        self.assertEqual(
            len(first.on_the_wire()) + len(second.on_the_wire()), 1
        )

    def test_dead_daemons_claim_taken_over(self):
        """
        A row claimed by a daemon that died mid-send is sent by another
        once the claim's lease runs out, not before; the dead daemon's
        claim cannot finish it any more.
        """
        self.enqueue(Recorder(self.database, self.reactor), "a")
        now = self.reactor.seconds()
        [claimed] = self.database.run(
            claim_interaction, "test", "dead", now, 120.0, 2
        ).result
        survivor = self.courier("survivor", poll_interval=5.0)
        self.assertEqual(survivor.attempts, [])
        self.reactor.advance(115)
        self.assertEqual(survivor.attempts, [])
        self.reactor.advance(5)
        self.assertEqual(survivor.on_the_wire(), ["a"])
        self.assertEqual(survivor.attempts[0][0].attempts, 2)
        # The dead daemon's late word changes nothing.
        self.database.run(delivered_interaction, claimed, "dead")
        self.assertEqual(len(self.rows()), 1)
        survivor.attempts[0][1].callback(None)
        self.assertEqual(self.rows(), [])

    def test_stop_gives_claims_back(self):
        """
        A daemon that stops abandons its attempts and gives their rows back
        at once: the other daemon sends them at its next look.
        """
        first = self.courier("first", poll_interval=None)
        second = self.courier("second", poll_interval=2.0)
        self.enqueue(first, "a", "b", "c")
        self.assertEqual(first.on_the_wire(), ["a", "b"])
        self.reactor.advance(2.0)
        self.assertEqual(second.on_the_wire(), ["c"])
        self.successResultOf(first.stopService())
        [stopping] = self.logged("not sent")
        self.assertEqual(stopping["count"], 3)
        self.reactor.advance(2.0)
        self.assertEqual(second.on_the_wire(), ["c", "a"])
        claimed = [row["claimed_by"] for row in self.rows()]
        self.assertEqual(claimed, ["second", None, "second"])


class BoundTests(OutboxTestCase):
    def test_oldest_dropped(self):
        """
        Beyond its bound the outbox drops its oldest waiting rows, with a
        warning naming each, never one on the wire.
        """
        courier = self.courier(max_pending=3, concurrency=1)
        self.enqueue(courier, "a", "b", "c", "d", "e")
        self.assertEqual(courier.on_the_wire(), ["a"])
        self.assertEqual(
            [row["description"] for row in self.rows()], ["a", "d", "e"]
        )
        self.assertEqual(
            [(e["description"], e["recipient"]) for e in self.logged("queue full")],
            [("b", "b@example.org"), ("c", "c@example.org")],
        )


class MailRowTests(OutboxTestCase):
    def test_message_bytes_kept(self):
        """
        A mail comes out of the outbox byte for byte as it went in, to the
        same envelope addresses.
        """
        config = SMTPConfig(
            username="", password="", host="127.0.0.1", port=25,
            security="none", to="", from_="", timeout=5,
        )
        delivered: list[OutgoingMail] = []

        class Recording(Mailer):
            def _deliver(self, mail: OutgoingMail) -> Deferred[Any]:
                delivered.append(mail)
                return succeed(None)

        mailer = Recording(config, self.reactor, self.database)
        data = "Subject: caf\u00e9\n\nZo\u00eb \u2014 ok\n".encode()
        self.successResultOf(
            mailer.send(OutgoingMail("a@example.org", "b@example.org", data, "m"))
        )
        [row] = self.rows()
        self.assertEqual(
            json.loads(row["address"]), {"from": "a@example.org", "to": ["b@example.org"]}
        )
        mailer.startService()
        self.addCleanup(mailer.stopService)
        [mail] = delivered
        self.assertEqual(
            (mail.sender, mail.recipient, mail.data, mail.attempts),
            ("a@example.org", "b@example.org", data, 1),
        )
        self.assertEqual(self.rows(), [])

    def test_smtp_refusal_is_final(self):
        """
        A 5xx answer from the mail server ends a mail's tries; a 4xx does
        not.
        """
        config = SMTPConfig(
            username="", password="", host="127.0.0.1", port=25,
            security="none", to="", from_="", timeout=5,
        )
        mailer = Mailer(config, self.reactor, self.database)
        self.assertTrue(mailer.permanent(Failure(SMTPClientError(550, b"no"))))
        self.assertFalse(mailer.permanent(Failure(SMTPClientError(451, b"later"))))
        self.assertFalse(mailer.permanent(Failure(ConnectionRefusedError())))
        self.assertEqual(mailer.lease, 120.0)
