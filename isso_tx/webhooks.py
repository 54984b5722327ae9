"""
Sending webhooks over HTTP, in the background.

Like mail (L{isso_tx.mail}), a webhook never makes a request wait:
L{WebhookSender.send} stores the body in the site's outbox, and the
sender (a L{Courier}) makes the HTTP request from there, a few at a time,
each bounded in time and in what it reads back.  A 2xx answer delivers
it; a 5xx, a 408 or 429, a timeout or a broken connection is tried again
with the outbox's pauses; any other answer (a 4xx, a redirect) is final.

What the outbox keeps is the target's name and the body.  The URL, the
secret and the access token stay in the configuration: they are looked up
at each attempt, so none of them is written to the database, and a
json webhook is signed with the time of the attempt, not of the event (a
receiver that refuses old timestamps still takes a retry).  No log line
names anything but the target's name and the HTTP status: a Slack hook's
URL is a credential too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgent, IBodyProducer, IResponse
from zope.interface import implementer

from .outbox import Courier
from .settings import WebhookConfig
from .store.outbox import OutboxRow

# The longest one request may take, connection and answer included.
TIMEOUT = 10.0
# How much of an answer is read (and thrown away) before hanging up.
MAX_ANSWER = 64 * 1024
# A 4xx that says "not now" rather than "never".
_TRY_AGAIN = (408, 425, 429)
USER_AGENT = b"isso-tx webhooks"
MATRIX_SEND = "/send/m.room.message"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """
    Return the value of C{X-Isso-Signature-256} for a json webhook:
    C{sha256=} and the hex HMAC-SHA256, keyed by the secret, of the
    timestamp, a dot and the body.
    """
    mac = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256
    )
    return "sha256=" + mac.hexdigest()


def matrix_url(url: str, txn_id: str) -> str:
    """
    Return the address to C{PUT} one Matrix message to: the room's send
    endpoint (as configured, with or without a transaction id at its end)
    followed by C{txn_id}, which the homeserver uses to recognise a retry.
    """
    parts = urlsplit(url)
    base, found, _ = parts.path.partition(MATRIX_SEND)
    if not found:
        raise ValueError("not a Matrix send endpoint")
    path = f"{base}{MATRIX_SEND}/{quote(txn_id, safe='')}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


class WebhookFailed(Exception):
    """
    A webhook was not delivered this time; it may be the next.
    """


class WebhookRefused(WebhookFailed):
    """
    A webhook cannot be delivered by trying again.
    """


@implementer(IBodyProducer)
class BytesBody:
    """
    A request body written all at once, when the request starts (Twisted's
    FileBodyProducer writes it later, from a cooperator).
    """

    def __init__(self, body: bytes) -> None:
        self._body = body
        self.length = len(body)

    def startProducing(self, consumer: Any) -> Deferred[None]:
        consumer.write(self._body)
        return succeed(None)

    def stopProducing(self) -> None:
        pass

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass


class _Discard(Protocol):
    """
    Reads an answer's body up to a bound, and throws it away: a receiver
    that keeps talking cannot hold the attempt or fill the memory.
    """

    def __init__(self, limit: int, done: Deferred[None]) -> None:
        self._left = limit
        self._done = done

    def dataReceived(self, data: bytes) -> None:
        self._left -= len(data)
        if self._left < 0 and not self._done.called:
            self._done.callback(None)
            self.transport.stopProducing()

    def connectionLost(self, reason: Failure) -> None:
        if not self._done.called:
            self._done.callback(None)


def _read_bounded(response: IResponse, limit: int) -> Deferred[None]:
    done: Deferred[None] = Deferred()
    response.deliverBody(_Discard(limit, done))
    return done


class WebhookSender(Courier):
    """
    A site's webhooks: queued in the outbox (L{send}) and sent from there
    to the targets of its C{[webhook.NAME]} sections.
    """

    kind = "webhook"
    noun = "webhook"

    def __init__(
        self,
        targets: tuple[WebhookConfig, ...],
        reactor: Any,
        database: Any,
        clock: IReactorTime | None = None,
        agent: IAgent | None = None,
        **options: Any,
    ) -> None:
        """
        @param agent: makes the requests; by default an L{Agent} that
            verifies certificates and keeps no connection open.
        @param options: passed on to L{Courier}; the lease defaults to the
            longest an attempt may take, and a minute more.
        """
        options.setdefault("lease", TIMEOUT + 60.0)
        super().__init__(database, clock if clock is not None else reactor, **options)
        self._targets = {target.name: target for target in targets}
        if agent is None:
            agent = Agent(
                reactor,
                connectTimeout=TIMEOUT,
                pool=HTTPConnectionPool(reactor, persistent=False),
            )
        # Tests put a stand-in here.
        self.agent = agent

    def send(
        self, target: WebhookConfig, event: str, description: str, body: str
    ) -> Deferred[None]:
        """
        Queue one request to C{target} in the outbox; the Deferred fires
        once it is stored (never waiting for the receiver).
        """
        return self.enqueue(
            {
                "to": f"[webhook.{target.name}]",
                "webhook": target.name,
                "event": event,
                # Stays the same across retries: receivers may use it to
                # drop a second copy (Matrix does, as its transaction id).
                "delivery": secrets.token_hex(16),
            },
            description,
            body,
        )

    def request_for(
        self, target: WebhookConfig, address: dict[str, Any], body: bytes
    ) -> tuple[bytes, str, Headers]:
        """
        Return the method, URL and headers of one attempt to deliver C{body}.
        """
        headers = Headers(
            {
                b"Content-Type": [b"application/json"],
                b"User-Agent": [USER_AGENT],
                b"X-Isso-Event": [address["event"].encode("ascii")],
                b"X-Isso-Delivery": [address["delivery"].encode("ascii")],
            }
        )
        if target.format == "json":
            timestamp = str(int(self._clock.seconds()))
            headers.setRawHeaders(b"X-Isso-Timestamp", [timestamp.encode("ascii")])
            headers.setRawHeaders(
                b"X-Isso-Signature-256",
                [signature(target.secret, timestamp, body).encode("ascii")],
            )
        if target.format == "matrix":
            headers.setRawHeaders(
                b"Authorization", [f"Bearer {target.access_token}".encode()]
            )
            return b"PUT", matrix_url(target.url, address["delivery"]), headers
        return b"POST", target.url, headers

    def attempt(self, row: OutboxRow) -> Deferred[Any]:
        address = json.loads(row.address)
        name = address["webhook"]
        target = self._targets.get(name)
        if target is None:
            raise WebhookRefused(
                f"no [webhook.{name}] in the configuration any more"
            )
        body = row.body.encode("utf-8")
        method, url, headers = self.request_for(target, address, body)
        d = self.agent.request(method, url.encode("utf-8"), headers, BytesBody(body))

        def answered(response: IResponse) -> Deferred[None]:
            status = response.code
            read = _read_bounded(response, MAX_ANSWER)
            if 200 <= status < 300:
                return read

            def judge(_: object) -> None:
                what = f"[webhook.{name}] answered HTTP {status}"
                if status >= 500 or status in _TRY_AGAIN or status < 200:
                    raise WebhookFailed(what)
                if 300 <= status < 400:
                    raise WebhookRefused(
                        what + ": redirects are not followed, give the final "
                        "address in url"
                    )
                raise WebhookRefused(what)

            return read.addCallback(judge)

        def late(result: object, timeout: float) -> None:
            raise WebhookFailed(f"[webhook.{name}] did not answer within {timeout:g} s")

        d.addCallback(answered)
        d.addTimeout(TIMEOUT, self._clock, onTimeoutCancel=late)
        return d

    def permanent(self, failure: Failure) -> bool:
        return failure.check(WebhookRefused) is not None
