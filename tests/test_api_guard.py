"""
Feature tests: what keeps a comment section usable, seen over HTTP: the spam
guard, moderation, author hashes, edit cookies, proxies, and the titles of
new threads.
"""

from __future__ import annotations

import hashlib
import time
from email.utils import parsedate_to_datetime
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.endpoints import serverFromString
from twisted.internet.task import deferLater
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from twisted.web.static import Data

from .support import SiteTestCase

JSON = {"Accept": "application/json"}
SALT = b"Eech7co8Ohloopo9Ol6baimi"


def pbkdf2(value: str) -> str:
    """
    The identicon hash of C{value} under Isso's default C{[hash]} settings.
    """
    return hashlib.pbkdf2_hmac("sha1", value.encode(), SALT, 1000, 6).hex()


class DatabaseMixin:
    """
    Looking at, and ageing, what the site stored, the way another program
    sharing the database file would.
    """

    def db(self) -> Any:
        return self.connect_database()

    def age(self, seconds: float, where: str = "1 = 1", *params: Any) -> None:
        """
        Move the creation time of some comments C{seconds} into the past.
        """
        conn = self.db()
        conn.execute(
            f"UPDATE comments SET created = created - ? WHERE {where}",
            (seconds, *params),
        )
        conn.commit()

    def stored(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.db().execute(sql, params).fetchall()


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
        for author in (None, ""):
            reason = yield self.refused(
                "/path/", {"text": "hello", "author": author, "email": "a@b.c"}
            )
            self.assertIn("author", reason)
            self.assertTrue(reason.endswith("required but not provided"), reason)
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


class ModerationTests(DatabaseMixin, SiteTestCase):
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


class HashTests(SiteTestCase):
    config = "[guard]\nenabled = false\n"

    @inlineCallbacks
    def test_default_hash(self):
        """
        By default an author's hash is Isso's salted PBKDF2 of their e-mail
        as stored (escaped), or without one of their network, in new
        comments and in the thread alike.
        """
        reader = self.reader("192.168.1.77")
        with_email = yield self.post_comment(client=reader, email="a@b.c")
        self.assertEqual(with_email["hash"], pbkdf2("a@b.c"))
        self.assertEqual(with_email["hash"], "b539304e6ef9")
        anonymous = yield self.post_comment(client=reader)
        self.assertEqual(anonymous["hash"], pbkdf2("192.168.1.0"))
        self.assertEqual(anonymous["hash"], "9f0076fd038d")
        empty = yield self.post_comment(client=reader, email="")
        self.assertEqual(empty["hash"], "9f0076fd038d")
        escaped = yield self.post_comment(client=reader, email="a&b@x.org")
        self.assertEqual(escaped["hash"], pbkdf2("a&amp;b@x.org"))
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(
            [c["hash"] for c in response.json()["replies"]],
            ["b539304e6ef9", "9f0076fd038d", "9f0076fd038d", pbkdf2("a&amp;b@x.org")],
        )


class PlainHashTests(SiteTestCase):
    config = "[guard]\nenabled = false\n[hash]\nalgorithm = sha256\nsalt = ignored\n"

    @inlineCallbacks
    def test_sha256(self):
        """
        With a plain hash function the hash is its unsalted digest.
        """
        body = yield self.post_comment(email="a@b.c")
        self.assertEqual(body["hash"], hashlib.sha256(b"a@b.c").hexdigest())
        body = yield self.post_comment()
        self.assertEqual(body["hash"], hashlib.sha256(b"192.0.2.0").hexdigest())


class TunedHashTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n"
        "[hash]\nalgorithm = pbkdf2:10:4:sha256\nsalt = pepper\n"
    )

    @inlineCallbacks
    def test_parameters(self):
        """
        PBKDF2's iterations, length, function and salt can be chosen.
        """
        body = yield self.post_comment(email="a@b.c")
        expected = hashlib.pbkdf2_hmac("sha256", b"a@b.c", b"pepper", 10, 4).hex()
        self.assertEqual(body["hash"], expected)


