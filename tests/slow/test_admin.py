"""
Feature tests: the admin panel (/login/, /logout/, /admin/) over HTTP.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from isso_tx.signing import Signer
from isso_tx.store.admin import like_pattern
from isso_tx.store.pending import activate_interaction
from isso_tx.tap import Listener, Options, makeService
from isso_tx.views import admin_auth

from ..fast_support import InlineDatabase, seed_database
from ..support import Client, SiteTestCase, write_config

PASSWORD = "correct horse battery staple"
FORM = "application/x-www-form-urlencoded"


def csrf_of(body: bytes) -> str:
    found = re.search(rb'name="csrf" value="([^"]+)"', body)
    assert found is not None, body[:2000]
    return found.group(1).decode()


def listed_ids(body: bytes) -> list[int]:
    """
    Return the ids of the comments a panel page lists, in order.
    """
    pattern = rb'<article class="comment" id="comment-(\d+)"'
    return [int(i) for i in re.findall(pattern, body)]


def cookie_named(response: Any, name: str) -> str | None:
    for value in response.headers_named("set-cookie"):
        if value.startswith(name + "="):
            return value
    return None


class PanelTestCase(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
        f"[admin]\nenabled = true\npassword = {PASSWORD}\n"
    )

    def setUp(self) -> Any:
        d = super().setUp()
        d.addCallback(lambda _: setattr(self, "owner", self.reader("203.0.113.5")))
        return d

    def login(
        self, client: Client | None = None, password: str = PASSWORD, **kwargs: Any
    ) -> Any:
        return (client or self.owner).post(
            "/login/",
            raw=urlencode({"password": password}).encode(),
            content_type=FORM,
            **kwargs,
        )

    @inlineCallbacks
    def signed_in(self, client: Client | None = None) -> Any:
        """
        Sign in and return the CSRF token of the panel.
        """
        response = yield self.login(client)
        self.assertEqual(response.code, 302, response)
        panel = yield (client or self.owner).get("/admin/")
        self.assertEqual(panel.code, 200, panel)
        return csrf_of(panel.body)

    def act(
        self, csrf: str, action: str, ids: list[int], client: Client | None = None,
        **fields: str,
    ) -> Any:
        form: list[tuple[str, Any]] = [("csrf", csrf), ("action", action)]
        form += [("id", i) for i in ids]
        form += list(fields.items())
        return (client or self.owner).post(
            "/admin/action", raw=urlencode(form).encode(), content_type=FORM
        )

    @inlineCallbacks
    def pending(self, uri: str = "/page/", **fields: Any) -> Any:
        comment = yield self.post_comment(uri=uri, **fields)
        self.assertEqual(comment["mode"], 2)
        return comment["id"]

    @inlineCallbacks
    def published(self, uri: str = "/page/", **fields: Any) -> Any:
        comment_id = yield self.pending(uri, **fields)
        yield self.site.database.run(activate_interaction, comment_id)
        self.site.responses.clear()
        return comment_id

    @inlineCallbacks
    def thread_ids(self, uri: str = "/page/") -> Any:
        response = yield self.client.get(f"/?uri={uri}")
        if response.code == 404:
            return []
        ids = []
        for comment in response.json()["replies"]:
            ids.append(comment["id"])
            ids += [reply["id"] for reply in comment.get("replies", [])]
        return ids


class DisabledTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        f"[admin]\nenabled = false\npassword = {PASSWORD}\n"
    )

    @inlineCallbacks
    def test_disabled_page(self):
        """
        With [admin] enabled = false, /login/ and /admin/ answer 200 with a
        page saying that administration is disabled, and nobody can sign in.
        """
        owner = self.reader()
        for method, path in (("GET", "/login/"), ("GET", "/admin/"),
                             ("GET", "/admin/?mode=1"), ("POST", "/admin/action"),
                             ("POST", "/logout/")):
            response = yield owner.request(method, path, content_type=None)
            self.assertEqual(response.code, 200, path)
            self.assertIn(b"Administration is disabled", response.body)
            self.assertEqual(
                response.header("content-type"), "text/html; charset=utf-8"
            )
        response = yield owner.post(
            "/login/", raw=urlencode({"password": PASSWORD}).encode(), content_type=FORM
        )
        self.assertEqual(response.code, 200)
        self.assertIn(b"Administration is disabled", response.body)
        self.assertEqual(response.headers_named("set-cookie"), [])


    @inlineCallbacks
    def test_disabled_wrong_method(self):
        """
        With the panel disabled, a wrong method on one of its pages gets the
        disabled page, without saying which methods the page takes.
        """
        response = yield self.reader().get("/logout/")
        self.assertEqual(response.code, 200)
        self.assertIn(b"Administration is disabled", response.body)
        self.assertIsNone(response.header("allow"))


class ExamplePasswordTests(SiteTestCase):
    config = "[admin]\nenabled = true\n"

    @inlineCallbacks
    def test_example_password_refused(self):
        """
        While the password is still Isso's example value, the login page
        says so and has no form, and that password does not sign anyone in.
        """
        owner = self.reader()
        page = yield owner.get("/login/")
        self.assertEqual(page.code, 200)
        self.assertIn(b"password of your own", page.body)
        self.assertNotIn(b'type="password"', page.body)
        response = yield owner.post(
            "/login/", raw=b"password=please_choose_a_strong_password",
            content_type=FORM,
        )
        self.assertEqual(response.code, 403)
        self.assertEqual(response.headers_named("set-cookie"), [])


class LoginTests(PanelTestCase):
    @inlineCallbacks
    def test_login_form(self):
        """
        GET /login/ shows a password form posting to /login/, served without
        CORS headers, uncacheable and not frameable.
        """
        response = yield self.owner.get(
            "/login/", headers={"Origin": "http://example.org"}
        )
        self.assertEqual(response.code, 200)
        self.assertEqual(response.header("content-type"), "text/html; charset=utf-8")
        self.assertTrue(response.body.startswith(b"<!DOCTYPE html>"))
        self.assertIn(
            b'<form method="post" class="login" action="/login/">', response.body
        )
        self.assertIn(b'name="password"', response.body)
        self.assertIsNone(response.header("access-control-allow-origin"))
        self.assertEqual(response.header("cache-control"), "no-store")
        self.assertEqual(response.header("x-frame-options"), "DENY")
        policy = response.header("content-security-policy")
        self.assertIn("frame-ancestors 'none'", policy)

    @inlineCallbacks
    def test_wrong_password(self):
        """
        A wrong password shows the form again with a message and a 403; no
        cookie is set and the panel stays closed.
        """
        response = yield self.login(password="nope")
        self.assertEqual(response.code, 403)
        self.assertIn(b"Wrong password.", response.body)
        self.assertIn(b'name="password"', response.body)
        self.assertEqual(response.headers_named("set-cookie"), [])
        panel = yield self.owner.get("/admin/")
        self.assertEqual(panel.code, 302)
        self.assertEqual(panel.header("location"), "/login/")

    @inlineCallbacks
    def test_missing_password(self):
        """
        A form without the password field is a 400, and a password in the
        query string is not read.
        """
        response = yield self.owner.post("/login/", raw=b"", content_type=FORM)
        self.assertEqual(response.code, 400)
        response = yield self.owner.post(
            "/login/?" + urlencode({"password": PASSWORD}), raw=b"", content_type=FORM
        )
        self.assertEqual(response.code, 400)
        self.assertEqual(response.headers_named("set-cookie"), [])

    @inlineCallbacks
    def test_right_password(self):
        """
        The right password sets a session cookie (HttpOnly, SameSite=Strict,
        for the site's path, one day) and redirects to /admin/, which then
        lists the comments.
        """
        response = yield self.login()
        self.assertEqual(response.code, 302)
        self.assertEqual(response.header("location"), "/admin/")
        cookie = cookie_named(response, admin_auth.COOKIE)
        self.assertRegex(
            cookie,
            r"^isso-tx-admin=[\w.-]+; Expires=\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT; "
            r"Max-Age=86400; Path=/; HttpOnly; SameSite=Strict$",
        )
        self.assertIsNone(response.header("x-set-cookie"))
        panel = yield self.owner.get("/admin/")
        self.assertEqual(panel.code, 200)
        self.assertIn(b"No pending comments.", panel.body)
        # Signed in, the login page leads to the panel.
        again = yield self.owner.get("/login/")
        self.assertEqual((again.code, again.header("location")), (303, "/admin/"))

    @inlineCallbacks
    def test_secure_behind_https_proxy(self):
        """
        Signed in through a trusted proxy that says the browser used https,
        the cookie is Secure.
        """
        response = yield self.login(headers={"X-Forwarded-Proto": "https"})
        self.assertEqual(response.code, 302)
        self.assertRegex(
            cookie_named(response, admin_auth.COOKIE),
            r"; Max-Age=86400; Secure; Path=/; HttpOnly; SameSite=Strict$",
        )

    @inlineCallbacks
    def test_constant_time_compare(self):
        """
        The password is checked with hmac.compare_digest on equal-length
        digests, so neither its content nor its length shows in the timing.
        """
        calls = []
        real = admin_auth.compare_digest

        def spy(a, b):
            calls.append((a, b))
            return real(a, b)

        self.patch(admin_auth, "compare_digest", spy)
        response = yield self.login(password="x")
        self.assertEqual(response.code, 403)
        self.assertTrue(calls)
        given, expected = calls[0]
        self.assertEqual((len(given), len(expected)), (32, 32))
        self.assertTrue(admin_auth.password_matches(PASSWORD, PASSWORD))
        self.assertFalse(admin_auth.password_matches(PASSWORD + " ", PASSWORD))

    @inlineCallbacks
    def test_rate_limited(self):
        """
        After five wrong passwords from one network, even the right password
        is refused with 429 and Retry-After; another network still gets in,
        and a success clears that network's count.
        """
        for _ in range(5):
            response = yield self.login(password="guess")
            self.assertEqual(response.code, 403)
        response = yield self.login()
        self.assertEqual(response.code, 429)
        self.assertIn(b"Too many wrong passwords", response.body)
        self.assertLessEqual(int(response.header("retry-after")), 15 * 60)
        self.assertEqual(response.headers_named("set-cookie"), [])
        # Same /24 network, other address: still refused.
        neighbour = self.reader("203.0.113.77")
        response = yield self.login(neighbour)
        self.assertEqual(response.code, 429)
        # Another network.
        other = self.reader("198.51.100.20")
        for _ in range(4):
            yield self.login(other, password="guess")
        response = yield self.login(other)
        self.assertEqual(response.code, 302)
        for _ in range(4):
            response = yield self.login(other, password="guess")
            self.assertEqual(response.code, 403)

    @inlineCallbacks
    def test_forged_sessions(self):
        """
        Only a session cookie the panel signed opens it: a made-up value, and
        other tokens of the site (a moderation key, an edit cookie) signed
        with the same key, do not.
        """
        signer = self.site.signer
        for value in ("nonsense", signer.moderation_key(1),
                      signer.edit_token(1, "x"), signer.sign({"sid": "a", "pw": "b"})):
            response = yield self.owner.get(
                "/admin/", headers={"Cookie": f"{admin_auth.COOKIE}={value}"}
            )
            self.assertEqual(response.code, 302, value)

    @inlineCallbacks
    def test_logout(self):
        """
        Signing out (with the form's token) clears the cookie, shows the login
        page with a note, and the old session cookie no longer opens the panel.
        """
        csrf = yield self.signed_in()
        session = next(c.value for c in self.owner.cookies if c.name == admin_auth.COOKIE)
        refused = yield self.owner.post("/logout/", raw=b"", content_type=FORM)
        self.assertEqual(refused.code, 403)
        response = yield self.owner.post(
            "/logout/", raw=urlencode({"csrf": csrf}).encode(), content_type=FORM
        )
        self.assertEqual(response.code, 303)
        self.assertEqual(response.header("location"), "/login/?bye=1")
        self.assertIn("Max-Age=0", cookie_named(response, admin_auth.COOKIE))
        page = yield self.owner.get("/login/?bye=1")
        self.assertIn(b"You are signed out.", page.body)
        replay = self.reader("203.0.113.5")
        response = yield replay.get(
            "/admin/", headers={"Cookie": f"{admin_auth.COOKIE}={session}"}
        )
        self.assertEqual(response.code, 302)

    @inlineCallbacks
    def test_methods(self):
        """
        Unknown admin pages are 404 and wrong methods 405, as HTML pages.
        """
        response = yield self.owner.get("/admin/nothing")
        self.assertEqual(response.code, 404)
        response = yield self.owner.get("/logout/")
        self.assertEqual(response.code, 405)
        self.assertEqual(response.header("allow"), "POST")


class PrefixTests(PanelTestCase):
    @inlineCallbacks
    def test_under_a_prefix(self):
        """
        Served below a path by a trusted proxy (X-Script-Name), the panel's
        links, forms, redirects and cookie path all carry the prefix.
        """
        headers = {"X-Script-Name": "/comments"}
        response = yield self.owner.post(
            "/comments/login/",
            raw=urlencode({"password": PASSWORD}).encode(),
            content_type=FORM,
            headers=headers,
        )
        self.assertEqual(response.code, 302)
        self.assertEqual(response.header("location"), "/comments/admin/")
        self.assertIn("; Path=/comments/;", cookie_named(response, admin_auth.COOKIE))
        yield self.pending()
        panel = yield self.owner.get("/comments/admin/", headers=headers)
        self.assertEqual(panel.code, 200)
        self.assertIn(b'action="/comments/admin/action"', panel.body)
        self.assertIn(b'action="/comments/logout/"', panel.body)
        self.assertIn(b'href="/comments/css/admin.css"', panel.body)
        self.assertIn(b'src="/comments/js/admin.js"', panel.body)
        self.assertEqual(listed_ids(panel.body), [1])


class PublicEndpointTests(PanelTestCase):
    config = PanelTestCase.config + (
        "[server]\npublic-endpoint = https://comments.example.org\n"
    )

    @inlineCallbacks
    def test_secure_with_https_endpoint(self):
        """
        With an https public endpoint the session cookie is Secure.
        """
        response = yield self.login()
        self.assertEqual(response.code, 302)
        self.assertIn("; Secure", cookie_named(response, admin_auth.COOKIE))


class ListingTests(PanelTestCase):
    @inlineCallbacks
    def test_states(self):
        """
        The tabs list pending, approved and deleted comments, newest first,
        each with its details, and show how many each state holds.
        """
        first = yield self.pending(author="Alice", email="alice@example.org",
                                   website="alice.example", text="First *one*")
        second = yield self.pending(text="Second one")
        approved = yield self.published(text="Approved one", uri="/other/")
        reply = yield self.published(text="A reply", parent=approved, uri="/other/")
        yield self.client.delete(f"/id/{approved}")  # has a reply: placeholder
        csrf = yield self.signed_in()
        self.assertTrue(csrf)

        pending = yield self.owner.get("/admin/")
        self.assertEqual(listed_ids(pending.body), [second, first])
        body = unescape(pending.body.decode())
        self.assertIn("Pending <span class=\"count\">2</span>", body)
        self.assertIn("Approved <span class=\"count\">1</span>", body)
        self.assertIn("Deleted <span class=\"count\">1</span>", body)
        self.assertIn('<strong class="author">Alice</strong>', body)
        self.assertIn('href="mailto:alice@example.org"', body)
        self.assertIn('href="http://alice.example"', body)
        self.assertIn("<p>First <em>one</em></p>", body)
        self.assertIn("First *one*</textarea>", body)
        self.assertIn("<code>/page/</code>", body)
        self.assertIn('href="http://example.org/page/#isso-1"', body)
        self.assertIn("value=\"activate\"", body)

        published = yield self.owner.get("/admin/?mode=1")
        self.assertEqual(listed_ids(published.body), [reply])
        self.assertIn(b"reply to #", published.body)
        self.assertNotIn(b'value="activate"', published.body)
        deleted = yield self.owner.get("/admin/?mode=4")
        self.assertEqual(listed_ids(deleted.body), [approved])
        self.assertNotIn(b'value="delete"', deleted.body)
        self.assertNotIn(b'id="bulk"', deleted.body)

    @inlineCallbacks
    def test_markup_is_escaped(self):
        """
        What commenters wrote cannot inject markup into the panel.
        """
        yield self.pending(author="<script>alert(1)</script>",
                           text="<img src=x onerror=alert(1)> hello")
        yield self.signed_in()
        panel = yield self.owner.get("/admin/")
        self.assertNotIn(b"<script>alert", panel.body)
        self.assertNotIn(b"onerror", panel.body.replace(b"onerror=alert(1)&gt;", b""))
        self.assertIn(b"&lt;script&gt;alert(1)&lt;/script&gt;", panel.body)

    @inlineCallbacks
    def test_filter_by_thread(self):
        """
        A thread filter lists that thread's comments only; the tab counts
        follow the filter.
        """
        a = yield self.pending(uri="/a/")
        yield self.pending(uri="/b/")
        c = yield self.pending(uri="/a/")
        yield self.signed_in()
        response = yield self.owner.get("/admin/?uri=/a/")
        self.assertEqual(listed_ids(response.body), [c, a])
        self.assertIn(b'Pending <span class="count">2</span>', response.body)
        self.assertIn(b"Show all threads", response.body)
        self.assertIn(b'href="/admin/?mode=2&amp;uri=%2Fa%2F"', response.body)

    @inlineCallbacks
    def test_search(self):
        """
        The search looks in text, author and e-mail, case-insensitively, and
        takes % and _ literally.
        """
        by_text = yield self.pending(text="I paid 100% of it")
        by_author = yield self.pending(text="Nothing here", author="Bob & Co")
        by_email = yield self.pending(text="Nothing there", email="carol@example.net")
        yield self.pending(text="I paid 1000 of it")
        yield self.pending(text="snake_case or snakeXcase")
        yield self.signed_in()
        for term, expected in (
            ("100%", [by_text]),
            ("bob & co", [by_author]),
            ("EXAMPLE.NET", [by_email]),
            ("ke_c", [5]),
            ("nothing", [by_email, by_author]),
        ):
            response = yield self.owner.get("/admin/?" + urlencode({"q": term}))
            self.assertEqual(listed_ids(response.body), expected, term)
        response = yield self.owner.get("/admin/?q=zzz")
        self.assertIn(b"No pending comments matching the filter.", response.body)

    @inlineCallbacks
    def test_pagination(self):
        """
        Fifty comments a page, with links to older and newer pages that keep
        the filter.
        """
        ids = []
        for n in range(53):
            ids.append((yield self.pending(text=f"Comment number {n}")))
        yield self.signed_in()
        first = yield self.owner.get("/admin/?q=number")
        self.assertEqual(listed_ids(first.body), ids[::-1][:50])
        self.assertIn(b"Page 1 of 2", first.body)
        self.assertIn(b'href="/admin/?mode=2&amp;q=number&amp;page=2"', first.body)
        self.assertNotIn(b'rel="prev"', first.body)
        second = yield self.owner.get("/admin/?q=number&page=2")
        self.assertEqual(listed_ids(second.body), ids[::-1][50:])
        self.assertIn(b'rel="prev"', second.body)
        self.assertNotIn(b'rel="next"', second.body)
        beyond = yield self.owner.get("/admin/?page=99&mode=x")
        self.assertEqual((beyond.code, listed_ids(beyond.body)), (200, []))


class ActionTests(PanelTestCase):
    @inlineCallbacks
    def test_activate(self):
        """
        Approving a pending comment publishes it on its thread and comes back
        to the list with a note.
        """
        comment = yield self.pending()
        yield self.thread_ids()  # cached while still pending
        csrf = yield self.signed_in()
        response = yield self.act(csrf, "activate", [comment], back="mode=2&q=x")
        self.assertEqual(response.code, 303)
        self.assertEqual(
            response.header("location"), "/admin/?mode=2&q=x&done=activate&n=1"
        )
        self.assertEqual((yield self.thread_ids()), [comment])
        page = yield self.owner.get("/admin/?done=activate&n=1")
        self.assertIn(b"1 comment approved.", page.body)
        again = yield self.act(csrf, "activate", [comment])
        self.assertEqual(again.header("location"), "/admin/?mode=2&done=activate&n=0")

    @inlineCallbacks
    def test_edit(self):
        """
        Editing changes the text (rendered again), author, e-mail and website.
        """
        comment = yield self.published(text="Old text", author="Old")
        csrf = yield self.signed_in()
        response = yield self.act(
            csrf, "edit", [comment], text="New **text**", author="Ann & Co",
            email="ann@example.org", website="ann.example",
        )
        self.assertEqual(response.code, 303)
        thread = yield self.client.get("/?uri=/page/")
        shown = thread.json()["replies"][0]
        self.assertEqual(shown["text"], "<p>New <strong>text</strong></p>")
        self.assertEqual(shown["author"], "Ann &amp; Co")
        self.assertEqual(shown["website"], "http://ann.example")
        self.assertIsNotNone(shown["modified"])
        panel = yield self.owner.get("/admin/?mode=1")
        self.assertIn(b'value="Ann &amp; Co"', panel.body)
        self.assertIn(b"mailto:ann@example.org", panel.body)

    @inlineCallbacks
    def test_edit_keeps_author_cookie(self):
        """
        After the owner edits a comment in the panel, its author can still
        view, edit and delete it with their cookie, within the edit window.
        """
        comment = yield self.published(text="Teh text")
        csrf = yield self.signed_in()
        response = yield self.act(
            csrf, "edit", [comment], text="The text", author="", email="", website=""
        )
        self.assertEqual(response.code, 303)
        response = yield self.client.get(f"/id/{comment}?plain=1")
        self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json()["text"], "The text")
        response = yield self.client.put(f"/id/{comment}", {"text": "The text!"})
        self.assertEqual(response.code, 200, response)
        response = yield self.client.delete(f"/id/{comment}")
        self.assertEqual(response.code, 200, response)

    @inlineCallbacks
    def test_edit_refused(self):
        """
        An edit breaking the comment rules changes nothing and says why.
        """
        comment = yield self.published(text="Old text")
        csrf = yield self.signed_in()
        response = yield self.act(csrf, "edit", [comment], text="x")
        self.assertEqual(response.code, 400)
        self.assertIn(b"text is too short", response.body)
        thread = yield self.client.get("/?uri=/page/")
        self.assertEqual(thread.json()["replies"][0]["text"], "<p>Old text</p>")

    @inlineCallbacks
    def test_delete(self):
        """
        Deleting removes the comment from its thread.
        """
        keep = yield self.published()
        gone = yield self.published()
        self.assertEqual((yield self.thread_ids()), [keep, gone])
        csrf = yield self.signed_in()
        response = yield self.act(csrf, "delete", [gone])
        self.assertEqual(response.code, 303)
        self.assertEqual((yield self.thread_ids()), [keep])

    @inlineCallbacks
    def test_ban(self):
        """
        Banning a published comment that has a reply leaves its placeholder
        and refuses its writer's next comment, from its network or with its
        e-mail; the reply stays.
        """
        banned = yield self.published(email="troll@example.org")
        reply = yield self.published(parent=banned)
        csrf = yield self.signed_in()
        form = [("csrf", csrf), ("action", "ban"), ("id", banned),
                ("ban", "network"), ("ban", "email")]
        response = yield self.owner.post(
            "/admin/action", raw=urlencode(form).encode(), content_type=FORM
        )
        self.assertEqual(response.code, 303)
        self.assertIn("done=ban&n=1", response.header("location"))
        self.assertEqual((yield self.thread_ids()), [banned, reply])
        db = self.connect_database()
        self.assertEqual(
            db.execute("SELECT mode FROM comments WHERE id = ?", (banned,)).fetchall(),
            [(4,)],
        )
        self.assertEqual(
            sorted(db.execute("SELECT kind, value FROM isso_tx_rules").fetchall()),
            [("email", "troll@example.org"), ("network", "192.0.2.0")],
        )
        for client, fields in (
            (self.client, {}),
            (self.reader("198.51.100.3"), {"email": "troll@example.org"}),
        ):
            refused = yield client.post(
                "/new?uri=/page/", {"text": "again!", "title": "t", **fields}
            )
            self.assertEqual(refused.code, 403)
            self.assertEqual(refused.header("x-isso-refusal"), "rule")

    @inlineCallbacks
    def test_bulk(self):
        """
        Several checked comments are approved, or deleted, at once.
        """
        ids = []
        for _ in range(4):
            ids.append((yield self.pending()))
        csrf = yield self.signed_in()
        response = yield self.act(csrf, "activate", ids[:3])
        self.assertIn("n=3", response.header("location"))
        self.assertEqual((yield self.thread_ids()), ids[:3])
        response = yield self.act(csrf, "delete", [ids[0], ids[1], ids[3], 999])
        self.assertIn("n=3", response.header("location"))
        self.assertEqual((yield self.thread_ids()), [ids[2]])
        page = yield self.owner.get("/admin/")
        self.assertEqual(listed_ids(page.body), [])

    @inlineCallbacks
    def test_csrf(self):
        """
        An action without the session's token, or with another session's,
        is refused with 403 and changes nothing; so is one without a session.
        """
        comment = yield self.pending()
        csrf = yield self.signed_in()
        for token in ("", "0" * 64, csrf[:-1]):
            response = yield self.act(token, "activate", [comment])
            self.assertEqual(response.code, 403, token)
            self.assertIn(b"Nothing was changed", response.body)
        other = self.reader("203.0.113.6")
        other_csrf = yield self.signed_in(other)
        self.assertNotEqual(other_csrf, csrf)
        response = yield self.act(other_csrf, "activate", [comment])
        self.assertEqual(response.code, 403)
        stranger = self.reader("192.0.2.99")
        response = yield self.act(csrf, "activate", [comment], client=stranger)
        self.assertEqual((response.code, response.header("location")), (303, "/login/"))
        self.assertEqual((yield self.thread_ids()), [])

    @inlineCallbacks
    def test_back_is_sanitised(self):
        """
        The list to return to is rebuilt from known parameters, so a form
        cannot redirect anywhere else.
        """
        comment = yield self.pending()
        csrf = yield self.signed_in()
        response = yield self.act(
            csrf, "delete", [comment], back="x=//evil.example/&mode=1&page=2"
        )
        self.assertEqual(
            response.header("location"), "/admin/?mode=1&page=2&done=delete&n=1"
        )


    @inlineCallbacks
    def test_delete_with_replies(self):
        """
        Deleting a comment that has replies leaves a placeholder, so that the
        replies stay on the thread; the panel lists it as deleted.
        """
        parent = yield self.published()
        reply = yield self.published(parent=parent)
        csrf = yield self.signed_in()
        response = yield self.act(csrf, "delete", [parent])
        self.assertIn("n=1", response.header("location"))
        thread = yield self.client.get("/?uri=/page/")
        [placeholder] = thread.json()["replies"]
        self.assertEqual((placeholder["id"], placeholder["mode"]), (parent, 4))
        self.assertEqual([r["id"] for r in placeholder["replies"]], [reply])
        deleted = yield self.owner.get("/admin/?mode=4")
        self.assertEqual(listed_ids(deleted.body), [parent])

    @inlineCallbacks
    def test_stale_forms(self):
        """
        A form from a page opened before the comment was deleted (another
        tab, a mail link) changes nothing, and the panel says so.
        """
        parent = yield self.pending()
        yield self.pending(parent=parent)
        csrf = yield self.signed_in()
        yield self.act(csrf, "delete", [parent])
        for action, fields in (
            ("activate", {}),
            ("delete", {}),
            ("edit", {"text": "Brought back to life"}),
        ):
            response = yield self.act(csrf, action, [parent], **fields)
            self.assertEqual(
                response.header("location"),
                f"/admin/?mode=2&done={action}&n=0",
                action,
            )
        page = yield self.owner.get("/admin/?done=edit&n=0")
        self.assertIn(
            b"Nothing changed: the comments were already handled.", page.body
        )
        deleted = yield self.owner.get("/admin/?mode=4")
        self.assertNotIn(b"Brought back to life", deleted.body)


class NotificationTests(PanelTestCase):
    config = PanelTestCase.config + "[general]\nnotify = stdout\n"

    @inlineCallbacks
    def test_actions_are_told(self):
        """
        With notify = stdout, what the owner does in the panel is logged as
        for a mail link: the published comment with its link on the page,
        the edit with the new text, the deletion.
        """
        comment = yield self.pending()
        csrf = yield self.signed_in()
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)

        def told(fragment: str) -> list[Any]:
            return [
                e for e in events
                if (e.get("log_format") or "").startswith(fragment)
                and e.get("id") == comment
            ]

        yield self.act(csrf, "activate", [comment])
        [activated] = told("Comment {id} activated")
        self.assertEqual(activated["url"], f"http://example.org/page/#isso-{comment}")
        self.assertEqual(len(told("Comment {id} on {uri} published")), 1)
        yield self.act(csrf, "edit", [comment], text="Now *edited*")
        [edited] = told("Comment {id} edited")
        shown = json.loads(edited["comment"])
        self.assertEqual(shown["mode"], 1)
        self.assertEqual(shown["text"], "<p>Now <em>edited</em></p>")
        yield self.act(csrf, "delete", [comment])
        self.assertEqual(len(told("Comment {id} deleted")), 1)


class UnitTests(SynchronousTestCase):
    def throttle(self, clock: Clock, limit: int) -> admin_auth.LoginThrottle:
        """
        Return a throttle keeping its failures in a database of its own.
        """
        path = os.path.abspath(self.mktemp())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        seed_database(path)
        self.database = InlineDatabase(path)
        self.addCleanup(self.database.stopService)
        return admin_auth.LoginThrottle(self.database, clock, limit=limit, window=900)

    def result(self, coroutine: Any) -> Any:
        return self.successResultOf(Deferred.fromCoroutine(coroutine))

    def test_throttle_window(self):
        """
        Failures count for fifteen minutes from each failure, then the
        network may try again.
        """
        clock = Clock()
        throttle = self.throttle(clock, limit=3)
        for _ in range(3):
            self.assertIsNone(self.result(throttle.retry_after("net")))
            self.assertIsNone(self.result(throttle.attempt("net")))
            clock.advance(100)
        self.assertEqual(self.result(throttle.retry_after("net")), 900 - 300)
        self.assertEqual(self.result(throttle.attempt("net")), 900 - 300)
        clock.advance(900 - 300)
        self.assertIsNone(self.result(throttle.retry_after("net")))

    def test_throttle_memory(self):
        """
        Failures are forgotten once they no longer count, whatever network
        they came from.
        """
        clock = Clock()
        throttle = self.throttle(clock, limit=1)
        for network in ("a", "b", "c"):
            self.result(throttle.attempt(network))
        self.assertIsNotNone(self.result(throttle.retry_after("c")))
        clock.advance(900)
        self.result(throttle.attempt("d"))
        self.assertEqual(
            [tuple(row) for row in self.database.query(
                "SELECT network FROM isso_tx_login_failures"
            )],
            [("d",)],
        )

    def test_like_pattern(self):
        """
        LIKE wildcards in a search term are escaped.
        """
        self.assertEqual(like_pattern("5%_\\"), "%5\\%\\_\\\\%")

    def test_session_salt(self):
        """
        Session tokens are signed with their own salt: the default signer of
        the same key does not accept them, nor they its tokens.
        """
        signer = Signer("key", Clock())
        session = signer.salted(admin_auth.SESSION_SALT)
        from isso_tx.signing import InvalidToken

        self.assertRaises(InvalidToken, signer.load, session.sign({"sid": "x"}), 60)
        self.assertRaises(InvalidToken, session.load, signer.sign({"sid": "x"}), 60)
        self.assertEqual(session.load(session.sign({"sid": "x"}), 60), {"sid": "x"})


class SeveralSitesTests(TestCase):
    """
    Two sites served by one daemon, each under /<name>/, each with a panel.
    """

    def setUp(self) -> None:
        directory = os.path.abspath(self.mktemp())
        paths = []
        for name in ("alpha", "bravo"):
            paths += ["--config", write_config(
                os.path.join(directory, name),
                f"[general]\nname = {name}\n[moderation]\nenabled = true\n"
                f"[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
                f"[admin]\nenabled = true\npassword = {PASSWORD}\n",
            )]
        options = Options()
        options.parseOptions([*paths, "--listen", "tcp:0:interface=127.0.0.1"])
        top = makeService(options, reactor)
        top.privilegedStartService()
        top.startService()
        self.addCleanup(top.stopService)
        [listener] = [s for s in top if isinstance(s, Listener)]
        self.base = f"http://127.0.0.1:{listener.port.getHost().port}"

    @inlineCallbacks
    def test_panel_per_site(self):
        """
        Each site's panel lives under its name, lists that site's comments,
        and its session cookie is for that site's path and opens no other.
        """
        reader = Client(self.base)
        for name, text in (("alpha", "For alpha"), ("bravo", "For bravo"),
                           ("bravo", "Also bravo")):
            response = yield reader.post(
                f"/{name}/new?uri=/x/", {"text": text, "title": "X"}
            )
            self.assertEqual(response.code, 202)
        owner = Client(self.base, "203.0.113.5")
        response = yield owner.post(
            "/alpha/login/", raw=urlencode({"password": PASSWORD}).encode(),
            content_type=FORM,
        )
        self.assertEqual(response.code, 302)
        self.assertEqual(response.header("location"), "/alpha/admin/")
        cookie = cookie_named(response, admin_auth.COOKIE)
        self.assertIn("; Path=/alpha/;", cookie)
        panel = yield owner.get("/alpha/admin/")
        self.assertEqual(panel.code, 200)
        self.assertEqual(listed_ids(panel.body), [1])
        self.assertIn(b"For alpha", panel.body)
        self.assertIn(b'action="/alpha/admin/action"', panel.body)
        # The browser would not even send it there; sent anyway, it is refused.
        session = cookie.split(";")[0]
        other = yield owner.get("/bravo/admin/", headers={"Cookie": session})
        self.assertEqual(other.code, 302)
        self.assertEqual(other.header("location"), "/bravo/login/")
