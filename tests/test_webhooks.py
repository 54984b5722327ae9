"""
Fast tests of webhooks (L{isso_tx.webhooks} and
L{isso_tx.notify.webhooknotifier}): a site answered in memory, on a fake
clock, whose webhooks go to a fake HTTP agent the test answers.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.web.client import ResponseDone
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer

from isso_tx.webhooks import (
    MAX_ANSWER,
    TIMEOUT,
    WebhookFailed,
    WebhookRefused,
    WebhookSender,
    matrix_url,
    signature,
)

from .fast_support import ViewTestCase

SECRET = "s3cret-never-logged"
TOKEN = "syt_token_never_logged"
# A Slack hook's address is a credential: its path must not be logged.
SLACK_PATH = "/services/T0/B0/pathNeverLogged"
MATRIX = (
    "https://matrix.example.org/_matrix/client/v3/rooms/%21room%3Aexample.org"
    "/send/m.room.message"
)

HOOKS = (
    "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    "[general]\nname = blog\n"
    "[server]\npublic-endpoint = http://comments.example.org\n"
    f"[webhook.audit]\nurl = https://hooks.example.org/isso\nsecret = {SECRET}\n"
    f"[webhook.chat]\nformat = slack\nurl = https://hooks.slack.com{SLACK_PATH}\n"
    "events = created, pending\n"
    f"[webhook.room]\nformat = matrix\naccess-token = {TOKEN}\nurl = {MATRIX}\n"
    "events = deleted\n"
)


@dataclass
class Sent:
    """
    One request the fake agent was asked to make, and its answer to come.
    """

    method: str
    url: str
    headers: Headers
    body: bytes
    answer: Deferred[Any] = field(default_factory=Deferred)

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name.encode())
        return values[0].decode() if values else None

    def json(self) -> Any:
        return json.loads(self.body)


class _Collect:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


class FakeTransport:
    def __init__(self) -> None:
        self.stopped = False

    def stopProducing(self) -> None:
        self.stopped = True


class FakeResponse:
    """
    An HTTP answer with a status and a body, delivered at once.
    """

    def __init__(self, code: int, body: bytes = b"ok") -> None:
        self.code = code
        self._body = body
        self.transport = FakeTransport()

    def deliverBody(self, protocol: Any) -> None:
        protocol.makeConnection(self.transport)
        for start in range(0, len(self._body), 4096):
            protocol.dataReceived(self._body[start:start + 4096])
            if self.transport.stopped:
                break
        protocol.connectionLost(Failure(ResponseDone()))


class FakeAgent:
    """
    Records each request, and answers it with the status C{auto}; when
    that is None, the test answers it through L{Sent.answer}.
    """

    def __init__(self, auto: int | None = 200) -> None:
        self.sent: list[Sent] = []
        self.auto = auto

    def request(
        self, method: bytes, uri: bytes, headers: Headers | None = None,
        bodyProducer: IBodyProducer | None = None,
    ) -> Deferred[Any]:
        body = _Collect()
        if bodyProducer is not None:
            bodyProducer.startProducing(body)
        sent = Sent(method.decode(), uri.decode(), headers or Headers(), body.data)
        self.sent.append(sent)
        if self.auto is not None:
            sent.answer.callback(FakeResponse(self.auto))
        return sent.answer

    def to(self, host: str) -> list[Sent]:
        return [sent for sent in self.sent if host in sent.url]


class WebhookTestCase(ViewTestCase):
    """
    A site named blog with three webhooks: C{audit} (json, every event),
    C{chat} (slack: created, pending), C{room} (matrix: deleted).
    """

    config = HOOKS

    def setUp(self) -> None:
        super().setUp()
        self.events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        sender = self.site.webhooks
        assert isinstance(sender, WebhookSender)
        self.sender = sender
        self.agent = FakeAgent()
        sender.agent = self.agent

    def outbox(self) -> list[dict[str, Any]]:
        return [
            dict(row)
            for row in self.database.query(
                "SELECT * FROM isso_tx_outbox WHERE kind = 'webhook' ORDER BY id"
            )
        ]

    def logged(self) -> str:
        """
        Return every line logged so far, failures' tracebacks included.
        """
        lines = []
        for event in self.events:
            lines.append(formatEvent(event))
            failure = event.get("log_failure")
            if failure is not None:
                lines.append(failure.getTraceback())
        return "\n".join(lines)


class PayloadTests(WebhookTestCase):
    def test_created_json(self) -> None:
        """
        A new comment sends the documented json payload to a json target,
        signed over the timestamp and the body with the secret.
        """
        comment = self.post_comment(
            author="Jane", website="https://jane.example", text="Hello *there*"
        )
        [sent] = self.agent.to("hooks.example.org")
        self.assertEqual((sent.method, sent.url), ("POST", "https://hooks.example.org/isso"))
        timestamp = sent.header("X-Isso-Timestamp")
        self.assertEqual(timestamp, str(int(self.reactor.seconds())))
        expected = "sha256=" + hmac.new(
            SECRET.encode(), f"{timestamp}.".encode() + sent.body, "sha256"
        ).hexdigest()
        self.assertEqual(sent.header("X-Isso-Signature-256"), expected)
        self.assertEqual(sent.header("Content-Type"), "application/json")
        self.assertEqual(sent.header("X-Isso-Event"), "created")
        self.assertIsNone(sent.header("Authorization"))
        payload = sent.json()
        key = self.site.signer.moderation_key(comment["id"])
        endpoint = "http://comments.example.org"
        self.assertEqual(
            payload,
            {
                "event": "created",
                "site": "blog",
                "thread": {"uri": "/path/", "title": "A page"},
                "comment": {
                    "id": comment["id"],
                    "parent": None,
                    "mode": "published",
                    "created": comment["created"],
                    "modified": None,
                    "author": "Jane",
                    "website": "https://jane.example",
                    "text": "Hello *there*",
                    "html": "<p>Hello <em>there</em></p>",
                    "url": f"http://example.org/path/#isso-{comment['id']}",
                },
                "links": {
                    "edit": f"{endpoint}/id/{comment['id']}/edit/{key}",
                    "delete": f"{endpoint}/id/{comment['id']}/delete/{key}",
                },
            },
        )
        self.assertNotIn("email", payload["comment"])
        self.assertNotIn("remote_addr", payload["comment"])

    def test_signature_function(self) -> None:
        """
        The signature is HMAC-SHA256 over "timestamp.body", in hex, after
        "sha256=", as the README tells receivers.
        """
        self.assertEqual(
            signature("key", "1700000000", b'{"a":1}'),
            "sha256=" + hmac.new(b"key", b'1700000000.{"a":1}', "sha256").hexdigest(),
        )

    def test_slack(self) -> None:
        """
        A slack target gets an incoming-webhook message naming the page,
        the author and the text.
        """
        self.post_comment(author="Jane", text="Nice post")
        [sent] = self.agent.to("hooks.slack.com")
        self.assertEqual(sent.method, "POST")
        self.assertIsNone(sent.header("X-Isso-Signature-256"))
        text = sent.json()["text"]
        self.assertIn("*New comment* on <http://example.org/path/#isso-1|A page> by Jane",
                      text)
        self.assertIn("> Nice post", text)
        self.assertIn("|Delete>", text)

    def test_matrix(self) -> None:
        """
        A matrix target gets an m.room.message PUT to the room's send
        endpoint under a transaction id, with the access token as bearer.
        """
        comment = self.post_comment(author="Jane", text="To be removed")
        self.post_comment(text="Keeps the thread")
        self.assertEqual(self.agent.to("matrix"), [])
        self.browser.delete(f"/id/{comment['id']}")
        [sent] = self.agent.to("matrix")
        self.assertEqual(sent.method, "PUT")
        delivery = sent.header("X-Isso-Delivery")
        self.assertEqual(sent.url, f"{MATRIX}/{delivery}")
        self.assertEqual(sent.header("Authorization"), f"Bearer {TOKEN}")
        message = sent.json()
        self.assertEqual(message["msgtype"], "m.text")
        self.assertEqual(message["format"], "org.matrix.custom.html")
        self.assertIn('Comment deleted on "A page" by Jane', message["body"])
        self.assertIn("<strong>Comment deleted</strong>", message["formatted_body"])

    def test_matrix_url(self) -> None:
        """
        The transaction id goes after the send endpoint, replacing one
        written in the configured address.
        """
        base = "https://m.example/_matrix/client/v3/rooms/%21r/send/m.room.message"
        self.assertEqual(matrix_url(base, "abc"), base + "/abc")
        self.assertEqual(matrix_url(base + "/{txnId}", "abc"), base + "/abc")
        self.assertEqual(matrix_url(base + "?x=1", "abc"), base + "/abc?x=1")


class EventTests(WebhookTestCase):
    def events_sent(self, host: str = "hooks.example.org") -> list[str]:
        return [sent.header("X-Isso-Event") or "" for sent in self.agent.to(host)]

    def test_each_event(self) -> None:
        """
        A json target with every event hears of a new comment, an edit by
        its author and a deletion, with the thread and comment each time.
        """
        comment = self.post_comment(text="First")
        self.browser.put(f"/id/{comment['id']}", {"text": "Second"})
        self.browser.delete(f"/id/{comment['id']}")
        self.assertEqual(self.events_sent(), ["created", "edited", "deleted"])
        created, edited, deleted = (sent.json() for sent in self.agent.to("hooks.example"))
        self.assertEqual(created["thread"], {"uri": "/path/", "title": "A page"})
        self.assertEqual(edited["comment"]["text"], "Second")
        self.assertEqual(edited["comment"]["html"], "<p>Second</p>")
        self.assertEqual(edited["thread"], {"uri": "/path/", "title": "A page"})
        self.assertEqual(deleted["comment"]["text"], "Second")
        self.assertEqual(deleted["links"], {})
        # The thread went with its only comment.
        self.assertEqual(deleted["thread"], {"uri": "/path/", "title": None})

    def test_deleted_by_owner(self) -> None:
        """
        A deletion from the mail's link is told as the reader's own is,
        with the thread's title while the thread has other comments.
        """
        comment = self.post_comment(author="Jane", text="Spam")
        self.post_comment(text="Stays")
        key = self.site.signer.moderation_key(comment["id"])
        response = self.browser.post(f"/id/{comment['id']}/delete/{key}", form={})
        self.assertEqual(response.code, 200)
        deleted = self.agent.to("hooks.example.org")[-1].json()
        self.assertEqual(deleted["event"], "deleted")
        self.assertEqual(deleted["thread"], {"uri": "/path/", "title": "A page"})
        self.assertEqual(
            (deleted["comment"]["author"], deleted["comment"]["text"]), ("Jane", "Spam")
        )

    def test_filtered(self) -> None:
        """
        A target hears only of the events it names: the slack target
        (created, pending) hears nothing of edits and deletions.
        """
        comment = self.post_comment(text="First")
        self.browser.put(f"/id/{comment['id']}", {"text": "Second"})
        self.browser.delete(f"/id/{comment['id']}")
        self.assertEqual(self.events_sent("hooks.slack.com"), ["created"])
        self.assertEqual(self.events_sent("matrix"), ["deleted"])

    def test_no_webhooks(self) -> None:
        """
        A site without webhook sections has no webhook sender.
        """
        site = self.open("[guard]\nenabled = false\n", name="plain")
        self.assertIsNone(site.webhooks)
        self.assertIsNone(site.webhook_notifier)


class ModeratedEventTests(WebhookTestCase):
    config = HOOKS + "[moderation]\nenabled = true\n"

    def test_pending_then_approved(self) -> None:
        """
        On a moderated site a new comment is "pending", with a link to
        approve it; publishing it from the mail's link sends "approved".
        """
        comment = self.post_comment(text="Wait for me")
        [pending] = self.agent.to("hooks.example.org")
        payload = pending.json()
        self.assertEqual((payload["event"], payload["comment"]["mode"]),
                         ("pending", "pending"))
        key = self.site.signer.moderation_key(comment["id"])
        self.assertEqual(
            payload["links"]["activate"],
            f"http://comments.example.org/id/{comment['id']}/activate/{key}",
        )
        response = self.browser.post(f"/id/{comment['id']}/activate/{key}", form={})
        self.assertEqual(response.code, 200)
        _, approved = self.agent.to("hooks.example.org")
        payload = approved.json()
        self.assertEqual((payload["event"], payload["comment"]["mode"]),
                         ("approved", "published"))
        self.assertEqual(payload["comment"]["html"], "<p>Wait for me</p>")
        self.assertNotIn("activate", payload["links"])
        # The slack target asked for pending, not approved.
        self.assertEqual(
            [sent.json()["text"].split("*")[1] for sent in self.agent.to("slack")],
            ["Comment to approve"],
        )


class DeliveryTests(WebhookTestCase):
    config = HOOKS.replace("events = created, pending\n", "events = pending\n")

    def setUp(self) -> None:
        super().setUp()
        self.agent.auto = None

    def test_delivered(self) -> None:
        """
        A 2xx answer delivers the webhook: it leaves the outbox.
        """
        self.post_comment()
        self.assertEqual(len(self.outbox()), 1)
        [sent] = self.agent.sent
        sent.answer.callback(FakeResponse(204, b""))
        self.assertEqual(self.outbox(), [])
        self.assertIn("Sent the created webhook for comment 1 to [webhook.audit]",
                      self.logged())

    def test_server_error_retried(self) -> None:
        """
        A 5xx is tried again after the outbox's pause, with the same
        delivery id and a fresh timestamp and signature.
        """
        self.post_comment()
        [first] = self.agent.sent
        first.answer.callback(FakeResponse(503, b"busy"))
        [row] = self.outbox()
        self.assertEqual(row["last_error"], "[webhook.audit] answered HTTP 503")
        self.assertIsNone(row["failed"])
        self.advance(9)
        self.assertEqual(len(self.agent.sent), 1)
        self.advance(1)
        first, second = self.agent.sent
        self.assertEqual(second.body, first.body)
        self.assertEqual(second.header("X-Isso-Delivery"), first.header("X-Isso-Delivery"))
        timestamp = second.header("X-Isso-Timestamp")
        self.assertEqual(timestamp, str(int(self.reactor.seconds())))
        self.assertEqual(
            second.header("X-Isso-Signature-256"),
            signature(SECRET, timestamp, second.body),
        )
        second.answer.callback(FakeResponse(200))
        self.assertEqual(self.outbox(), [])

    def test_client_error_not_retried(self) -> None:
        """
        A 4xx is final: the webhook is given up at once, logged with the
        target's name and the status, and kept in the outbox with its error.
        """
        self.post_comment()
        [sent] = self.agent.sent
        sent.answer.callback(FakeResponse(410, b"gone"))
        [row] = self.outbox()
        self.assertIsNotNone(row["failed"])
        self.assertEqual(row["last_error"], "[webhook.audit] answered HTTP 410")
        self.advance(3600)
        self.assertEqual(len(self.agent.sent), 1)
        self.assertIn("Gave up sending the created webhook for comment 1 to "
                      "[webhook.audit] after 1 attempt(s)", self.logged())
        self.assertEqual(len(self.flushLoggedErrors(WebhookRefused)), 1)

    def test_too_many_requests_retried(self) -> None:
        """
        429 (too many requests) says "later", not "never": it is retried.
        """
        self.post_comment()
        self.agent.sent[0].answer.callback(FakeResponse(429))
        self.advance(10)
        self.assertEqual(len(self.agent.sent), 2)

    def test_redirect_not_followed(self) -> None:
        """
        A redirect is not followed and not retried: the log says to give
        the final address.
        """
        self.post_comment()
        self.agent.sent[0].answer.callback(FakeResponse(301))
        [row] = self.outbox()
        self.assertIsNotNone(row["failed"])
        self.assertIn("redirects are not followed", row["last_error"])
        self.flushLoggedErrors(WebhookRefused)

    def test_timeout_retried(self) -> None:
        """
        A receiver that does not answer within 10 s is hung up on, and the
        webhook tried again later.
        """
        self.post_comment()
        [sent] = self.agent.sent
        self.advance(TIMEOUT)
        self.assertTrue(sent.answer.called)
        [row] = self.outbox()
        self.assertIsNone(row["failed"])
        self.assertEqual(row["last_error"], "[webhook.audit] did not answer within 10 s")
        self.advance(10)
        self.assertEqual(len(self.agent.sent), 2)

    def test_gives_up_after_retries(self) -> None:
        """
        After the last pause the webhook is given up, as mail is.
        """
        self.post_comment()
        for delay in (10, 60, 300):
            self.agent.sent[-1].answer.callback(FakeResponse(500))
            self.advance(delay)
        self.agent.sent[-1].answer.callback(FakeResponse(500))
        self.assertEqual(len(self.agent.sent), 4)
        [row] = self.outbox()
        self.assertIsNotNone(row["failed"])
        self.assertEqual(len(self.flushLoggedErrors(WebhookFailed)), 1)

    def test_bounded_answer(self) -> None:
        """
        A receiver answering with an endless body is read no further than
        the bound, and the attempt still ends.
        """
        self.post_comment()
        [sent] = self.agent.sent
        response = FakeResponse(200, b"x" * (MAX_ANSWER * 4))
        sent.answer.callback(response)
        self.assertTrue(response.transport.stopped)
        self.assertEqual(self.outbox(), [])

    def test_target_gone(self) -> None:
        """
        A queued webhook whose section was removed from the configuration
        since is given up rather than sent anywhere.
        """
        self.sender._targets.clear()
        self.post_comment()
        self.assertEqual(self.agent.sent, [])
        [row] = self.outbox()
        self.assertIsNotNone(row["failed"])
        self.assertIn("no [webhook.audit] in the configuration", row["last_error"])
        self.flushLoggedErrors(WebhookRefused)

    def test_request_never_waits(self) -> None:
        """
        The comment is answered while its webhook is still on the wire.
        """
        response = self.browser.post(
            "/new?uri=/path/", {"text": "Quick", "title": "A page"}
        )
        self.assertEqual(response.code, 201)
        [sent] = self.agent.sent
        self.assertFalse(sent.answer.called)

    def test_credentials_never_logged(self) -> None:
        """
        Whatever happens to deliveries (delivered, retried, timed out,
        refused, given up), no log line shows a secret, a token or a
        hook's private address.
        """
        self.sender.concurrency = 3
        comment = self.post_comment()
        self.browser.delete(f"/id/{comment['id']}")
        audit_created, audit_deleted, _room = self.agent.sent
        audit_created.answer.callback(FakeResponse(500, SECRET.encode()))
        audit_deleted.answer.callback(FakeResponse(401, TOKEN.encode()))
        self.advance(TIMEOUT)  # room times out
        for _ in range(4):
            self.advance(300)
            for sent in self.agent.sent:
                if not sent.answer.called:
                    sent.answer.errback(Failure(ConnectionRefusedError("refused")))
        text = self.logged()
        self.assertIn("[webhook.audit]", text)
        self.assertIn("[webhook.room]", text)
        self.assertIn("HTTP 500", text)
        for secret in (SECRET, TOKEN, SLACK_PATH, "hooks.example.org", "_matrix"):
            self.assertNotIn(secret, text)
        for row in self.database.query("SELECT address, last_error FROM isso_tx_outbox"):
            for secret in (SECRET, TOKEN, SLACK_PATH, "_matrix"):
                self.assertNotIn(secret, row["address"])
                self.assertNotIn(secret, row["last_error"] or "")
        self.flushLoggedErrors(WebhookFailed, ConnectionRefusedError)