class CookieTests(SiteTestCase):
    config = "[general]\nmax-age = 2m\n"
    attributes = "Max-Age=120; Path=/; SameSite=Lax"

    @inlineCallbacks
    def cookies(self, **headers: str) -> Any:
        """
        Post a comment; return the attributes of its two cookie headers,
        after checking their names, values and expiry.
        """
        response = yield self.client.post(
            "/new?uri=/path/", {"text": "Lorem ipsum", "title": "t"}, headers=headers
        )
        self.assertEqual(response.code, 201, response)
        real = response.headers_named("set-cookie")
        copy = response.headers_named("x-set-cookie")
        self.assertEqual((len(real), len(copy)), (1, 1))
        self.assertEqual(copy[0], "isso-" + real[0])
        value, expires, rest = real[0].split("; ", 2)
        self.assertRegex(value, r"^1=[\w.-]+$")
        self.assertTrue(expires.startswith("Expires="), expires)
        expiry = parsedate_to_datetime(expires[len("Expires="):]).timestamp()
        self.assertLess(abs(expiry - (time.time() + 120)), 5)
        return rest

    @inlineCallbacks
    def test_plain_http(self):
        """
        Posted over plain http, the edit cookie lasts max-age and has the
        attributes the configuration calls for: by default it is sent on
        same-site navigation only (Lax) and is not marked Secure.
        """
        attributes = yield self.cookies()
        self.assertEqual(attributes, self.attributes)

    @inlineCallbacks
    def test_https_proxy(self):
        """
        Behind a trusted proxy that reports https, the cookie is Secure and
        usable from the embedding site (SameSite=None).
        """
        attributes = yield self.cookies(**{"X-Forwarded-Proto": "https"})
        self.assertEqual(attributes, "Max-Age=120; Secure; Path=/; SameSite=None")


class UntrustedProtoCookieTests(CookieTests):
    config = "[general]\nmax-age = 2m\n[server]\ntrusted-proxies = 10.9.9.9\n"

    @inlineCallbacks
    def test_https_proxy(self):
        """
        A scheme claimed by a peer that is not a trusted proxy is ignored.
        """
        attributes = yield self.cookies(**{"X-Forwarded-Proto": "https"})
        self.assertEqual(attributes, self.attributes)


class PublicHTTPSCookieTests(CookieTests):
    config = (
        "[general]\nmax-age = 2m\n"
        "[server]\npublic-endpoint = https://comments.example.org/\n"
    )
    attributes = "Max-Age=120; Secure; Path=/; SameSite=None"

    @inlineCallbacks
    def test_https_proxy(self):
        """
        A public https endpoint makes the cookie Secure whatever the request.
        """
        attributes = yield self.cookies(**{"X-Forwarded-Proto": "http"})
        self.assertEqual(attributes, self.attributes)


class PublicHTTPCookieTests(CookieTests):
    config = (
        "[general]\nmax-age = 2m\n"
        "[server]\npublic-endpoint = http://comments.example.org\n"
    )

    @inlineCallbacks
    def test_https_proxy(self):
        """
        A public http endpoint wins over the scheme the proxy reports.
        """
        attributes = yield self.cookies(**{"X-Forwarded-Proto": "https"})
        self.assertEqual(attributes, self.attributes)


class SameSiteCookieTests(CookieTests):
    config = "[general]\nmax-age = 2m\n[server]\nsamesite = strict\n"
    attributes = "Max-Age=120; Path=/; SameSite=Strict"

    @inlineCallbacks
    def test_https_proxy(self):
        """
        A configured SameSite holds over https too.
        """
        attributes = yield self.cookies(**{"X-Forwarded-Proto": "https"})
        self.assertEqual(attributes, "Max-Age=120; Secure; Path=/; SameSite=Strict")


