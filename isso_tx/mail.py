"""
Sending mail through an SMTP server, in the background.

Nothing here ever makes a request wait: L{Mailer.send} puts a message in a
bounded queue and returns.  A few deliveries run at a time; a delivery that
fails for a reason that may pass (the server is down, busy, or answered
with a temporary error) is tried again later, with growing pauses, then
given up and logged.  When the queue is full the oldest waiting message is
dropped, so a dead or slow server never piles up unbounded work.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.ssl import optionsForClientTLS
from twisted.logger import Logger
from twisted.mail.smtp import ESMTPSenderFactory, SMTPClientError
from twisted.python.failure import Failure

from .settings import SMTPConfig

# Pauses before the second, third and fourth attempt of a delivery.
RETRY_DELAYS = (10.0, 60.0, 300.0)
# Messages waiting (queued or between attempts) beyond which the oldest
# is dropped.
MAX_PENDING = 1000
# Deliveries running at the same time.
CONCURRENCY = 2


@dataclass(eq=False)
class OutgoingMail:
    """
    One message for one recipient, ready to go on the wire.
    """

    # Envelope addresses (MAIL FROM, RCPT TO), plain ASCII addr-specs.
    sender: str
    recipient: str
    # The whole message; lines end with "\n" (the SMTP client turns them
    # into CRLF itself, and would double a CRLF).
    data: bytes
    # What the message is, for the log.
    description: str
    attempts: int = field(default=0)


class _SenderFactory(ESMTPSenderFactory):
    """
    Twisted's sender factory, with the protocol's response timeout on the
    injected clock rather than the global reactor.
    """

    def __init__(self, clock: IReactorTime, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.callLater = self._clock.callLater
        return protocol


def _permanent(failure: Failure) -> bool:
    """
    Whether trying again cannot help: the server refused for good (a 5xx
    reply), as opposed to being unreachable, slow or temporarily unwilling.
    """
    error = failure.value
    code = getattr(error, "code", None)
    return isinstance(error, SMTPClientError) and isinstance(code, int) and (
        500 <= code < 600
    )


class Mailer(Service):
    """
    The outgoing mail queue of a site, and its deliveries.

    Messages sent before the service starts wait for it; stopping the
    service drops what is still waiting (and says how much).
    """

    log = Logger()

    # Certificates to trust instead of the system's (an
    # C{IOpenSSLTrustRoot}).  Tests set it to accept their own server; a
    # configuration never does.
    trust_root: Any = None

    def __init__(
        self,
        config: SMTPConfig,
        reactor: Any,
        clock: IReactorTime | None = None,
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        max_pending: int = MAX_PENDING,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._config = config
        self._reactor = reactor
        self._clock: IReactorTime = clock if clock is not None else reactor
        self.retry_delays = retry_delays
        self.max_pending = max_pending
        self.concurrency = concurrency
        self._queue: deque[OutgoingMail] = deque()
        # Messages between two attempts, with the call that requeues them.
        self._waiting: dict[OutgoingMail, IDelayedCall] = {}
        self._sending: dict[OutgoingMail, Deferred[Any]] = {}
        self._idle_waiters: list[Deferred[None]] = []

    # The queue

    @property
    def pending(self) -> int:
        """
        How many messages wait to be sent (not counting those on the wire).
        """
        return len(self._queue) + len(self._waiting)

    def send(self, mail: OutgoingMail) -> None:
        """
        Queue a message; returns at once.
        """
        if self.pending >= self.max_pending:
            self._drop_oldest()
        self._queue.append(mail)
        self._pump()

    def _drop_oldest(self) -> None:
        if self._queue:
            dropped = self._queue.popleft()
        else:
            dropped = min(self._waiting, key=lambda m: self._waiting[m].getTime())
            self._waiting.pop(dropped).cancel()
        self.log.warn(
            "Mail queue full ({limit} messages waiting): dropped {description} "
            "to {recipient}",
            limit=self.max_pending,
            description=dropped.description,
            recipient=dropped.recipient,
        )

    def idle(self) -> Deferred[None]:
        """
        Return a Deferred that fires once nothing is queued, waiting for a
        retry, or being sent.
        """
        if self._is_idle():
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._idle_waiters.append(d)
        return d

    def _is_idle(self) -> bool:
        return not (self._queue or self._waiting or self._sending)

    def _check_idle(self) -> None:
        if self._is_idle():
            waiters, self._idle_waiters = self._idle_waiters, []
            for d in waiters:
                d.callback(None)

    def _pump(self) -> None:
        while self.running and self._queue and len(self._sending) < self.concurrency:
            mail = self._queue.popleft()
            mail.attempts += 1
            d = maybeDeferred(self._deliver, mail)
            self._sending[mail] = d
            d.addCallbacks(
                lambda _, mail=mail: self._delivered(mail),
                lambda f, mail=mail: self._failed(mail, f),
            )
        self._check_idle()

    def _delivered(self, mail: OutgoingMail) -> None:
        del self._sending[mail]
        self.log.info(
            "Sent {description} to {recipient}",
            description=mail.description,
            recipient=mail.recipient,
        )
        self._pump()

    def _failed(self, mail: OutgoingMail, failure: Failure) -> None:
        del self._sending[mail]
        if not self.running:
            # Stopped while on the wire; stopService reported it.
            self._check_idle()
            return
        retries_done = mail.attempts - 1
        if _permanent(failure) or retries_done >= len(self.retry_delays):
            self.log.failure(
                "Gave up sending {description} to {recipient} after "
                "{attempts} attempt(s)",
                failure,
                description=mail.description,
                recipient=mail.recipient,
                attempts=mail.attempts,
            )
        else:
            delay = self.retry_delays[retries_done]
            self.log.warn(
                "Could not send {description} to {recipient} (attempt "
                "{attempts}): {error}; trying again in {delay} s",
                description=mail.description,
                recipient=mail.recipient,
                attempts=mail.attempts,
                error=failure.getErrorMessage(),
                delay=delay,
            )
            self._waiting[mail] = self._clock.callLater(delay, self._retry, mail)
        self._pump()

    def _retry(self, mail: OutgoingMail) -> None:
        del self._waiting[mail]
        # A message that already waited goes before newer ones.
        self._queue.appendleft(mail)
        self._pump()

    # One attempt

    def _deliver(self, mail: OutgoingMail) -> Deferred[Any]:
        """
        Make one attempt to hand C{mail} to the server.
        """
        config = self._config
        security = config.security
        credentials = bool(config.username and config.password)
        tls = (
            optionsForClientTLS(config.host, trustRoot=self.trust_root)
            if security != "none"
            else None
        )

        def cancel(_: Deferred[Any]) -> None:
            factory.sendFinished = True
            protocol = factory.currentProtocol
            if protocol is not None and protocol.transport is not None:
                protocol.transport.abortConnection()
            else:
                connector.disconnect()

        result: Deferred[Any] = Deferred(cancel)
        factory = _SenderFactory(
            self._clock,
            config.username.encode("utf-8") if credentials else None,
            config.password.encode("utf-8") if credentials else None,
            mail.sender,
            [mail.recipient],
            BytesIO(mail.data),
            result,
            retries=0,
            timeout=config.timeout or None,
            # For STARTTLS only; with "ssl" the connection is TLS already.
            contextFactory=tls if security == "starttls" else None,
            # EHLO must work unless the server is a plain, open relay.
            heloFallback=security == "none" and not credentials,
            requireAuthentication=credentials,
            requireTransportSecurity=security != "none",
        )
        connect_timeout = config.timeout or 30
        if security == "ssl":
            connector = self._reactor.connectSSL(
                config.host, config.port, factory, tls, timeout=connect_timeout
            )
        else:
            connector = self._reactor.connectTCP(
                config.host, config.port, factory, timeout=connect_timeout
            )
        # A server that keeps answering, slowly, must not hold a delivery
        # forever: bound the whole conversation too.
        result.addTimeout(max(6 * (config.timeout or 10), 60), self._clock)
        return result

    # The service

    def startService(self) -> None:
        super().startService()
        config = self._config
        if config.security == "none" and config.username and config.password:
            self.log.warn(
                "[smtp] security = none: the SMTP password is sent without "
                "encryption to {host}",
                host=config.host,
            )
        self._pump()

    def stopService(self) -> None:
        super().stopService()
        unsent = len(self._queue) + len(self._waiting) + len(self._sending)
        for call in self._waiting.values():
            call.cancel()
        self._waiting.clear()
        self._queue.clear()
        for d in list(self._sending.values()):
            d.cancel()
        if unsent:
            self.log.warn(
                "Stopping: {count} mail(s) not sent", count=unsent
            )
        self._check_idle()
