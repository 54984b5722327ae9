"""
Moderation: new comments waiting for approval (and approved at once for
known authors), moderating by the links of the owner's mails,
unsubscribing, and the purge of comments that waited too long for approval.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

from twisted.internet.defer import inlineCallbacks, succeed
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.caches import ResponseCache
from isso_tx.config import ModerationConfig
from isso_tx.moderation import PURGE_PERIOD, Moderation
from isso_tx.signing import NEVER, Signer
from isso_tx.store.pending import purge_interaction

from ..support import DatabaseMixin, SiteTestCase

FORM = "application/x-www-form-urlencoded"


def form(**fields: str) -> dict[str, Any]:
    return {"raw": urlencode(fields).encode(), "content_type": FORM}


class ModerationTestCase(SiteTestCase):
    config = SiteTestCase.config + "[moderation]\nenabled = true\n"

    def key(self, comment_id: int) -> str:
        return self.site.signer.moderation_key(comment_id)

    def link(self, comment_id: int, action: str, key_for: int | None = None) -> str:
        key = self.key(comment_id if key_for is None else key_for)
        return f"/id/{comment_id}/{action}/{key}"

    @inlineCallbacks
    def row(self, comment_id: int) -> Any:
        rows = yield self.site.database.run(
            lambda txn: [
                dict(r)
                for r in txn.execute(
                    "SELECT * FROM comments WHERE id = ?", (comment_id,)
                ).fetchall()
            ]
        )
        return rows[0] if rows else None

    @inlineCallbacks
    def visible(self, uri: str = "/path/") -> Any:
        """
        Return the ids a reader sees on a page (from the cached thread when
        there is one).
        """
        response = yield self.client.get(f"/?uri={uri}")
        if response.code != 200:
            return []
        return [c["id"] for c in response.json()["replies"]]


class ScannerTests(ModerationTestCase):
    @inlineCallbacks
    def test_get_changes_nothing(self):
        """
        Opening a moderation link (as mail scanners and link previews do)
        only shows a page with a button; the comment stays as it was.
        """
        comment = yield self.post_comment(author="Mallory", text="Buy <b>now</b>")
        for action, heading, button in (
            ("activate", b"Publish this comment?", b">Publish</button>"),
            ("delete", b"Delete this comment?", b">Delete</button>"),
            ("edit", b"Edit this comment", b">Save</button>"),
        ):
            for method in ("GET", "HEAD"):
                response = yield self.client.request(
                    method, self.link(comment["id"], action)
                )
                self.assertEqual(response.code, 200, (action, method))
                self.assertEqual(
                    response.header("content-type"), "text/html; charset=utf-8"
                )
                self.assertEqual(response.header("referrer-policy"), "no-referrer")
                self.assertEqual(response.header("cache-control"), "no-store")
            response = yield self.client.get(self.link(comment["id"], action))
            self.assertIn(heading, response.body)
            self.assertIn(button, response.body)
            self.assertIn(b'method="post"', response.body)
            # The comment is shown as text, never as HTML.
            self.assertIn(b"Buy &lt;b&gt;now&lt;/b&gt;", response.body)
            self.assertIsNone(response.header("access-control-allow-origin"))
        row = yield self.row(comment["id"])
        self.assertEqual(row["mode"], 2)
        self.assertEqual(row["text"], "Buy <b>now</b>")
        self.assertEqual((yield self.visible()), [])


class ActivateTests(ModerationTestCase):
    @inlineCallbacks
    def test_activate(self):
        """
        The Publish button publishes the comment: readers see it at once,
        and publishing it again says it already is.
        """
        comment = yield self.post_comment()
        # A reader's request fills the cache of the thread.
        self.assertEqual((yield self.visible()), [])
        link = self.link(comment["id"], "activate")
        response = yield self.client.post(link, **form())
        self.assertEqual(response.code, 200)
        self.assertIn(b"<h1>Published</h1>", response.body)
        self.assertIn(b'href="http://example.org/path/#isso-1"', response.body)
        self.assertEqual((yield self.visible()), [comment["id"]])

        again = yield self.client.post(self.link(comment["id"], "activate"), **form())
        self.assertEqual(again.code, 200)
        self.assertIn(b"Already published", again.body)
        page = yield self.client.get(self.link(comment["id"], "activate"))
        self.assertIn(b"Already published", page.body)
        self.assertNotIn(b"<form", page.body)

    @inlineCallbacks
    def test_isso_clients(self):
        """
        A bare POST (Isso's own page script, or a script of the owner)
        gets Isso's plain-text answers.
        """
        comment = yield self.post_comment()
        link = self.link(comment["id"], "activate")
        response = yield self.client.post(link, content_type=None)
        self.assertEqual(response.code, 200)
        self.assertEqual(response.header("content-type"), "text/plain; charset=utf-8")
        self.assertEqual(response.body, b"Comment has been activated")
        response = yield self.client.post(link, content_type=None)
        self.assertEqual(response.body, b"Already activated")
        response = yield self.client.post(
            self.link(comment["id"], "edit"),
            {"text": "Edited by script", "author": "Ed", "email": "ed@example.org"},
            content_type=None,
        )
        self.assertEqual(response.code, 200)
        edited = response.json()
        self.assertEqual(edited["text"], "Edited by script")
        self.assertEqual(edited["author"], "Ed")
        self.assertNotIn("email", edited)
        response = yield self.client.post(self.link(comment["id"], "delete"))
        self.assertEqual(response.body, b"Comment has been deleted")
        response = yield self.client.post(
            self.link(comment["id"], "delete"), headers={"Accept": "application/json"}
        )
        self.assertEqual(response.code, 404)

    @inlineCallbacks
    def test_events(self):
        """
        Publishing, editing and deleting are told to the notifiers.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        logged = []
        self.site.notifiers.backends.append(Recorder(logged))
        comment = yield self.post_comment()
        yield self.client.post(self.link(comment["id"], "activate"), **form())
        yield self.client.post(
            self.link(comment["id"], "edit"), **form(text="New text here")
        )
        yield self.client.post(self.link(comment["id"], "delete"), **form())
        self.assertEqual(
            [name for name, _ in logged],
            [
                "thread_created",
                "comment_created",
                "comment_activated",
                "comment_edited",
                "comment_deleted",
            ],
        )
        activated = logged[2][1]
        self.assertEqual(activated.comment["mode"], 1)
        self.assertEqual(activated.comment_url, "http://example.org/path/#isso-1")
        self.assertEqual(activated.endpoint, self.base)
        self.assertTrue(
            any(e.get("log_format", "").startswith("Comment {id} on {uri} published")
                for e in events)
        )


class Recorder:
    """
    A notifier backend that remembers what it was told.
    """

    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self._log.append((name, args[-1]))


class DeleteTests(ModerationTestCase):
    config = SiteTestCase.config  # moderation is off: the links still work

    @inlineCallbacks
    def test_delete(self):
        """
        The Delete button deletes; the link then explains that the comment
        is gone, with a 404 page rather than an error.
        """
        comment = yield self.post_comment()
        self.assertEqual((yield self.visible()), [comment["id"]])
        response = yield self.client.post(self.link(comment["id"], "delete"), **form())
        self.assertEqual(response.code, 200)
        self.assertIn(b"<h1>Deleted</h1>", response.body)
        self.assertEqual((yield self.visible()), [])
        self.assertIsNone((yield self.row(comment["id"])))
        for method in ("GET", "POST"):
            response = yield self.client.request(
                method, self.link(comment["id"], "delete"), raw=b"", content_type=FORM
            )
            self.assertEqual(response.code, 404)
            self.assertIn(b"This comment no longer exists", response.body)

    @inlineCallbacks
    def test_delete_with_replies(self):
        """
        A comment with replies leaves a placeholder; deleting it again, or
        trying to publish or edit it, says it is already deleted.
        """
        parent = yield self.post_comment()
        yield self.post_comment(parent=parent["id"])
        yield self.client.post(self.link(parent["id"], "delete"), **form())
        self.assertEqual((yield self.row(parent["id"]))["mode"], 4)
        for action in ("delete", "activate", "edit"):
            for method in ("GET", "POST"):
                response = yield self.client.request(
                    method, self.link(parent["id"], action),
                    raw=b"text=resurrected", content_type=FORM,
                )
                self.assertEqual(response.code, 200, (action, method))
                self.assertIn(b"Already deleted", response.body)
        self.assertEqual((yield self.row(parent["id"]))["text"], "")


class EditTests(ModerationTestCase):
    @inlineCallbacks
    def test_edit_form(self):
        """
        The edit page shows the comment's fields as they were written, and
        saving changes them (the e-mail address too), without marking the
        comment as modified by its author.
        """
        comment = yield self.post_comment(
            text="Original *text*", author="Tom & Jerry", email="tom@example.org",
            website="https://example.net/?a=1&b=2",
        )
        page = yield self.client.get(self.link(comment["id"], "edit"))
        text = page.body.decode()
        self.assertIn(">\nOriginal *text*</textarea>", text)
        values = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', text))
        self.assertEqual(
            {k: unescape(v) for k, v in values.items()},
            {
                "author": "Tom & Jerry",
                "email": "tom@example.org",
                "website": "https://example.net/?a=1&b=2",
            },
        )
        # Saving unchanged fields stores them exactly as before.
        before = yield self.row(comment["id"])
        response = yield self.client.post(
            self.link(comment["id"], "edit"),
            **form(
                text="Better *text*", author="Tom & Jerry", email="jerry@example.org",
                website="https://example.net/?a=1&b=2",
            ),
        )
        self.assertEqual(response.code, 200)
        self.assertIn(b"<h1>Saved</h1>", response.body)
        after = yield self.row(comment["id"])
        self.assertEqual(after["text"], "Better *text*")
        self.assertEqual(after["author"], before["author"])
        self.assertEqual(after["website"], before["website"])
        self.assertEqual(after["email"], "jerry@example.org")
        self.assertIsNone(after["modified"])
        self.assertEqual(after["mode"], 2)

        # Published, the new text is what readers get.
        yield self.client.post(self.link(comment["id"], "activate"), **form())
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(
            response.json()["replies"][0]["text"], "<p>Better <em>text</em></p>"
        )

    @inlineCallbacks
    def test_invalid_edit(self):
        """
        An edit that breaks the rules for comments is not saved; the form
        comes back with what was typed and the reason.
        """
        comment = yield self.post_comment(text="Original text")
        response = yield self.client.post(
            self.link(comment["id"], "edit"), **form(text="x", author="Someone")
        )
        self.assertEqual(response.code, 400)
        self.assertIn(b"Not saved: text is too short", response.body)
        self.assertIn(b'value="Someone"', response.body)
        self.assertEqual((yield self.row(comment["id"]))["text"], "Original text")


class KeyTests(ModerationTestCase):
    @inlineCallbacks
    def test_key_for_another_comment(self):
        """
        A key is good only for the comment it was made for: with another id
        in the address the link is refused, and nothing changes.
        """
        first = yield self.post_comment()
        second = yield self.post_comment()
        for method in ("GET", "POST"):
            response = yield self.client.request(
                method,
                self.link(first["id"], "delete", key_for=second["id"]),
                raw=b"", content_type=FORM,
            )
            self.assertEqual(response.code, 403)
            self.assertIn(b"made for another comment", response.body)
        self.assertIsNotNone((yield self.row(first["id"])))
        self.assertIsNotNone((yield self.row(second["id"])))

    @inlineCallbacks
    def test_forged_keys(self):
        """
        A changed, cut or foreign key is refused with a page saying so.
        """
        comment = yield self.post_comment()
        key = self.key(comment["id"])
        other = Signer("another-site-key", Clock()).moderation_key(comment["id"])
        unsubscribe = self.site.signer.unsubscribe_key("a@example.org")
        for bad in (key[:-2], key + "x", "1.2.3", other, unsubscribe):
            response = yield self.client.post(
                f"/id/{comment['id']}/activate/{bad}", raw=b"", content_type=FORM
            )
            self.assertEqual(response.code, 403, bad)
            self.assertIn(b"This link does not work", response.body)
        self.assertEqual((yield self.row(comment["id"]))["mode"], 2)

    @inlineCallbacks
    def test_expired_keys(self):
        """
        Keys last as long as Isso's (2^32 s), and one from the future is
        refused.
        """
        comment = yield self.post_comment()
        secret = yield self.site.database.run(
            lambda txn: txn.execute(
                "SELECT value FROM preferences WHERE key = 'session-key'"
            ).fetchone()[0]
        )
        clock = Clock()
        clock.advance(self.site.clock.seconds() + 3600)
        future = Signer(secret, clock).moderation_key(comment["id"])
        response = yield self.client.post(
            f"/id/{comment['id']}/activate/{future}", raw=b"", content_type=FORM
        )
        self.assertEqual(response.code, 403)

        old = self.key(comment["id"])
        later = Clock()
        later.advance(self.site.clock.seconds() + NEVER + 10)
        # The pages check keys with the site's signer, now reading a later
        # clock.
        self.patch(
            self.site.signer,
            "load_moderation_key",
            Signer(secret, later).load_moderation_key,
        )
        response = yield self.client.post(
            f"/id/{comment['id']}/activate/{old}", raw=b"", content_type=FORM
        )
        self.assertEqual(response.code, 403)
        self.assertEqual((yield self.row(comment["id"]))["mode"], 2)

    @inlineCallbacks
    def test_unknown_action(self):
        """
        Only activate, edit and delete are moderation actions.
        """
        comment = yield self.post_comment()
        response = yield self.client.post(
            self.link(comment["id"], "approve"), raw=b"", content_type=FORM
        )
        self.assertEqual(response.code, 404)


    @inlineCallbacks
    def test_wrong_method(self):
        """
        A moderation link asked with a method browsers do not use answers a
        405 page naming the methods it takes.
        """
        comment = yield self.post_comment()
        response = yield self.client.request(
            "PUT", self.link(comment["id"], "activate"), content_type=None
        )
        self.assertEqual(response.code, 405)
        self.assertEqual(response.header("allow"), "GET, HEAD, POST")
        self.assertIn(b"Open this link in a browser.", response.body)


class StdoutLinkTests(ModerationTestCase):
    config = ModerationTestCase.config + "[general]\nnotify = stdout\n"

    @inlineCallbacks
    def test_logged_links(self):
        """
        With notify = stdout each new comment is logged with its links,
        and the logged links work.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        comment = yield self.post_comment()
        urls = {
            e["log_format"].split()[0]: e["url"]
            for e in events
            if "url" in e and e.get("id") == comment["id"]
        }
        self.assertEqual(urls["Link"], "http://example.org/path/#isso-1")
        activate = urls["Activate"]
        self.assertTrue(activate.startswith(f"{self.base}/id/1/activate/"))
        self.assertTrue(urls["Delete"].startswith(f"{self.base}/id/1/delete/"))
        response = yield self.client.post(
            activate[len(self.base):], raw=b"", content_type=FORM
        )
        self.assertIn(b"Published", response.body)
        self.assertEqual((yield self.visible()), [comment["id"]])


class UnsubscribeTests(ModerationTestCase):
    def link(self, comment_id: int, email: str, key_email: str | None = None) -> str:
        key = self.site.signer.unsubscribe_key(key_email or email)
        quoted = email.replace("@", "%40").replace("+", "%2B")
        return f"/id/{comment_id}/unsubscribe/{quoted}/{key}"

    @inlineCallbacks
    def test_unsubscribe_one_conversation(self):
        """
        Unsubscribing stops notifications for that conversation only.
        """
        first = yield self.post_comment(email="a+b@example.org", notification=1)
        yield self.post_comment(
            email="a+b@example.org", notification=1, parent=first["id"]
        )
        other = yield self.post_comment(email="a+b@example.org", notification=1)
        response = yield self.client.post(
            self.link(first["id"], "a+b@example.org"), **form()
        )
        self.assertEqual(response.code, 200)
        self.assertIn(b"a+b@example.org will no longer get mails", response.body)
        flags = yield self.site.database.run(
            lambda txn: txn.execute(
                "SELECT id, notification FROM comments ORDER BY id"
            ).fetchall()
        )
        self.assertEqual([tuple(f) for f in flags], [(1, 0), (2, 0), (other["id"], 1)])

    @inlineCallbacks
    def test_refused(self):
        """
        A key for another address, a forged key, or a conversation that is
        gone: the page says so and nothing changes.
        """
        first = yield self.post_comment(email="a@example.org", notification=1)
        response = yield self.client.get(
            self.link(first["id"], "a@example.org", key_email="b@example.org")
        )
        self.assertEqual(response.code, 403)
        response = yield self.client.post(
            self.link(first["id"], "a@example.org")[:-3] + "abc", **form()
        )
        self.assertEqual(response.code, 403)
        moderation = self.site.signer.moderation_key(1)
        response = yield self.client.get(
            f"/id/1/unsubscribe/a%40example.org/{moderation}"
        )
        self.assertEqual(response.code, 403)
        for method in ("GET", "POST"):
            response = yield self.client.request(
                method, self.link(99, "a@example.org"), raw=b"", content_type=FORM
            )
            self.assertEqual(response.code, 404)
            self.assertIn(b"no longer exists", response.body)
        self.assertEqual((yield self.row(first["id"]))["notification"], 1)


class PurgeTests(ModerationTestCase):
    config = ModerationTestCase.config + "[moderation]\npurge-after = 1h\n"

    @inlineCallbacks
    def test_purge(self):
        """
        Comments waiting longer than purge-after are deleted; newer pending
        comments and published comments stay, however old.
        """
        old_pending = yield self.post_comment()
        new_pending = yield self.post_comment()
        old_published = yield self.post_comment()
        yield self.client.post(self.link(old_published["id"], "activate"), **form())
        yield self.site.database.run(
            lambda txn: txn.execute(
                "UPDATE comments SET created = created - 7200 WHERE id IN (?, ?)",
                (old_pending["id"], old_published["id"]),
            )
        )
        uris = yield self.site.moderation.purge_pending()
        self.assertEqual(uris, ["/path/"])
        self.assertIsNone((yield self.row(old_pending["id"])))
        self.assertEqual((yield self.row(new_pending["id"]))["mode"], 2)
        self.assertEqual((yield self.row(old_published["id"]))["mode"], 1)
        response = yield self.client.get(self.link(old_pending["id"], "activate"))
        self.assertEqual(response.code, 404)
        self.assertIn(b"removed after waiting too long", response.body)


class FakeDatabase:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def run(self, interaction: Any, *args: Any) -> Any:
        self.calls.append((interaction, *args))
        return succeed(["/a/"])


class FakeSite:
    def __init__(self, purge_after: int) -> None:
        self.config = type(
            "Config", (), {"moderation": ModerationConfig(True, False, purge_after)}
        )()
        self.clock = Clock()
        self.database = FakeDatabase()
        self.responses = ResponseCache()


def purge_service(site: FakeSite):
    """
    The purge service of a site made of fakes.
    """
    return Moderation(
        site.database,
        None,
        site.responses,
        None,
        site.clock,
        site.config.moderation.purge_after,
    ).purge_service()


class PurgeServiceTests(SynchronousTestCase):
    def test_schedule(self):
        """
        The purge runs when the site starts, then every hour, each time for
        the comments older than purge-after.
        """
        site = FakeSite(30 * 86400)
        service = purge_service(site)
        service.startService()
        self.addCleanup(service.stopService)
        site.clock.advance(PURGE_PERIOD)
        site.clock.advance(PURGE_PERIOD)
        self.assertEqual(
            site.database.calls,
            [
                (purge_interaction, 0.0, 30 * 86400),
                (purge_interaction, PURGE_PERIOD, 30 * 86400),
                (purge_interaction, 2 * PURGE_PERIOD, 30 * 86400),
            ],
        )
        self.assertEqual(site.responses.generation, 3)

    def test_short_purge_after(self):
        """
        A purge-after shorter than an hour is checked that often.
        """
        site = FakeSite(60)
        service = purge_service(site)
        service.startService()
        self.addCleanup(service.stopService)
        site.clock.advance(60)
        self.assertEqual(len(site.database.calls), 2)

    def test_never(self):
        """
        purge-after = 0 keeps pending comments until a moderator decides.
        """
        self.assertIsNone(purge_service(FakeSite(0)))


class PendingTests(DatabaseMixin, SiteTestCase):
    config = (
        "[moderation]\nenabled = true\n"
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_pending(self):
        """
        Under moderation a new comment is accepted with 202 and waits: no
        one sees it in the thread or in the counts, not even its author,
        who can still open it to edit it.
        """
        response = yield self.client.post(
            "/new?uri=/path/", {"text": "Wait for it", "title": "A page"}
        )
        self.assertEqual(response.code, 202, response)
        self.assertEqual(response.json()["mode"], 2)
        for reader in (self.client, self.reader("198.51.100.1")):
            response = yield reader.get("/?uri=/path/")
            body = response.json()
            self.assertEqual((body["total_replies"], body["replies"]), (0, []))
            response = yield reader.post("/count", ["/path/"])
            self.assertEqual(response.json(), [0])
        response = yield self.client.get("/id/1")
        self.assertEqual((response.code, response.json()["mode"]), (200, 2))
        response = yield self.client.get("/info")
        self.assertIs(response.json()["moderation"], True)

    @inlineCallbacks
    def test_only_published_shown(self):
        """
        Once a comment is approved it is listed and counted, while a newer
        one still waits.
        """
        yield self.post_comment(text="approved")
        conn = self.db()
        conn.execute("UPDATE comments SET mode = 1 WHERE id = 1")
        conn.commit()
        second = yield self.post_comment(text="pending", email="a@b.c")
        self.assertEqual(second["mode"], 2)
        response = yield self.client.get("/?uri=/path/")
        body = response.json()
        self.assertEqual(body["total_replies"], 1)
        self.assertEqual([c["id"] for c in body["replies"]], [1])
        response = yield self.client.post("/count", ["/path/"])
        self.assertEqual(response.json(), [1])

    @inlineCallbacks
    def test_no_auto_approval_by_default(self):
        """
        Without approve-if-email-previously-approved, a known e-mail address
        waits like any other.
        """
        yield self.post_comment(email="a@b.c")
        conn = self.db()
        conn.execute("UPDATE comments SET mode = 1")
        conn.commit()
        response = yield self.client.post(
            "/new?uri=/path/", {"text": "again", "email": "a@b.c"}
        )
        self.assertEqual(response.code, 202)


class AutoApprovalTests(DatabaseMixin, SiteTestCase):
    config = (
        "[moderation]\nenabled = true\napprove-if-email-previously-approved = true\n"
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    )

    def approve(self, comment_id: int) -> None:
        conn = self.db()
        conn.execute("UPDATE comments SET mode = 1 WHERE id = ?", (comment_id,))
        conn.commit()

    @inlineCallbacks
    def post(self, uri: str = "/path/", **fields: Any) -> Any:
        response = yield self.client.post(
            f"/new?uri={uri}", {"text": "Lorem ipsum", "title": "A page", **fields}
        )
        self.assertIn(response.code, (201, 202), response)
        return response

    @inlineCallbacks
    def test_known_author_published(self):
        """
        A comment whose e-mail address had a comment approved, on any page,
        is published at once (201) and shown.
        """
        response = yield self.post(email="a@b.c")
        self.assertEqual(response.code, 202)
        response = yield self.post(email="a@b.c")
        self.assertEqual(response.code, 202, "a pending comment approves nothing")
        self.approve(1)
        response = yield self.post("/other/", email="a@b.c")
        self.assertEqual((response.code, response.json()["mode"]), (201, 1))
        response = yield self.client.get("/?uri=/other/")
        self.assertEqual([c["id"] for c in response.json()["replies"]], [3])

    @inlineCallbacks
    def test_others_wait(self):
        """
        Other e-mail addresses, and comments without one, still wait.
        """
        yield self.post(email="a@b.c")
        self.approve(1)
        for fields in ({"email": "b@b.c"}, {}, {"email": None}):
            response = yield self.post(**fields)
            self.assertEqual(response.code, 202, fields)

    @inlineCallbacks
    def test_six_months(self):
        """
        Only an approval within the last six months counts.
        """
        yield self.post(email="a@b.c")
        self.approve(1)
        self.age(200 * 86400)
        response = yield self.post(email="a@b.c")
        self.assertEqual(response.code, 202)
        self.age(-50 * 86400, "id = 1")
        response = yield self.post(email="a@b.c")
        self.assertEqual(response.code, 201)
