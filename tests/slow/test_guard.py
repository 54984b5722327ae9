"""
The spam guard (L{isso_tx.guard}): rate limits per network, direct replies
per thread, replies to one's own fresh comment, required fields; what
commenters see over HTTP.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import inlineCallbacks

from isso_tx.metrics import REFUSAL_REASONS

from ..support import DatabaseMixin, SiteTestCase
from ..test_guard import JSON


class GuardTestCase(DatabaseMixin, SiteTestCase):
    @inlineCallbacks
    def refused(self, uri: str, body: dict[str, Any], client=None) -> Any:
        """
        Post a comment the guard must refuse; return the reason it gives.
        """
        response = yield (client or self.client).post(
            f"/new?uri={uri}", {"title": "A page", **body}, headers=JSON
        )
        self.assertEqual(response.code, 403, response)
        self.assertIn(response.header("x-isso-refusal"), REFUSAL_REASONS)
        self.last_refusal = response.header("x-isso-refusal")
        message = response.json()["message"]
        self.assertTrue(message.startswith("403 Forbidden: "), message)
        return message[len("403 Forbidden: "):]


class RateLimitTests(GuardTestCase):
    config = (
        "[guard]\nenabled = true\nratelimit = 2\ndirect-reply = 100\n"
        "[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_shared_by_network(self):
        """
        Two readers of one /24 share the limit across all threads: their
        third comment within a minute is refused with the ids that used it
        up, and nothing is stored; another network may still post.
        """
        yield self.post_comment("/a", client=self.reader("192.0.2.10"))
        yield self.post_comment("/b", client=self.reader("192.0.2.99"))
        reason = yield self.refused("/c", {"text": "third"}, self.reader("192.0.2.200"))
        self.assertEqual(reason, "192.0.2.0: ratelimit exceeded (1, 2)")
        self.assertEqual(self.last_refusal, "ratelimit")
        self.assertEqual(self.stored("SELECT count(*) FROM comments"), [(2,)])
        # The refused comment did not leave an empty thread behind.
        self.assertEqual(
            self.stored("SELECT uri FROM threads ORDER BY id"), [("/a",), ("/b",)]
        )
        other = yield self.post_comment("/c", client=self.reader("198.51.100.1"))
        self.assertEqual(other["id"], 3)

    @inlineCallbacks
    def test_refusal_page(self):
        """
        A browser that does not ask for JSON is told why on an HTML page.
        """
        yield self.post_comment()
        yield self.post_comment()
        response = yield self.client.post("/new?uri=/path/", {"text": "third"})
        self.assertEqual(response.code, 403)
        self.assertTrue(response.header("content-type").startswith("text/html"))
        self.assertIn(b"192.0.2.0: ratelimit exceeded (1, 2)", response.body)

    @inlineCallbacks
    def test_window(self):
        """
        Comments count against the limit for 60 seconds: at 55 seconds the
        network is still refused, after 61 it may post again.
        """
        yield self.post_comment()
        yield self.post_comment()
        self.age(55)
        reason = yield self.refused("/path/", {"text": "too soon"})
        self.assertEqual(reason, "192.0.2.0: ratelimit exceeded (1, 2)")
        self.age(6)
        yield self.post_comment()
        yield self.post_comment()
        reason = yield self.refused("/path/", {"text": "too soon again"})
        self.assertEqual(reason, "192.0.2.0: ratelimit exceeded (3, 4)")

    @inlineCallbacks
    def test_ipv6_network(self):
        """
        IPv6 readers share the limit per /48.
        """
        yield self.post_comment(client=self.reader("2001:db8:1:a::1"))
        yield self.post_comment(client=self.reader("2001:db8:1:b::2"))
        reason = yield self.refused(
            "/path/", {"text": "third"}, self.reader("2001:db8:1:ffff::3")
        )
        self.assertEqual(
            reason,
            "2001:0db8:0001:0000:0000:0000:0000:0000: ratelimit exceeded (1, 2)",
        )
        yield self.post_comment(client=self.reader("2001:db8:2::1"))


class DirectReplyTests(GuardTestCase):
    config = (
        "[guard]\nenabled = true\nratelimit = 100\ndirect-reply = 2\n"
        "reply-to-self = true\n[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_limit_per_thread(self):
        """
        A network may start only so many conversations on one page, however
        long ago: replies do not count, other pages and other networks are
        not affected.
        """
        first = yield self.post_comment()
        for _ in range(3):
            yield self.post_comment(parent=first["id"])
        yield self.post_comment()
        self.age(365 * 86400)
        reason = yield self.refused("/path/", {"text": "third"})
        self.assertEqual(reason, "2 direct responses to /path/")
        self.assertEqual(self.last_refusal, "direct-reply")
        reply = yield self.post_comment(parent=first["id"])
        self.assertEqual(reply["parent"], first["id"])
        yield self.post_comment("/other/")
        yield self.post_comment(client=self.reader("198.51.100.1"))

    @inlineCallbacks
    def test_no_bypass_through_parent(self):
        """
        A comment sent with parent 0, a parent that does not exist, or a
        parent on another page is stored top-level and counts as such: it
        neither escapes the limit nor makes the limit forget it.
        """
        yield self.post_comment("/other/", client=self.reader("198.51.100.1"))
        zero = yield self.post_comment(parent=0)
        self.assertIsNone(zero["parent"])
        missing = yield self.post_comment(parent=999)
        self.assertIsNone(missing["parent"])
        for parent in (None, 0, 999, 1):
            reason = yield self.refused("/path/", {"text": "more", "parent": parent})
            self.assertEqual(reason, "2 direct responses to /path/", parent)
        self.assertEqual(
            self.stored("SELECT count(*) FROM comments WHERE remote_addr = ?",
                        "192.0.2.0"),
            [(2,)],
        )


class ReplyToSelfTests(GuardTestCase):
    config = (
        "[general]\nmax-age = 2m\n"
        "[guard]\nenabled = true\nratelimit = 100\ndirect-reply = 100\n"
        "[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_refused_while_editable(self):
        """
        While their comment can still be edited, its author cannot answer it
        (nor a reply of their own); other readers can, and so can the author
        once the edit window has closed.
        """
        yield self.post_comment()
        reason = yield self.refused("/path/", {"text": "me again", "parent": 1})
        self.assertEqual(reason, "edit time frame is still open")
        self.assertEqual(self.last_refusal, "reply-to-self")
        stranger = self.reader("198.51.100.1")
        yield self.post_comment(client=stranger, parent=1)
        self.age(119)
        reason = yield self.refused("/path/", {"text": "me again", "parent": 1})
        self.assertEqual(reason, "edit time frame is still open")
        self.age(2, "id = 1")
        reply = yield self.post_comment(parent=1)
        self.assertEqual(reply["parent"], 1)
        reason = yield self.refused("/path/", {"text": "and again", "parent": 3})
        self.assertEqual(reason, "edit time frame is still open")

    @inlineCallbacks
    def test_answering_others_in_own_conversation(self):
        """
        Answering someone else's reply is allowed even when it files the
        answer under one's own, still editable, comment.
        """
        yield self.post_comment()
        yield self.post_comment(client=self.reader("198.51.100.1"), parent=1)
        answer = yield self.post_comment(parent=2)
        self.assertEqual(answer["parent"], 1)


class ReplyToSelfAllowedTests(GuardTestCase):
    config = (
        "[guard]\nenabled = true\nratelimit = 100\nreply-to-self = true\n"
        "[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_allowed(self):
        """
        With reply-to-self, authors may answer their own fresh comments, and
        the client is told so.
        """
        yield self.post_comment()
        reply = yield self.post_comment(parent=1)
        self.assertEqual(reply["parent"], 1)
        response = yield self.client.get("/config")
        self.assertIs(response.json()["config"]["reply-to-self"], True)


class RequiredFieldsTests(GuardTestCase):
    config = (
        "[guard]\nenabled = true\nratelimit = 100\nrequire-author = true\n"
        "require-email = true\n[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_required(self):
        """
        A comment without an e-mail address, or then without a name, is
        refused with 403 saying which is missing; the client is told both
        are required.
        """
        for email in (None, ""):
            reason = yield self.refused(
                "/path/", {"text": "hello", "author": "Alice", "email": email}
            )
            self.assertEqual(reason, "email address required but not provided")
        reason = yield self.refused("/path/", {"text": "hello"})
        self.assertEqual(reason, "email address required but not provided")
        self.assertEqual(self.last_refusal, "require-email")
        for author in (None, ""):
            reason = yield self.refused(
                "/path/", {"text": "hello", "author": author, "email": "a@b.c"}
            )
            self.assertIn("author", reason)
            self.assertTrue(reason.endswith("required but not provided"), reason)
            self.assertEqual(self.last_refusal, "require-author")
        self.assertEqual(self.stored("SELECT count(*) FROM threads"), [(0,)])
        yield self.post_comment(author="Alice", email="a@b.c")
        response = yield self.client.get("/config")
        config = response.json()["config"]
        self.assertEqual(
            (config["require-author"], config["require-email"]), (True, True)
        )


class GuardDisabledTests(GuardTestCase):
    config = (
        "[guard]\nenabled = false\nratelimit = 1\ndirect-reply = 1\n"
        "reply-to-self = false\nrequire-author = true\nrequire-email = true\n"
        "[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_no_rule_applies(self):
        """
        With the guard off, one network may post anonymously, quickly, many
        top-level comments and replies to its own fresh comments.
        """
        for _ in range(3):
            yield self.post_comment()
        for parent in (1, 0, 999):
            yield self.post_comment(parent=parent)
        response = yield self.client.post("/count", ["/path/"])
        self.assertEqual(response.json(), [6])


class SpamDefenceTests(GuardTestCase):
    """
    The owner's rules, the link limit and the honeypot on a served site,
    refusals carrying X-Isso-Refusal (exposed to the page's script).
    """

    config = (
        "[guard]\nenabled = true\nratelimit = 100\ndirect-reply = 100\n"
        "max-links = 1\n[hash]\nalgorithm = none\n"
    )

    def add_rule(self, kind: str, value: str, action: str) -> None:
        """
        Add a rule as another daemon of the site would: committed on a
        connection of its own.
        """
        conn = self.db()
        conn.execute(
            "INSERT INTO isso_tx_rules (kind, value, action, note, created) "
            "VALUES (?, ?, ?, '', 0)",
            (kind, value, action),
        )
        conn.commit()

    @inlineCallbacks
    def test_rules(self):
        """
        A refusing rule answers 403 with Isso's JSON message, the header
        (exposed to CORS) and nothing stored, counting its match; a holding
        rule stores the comment pending (202); a comment no rule matches is
        published.
        """
        self.add_rule("domain", "shop.example", "refuse")
        self.add_rule("regex", r"free\s+money", "hold")
        response = yield self.client.post(
            "/new?uri=/r/",
            {"text": "Hello", "title": "t", "website": "https://www.shop.example/x"},
            headers={**JSON, "Origin": "http://example.org"},
        )
        self.assertEqual(response.code, 403)
        self.assertEqual(response.header("x-isso-refusal"), "rule")
        self.assertIn(
            "X-Isso-Refusal", response.header("access-control-expose-headers")
        )
        self.assertEqual(
            response.json(), {"message": "403 Forbidden: the comment was not accepted"}
        )
        self.assertEqual(self.stored("SELECT count(*) FROM comments"), [(0,)])
        self.assertEqual(
            self.stored("SELECT matches FROM isso_tx_rules ORDER BY id"), [(1,), (0,)]
        )
        held = yield self.post_comment("/r/", text="FREE   money inside")
        self.assertEqual(held["mode"], 2)
        published = yield self.post_comment("/r/", text="A fair remark")
        self.assertEqual(published["mode"], 1)
        self.assertEqual(
            self.stored("SELECT matches FROM isso_tx_rules ORDER BY id"), [(1,), (1,)]
        )

    @inlineCallbacks
    def test_honeypot_and_links(self):
        """
        A filled honeypot is refused (403, "honeypot"), an empty one is not
        stored anywhere; more links than max-links wait for moderation.
        """
        response = yield self.client.post(
            "/new?uri=/h/", {"text": "Hi there", "title": "t", "phone": "555"}
        )
        self.assertEqual(
            (response.code, response.header("x-isso-refusal")), (403, "honeypot")
        )
        yield self.post_comment("/h/", phone="")
        one = yield self.post_comment("/h/", text="see <https://a.example>")
        two = yield self.post_comment(
            "/h/", text="see <https://a.example> and [b](https://b.example)"
        )
        self.assertEqual((one["mode"], two["mode"]), (1, 2))

    @inlineCallbacks
    def test_edits(self):
        """
        A published comment edited into what a refusing rule matches gets
        403 "rule" and stays as it was; edited into what a holding rule
        matches, or past max-links, it is saved but leaves the thread and
        its count for the moderation queue.
        """
        first = yield self.post_comment("/e/", text="A fair remark")
        second = yield self.post_comment("/e/", text="Another one")
        response = yield self.client.get("/?uri=/e/")
        self.assertEqual(len(response.json()["replies"]), 2)
        self.add_rule("words", "cheap watches", "refuse")
        self.add_rule("author", "Casino King", "hold")
        response = yield self.client.put(
            f"/id/{first['id']}", {"text": "Cheap watches!"}, headers=JSON
        )
        self.assertEqual(
            (response.code, response.header("x-isso-refusal")), (403, "rule")
        )
        self.assertEqual(
            response.json(), {"message": "403 Forbidden: the comment was not accepted"}
        )
        response = yield self.client.put(
            f"/id/{first['id']}", {"text": "Fine", "author": "casino king"}
        )
        self.assertEqual((response.code, response.json()["mode"]), (200, 2))
        response = yield self.client.put(
            f"/id/{second['id']}",
            {"text": "see <https://a.example> and <https://b.example>"},
        )
        self.assertEqual((response.code, response.json()["mode"]), (200, 2))
        response = yield self.client.get("/?uri=/e/")
        self.assertEqual((response.code, response.json()["replies"]), (200, []))
        response = yield self.client.post("/count", ["/e/"])
        self.assertEqual(response.json(), [0])
        self.assertEqual(
            self.stored("SELECT text, mode FROM comments ORDER BY id"),
            [
                ("Fine", 2),
                ("see <https://a.example> and <https://b.example>", 2),
            ],
        )
        self.assertEqual(
            self.stored("SELECT matches FROM isso_tx_rules ORDER BY id"), [(1,), (1,)]
        )
