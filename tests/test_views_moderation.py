"""
Fast tests of L{isso_tx.views.moderation}: the pages behind the links of
notification mails.  A C{GET} only shows; the button's C{POST} acts.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.task import Clock

from isso_tx.signing import NEVER, Signer

from .fast_support import ViewTestCase

MODERATED = (
    "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    "[moderation]\nenabled = true\n"
)


class MailLinkTestCase(ViewTestCase):
    """
    A moderated site, and the links its mails would carry.
    """

    config = MODERATED

    def link(self, comment_id: int, action: str, key_for: int | None = None) -> str:
        key = self.site.signer.moderation_key(comment_id if key_for is None else key_for)
        return f"/id/{comment_id}/{action}/{key}"

    def row(self, comment_id: int) -> dict[str, Any] | None:
        rows = self.database.query("SELECT * FROM comments WHERE id = ?", comment_id)
        return dict(rows[0]) if rows else None

    def visible(self, uri: str = "/path/") -> list[int]:
        return [c["id"] for c in self.thread(uri)["replies"]]

    def press(self, path: str, **fields: str) -> Any:
        """
        Press the page's button: a form post of C{fields}.
        """
        return self.browser.post(path, form=fields)


class ShowTests(MailLinkTestCase):
    """
    Opening a link.
    """

    def test_get_changes_nothing(self) -> None:
        """
        Opening a link, as a mail scanner would, shows the comment as text
        and a button, and changes nothing.
        """
        comment = self.post_comment(author="Mallory", text="Buy <b>now</b>")
        for action, heading, button in (
            ("activate", b"Publish this comment?", b">Publish</button>"),
            ("delete", b"Delete this comment?", b">Delete</button>"),
            ("edit", b"Edit this comment", b">Save</button>"),
        ):
            response = self.browser.get(self.link(comment["id"], action))
            self.assertEqual(response.code, 200, action)
            self.assertIn(heading, response.body)
            self.assertIn(button, response.body)
            self.assertIn(b'method="post"', response.body)
            self.assertIn(b"Buy &lt;b&gt;now&lt;/b&gt;", response.body)
            head = self.browser.request("HEAD", self.link(comment["id"], action))
            self.assertEqual((head.code, head.body), (200, b""))
        self.assertEqual(self.row(1)["mode"], 2)
        self.assertEqual(self.visible(), [])

    def test_private_headers(self) -> None:
        """
        The pages stay out of caches, frames and Referer headers, and load
        nothing from elsewhere.
        """
        self.post_comment()
        response = self.browser.get(self.link(1, "activate"))
        self.assertEqual(response.header("content-type"), "text/html; charset=utf-8")
        self.assertEqual(response.header("cache-control"), "no-store")
        self.assertEqual(response.header("referrer-policy"), "no-referrer")
        self.assertEqual(response.header("x-frame-options"), "DENY")
        self.assertTrue(response.header("content-security-policy")
                        .startswith("default-src 'none'"))

    def test_edit_form(self) -> None:
        """
        The edit page shows the fields as the author typed them.
        """
        self.post_comment(text="Original *text*", author="Tom & Jerry")
        text = self.browser.get(self.link(1, "edit")).body.decode()
        self.assertIn(">\nOriginal *text*</textarea>", text)
        self.assertIn('value="Tom &amp; Jerry"', text)


class ActTests(MailLinkTestCase):
    """
    Pressing the button.
    """

    def test_activate(self) -> None:
        """
        Publishing shows the comment to readers at once (even from a cached
        thread) and links to it; again, it says it already is.
        """
        self.post_comment()
        self.assertEqual(self.visible(), [])
        response = self.press(self.link(1, "activate"))
        self.assertEqual(response.code, 200)
        self.assertIn(b"<h1>Published</h1>", response.body)
        self.assertIn(b'href="http://example.org/path/#isso-1"', response.body)
        self.assertEqual(self.visible(), [1])
        again = self.press(self.link(1, "activate"))
        self.assertIn(b"Already published", again.body)

    def test_delete(self) -> None:
        """
        Deleting removes the comment; the link then says it no longer exists.
        """
        self.post_comment()
        response = self.press(self.link(1, "delete"))
        self.assertIn(b"<h1>Deleted</h1>", response.body)
        self.assertIsNone(self.row(1))
        for method in ("GET", "POST"):
            response = self.browser.request(method, self.link(1, "delete"), form={})
            self.assertEqual(response.code, 404)
            self.assertIn(b"This comment no longer exists", response.body)

    def test_delete_with_replies(self) -> None:
        """
        A comment with replies leaves a placeholder, and every link then
        says it is already deleted.
        """
        self.post_comment()
        self.post_comment(parent=1)
        self.press(self.link(1, "delete"))
        self.assertEqual(self.row(1)["mode"], 4)
        for action in ("delete", "activate", "edit"):
            response = self.press(self.link(1, action), text="resurrected")
            self.assertIn(b"Already deleted", response.body, action)
        self.assertEqual(self.row(1)["text"], "")

    def test_edit(self) -> None:
        """
        Saving changes the text and e-mail, without marking the comment as
        modified by its author.
        """
        self.post_comment(text="Original text", email="tom@example.org")
        response = self.press(
            self.link(1, "edit"), text="Better *text*", email="jerry@example.org",
            author="", website="",
        )
        self.assertIn(b"<h1>Saved</h1>", response.body)
        row = self.row(1)
        self.assertEqual((row["text"], row["email"], row["modified"], row["mode"]),
                         ("Better *text*", "jerry@example.org", None, 2))

    def test_invalid_edit(self) -> None:
        """
        An edit that breaks a rule comes back with what was typed and why.
        """
        self.post_comment(text="Original text")
        response = self.press(self.link(1, "edit"), text="x", author="Someone")
        self.assertEqual(response.code, 400)
        self.assertIn(b"Not saved: text is too short", response.body)
        self.assertIn(b'value="Someone"', response.body)
        self.assertEqual(self.row(1)["text"], "Original text")

    def test_isso_clients(self) -> None:
        """
        A bare C{POST}, as Isso's page sends it, gets Isso's plain answers.
        """
        self.post_comment()
        link = self.link(1, "activate")
        response = self.browser.post(link, content_type=None)
        self.assertEqual(response.header("content-type"), "text/plain; charset=utf-8")
        self.assertEqual(response.body, b"Comment has been activated")
        self.assertEqual(self.browser.post(link, content_type=None).body,
                         b"Already activated")
        response = self.browser.post(
            self.link(1, "edit"), {"text": "Edited by script", "author": "Ed"},
            content_type=None,
        )
        self.assertEqual(response.json()["text"], "Edited by script")
        self.assertEqual(self.browser.post(self.link(1, "delete")).body,
                         b"Comment has been deleted")
        response = self.browser.post(self.link(1, "delete"),
                                     headers={"Accept": "application/json"})
        self.assertEqual(response.code, 404)


class KeyTests(MailLinkTestCase):
    """
    Links whose key does not fit.
    """

    def secret(self) -> str:
        [row] = self.database.query(
            "SELECT value FROM preferences WHERE key = 'session-key'"
        )
        return row[0]

    def test_key_for_another_comment(self) -> None:
        """
        A key made for another comment than the address names is refused,
        and nothing changes.
        """
        self.post_comment()
        self.post_comment()
        for method in ("GET", "POST"):
            response = self.browser.request(
                method, self.link(1, "delete", key_for=2), form={}
            )
            self.assertEqual(response.code, 403)
            self.assertIn(b"made for another comment", response.body)
        self.assertIsNotNone(self.row(1))

    def test_forged_key(self) -> None:
        """
        A changed key is refused with a page saying the link does not work.
        """
        self.post_comment()
        response = self.press(self.link(1, "activate")[:-3] + "abc")
        self.assertEqual(response.code, 403)
        self.assertIn(b"This link does not work", response.body)
        self.assertEqual(self.row(1)["mode"], 2)

    def test_keys_expire(self) -> None:
        """
        A key works for as long as Isso's (2^32 s), and not a second longer.
        """
        self.post_comment()
        # Published, so that no purge of pending comments takes it first.
        self.press(self.link(1, "activate"))
        link = self.link(1, "delete")
        self.advance(NEVER - 1)
        self.assertEqual(self.browser.get(link).code, 200)
        self.advance(2)
        self.assertEqual(self.press(link).code, 403)
        self.assertIsNotNone(self.row(1))

    def test_key_from_the_future(self) -> None:
        """
        A key dated later than the server's clock is refused.
        """
        self.post_comment()
        later = Clock()
        later.advance(self.reactor.seconds() + 3600)
        key = Signer(self.secret(), later).moderation_key(1)
        self.assertEqual(self.press(f"/id/1/activate/{key}").code, 403)

    def test_unknown_action(self) -> None:
        """
        Only activate, edit and delete are actions; others are the API's.
        """
        self.post_comment()
        self.assertEqual(self.press(self.link(1, "approve")).code, 404)

    def test_wrong_method(self) -> None:
        """
        A C{PUT} on a link is a 405 page that lists the methods.
        """
        self.post_comment()
        response = self.browser.put(self.link(1, "activate"), {})
        self.assertEqual(response.code, 405)
        self.assertEqual(response.header("allow"), "GET, HEAD, POST")


class UnsubscribeTests(MailLinkTestCase):
    """
    C{/id/<id>/unsubscribe/<email>/<key>}.
    """

    config = "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"

    def unsubscribe_link(self, comment_id: int, email: str, key_email: str = "") -> str:
        key = self.site.signer.unsubscribe_key(key_email or email)
        quoted = email.replace("@", "%40").replace("+", "%2B")
        return f"/id/{comment_id}/unsubscribe/{quoted}/{key}"

    def test_get_asks(self) -> None:
        """
        Opening the link asks first and changes nothing.
        """
        self.post_comment(email="a@example.org", notification=1)
        response = self.browser.get(self.unsubscribe_link(1, "a@example.org"))
        self.assertIn(b"Stop mails about replies?", response.body)
        self.assertIn(b">Unsubscribe</button>", response.body)
        self.assertEqual(self.row(1)["notification"], 1)

    def test_one_conversation(self) -> None:
        """
        Pressing the button stops mails for that conversation only.
        """
        self.post_comment(email="a+b@example.org", notification=1)
        self.post_comment(email="a+b@example.org", notification=1, parent=1)
        self.post_comment(email="a+b@example.org", notification=1)
        response = self.press(self.unsubscribe_link(1, "a+b@example.org"))
        self.assertIn(b"a+b@example.org will no longer get mails", response.body)
        flags = self.database.query("SELECT id, notification FROM comments ORDER BY id")
        self.assertEqual([tuple(f) for f in flags], [(1, 0), (2, 0), (3, 1)])

    def test_refused(self) -> None:
        """
        A key for another address is refused; a gone conversation says so.
        """
        self.post_comment(email="a@example.org", notification=1)
        response = self.browser.get(
            self.unsubscribe_link(1, "a@example.org", key_email="b@example.org")
        )
        self.assertEqual(response.code, 403)
        response = self.press(self.unsubscribe_link(99, "a@example.org"))
        self.assertEqual(response.code, 404)
        self.assertIn(b"no longer exists", response.body)
        self.assertEqual(self.row(1)["notification"], 1)


class PurgeTests(MailLinkTestCase):
    """
    Pending comments that wait longer than C{purge-after}.
    """

    config = MODERATED + "[moderation]\npurge-after = 1h\n"

    def test_purged_by_the_clock(self) -> None:
        """
        A comment still waiting an hour after it was posted is removed at
        the next hourly purge, and its link then says so.
        """
        self.post_comment()
        self.advance(3600)
        self.assertIsNotNone(self.row(1))
        self.advance(3600)
        self.assertIsNone(self.row(1))
        response = self.browser.get(self.link(1, "activate"))
        self.assertEqual(response.code, 404)
        self.assertIn(b"removed after waiting too long", response.body)

    def test_published_kept(self) -> None:
        """
        A published comment stays, however old.
        """
        self.post_comment()
        self.press(self.link(1, "activate"))
        self.advance(3 * 3600)
        self.assertEqual(self.visible(), [1])


class BanTests(MailLinkTestCase):
    """
    The delete page of a mailed link bans the writer, and undoes the ban.
    """

    def test_offered(self) -> None:
        """
        The delete page offers to refuse the writer's network and e-mail
        (unchecked), shown as text; without an e-mail only the network.
        """
        self.post_comment(email="<i>x</i>@example.org")
        page = self.browser.get(self.link(1, "delete")).body
        self.assertIn(b'<input type="checkbox" name="ban" value="network" />', page)
        self.assertIn(b'<input type="checkbox" name="ban" value="email" />', page)
        self.assertIn(b"<code>192.0.2.0</code>", page)
        self.assertIn(b"<code>&lt;i&gt;x&lt;/i&gt;@example.org</code>", page)
        self.post_comment()
        page = self.browser.get(self.link(2, "delete")).body
        self.assertNotIn(b'value="email"', page)
        self.assertEqual(self.database.query("SELECT * FROM isso_tx_rules"), [])

    def test_ban_and_undo(self) -> None:
        """
        Deleting with both boxes ticked deletes the comment and refuses the
        writer's next comment; the undo button deletes those rules only,
        and the writer may comment again.
        """
        self.database.execute(
            "INSERT INTO isso_tx_rules (kind, value, action, note, created) "
            "VALUES ('words', 'casino', 'refuse', '', 0)"
        )
        self.post_comment(email="spam@example.org")
        response = self.browser.post(
            self.link(1, "delete"), form={"ban": ["network", "email"]}
        )
        self.assertEqual(response.code, 200)
        self.assertIn(b"<h1>Deleted and banned</h1>", response.body)
        self.assertIn(b"network 192.0.2.0 are refused: rule 2.", response.body)
        self.assertIn(b"e-mail address spam@example.org are refused: rule 3.", response.body)
        self.assertIn(b'<input type="hidden" name="undo" value="2" />', response.body)
        self.assertIsNone(self.row(1))
        refused = self.browser.post("/new?uri=/path/", {"text": "Again", "title": "t"})
        self.assertEqual(refused.header("x-isso-refusal"), "rule")

        response = self.browser.post(
            self.link(1, "delete"), form={"undo": ["2", "3", "1"], "confirm": "undo"}
        )
        self.assertIn(b"<h1>Ban undone</h1>", response.body)
        rules = self.database.query("SELECT id FROM isso_tx_rules")
        self.assertEqual([r[0] for r in rules], [1])
        self.post_comment(email="spam@example.org")
        again = self.browser.post(self.link(1, "delete"), form={"undo": ["2"]})
        self.assertIn(b"Nothing to undo", again.body)

    def test_plain_delete(self) -> None:
        """
        Deleting with no box ticked adds no rule.
        """
        self.post_comment(email="spam@example.org")
        response = self.press(self.link(1, "delete"))
        self.assertIn(b"<h1>Deleted</h1>", response.body)
        self.assertEqual(self.database.query("SELECT * FROM isso_tx_rules"), [])
