"""
Sending mail through an SMTP server, in the background.

Nothing here ever makes a request wait on the server: L{Mailer.send}
stores a message in the site's outbox (L{isso_tx.outbox}), which outlives
restarts and is shared by every daemon of the site.  A few deliveries run
at a time; a delivery that fails for a reason that may pass (the server is
down, busy, or answered with a temporary error) is tried again later, with
growing pauses, then given up and logged; a refusal (5xx) is final.  When
the outbox is full the oldest waiting message is dropped, so a dead or slow
server never piles up unbounded work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.ssl import optionsForClientTLS
from twisted.mail.smtp import ESMTPSenderFactory, SMTPClientError
from twisted.python.failure import Failure

from .outbox import Courier
from .settings import SMTPConfig
from .store.outbox import OutboxRow


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
    # Attempts made so far, this one included.
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


def _conversation_limit(config: SMTPConfig) -> float:
    """
    Return the longest one attempt may take, connection included.
    """
    return float(max(6 * (config.timeout or 10), 60))


class Mailer(Courier):
    """
    A site's outgoing mail: queued in the outbox (L{send}), and delivered
    from there to the SMTP server of C{[smtp]}.
    """

    kind = "mail"
    noun = "mail"

    # Certificates to trust instead of the system's (an
    # C{IOpenSSLTrustRoot}).  Tests set it to accept their own server; a
    # configuration never does.
    trust_root: Any = None

    def __init__(
        self,
        config: SMTPConfig,
        reactor: Any,
        database: Any,
        clock: IReactorTime | None = None,
        **options: Any,
    ) -> None:
        """
        @param database: the site's database, where the outbox is.
        @param options: passed on to L{Courier}; the lease defaults to
            the longest a conversation with the server may take, and a
            minute more.
        """
        options.setdefault("lease", _conversation_limit(config) + 60.0)
        super().__init__(
            database, clock if clock is not None else reactor, **options
        )
        self._config = config
        self._reactor = reactor

    def send(self, mail: OutgoingMail) -> Deferred[None]:
        """
        Queue a message in the outbox; the Deferred fires once it is
        stored (never waiting for the server).
        """
        return self.enqueue(
            {"from": mail.sender, "to": [mail.recipient]},
            mail.description,
            # One character per byte, so that the bytes come back exactly.
            mail.data.decode("latin-1"),
        )

    def attempt(self, row: OutboxRow) -> Deferred[Any]:
        address = json.loads(row.address)
        [recipient] = address["to"]
        return self._deliver(
            OutgoingMail(
                sender=address["from"],
                recipient=recipient,
                data=row.body.encode("latin-1"),
                description=row.description,
                attempts=row.attempts,
            )
        )

    def permanent(self, failure: Failure) -> bool:
        return _permanent(failure)

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
        result.addTimeout(_conversation_limit(config), self._clock)
        return result

    # The service

    def startService(self) -> None:
        config = self._config
        if config.security == "none" and config.username and config.password:
            self.log.warn(
                "[smtp] security = none: the SMTP password is sent without "
                "encryption to {host}",
                host=config.host,
            )
        super().startService()
