"""
Delivering what waits in the outbox, in the background, from any number of
daemons sharing the database.

A L{Courier} handles one kind of row (C{Mailer} handles mails).  It wakes
when its own process queues something, when a retry falls due, and every
few seconds to pick up rows queued by other daemons; each time it claims
due rows (see L{isso_tx.store.outbox}) up to its number of concurrent
attempts, and tries them.  A row that was delivered is deleted; one whose
attempt failed for a reason that may pass is released, due again after a
growing pause; after the last pause, or when the other side refused for
good, it is marked failed and kept for a while with its last error.

Delivery is at least once: a daemon killed during an attempt leaves its
claim, which another daemon (or the next start) takes over when the lease
runs out, so a message whose attempt had in fact succeeded is sent again.
Nothing queued is lost.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from .metrics import SiteMetrics
from .store.outbox import (
    OutboxRow,
    claim_interaction,
    delivered_interaction,
    enqueue_interaction,
    forget_failed_interaction,
    give_up_interaction,
    next_due_interaction,
    release_interaction,
    retry_interaction,
    waiting_interaction,
)

# Pauses before the second, third and fourth attempt of a delivery.
RETRY_DELAYS = (10.0, 60.0, 300.0)
# Rows waiting (due or between attempts, of every kind) beyond which the
# oldest is dropped.
MAX_PENDING = 10_000
# Attempts running at the same time, per daemon.
CONCURRENCY = 2
# How often the outbox is looked at for rows queued by other daemons.
POLL_INTERVAL = 5.0
# How long a claim holds when its attempt neither ends nor is abandoned
# (its daemon died): longer than any attempt may take.
LEASE = 600.0
# How long rows given up are kept for the owner to read.
FAILED_KEPT = 30 * 24 * 3600.0
# How often rows given up long ago are removed.
CLEANUP_INTERVAL = 3600.0


def daemon_id() -> str:
    """
    Return a name for this daemon's claims, unique among the daemons of a
    database (on this host or another) and across restarts.
    """
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def recipients_of(address: str) -> str:
    """
    Return who a row goes to, for the log: the C{to} of its address.
    """
    try:
        to = json.loads(address).get("to", address)
    except (ValueError, AttributeError):
        return address
    return ", ".join(to) if isinstance(to, list) else str(to)


def _claim(
    txn: Any, kind: str, claimer: str, now: float, lease: float, limit: int
) -> tuple[list[OutboxRow], float | None]:
    rows = claim_interaction(txn, kind, claimer, now, lease, limit)
    return rows, next_due_interaction(txn, kind, claimer, now)


class Courier(Service):
    """
    Delivers the outbox rows of one kind.  A subclass names the kind and
    says how one attempt is made (L{attempt}) and which failures are final
    (L{permanent}).

    Rows queued before the service starts wait for it; stopping it abandons
    the attempts on the wire and gives their rows back at once, for the
    next start or another daemon.
    """

    log = Logger()

    # The kind of row this courier delivers, and what one is called in
    # the log.
    kind = ""
    noun = "message"

    def __init__(
        self,
        database: Any,
        clock: IReactorTime,
        *,
        claimer: str | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        max_pending: int = MAX_PENDING,
        concurrency: int = CONCURRENCY,
        poll_interval: float | None = POLL_INTERVAL,
        lease: float = LEASE,
        metrics: SiteMetrics | None = None,
    ) -> None:
        """
        @param claimer: this daemon's name on its claims; by default a new
            unique one.
        @param poll_interval: how often to look for others' rows; None for
            never (a daemon alone on its database wakes for its own work).
        @param metrics: where deliveries and rows given up are counted.
        """
        self._database = database
        self._clock = clock
        self.claimer = claimer if claimer is not None else daemon_id()
        self.retry_delays = retry_delays
        self.max_pending = max_pending
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease
        self.metrics = metrics
        # Attempts on the wire, by row id; the row stays here until its
        # outcome is written.
        self._sending: dict[int, Deferred[Any]] = {}
        self._passing = False
        self._again = False
        self._timer: IDelayedCall | None = None
        # When a row may next be claimed, as of the last look (None: none
        # waits).
        self._next_due: float | None = None
        self._last_cleanup: float | None = None
        self._idle_waiters: list[Deferred[None]] = []

    # What a subclass provides

    def attempt(self, row: OutboxRow) -> Deferred[Any]:
        """
        Make one attempt to deliver C{row}; the Deferred fails if it did
        not leave.
        """
        raise NotImplementedError

    def permanent(self, failure: Failure) -> bool:
        """
        Whether trying again cannot help.
        """
        return False

    # Queueing

    def enqueue(self, address: dict[str, Any], description: str, body: str) -> Deferred[None]:
        """
        Store a row for delivery, due at once, and wake this courier; the
        Deferred fires once it is stored.

        @param address: where it goes, as JSON; C{to} names the recipient(s).
        """
        d = self._database.run(
            enqueue_interaction,
            self.kind,
            json.dumps(address),
            description,
            body,
            self._clock.seconds(),
            self.max_pending,
        )

        def stored(dropped: list[Any]) -> None:
            for row in dropped:
                self.log.warn(
                    "Delivery queue full ({limit} waiting): dropped "
                    "{description} to {recipient}",
                    limit=self.max_pending,
                    description=row.description,
                    recipient=recipients_of(row.address),
                )
            self._wake()

        return d.addCallback(stored)

    def pending(self) -> Deferred[int]:
        """
        Return how many rows of this kind wait to be sent, by any daemon.
        """
        return self._database.run(waiting_interaction, self.kind)

    def idle(self) -> Deferred[None]:
        """
        Return a Deferred that fires once this courier is neither looking
        at the outbox nor sending, and (while it runs) nothing of its kind
        waits there.
        """
        if self._is_idle():
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._idle_waiters.append(d)
        return d

    def _is_idle(self) -> bool:
        if self._passing or self._sending:
            return False
        return not self.running or self._next_due is None

    def _check_idle(self) -> None:
        if self._is_idle():
            waiters, self._idle_waiters = self._idle_waiters, []
            for d in waiters:
                d.callback(None)

    # Looking at the outbox

    def _wake(self) -> None:
        """
        Claim and start what is due now, unless a look is under way (then
        look again once it ends).
        """
        if not self.running:
            return
        if self._passing:
            self._again = True
            return
        self._passing = True
        self._again = False
        d = Deferred.fromCoroutine(self._look())
        d.addErrback(
            lambda f: self.log.failure("While looking for work in the outbox", f)
        )
        d.addBoth(self._looked)

    async def _look(self) -> None:
        now = self._clock.seconds()
        if self._last_cleanup is None or now - self._last_cleanup >= CLEANUP_INTERVAL:
            self._last_cleanup = now
            await self._database.run(forget_failed_interaction, now - FAILED_KEPT)
        rows, due = await self._database.run(
            _claim,
            self.kind,
            self.claimer,
            now,
            self.lease,
            self.concurrency - len(self._sending),
        )
        self._next_due = due
        if not self.running:
            # Stopped meanwhile: the release at stop gives these back.
            return
        for row in rows:
            self._start(row)

    def _looked(self, result: object) -> None:
        self._passing = False
        if not self.running:
            self._check_idle()
            return
        due = self._next_due
        now = self._clock.seconds()
        if self._again or (
            due is not None and due <= now and len(self._sending) < self.concurrency
        ):
            self._wake()
            return
        if due is not None and due > now:
            self._wake_at(due)
        if self.poll_interval is not None:
            self._wake_at(now + self.poll_interval)
        self._check_idle()

    def _wake_at(self, when: float) -> None:
        """
        Look at the outbox again at C{when}, or earlier if already planned.
        """
        if self._timer is not None and self._timer.active():
            if self._timer.getTime() <= when:
                return
            self._timer.cancel()
        self._timer = self._clock.callLater(
            max(0.0, when - self._clock.seconds()), self._tick
        )

    def _tick(self) -> None:
        self._timer = None
        self._wake()

    # Attempts

    def _start(self, row: OutboxRow) -> None:
        d = maybeDeferred(self.attempt, row)
        self._sending[row.id] = d

        def outcome(result: object) -> None:
            done = Deferred.fromCoroutine(self._settle(row, result))
            done.addErrback(
                lambda f: self.log.failure(
                    "While recording the outcome of {description}",
                    f,
                    description=row.description,
                )
            )
            done.addBoth(lambda _: self._settled(row))

        d.addBoth(outcome)

    async def _settle(self, row: OutboxRow, result: object) -> None:
        recipient = recipients_of(row.address)
        if not isinstance(result, Failure):
            # Even when stopping: it left, so it must not leave again.
            await self._database.run(delivered_interaction, row, self.claimer)
            if self.metrics is not None:
                self.metrics.outbox_sent(self.kind)
            self.log.info(
                "Sent {description} to {recipient}",
                description=row.description,
                recipient=recipient,
            )
            return
        if not self.running:
            # Abandoned at stop; the release at stop gives the row back.
            return
        now = self._clock.seconds()
        error = result.getErrorMessage()
        retries_done = row.attempts - 1
        if self.permanent(result) or retries_done >= len(self.retry_delays):
            await self._database.run(
                give_up_interaction, row, self.claimer, now, error
            )
            if self.metrics is not None:
                self.metrics.outbox_failed(self.kind)
            self.log.failure(
                "Gave up sending {description} to {recipient} after "
                "{attempts} attempt(s)",
                result,
                description=row.description,
                recipient=recipient,
                attempts=row.attempts,
            )
            return
        delay = self.retry_delays[retries_done]
        await self._database.run(
            retry_interaction, row, self.claimer, now + delay, error
        )
        if self.running:
            self._wake_at(now + delay)
        self.log.warn(
            "Could not send {description} to {recipient} (attempt "
            "{attempts}): {error}; trying again in {delay} s",
            description=row.description,
            recipient=recipient,
            attempts=row.attempts,
            error=error,
            delay=delay,
        )

    def _settled(self, row: OutboxRow) -> None:
        self._sending.pop(row.id, None)
        if self.running:
            self._wake()
        else:
            self._check_idle()

    # The service

    def startService(self) -> None:
        super().startService()
        self._wake()

    def stopService(self) -> Deferred[None]:
        """
        Stop looking and abandon the attempts on the wire; the Deferred
        fires once their rows are given back.
        """
        if not self.running:
            return succeed(None)
        super().stopService()
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        for d in list(self._sending.values()):
            d.cancel()
        d = self._database.run(release_interaction, self.claimer, self.kind)

        def released(waiting: int) -> None:
            if waiting:
                self.log.info(
                    "Stopping: {count} {noun}(s) not sent yet; they wait in "
                    "the outbox",
                    count=waiting,
                    noun=self.noun,
                )

        d.addCallback(released)
        d.addErrback(
            lambda f: self.log.failure("While giving back claimed {kind} rows", f,
                                       kind=self.kind)
        )
        d.addBoth(lambda _: self._check_idle())
        return d