class TrustedProxyTests(DatabaseMixin, SiteTestCase):
    config = "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"

    @inlineCallbacks
    def test_stored_anonymised(self):
        """
        Only the network of each commenter is stored: the last octet of an
        IPv4 address, all but the first 48 bits of an IPv6 one.
        """
        for address in ("203.0.113.77", "2001:db8:85a3:1234:5678::1",
                        "::ffff:198.51.100.9", "not an address"):
            yield self.post_comment(client=self.reader(address))
        self.assertEqual(
            self.stored("SELECT remote_addr FROM comments ORDER BY id"),
            [("203.0.113.0",), ("2001:0db8:85a3:0000:0000:0000:0000:0000",),
             ("198.51.100.0",), ("0.0.0.0",)],
        )

    @inlineCallbacks
    def test_forwarded_chain(self):
        """
        The client is the last address in X-Forwarded-For that is not a
        trusted proxy; addresses before it, which the client could forge,
        do not matter.
        """
        for chain in ("203.0.113.9, 127.0.0.1", "198.51.100.1, 203.0.113.9"):
            response = yield self.client.post(
                "/new?uri=/path/", {"text": "Lorem ipsum", "title": "t"},
                headers={"X-Forwarded-For": chain},
            )
            self.assertEqual(response.code, 201, response)
        self.assertEqual(
            self.stored("SELECT remote_addr FROM comments"),
            [("203.0.113.0",), ("203.0.113.0",)],
        )

    @inlineCallbacks
    def test_script_name(self):
        """
        A trusted proxy serving the site under a path says so with
        X-Script-Name, and the API answers below it.
        """
        prefix = {"X-Script-Name": "/comments"}
        response = yield self.client.get("/comments/info", headers=prefix)
        self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json()["host"], f"{self.base}/comments")
        response = yield self.client.post(
            "/comments/new?uri=/path/", {"text": "Lorem ipsum", "title": "t"},
            headers=prefix,
        )
        self.assertEqual(response.code, 201, response)
        response = yield self.client.get("/comments/?uri=/path/", headers=prefix)
        self.assertEqual(response.json()["total_replies"], 1)


