"""
Notification mails through a real SMTP server: what the owner and
subscribed commenters receive, over plain SMTP, STARTTLS and implicit TLS,
with a password, and what happens when the server is down or stuck.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.mail.smtp import (
    AUTHDeclinedError,
    SMTPConnectError,
    TLSRequiredError,
)
from twisted.trial.unittest import SynchronousTestCase, TestCase

from isso_tx.config import SMTPConfig
from isso_tx.db import Database, prepare_database
from isso_tx.mail import Mailer, OutgoingMail
from isso_tx.notify.mails import Sender, mailbox
from isso_tx.store.outbox import rows_interaction

from ..mailserver import (
    closed_port,
    make_certificates,
    start_mail_server,
    start_silent_server,
)
from ..support import SiteTestCase

OWNER = "owner@example.org"


def links(text: str) -> dict[str, str]:
    """
    Return the links of a mail body by the label before them.
    """
    return dict(re.findall(r"^([A-Z][\w ]*): (https?://\S+)$", text, re.MULTILINE))


def body(received: Any) -> str:
    return received.message.get_content()


def wait_until(condition: Callable[[], bool]) -> Deferred[None]:
    """
    Fire once C{condition()} holds, looking every few milliseconds.
    """
    d: Deferred[None] = Deferred()

    def check() -> None:
        if condition():
            d.callback(None)
        else:
            reactor.callLater(0.005, check)

    check()
    return d


class MailSiteTestCase(SiteTestCase):
    """
    A site whose mails go to an in-process SMTP server.
    """

    # How the test server is reached: none, starttls or ssl.
    security = "none"
    # How the server offers it, if differently.
    server_security: str | None = None
    credentials: tuple[bytes, bytes] | None = None
    # Added to the site configuration.
    mail_config = "[general]\nnotify = smtp\n"
    trusted = True

    @inlineCallbacks
    def setUp(self) -> Any:
        self.tls = make_certificates() if self.security != "none" else None
        self.smtp = yield start_mail_server(
            self,
            security=self.server_security or self.security,
            tls=self.tls,
            credentials=self.credentials,
        )
        self.inbox = self.smtp.inbox
        port = yield self.mail_port()
        self.config = (
            SiteTestCase.config
            + self.mail_config
            + "[smtp]\nhost = localhost\n"
            + f"port = {port}\nsecurity = {self.security}\n"
            + f"to = {OWNER}\nfrom = comments@example.org\ntimeout = 5\n"
            + self.smtp_config()
        )
        yield super().setUp()
        if self.tls is not None and self.trusted:
            self.site.mailer.trust_root = self.tls.trust_root
        self.site.mailer.retry_delays = (0.01, 0.02, 0.04)
        self.events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)

    def mail_port(self) -> Deferred[int]:
        """
        Return the port the site is told to send mail to.
        """
        return succeed(self.smtp.port)

    def smtp_config(self) -> str:
        if self.credentials is None:
            return ""
        user, password = self.credentials
        return f"username = {user.decode()}\npassword = {password.decode()}\n"

    def settled(self) -> Deferred[None]:
        """
        Wait until every mail has left (or has been given up).
        """
        return self.site.mail_notifier.settled()

    def logged(self, fragment: str) -> list[dict[str, Any]]:
        return [e for e in self.events if fragment in (e.get("log_format") or "")]


class OwnerMailTests(MailSiteTestCase):
    @inlineCallbacks
    def test_new_comment_mail(self):
        """
        The owner gets a UTF-8 plain-text mail about a new comment, with
        proper headers, the text, the page link and a delete link.
        """
        yield self.post_comment(
            uri="/blog/post/",
            text="Très bien — *merci*!\n.leading dot\n",
            author="Zoë & co",
            email="zoe@example.net",
            website="https://zoe.example.net/",
            title="Ünïcode title",
        )
        [received] = yield self.inbox.wait_for(1)
        message = received.message
        self.assertEqual(received.recipient, OWNER)
        self.assertEqual(received.sender, "comments@example.org")
        self.assertEqual(
            message["From"], "Comment notifications <comments@example.org>"
        )
        self.assertEqual(message["To"], OWNER)
        self.assertEqual(message["Subject"], "New comment on Ünïcode title")
        self.assertIsNotNone(message["Date"].datetime)
        self.assertRegex(message["Message-ID"], r"^<[^@>]+@example\.org>$")
        self.assertEqual(message.get_content_type(), "text/plain")
        self.assertEqual(message.get_content_charset(), "utf-8")
        text = body(received)
        self.assertIn("Zoë & co <zoe@example.net> commented on", text)
        self.assertIn("Très bien — *merci*!\n.leading dot\n", text)
        self.assertIn("Website: https://zoe.example.net/", text)
        self.assertIn("Address: 192.0.2.0", text)
        self.assertIn("The Delete page can also ban", text)
        found = links(text)
        self.assertEqual(found["On the page"], "http://example.org/blog/post/#isso-1")
        self.assertNotIn("Publish", found)
        delete = urlsplit(found["Delete"])
        self.assertTrue(delete.path.startswith("/id/1/delete/"))
        self.assertEqual(f"{delete.scheme}://{delete.netloc}", self.base)

        response = yield self.client.post(
            delete.path, raw=b"confirm=yes",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(response.code, 200, response)
        thread = yield self.client.get("/?uri=/blog/post/")
        self.assertEqual(thread.json()["replies"], [])


class ModeratedOwnerMailTests(MailSiteTestCase):
    mail_config = "[general]\nnotify = smtp\n[moderation]\nenabled = true\n"

    @inlineCallbacks
    def test_pending_comment_mail(self):
        """
        A comment awaiting moderation is announced with a link that
        publishes it, next to the delete link.
        """
        yield self.post_comment(author="Anna")
        [received] = yield self.inbox.wait_for(1)
        self.assertEqual(received.message["Subject"], "Comment to approve on A page")
        text = body(received)
        self.assertIn("waits for your approval", text)
        found = links(text)
        publish = urlsplit(found["Publish"]).path
        self.assertTrue(publish.startswith("/id/1/activate/"))
        response = yield self.client.post(
            publish, raw=b"", content_type="application/x-www-form-urlencoded"
        )
        self.assertIn(b"Published", response.body)
        thread = yield self.client.get("/?uri=/path/")
        self.assertEqual(thread.json()["total_replies"], 1)


    @inlineCallbacks
    def test_edit_link(self):
        """
        The mail's Edit link opens a form holding the comment as written;
        saving it changes the comment, which is then published as edited.
        """
        yield self.post_comment(text="Frist post", author="Anna")
        [received] = yield self.inbox.wait_for(1)
        found = links(body(received))
        edit = urlsplit(found["Edit"]).path
        self.assertTrue(edit.startswith("/id/1/edit/"))
        page = yield self.client.get(edit)
        self.assertEqual(page.code, 200)
        self.assertIn(b">\nFrist post</textarea>", page.body)
        saved = yield self.client.post(
            edit, raw=urlencode({"text": "First post", "author": "Anna"}).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        self.assertIn(b"<h1>Saved</h1>", saved.body)
        yield self.client.post(
            urlsplit(found["Publish"]).path, raw=b"",
            content_type="application/x-www-form-urlencoded",
        )
        thread = yield self.client.get("/?uri=/path/")
        self.assertEqual(thread.json()["replies"][0]["text"], "<p>First post</p>")


class StartTLSTests(MailSiteTestCase):
    security = "starttls"

    @inlineCallbacks
    def test_starttls(self):
        """
        With security = starttls the mail goes over an encrypted
        connection, after the server's certificate was checked.
        """
        yield self.post_comment()
        [received] = yield self.inbox.wait_for(1)
        self.assertTrue(received.tls)
        self.assertIn("Lorem ipsum", body(received))


class StartTLSUntrustedTests(MailSiteTestCase):
    security = "starttls"
    trusted = False

    @inlineCallbacks
    def test_certificate_is_verified(self):
        """
        A server whose certificate is not trusted gets no mail: each try
        fails, and the last failure is logged; the comment is stored.
        """
        comment = yield self.post_comment()
        yield self.settled()
        self.assertEqual(self.inbox.messages, [])
        self.assertEqual(len(self.logged("Could not send")), 3)
        [given_up] = self.logged("Gave up sending")
        self.assertEqual(given_up["attempts"], 4)
        [error] = self.flushLoggedErrors(SMTPConnectError)
        self.assertIn("certificate verify failed", error.getErrorMessage())
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["replies"][0]["id"], comment["id"])


class StartTLSRefusedTests(MailSiteTestCase):
    security = "starttls"
    # The server offers no STARTTLS.
    server_security = "none"

    @inlineCallbacks
    def test_no_plain_text_fallback(self):
        """
        When the server cannot encrypt, security = starttls sends nothing
        rather than falling back to plain text, and says so at once.
        """
        yield self.post_comment()
        yield self.settled()
        self.assertEqual(self.inbox.messages, [])
        self.assertEqual(self.logged("Could not send"), [])
        self.assertEqual(len(self.flushLoggedErrors(TLSRequiredError)), 1)


class ImplicitTLSTests(MailSiteTestCase):
    security = "ssl"

    @inlineCallbacks
    def test_implicit_tls(self):
        """
        With security = ssl the connection is TLS from the first byte.
        """
        yield self.post_comment()
        [received] = yield self.inbox.wait_for(1)
        self.assertTrue(received.tls)


class AuthenticationTests(MailSiteTestCase):
    security = "starttls"
    credentials = (b"isso", b"s3cret")

    @inlineCallbacks
    def test_login(self):
        """
        With a username and a password the client logs in (over TLS).
        """
        yield self.post_comment()
        [received] = yield self.inbox.wait_for(1)
        self.assertTrue(received.authenticated)
        self.assertTrue(received.tls)


class WrongPasswordTests(MailSiteTestCase):
    security = "ssl"
    credentials = (b"isso", b"s3cret")

    def smtp_config(self) -> str:
        return "username = isso\npassword = wrong\n"

    @inlineCallbacks
    def test_wrong_password(self):
        """
        A refused password is not tried again; the failure is logged.
        """
        yield self.post_comment()
        yield self.settled()
        self.assertEqual(self.inbox.messages, [])
        self.assertEqual(self.logged("Could not send"), [])
        self.assertEqual(len(self.flushLoggedErrors(AUTHDeclinedError)), 1)


class ServerDownTests(MailSiteTestCase):
    def mail_port(self) -> Deferred[int]:
        return closed_port()

    @inlineCallbacks
    def test_server_down(self):
        """
        When the server is down the comment is stored all the same; the
        mail is tried again three times, then given up with a logged error.
        """
        response = yield self.client.post(
            "/new?uri=/path/", {"text": "Stored anyway", "title": "T"}
        )
        self.assertEqual(response.code, 201)
        yield self.settled()
        retries = self.logged("Could not send")
        self.assertEqual([e["attempts"] for e in retries], [1, 2, 3])
        self.assertEqual([e["delay"] for e in retries], [0.01, 0.02, 0.04])
        [given_up] = self.logged("Gave up sending")
        self.assertEqual(given_up["attempts"], 4)
        self.assertEqual(len(self.flushLoggedErrors(SMTPConnectError)), 1)
        thread = yield self.client.get("/?uri=/path/")
        self.assertEqual(thread.json()["replies"][0]["text"], "<p>Stored anyway</p>")


class StuckServerTests(MailSiteTestCase):
    def mail_port(self) -> Deferred[int]:
        return start_silent_server(self)

    @inlineCallbacks
    def test_stuck_server(self):
        """
        A server that accepts connections and never answers holds up no
        request, and stopping the site abandons the attempts but keeps
        every mail in the outbox, for the next start.
        """
        for n in range(3):
            response = yield self.client.post(
                "/new?uri=/path/", {"text": f"Comment {n}", "title": "T"}
            )
            self.assertEqual(response.code, 201)
        yield self.site.mail_notifier.stored()
        mailer = self.site.mailer
        yield wait_until(lambda: len(mailer._sending) == 2)
        self.assertEqual(len(mailer._sending), 2)
        self.assertEqual((yield mailer.pending()), 3)
        yield mailer.stopService()
        self.assertEqual(self.logged("not sent")[0]["count"], 3)
        self.assertEqual(mailer._sending, {})
        yield mailer.idle()
        rows = yield self.site.database.run(rows_interaction)
        self.assertEqual(
            [(row["claimed_by"], row["failed"]) for row in rows], [(None, None)] * 3
        )


class MailerTests(TestCase):
    """
    The queue on its own, against a server of the test.
    """

    def mailer(self, port: int, clock: Any = None, **kwargs: Any) -> Any:
        config = SMTPConfig(
            username="", password="", host="127.0.0.1", port=port,
            security="none", to="", from_="", timeout=5,
        )
        path = os.path.join(os.path.abspath(self.mktemp()), "comments.db")
        os.makedirs(os.path.dirname(path))
        prepare_database(path)
        database = Database(path, reactor)
        database.startService()
        self.addCleanup(database.stopService)
        mailer = Mailer(config, reactor, database, clock, **kwargs)
        return mailer

    def mail(self, n: int) -> OutgoingMail:
        return OutgoingMail(
            sender="a@example.org",
            recipient=f"r{n}@example.org",
            data=f"Subject: {n}\n\nBody {n}\n".encode(),
            description=f"mail {n}",
        )

    @inlineCallbacks
    def test_full_queue_drops_oldest(self):
        """
        Beyond its limit the queue drops its oldest message, with a
        warning, and sends the others.
        """
        server = yield start_mail_server(self)
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        mailer = self.mailer(server.port, max_pending=2)
        for n in range(3):
            yield mailer.send(self.mail(n))
        [dropped] = [e for e in events if "queue full" in e.get("log_format", "")]
        self.assertEqual(dropped["recipient"], "r0@example.org")
        mailer.startService()
        self.addCleanup(mailer.stopService)
        received = yield server.inbox.wait_for(2)
        yield mailer.idle()
        self.assertEqual(
            sorted(r.recipient for r in received), ["r1@example.org", "r2@example.org"]
        )

    @inlineCallbacks
    def test_backoff_on_the_clock(self):
        """
        Retries wait 10 s, 60 s and 5 min, on the injected clock.
        """
        port = yield closed_port()
        clock = Clock()
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        # Only its own work wakes this mailer: the retries are the only
        # calls on the clock.
        mailer = self.mailer(port, clock, poll_interval=None)
        mailer.startService()
        self.addCleanup(mailer.stopService)

        def retried(count: int) -> Deferred[None]:
            d: Deferred[None] = Deferred()

            def check() -> None:
                failed = [
                    e for e in events if "Could not send" in e.get("log_format", "")
                ]
                if len(failed) >= count:
                    d.callback(None)
                else:
                    reactor.callLater(0.01, check)

            check()
            return d

        yield mailer.send(self.mail(0))
        for count, delay in ((1, 10), (2, 60), (3, 300)):
            yield retried(count)
            [call] = clock.getDelayedCalls()
            self.assertEqual(call.getTime() - clock.seconds(), delay)
            clock.advance(delay)
        yield mailer.idle()
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertEqual(len(self.flushLoggedErrors(SMTPConnectError)), 1)


class AddressTests(SynchronousTestCase):
    def test_mailbox(self):
        """
        Only one plain address is ever mailed: what commenters type in the
        e-mail field may be anything.
        """
        self.assertEqual(mailbox("a.b+c@example.org"), "a.b+c@example.org")
        self.assertEqual(
            mailbox(" tom&amp;jerry@example.org "), "tom&jerry@example.org"
        )
        for value in (
            None, "", "nobody", "a@b", "a@example.org, b@example.org",
            "Eve <eve@example.org>", "a@example.org\nBcc: x@example.org",
            "zoë@example.org", "a@@example.org",
        ):
            self.assertIsNone(mailbox(value), value)

    def test_sender_name(self):
        """
        [smtp] from without a name gets ours; a name given is kept.
        """
        self.assertEqual(
            str(Sender.from_config("c@example.org", "").header),
            "Comment notifications <c@example.org>",
        )
        self.assertEqual(
            str(Sender.from_config("Blog <c@example.org>", "").header),
            "Blog <c@example.org>",
        )
        fallback = Sender.from_config("", "Owner <o@example.org>")
        self.assertEqual(fallback.envelope, "o@example.org")
        self.assertEqual(str(fallback.header), "Comment notifications <o@example.org>")
        self.assertRaises(ValueError, Sender.from_config, "nonsense", "")


class ReplyNotificationTests(MailSiteTestCase):
    # Only commenters get mails here, not the owner.
    mail_config = "[general]\nnotify = stdout\nreply-notifications = true\n"

    @inlineCallbacks
    def notification_of(self, email: str, comment_id: int) -> Any:
        rows = yield self.site.database.run(
            lambda txn: txn.execute(
                "SELECT notification FROM comments WHERE id = ? AND email = ?",
                (comment_id, email),
            ).fetchall()
        )
        return rows[0][0]

    @inlineCallbacks
    def test_reply_is_mailed_to_subscriber(self):
        """
        A commenter who asked for notifications gets a mail when someone
        replies, with a link to the reply and one that unsubscribes.
        """
        parent = yield self.post_comment(
            author="Alice", email="alice@example.org", notification=1
        )
        bob = self.reader("198.51.100.7")
        yield self.post_comment(
            client=bob, author="Bob", email="bob@example.org", parent=parent["id"],
            text="I disagree, politely.",
        )
        [received] = yield self.inbox.wait_for(1)
        message = received.message
        self.assertEqual(received.recipient, "alice@example.org")
        self.assertEqual(message["To"], "alice@example.org")
        self.assertEqual(message["Subject"], "New reply on A page")
        text = body(received)
        self.assertIn("Bob answered", text)
        self.assertIn("I disagree, politely.", text)
        self.assertNotIn("bob@example.org", text)
        found = links(text)
        self.assertEqual(
            found["Read it on the page"], "http://example.org/path/#isso-2"
        )
        unsubscribe = found["To stop mails about this conversation"]
        self.assertEqual(message["List-Unsubscribe"], f"<{unsubscribe}>")
        self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        path = urlsplit(unsubscribe).path
        self.assertTrue(path.startswith("/id/1/unsubscribe/alice%40example.org/"))

        # A link checker opening the link unsubscribes nobody.
        page = yield self.client.get(path)
        self.assertEqual(page.code, 200)
        self.assertIn(b"Stop mails about replies?", page.body)
        self.assertIn(b'method="post"', page.body)
        self.assertEqual((yield self.notification_of("alice@example.org", 1)), 1)

        # The button (or a mail client's one-click request) does.
        done = yield self.client.post(
            path, raw=b"List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(done.code, 200)
        self.assertIn(b"Unsubscribed", done.body)
        self.assertEqual((yield self.notification_of("alice@example.org", 1)), 0)

        yield self.post_comment(
            client=self.reader("203.0.113.5"), author="Carol",
            email="carol@example.org", parent=parent["id"],
        )
        yield self.settled()
        self.assertEqual(len(self.inbox.messages), 1)

    @inlineCallbacks
    def test_no_mail_about_own_reply(self):
        """
        Nobody is told about their own reply, even when their address is
        written differently; subscribers beside them are.
        """
        parent = yield self.post_comment(
            author="Alice", email="alice@example.org", notification=1
        )
        yield self.post_comment(
            author="Alice", email="Alice@Example.org", parent=parent["id"]
        )
        yield self.settled()
        self.assertEqual(self.inbox.messages, [])

        # Dave subscribes in the conversation; Alice's next reply reaches
        # him, not her.
        dave = self.reader("203.0.113.9")
        yield self.post_comment(
            client=dave, author="Dave", email="dave@example.org",
            parent=parent["id"], notification=1,
        )
        [received] = yield self.inbox.wait_for(1)
        self.assertEqual(received.recipient, "alice@example.org")
        yield self.post_comment(
            author="Alice", email="alice@example.org", parent=parent["id"]
        )
        received = yield self.inbox.wait_for(2)
        yield self.settled()
        self.assertEqual(
            [r.recipient for r in self.inbox.messages],
            ["alice@example.org", "dave@example.org"],
        )

    @inlineCallbacks
    def test_unsubscribed_and_unknown_addresses(self):
        """
        Nobody is mailed without asking, and an e-mail field that is not
        one plain address is never mailed.
        """
        parent = yield self.post_comment(author="Alice", email="alice@example.org")
        yield self.post_comment(
            client=self.reader("203.0.113.1"), parent=parent["id"],
            email="x@example.org, victim@example.org", notification=1,
        )
        yield self.post_comment(
            client=self.reader("203.0.113.2"), parent=parent["id"],
            email="bob@example.org",
        )
        yield self.settled()
        self.assertEqual(self.inbox.messages, [])


class ModeratedReplyTests(MailSiteTestCase):
    mail_config = (
        "[general]\nnotify = smtp\nreply-notifications = true\n"
        "[moderation]\nenabled = true\n"
    )

    @inlineCallbacks
    def test_reply_mail_waits_for_approval(self):
        """
        A reply waiting for approval tells nobody but the owner; when it
        is published, the subscriber is told.
        """
        parent = yield self.post_comment(
            author="Alice", email="alice@example.org", notification=1
        )
        key = self.site.signer.moderation_key(parent["id"])
        yield self.client.post(f"/id/1/activate/{key}")
        yield self.post_comment(
            client=self.reader("198.51.100.7"), author="Bob",
            email="bob@example.org", parent=parent["id"],
        )
        yield self.settled()
        self.assertEqual([r.recipient for r in self.inbox.messages], [OWNER, OWNER])

        key = self.site.signer.moderation_key(2)
        response = yield self.client.post(
            f"/id/2/activate/{key}", raw=b"",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertIn(b"Published", response.body)
        received = yield self.inbox.wait_for(3)
        self.assertEqual(received[2].recipient, "alice@example.org")
        self.assertIn("Bob answered", body(received[2]))
        yield self.settled()
        self.assertEqual(len(self.inbox.messages), 3)


class PanelReplyTests(MailSiteTestCase):
    mail_config = (
        "[general]\nnotify = stdout\nreply-notifications = true\n"
        "[moderation]\nenabled = true\n"
        "[admin]\nenabled = true\npassword = the owner's password\n"
    )

    @inlineCallbacks
    def test_reply_approved_in_the_panel(self):
        """
        A reply approved in the admin panel reaches the subscriber, as one
        published by a mail's link does.
        """
        parent = yield self.post_comment(
            author="Alice", email="alice@example.org", notification=1
        )
        reply = yield self.post_comment(
            client=self.reader("198.51.100.7"), author="Bob",
            email="bob@example.org", parent=parent["id"], text="Bob's answer",
        )
        owner = self.reader("203.0.113.5")
        form = "application/x-www-form-urlencoded"
        yield owner.post(
            "/login/", raw=urlencode({"password": "the owner's password"}).encode(),
            content_type=form,
        )
        panel = yield owner.get("/admin/")
        csrf = re.search(rb'name="csrf" value="([^"]+)"', panel.body).group(1)
        response = yield owner.post(
            "/admin/action",
            raw=urlencode(
                [("csrf", csrf.decode()), ("action", "activate"),
                 ("id", parent["id"]), ("id", reply["id"])]
            ).encode(),
            content_type=form,
        )
        self.assertIn("n=2", response.header("location"))
        [received] = yield self.inbox.wait_for(1)
        self.assertEqual(received.recipient, "alice@example.org")
        text = body(received)
        self.assertIn("Bob answered", text)
        self.assertIn("Bob's answer", text)
        self.assertEqual(
            links(text)["Read it on the page"],
            f"http://example.org/path/#isso-{reply['id']}",
        )
        yield self.settled()
        self.assertEqual(len(self.inbox.messages), 1)
