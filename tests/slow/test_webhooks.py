"""
Webhooks to a real HTTP receiver on a loopback port: a site on a port of
its own posts its events there; the receiver checks each signature and
timestamp as the README tells receivers to, and answers as the test says.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import serverFromString
from twisted.web.resource import Resource
from twisted.web.server import Site

from isso_tx.webhooks import WebhookRefused

from ..support import DatabaseMixin, SiteTestCase

SECRET = "a secret the receiver shares"
# How far a timestamp may be from the receiver's clock.
TOLERANCE = 300


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> Deferred[None]:
    """
    Fire once C{condition()} holds, looking every few milliseconds; fail
    after C{timeout} seconds.
    """
    d: Deferred[None] = Deferred()
    deadline = time.monotonic() + timeout

    def check() -> None:
        if condition():
            d.callback(None)
        elif time.monotonic() > deadline:
            d.errback(AssertionError("the condition never held"))
        else:
            reactor.callLater(0.01, check)

    check()
    return d


class Receiver(Resource):
    """
    A webhook receiver: verifies each request's signature and timestamp,
    keeps the payloads it accepts, and answers with the statuses given
    (then 200).
    """

    isLeaf = True

    def __init__(self, statuses: tuple[int, ...]) -> None:
        super().__init__()
        self.statuses = list(statuses)
        # Every request, verified or not: (status answered, headers, body).
        self.requests: list[tuple[int, dict[str, str], bytes]] = []
        self.accepted: list[dict[str, Any]] = []

    def verified(self, timestamp: str, signature: str, body: bytes) -> bool:
        """
        Check a request as a receiver should: the signature in constant
        time, and the timestamp close to now (refusing replays).
        """
        expected = "sha256=" + hmac.new(
            SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < TOLERANCE
        return fresh and hmac.compare_digest(expected, signature)

    def render_POST(self, request: Any) -> bytes:
        body = request.content.read()
        headers = {
            name.decode().lower(): values[0].decode()
            for name, values in request.requestHeaders.getAllRawHeaders()
        }
        if not self.verified(
            headers.get("x-isso-timestamp", ""),
            headers.get("x-isso-signature-256", ""),
            body,
        ):
            status = 401
        else:
            status = self.statuses.pop(0) if self.statuses else 200
            if status == 200:
                self.accepted.append(json.loads(body))
        self.requests.append((status, headers, body))
        request.setResponseCode(status)
        return b"thanks" if status == 200 else b"no"


class WebhookSiteTestCase(DatabaseMixin, SiteTestCase):
    """
    A site with one json webhook to a receiver of the test's own.
    """

    # What the receiver answers first.
    statuses: tuple[int, ...] = ()
    # The site's configuration, before its webhook section.
    extra_config = SiteTestCase.config

    @inlineCallbacks
    def setUp(self) -> Any:
        self.receiver = Receiver(self.statuses)
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(Site(self.receiver))
        self.addCleanup(port.stopListening)
        self.config = (
            self.extra_config
            + f"[webhook.receiver]\nurl = http://127.0.0.1:{port.getHost().port}/hook\n"
            f"secret = {SECRET}\n"
        )
        yield super().setUp()
        sender = self.site.webhooks
        assert sender is not None
        # Retries due in a blink rather than after 10 s.
        sender.retry_delays = (0.2, 0.2, 0.2)
        self.sender = sender

    def outbox(self) -> list[tuple[Any, ...]]:
        """
        Return the webhooks in the outbox: (failed, last_error, attempts).
        """
        return self.stored(
            "SELECT failed, last_error, attempts FROM isso_tx_outbox "
            "WHERE kind = 'webhook'"
        )


class EventTests(WebhookSiteTestCase):
    @inlineCallbacks
    def test_created(self):
        """
        Posting a comment makes the receiver get a verified "created"
        payload naming the thread and the comment.
        """
        comment = yield self.post_comment(author="Jane", text="Hello *there*")
        yield wait_until(lambda: len(self.receiver.accepted) == 1)
        [payload] = self.receiver.accepted
        self.assertEqual(payload["event"], "created")
        self.assertEqual(payload["thread"], {"uri": "/path/", "title": "A page"})
        self.assertEqual(payload["comment"]["id"], comment["id"])
        self.assertEqual(payload["comment"]["author"], "Jane")
        self.assertEqual(payload["comment"]["html"], "<p>Hello <em>there</em></p>")
        self.assertEqual(payload["comment"]["mode"], "published")
        [(status, headers, _)] = self.receiver.requests
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-isso-event"], "created")
        yield wait_until(lambda: self.outbox() == [])


class ModeratedEventTests(WebhookSiteTestCase):
    extra_config = SiteTestCase.config + "[moderation]\nenabled = true\n"

    @inlineCallbacks
    def test_pending_then_approved(self):
        """
        On a moderated site the receiver gets "pending" with the signed
        link to approve; following that link (as from the mail) and pressing
        the button sends "approved".
        """
        comment = yield self.post_comment(text="Wait for me")
        yield wait_until(lambda: len(self.receiver.accepted) == 1)
        [pending] = self.receiver.accepted
        self.assertEqual((pending["event"], pending["comment"]["mode"]),
                         ("pending", "pending"))
        link = pending["links"]["activate"]
        # The key is signed with the second it was made in: check what it
        # says rather than compare it with one made now.
        prefix = f"{self.base}/id/{comment['id']}/activate/"
        self.assertTrue(link.startswith(prefix), link)
        key = link[len(prefix):]
        self.assertEqual(self.site.signer.load_moderation_key(key), comment["id"])
        response = yield self.client.post(
            urlsplit(link).path,
            raw=urlencode({}).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(response.code, 200)
        yield wait_until(lambda: len(self.receiver.accepted) == 2)
        approved = self.receiver.accepted[1]
        self.assertEqual((approved["event"], approved["comment"]["mode"]),
                         ("approved", "published"))
        self.assertEqual(approved["comment"]["id"], comment["id"])


class RetryTests(WebhookSiteTestCase):
    statuses = (500,)

    @inlineCallbacks
    def test_server_error_retried(self):
        """
        A receiver that answers 500 then 200 gets the same delivery twice,
        freshly signed, and the outbox is then empty.
        """
        yield self.post_comment()
        yield wait_until(lambda: len(self.receiver.accepted) == 1)
        (first, first_headers, first_body), (second, second_headers, second_body) = (
            self.receiver.requests
        )
        self.assertEqual((first, second), (500, 200))
        self.assertEqual(first_body, second_body)
        self.assertEqual(first_headers["x-isso-delivery"], second_headers["x-isso-delivery"])
        yield wait_until(lambda: self.outbox() == [])


class RefusedTests(WebhookSiteTestCase):
    statuses = (403,)

    @inlineCallbacks
    def test_client_error_not_retried(self):
        """
        A receiver that answers 403 is not asked again: the webhook is
        given up and kept in the outbox with the status.
        """
        yield self.post_comment()
        yield wait_until(lambda: bool(self.outbox()) and self.outbox()[0][0] is not None)
        [(_, error, attempts)] = self.outbox()
        self.assertEqual(error, "[webhook.receiver] answered HTTP 403")
        self.assertEqual(attempts, 1)
        # Longer than every retry pause together: nothing more comes.
        yield wait_until(lambda: False, timeout=0.8).addErrback(lambda _: None)
        self.assertEqual([status for status, _, _ in self.receiver.requests], [403])
        self.assertEqual(len(self.flushLoggedErrors(WebhookRefused)), 1)


class ReceiverTests(WebhookSiteTestCase):
    def test_receiver_refuses_forgeries(self):
        """
        The test's receiver is no pushover: a changed body, another secret
        or an old timestamp fails its check, so the tests above prove the
        site signs correctly.
        """
        now = str(int(time.time()))
        body = b'{"event":"created"}'
        good = "sha256=" + hmac.new(
            SECRET.encode(), now.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        self.assertTrue(self.receiver.verified(now, good, body))
        self.assertFalse(self.receiver.verified(now, good, body + b" "))
        other = "sha256=" + hmac.new(
            b"other", now.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        self.assertFalse(self.receiver.verified(now, other, body))
        old = str(int(time.time()) - 3600)
        old_signed = "sha256=" + hmac.new(
            SECRET.encode(), old.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        self.assertFalse(self.receiver.verified(old, old_signed, body))