class UntrustedProxyTests(GuardTestCase):
    config = (
        "[server]\ntrusted-proxies = 10.9.9.9\n"
        "[guard]\nenabled = true\nratelimit = 2\ndirect-reply = 100\n"
        "[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_forwarded_for_ignored(self):
        """
        X-Forwarded-For from a peer that is not a trusted proxy is ignored:
        readers claiming different addresses are one client to the guard.
        """
        yield self.post_comment(client=self.reader("192.0.2.10"))
        yield self.post_comment(client=self.reader("198.51.100.20"))
        reason = yield self.refused(
            "/path/", {"text": "third"}, self.reader("203.0.113.5")
        )
        self.assertEqual(reason, "127.0.0.0: ratelimit exceeded (1, 2)")
        self.assertEqual(
            self.stored("SELECT DISTINCT remote_addr FROM comments"), [("127.0.0.0",)]
        )

    @inlineCallbacks
    def test_script_name_ignored(self):
        """
        An untrusted peer cannot move the site under a path.
        """
        response = yield self.client.get(
            "/comments/info", headers={"X-Script-Name": "/comments"}
        )
        self.assertEqual(response.code, 404)


class WebsiteTestCase(DatabaseMixin, SiteTestCase):
    """
    A site whose website is served on another loopback port.
    """

    config = "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"

    def use_website(self, port: int) -> None:
        self.website = f"http://127.0.0.1:{port}"
        self.config = f"{type(self).config}[general]\nhost = {self.website}\n"

    @inlineCallbacks
    def post_untitled(self, uri: str) -> Any:
        """
        Post a comment without a title, as the page at C{uri} would.
        """
        response = yield self.client.post(
            f"/new?uri={uri}", {"text": "Lorem ipsum"},
            headers={"Origin": self.website},
        )
        return response

    def titles(self) -> list[tuple[str, str]]:
        return self.stored("SELECT uri, title FROM threads ORDER BY id")


class PageTitleTests(WebsiteTestCase):
    pages = {
        b"titled": b'<!doctype html><title>Head title</title><h1>Heading</h1>'
        b'<div id="isso-thread" data-title="Caf%C3%A9 talk"></div>',
        b"heading": b"<!doctype html><title>Head title</title><article>"
        b"<h1> The <em>first</em> post </h1><p>Text</p>"
        b'<section id="isso-thread"></section></article>',
        b"renamed": b'<!doctype html><div id="isso-thread" data-isso-id="/canonical/"'
        b' data-title="Renamed"></div>',
        b"bare": b"<!doctype html><title>Head title</title><p>No comments here",
    }

    @inlineCallbacks
    def setUp(self):
        root = Resource()
        for name, page in self.pages.items():
            root.putChild(name, Data(page, "text/html; charset=utf-8"))
        root.putChild(b"chunked", _ChunkedPage())
        self.endless = _EndlessPage()
        root.putChild(b"endless", self.endless)
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(Site(root))
        self.addCleanup(port.stopListening)
        self.use_website(port.getHost().port)
        yield super().setUp()

    @inlineCallbacks
    def test_data_title(self):
        """
        A new thread is named after its comment section's data-title.
        """
        response = yield self.post_untitled("/titled")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/titled", "Café talk")])

    @inlineCallbacks
    def test_heading(self):
        """
        Without a data-title, the thread is named after the nearest heading
        before the comment section, not after the page's <title>.
        """
        response = yield self.post_untitled("/heading")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/heading", "The first post")])

    @inlineCallbacks
    def test_renamed_thread(self):
        """
        A comment section with data-isso-id files the comment under that id.
        """
        response = yield self.post_untitled("/renamed")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/canonical/", "Renamed")])
        response = yield self.client.get("/?uri=/canonical/")
        self.assertEqual(response.json()["total_replies"], 1)

    @inlineCallbacks
    def test_no_comment_section(self):
        """
        A page without a comment section gives an untitled thread.
        """
        response = yield self.post_untitled("/bare")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/bare", "Untitled.")])

    @inlineCallbacks
    def test_missing_page(self):
        """
        A page the website answers 404 for cannot name a thread: the comment
        is refused with 400 and nothing is stored, until it comes with a
        title.
        """
        response = yield self.post_untitled("/missing")
        self.assertEqual(response.code, 400)
        self.assertIn(
            b"Cannot create new thread: URI /missing is not accessible", response.body
        )
        self.assertEqual(self.titles(), [])
        self.assertEqual(self.stored("SELECT count(*) FROM comments"), [(0,)])
        yield self.post_comment("/missing", title="Given")
        self.assertEqual(self.titles(), [("/missing", "Given")])


    @inlineCallbacks
    def test_page_without_length(self):
        """
        A page sent in chunks, without a Content-Length, names its thread
        like any other.
        """
        response = yield self.post_untitled("/chunked")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/chunked", "Sent in chunks")])

    @inlineCallbacks
    def test_oversized_page_without_length(self):
        """
        A page sent without a length is read only up to the size limit:
        past it, the page counts as not accessible and nothing is stored.
        """
        response = yield self.post_untitled("/endless")
        self.assertEqual(response.code, 400)
        self.assertIn(b"is not accessible", response.body)
        self.assertEqual(self.stored("SELECT count(*) FROM comments"), [(0,)])
        # The fetcher hung up rather than read the rest.
        yield self.endless.hung_up()


class _ChunkedPage(Resource):
    """
    A small page sent in chunks, without a length, as many servers send
    pages they compress or build on the fly.
    """

    isLeaf = True

    def render_GET(self, request):
        request.write(b"<!doctype html><h1>Streamed</h1>")
        request.write(b'<div id="isso-thread" data-title="Sent in chunks"></div>')
        request.finish()
        return NOT_DONE_YET


class _EndlessPage(Resource):
    """
    A page streamed in chunks, far past the title fetcher's limit, with a
    comment section at the very end.
    """

    isLeaf = True

    def render_GET(self, request):
        self.transport = request.transport
        filler = b"<p>" + b"x" * 65536 + b"</p>"

        def more(left: int) -> None:
            if self.transport.disconnected:
                return
            if not left:
                request.write(b'<div id="isso-thread" data-title="Too far"></div>')
                request.finish()
                return
            request.write(filler)
            reactor.callLater(0.001, more, left - 1)

        more(64)
        return NOT_DONE_YET

    @inlineCallbacks
    def hung_up(self):
        """
        Wait until the reader's connection is closed.
        """
        for _ in range(500):
            if self.transport.disconnected:
                return
            yield deferLater(reactor, 0.01)
        raise AssertionError("the reader never hung up")


class WebsiteDownTests(WebsiteTestCase):
    @inlineCallbacks
    def setUp(self):
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(Site(Resource()))
        self.use_website(port.getHost().port)
        yield port.stopListening()
        yield super().setUp()

    @inlineCallbacks
    def test_website_down(self):
        """
        When the website is down a new thread needs a title: without one the
        comment is refused with 400 and nothing is stored; a comment on an
        existing thread needs no page.
        """
        response = yield self.post_untitled("/post")
        self.assertEqual(response.code, 400)
        self.assertIn(b"URI /post is not accessible", response.body)
        self.assertEqual(self.titles(), [])
        yield self.post_comment("/post", title="Given")
        response = yield self.post_untitled("/post")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/post", "Given")])
