"""
Fast tests of L{isso_tx.views.admin} and L{isso_tx.views.admin_auth}: signing
in, the throttle and the session's lifetime on the test clock, the CSRF
tokens, and the panel's actions.
"""

from __future__ import annotations

import html
import re
from typing import Any

from twisted.web.http import datetimeToString

from isso_tx.views.admin_auth import COOKIE, SESSION_AGE

from .fast_support import START, Browser, ViewTestCase

PASSWORD = "correct horse battery staple"
OWNER = "203.0.113.5"


def csrf_of(body: bytes) -> str:
    found = re.search(rb'name="csrf" value="([^"]+)"', body)
    assert found is not None, body[:2000]
    return found.group(1).decode()


def listed_ids(body: bytes) -> list[int]:
    """
    Return the ids of the comments a panel page lists, in order.
    """
    return [int(i) for i in re.findall(rb'<article class="comment" id="comment-(\d+)"', body)]


def listed_rules(body: bytes) -> list[int]:
    """
    Return the ids of the rules a rules page lists, in order.
    """
    return [int(i) for i in re.findall(rb'<tr id="rule-(\d+)"', body)]


def pager_links(body: bytes) -> dict[str, str]:
    """
    Return the pager's links of a page, by their C{rel} (C{prev}, C{next}).
    """
    return {
        rel.decode(): html.unescape(href.decode())
        for rel, href in re.findall(rb'<a rel="(prev|next)" href="([^"]*)"', body)
    }


def form_page(body: bytes) -> str:
    """
    Return the page number the forms of a rules page post back.
    """
    pages = set(re.findall(rb'name="page" value="([^"]*)"', body))
    assert len(pages) == 1, pages
    return pages.pop().decode()


def session_cookie(response: Any) -> str | None:
    for value in response.headers_named("set-cookie"):
        if value.startswith(COOKIE + "="):
            return value
    return None


class PanelTestCase(ViewTestCase):
    """
    A moderated site with the panel switched on, and its owner's browser.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
        f"[admin]\nenabled = true\npassword = {PASSWORD}\n"
    )

    def setUp(self) -> None:
        super().setUp()
        self.owner = self.reader(OWNER)

    def login(self, browser: Browser | None = None, password: str = PASSWORD,
              **kwargs: Any) -> Any:
        return (browser or self.owner).post("/login/", form={"password": password},
                                            **kwargs)

    def signed_in(self, browser: Browser | None = None) -> str:
        """
        Sign in and return the panel's CSRF token.
        """
        self.assertEqual(self.login(browser).code, 302)
        panel = (browser or self.owner).get("/admin/")
        self.assertEqual(panel.code, 200, panel)
        return csrf_of(panel.body)

    def act(self, csrf: str, action: str, ids: list[int],
            browser: Browser | None = None, **fields: str) -> Any:
        form: dict[str, Any] = {"csrf": csrf, "action": action, "id": ids, **fields}
        return (browser or self.owner).post("/admin/action", form=form)

    def pending(self, uri: str = "/page/", **fields: Any) -> int:
        comment = self.post_comment(uri=uri, **fields)
        self.assertEqual(comment["mode"], 2)
        return comment["id"]


class DisabledTests(ViewTestCase):
    """
    A site whose panel is off.
    """

    config = f"[admin]\nenabled = false\npassword = {PASSWORD}\n"

    def test_disabled_page(self) -> None:
        """
        Every panel address says administration is disabled, and nobody
        signs in.
        """
        for method, path in (("GET", "/login/"), ("GET", "/admin/"),
                             ("POST", "/admin/action"), ("POST", "/logout/"),
                             ("GET", "/admin/nothing")):
            response = self.browser.request(method, path, content_type=None)
            self.assertEqual(response.code, 200, path)
            self.assertIn(b"Administration is disabled", response.body)
        response = self.browser.post("/login/", form={"password": PASSWORD})
        self.assertIn(b"Administration is disabled", response.body)
        self.assertEqual(response.headers_named("set-cookie"), [])


class ExamplePasswordTests(ViewTestCase):
    """
    A panel switched on with Isso's example password.
    """

    config = "[admin]\nenabled = true\n"

    def test_refused(self) -> None:
        """
        The login page asks for a password of one's own and has no form;
        the example password signs nobody in.
        """
        page = self.browser.get("/login/")
        self.assertIn(b"password of your own", page.body)
        self.assertNotIn(b'type="password"', page.body)
        response = self.browser.post(
            "/login/", form={"password": "please_choose_a_strong_password"}
        )
        self.assertEqual(response.code, 403)
        self.assertEqual(response.headers_named("set-cookie"), [])


class LoginTests(PanelTestCase):
    """
    C{/login/}.
    """

    def test_form(self) -> None:
        """
        The login page is a password form, private and without CORS headers.
        """
        response = self.owner.get("/login/", headers={"Origin": "http://example.org"})
        self.assertEqual(response.code, 200)
        self.assertTrue(response.body.startswith(b"<!DOCTYPE html>"))
        self.assertIn(b'<form method="post" class="login" action="/login/">', response.body)
        self.assertIsNone(response.header("access-control-allow-origin"))
        self.assertEqual(response.header("cache-control"), "no-store")
        self.assertIn("frame-ancestors 'none'", response.header("content-security-policy"))

    def test_wrong_password(self) -> None:
        """
        A wrong password is a 403 page saying so; the panel stays closed.
        """
        response = self.login(password="nope")
        self.assertEqual(response.code, 403)
        self.assertIn(b"Wrong password.", response.body)
        self.assertEqual(response.headers_named("set-cookie"), [])
        panel = self.owner.get("/admin/")
        self.assertEqual((panel.code, panel.header("location")), (302, "/login/"))

    def test_missing_password(self) -> None:
        """
        A form without a password is a 400; one in the query is not read.
        """
        self.assertEqual(self.owner.post("/login/", form={}).code, 400)
        response = self.owner.post(f"/login/?password={PASSWORD}", form={})
        self.assertEqual(response.code, 400)

    def test_right_password(self) -> None:
        """
        The right password sets a day-long, HttpOnly, SameSite=Strict
        session cookie and leads to the panel.
        """
        response = self.login()
        self.assertEqual((response.code, response.header("location")), (302, "/admin/"))
        expires = datetimeToString(START + SESSION_AGE).decode()
        self.assertEqual(
            re.sub(r"=[\w.-]+;", "=VALUE;", session_cookie(response), count=1),
            f"{COOKIE}=VALUE; Expires={expires}; Max-Age=86400; Path=/; HttpOnly; "
            "SameSite=Strict",
        )
        self.assertIsNone(response.header("x-set-cookie"))
        self.assertIn(b"No pending comments.", self.owner.get("/admin/").body)
        again = self.owner.get("/login/")
        self.assertEqual((again.code, again.header("location")), (303, "/admin/"))

    def test_secure_behind_https_proxy(self) -> None:
        """
        Through a trusted proxy that says the browser used https, the
        session cookie is C{Secure}.
        """
        response = self.login(headers={"X-Forwarded-Proto": "https"})
        self.assertIn("; Max-Age=86400; Secure; Path=/;", session_cookie(response))

    def test_forged_sessions(self) -> None:
        """
        Only a session cookie the panel signed opens it, not other tokens
        signed with the site's key.
        """
        signer = self.site.signer
        for value in ("nonsense", signer.moderation_key(1), signer.edit_token(1, "x"),
                      signer.sign({"sid": "a", "pw": "b"})):
            response = self.owner.get("/admin/", headers={"Cookie": f"{COOKIE}={value}"})
            self.assertEqual(response.code, 302, value)


class ThrottleTests(PanelTestCase):
    """
    Wrong passwords from one network, over time.
    """

    def test_throttled(self) -> None:
        """
        After five wrong passwords, even the right one is refused with 429
        from that network (not from another) for fifteen minutes.
        """
        for _ in range(5):
            self.assertEqual(self.login(password="guess").code, 403)
        response = self.login()
        self.assertEqual(response.code, 429)
        self.assertIn(b"Too many wrong passwords. Try again in 15 minutes.", response.body)
        self.assertEqual(response.header("retry-after"), "900")
        self.assertEqual(response.headers_named("set-cookie"), [])
        self.assertEqual(self.login(self.reader("203.0.113.77")).code, 429)
        self.assertEqual(self.login(self.reader("198.51.100.20")).code, 302)

    def test_window_passes(self) -> None:
        """
        The refusal lasts until the oldest of the five failures is fifteen
        minutes old, and the waiting time counts down.
        """
        for _ in range(4):
            self.login(password="guess")
        self.advance(60)
        self.login(password="guess")
        self.advance(60)
        response = self.login()
        self.assertEqual((response.code, response.header("retry-after")), (429, "780"))
        self.assertIn(b"Try again in 13 minutes.", response.body)
        self.advance(779)
        response = self.login()
        self.assertEqual((response.code, response.header("retry-after")), (429, "1"))
        self.assertIn(b"Try again in 1 minute.", response.body)
        self.advance(1)
        self.assertEqual(self.login().code, 302)

    def test_success_clears(self) -> None:
        """
        Signing in clears the network's failures.
        """
        for _ in range(4):
            self.login(password="guess")
        self.assertEqual(self.login().code, 302)
        for _ in range(4):
            self.assertEqual(self.login(password="guess").code, 403)


class SessionTests(PanelTestCase):
    """
    The session's lifetime and signing out.
    """

    def test_expires_after_a_day(self) -> None:
        """
        The session opens the panel for a day, then sends back to the login
        page.
        """
        self.signed_in()
        self.advance(SESSION_AGE)
        self.assertEqual(self.owner.get("/admin/").code, 200)
        self.advance(1)
        response = self.owner.get("/admin/")
        self.assertEqual((response.code, response.header("location")), (302, "/login/"))

    def test_logout(self) -> None:
        """
        Signing out needs the form's token, clears the cookie, and the old
        cookie no longer opens the panel.
        """
        csrf = self.signed_in()
        session = self.owner.cookie(COOKIE)
        self.assertEqual(self.owner.post("/logout/", form={}).code, 403)
        response = self.owner.post("/logout/", form={"csrf": csrf})
        self.assertEqual((response.code, response.header("location")),
                         (303, "/login/?bye=1"))
        self.assertIn("Max-Age=0", session_cookie(response))
        self.assertIn(b"You are signed out.", self.owner.get("/login/?bye=1").body)
        replay = self.reader(OWNER)
        response = replay.get("/admin/", headers={"Cookie": f"{COOKIE}={session}"})
        self.assertEqual(response.code, 302)

    def test_methods(self) -> None:
        """
        Unknown panel pages are 404 and wrong methods 405, as pages.
        """
        self.assertEqual(self.owner.get("/admin/nothing").code, 404)
        response = self.owner.get("/logout/")
        self.assertEqual((response.code, response.header("allow")), (405, "POST"))


class ActionTests(PanelTestCase):
    """
    C{/admin/} and C{/admin/action}.
    """

    def thread_ids(self, uri: str = "/page/") -> list[int]:
        return [c["id"] for c in self.thread(uri)["replies"]]

    def test_lists_pending(self) -> None:
        """
        The panel lists pending comments, newest first, escaped.
        """
        self.pending(text="first <b>")
        self.advance(1)
        self.pending(text="second")
        self.signed_in()
        panel = self.owner.get("/admin/")
        self.assertEqual(listed_ids(panel.body), [2, 1])
        self.assertNotIn(b"first <b>", panel.body)

    def test_activate(self) -> None:
        """
        Approving publishes the comment and says how many were approved.
        """
        comment = self.pending()
        self.assertEqual(self.thread_ids(), [])
        csrf = self.signed_in()
        response = self.act(csrf, "activate", [comment])
        self.assertEqual(response.code, 303)
        self.assertEqual(response.header("location"), "/admin/?mode=2&done=activate&n=1")
        self.assertEqual(self.thread_ids(), [comment])
        page = self.owner.get(response.header("location"))
        self.assertIn(b"1 comment approved.", page.body)

    def test_bulk_delete(self) -> None:
        """
        Several comments are deleted at once; unknown ids are skipped.
        """
        ids = [self.pending() for _ in range(3)]
        csrf = self.signed_in()
        response = self.act(csrf, "delete", ids[:2] + [999])
        self.assertIn("n=2", response.header("location"))
        self.assertEqual(listed_ids(self.owner.get("/admin/").body), [ids[2]])

    def test_edit(self) -> None:
        """
        An edit from the panel is saved and marked modified at the clock's
        time.
        """
        comment = self.pending(text="old text")
        csrf = self.signed_in()
        self.advance(30)
        response = self.act(csrf, "edit", [comment], text="new text", author="",
                            email="", website="")
        self.assertEqual(response.code, 303)
        [row] = self.database.query("SELECT text, modified FROM comments")
        self.assertEqual(tuple(row), ("new text", START + 30))

    def test_csrf_refused(self) -> None:
        """
        An action without the session's token, or with another session's,
        is refused with 403 and changes nothing.
        """
        comment = self.pending()
        csrf = self.signed_in()
        for token in ("", "0" * 64, csrf[:-1]):
            response = self.act(token, "activate", [comment])
            self.assertEqual(response.code, 403, token)
            self.assertIn(b"Nothing was changed", response.body)
        other = self.reader("203.0.113.6")
        other_csrf = self.signed_in(other)
        self.assertEqual(self.act(other_csrf, "activate", [comment]).code, 403)
        stranger = self.reader("192.0.2.99")
        response = self.act(csrf, "activate", [comment], browser=stranger)
        self.assertEqual((response.code, response.header("location")), (303, "/login/"))
        self.assertEqual(self.thread_ids(), [])

    def test_unknown_action(self) -> None:
        """
        An unknown action is a 400 page and changes nothing.
        """
        comment = self.pending()
        response = self.act(self.signed_in(), "approve", [comment])
        self.assertEqual(response.code, 400)
        self.assertIn(b"Unknown action", response.body)


class RulesTests(PanelTestCase):
    """
    C{/admin/rules}: listing, adding and deleting spam rules.
    """

    def add(self, csrf: str, kind: str, value: str, action: str = "refuse",
            note: str = "") -> Any:
        return self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "add", "kind": kind, "value": value,
            "rule_action": action, "note": note,
        })

    def test_signed_out(self) -> None:
        """
        The rules page and its form send a stranger to the login page.
        """
        response = self.browser.get("/admin/rules")
        self.assertEqual((response.code, response.header("location")), (302, "/login/"))
        response = self.browser.post("/admin/rules", form={"action": "add"})
        self.assertEqual(response.code, 303)
        self.assertEqual(self.database.query("SELECT * FROM isso_tx_rules"), [])

    def test_add_and_list(self) -> None:
        """
        An added rule is listed with its kind, value, action, note, when it
        was made and its matches; typed markup is shown as text.
        """
        csrf = self.signed_in()
        self.assertIn(b"No rules yet.", self.owner.get("/admin/rules").body)
        payload = '<script>alert("x")</script>'
        response = self.add(csrf, "words", payload, "hold", note="<b>me</b>")
        self.assertEqual(response.code, 303)
        self.assertEqual(response.header("location"), "/admin/rules?done=added&id=1")
        page = self.owner.get(response.header("location")).body
        self.assertIn(b"Rule 1 added.", page)
        self.assertIn(b"Words in the text", page)
        self.assertIn(b"Hold for moderation", page)
        self.assertIn(b"&lt;script&gt;alert(\"x\")&lt;/script&gt;", page)
        self.assertIn(b"&lt;b&gt;me&lt;/b&gt;", page)
        self.assertNotIn(b"<script>alert", page)
        self.assertNotIn(b"<b>me", page)
        self.assertIn(b"2025-06-15", page)
        response = self.add(csrf, "words", payload, "hold")
        self.assertEqual(response.header("location"), "/admin/rules?done=exists&id=1")

    def test_invalid_rule(self) -> None:
        """
        A rule that cannot be made is a 400 page saying why, the typed
        values kept (escaped) in the form, and nothing stored.
        """
        csrf = self.signed_in()
        response = self.add(csrf, "regex", "(<b>", "hold", note="mine")
        self.assertEqual(response.code, 400)
        self.assertIn(b"The rule was not added: not a valid regular expression", response.body)
        self.assertIn(b'value="(&lt;b&gt;"', response.body)
        self.assertIn(b'<option value="regex" selected="selected">', response.body)
        self.assertIn(b'<option value="hold" selected="selected">', response.body)
        self.assertIn(b'value="mine"', response.body)
        response = self.add(csrf, "regex", r"(a|aa)+$")
        self.assertEqual(response.code, 400)
        self.assertIn(b"too slow", response.body)
        self.assertEqual(self.database.query("SELECT * FROM isso_tx_rules"), [])

    def test_delete(self) -> None:
        """
        Deleting a rule undoes it: the next comment it refused is taken.
        """
        csrf = self.signed_in()
        self.add(csrf, "network", "192.0.2.33")
        response = self.browser.post("/new?uri=/page/", {"text": "Hello", "title": "t"})
        self.assertEqual((response.code, response.header("x-isso-refusal")), (403, "rule"))
        page = self.owner.get("/admin/rules").body
        self.assertIn(b"192.0.2.0", page)
        self.assertRegex(page.decode(), r'<td class="matches">1</td>')
        response = self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "delete", "id": "1"})
        self.assertEqual(response.header("location"), "/admin/rules?done=deleted&id=1")
        self.assertIn(b"Rule 1 deleted.", self.owner.get("/admin/rules?done=deleted&id=1").body)
        self.pending()
        response = self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "delete", "id": "1"})
        self.assertEqual(response.header("location"), "/admin/rules?done=gone")

    def test_csrf(self) -> None:
        """
        A rules form without the session's token changes nothing.
        """
        self.signed_in()
        response = self.add("0" * 64, "network", "192.0.2.1")
        self.assertEqual(response.code, 403)
        self.assertEqual(self.database.query("SELECT * FROM isso_tx_rules"), [])


class RulesPagingTests(PanelTestCase):
    """
    C{/admin/rules?page=N}: a site with many rules sees them fifty a page,
    oldest first, with the comments panel's pager.
    """

    def many_rules(self, count: int) -> None:
        """
        Store C{count} word rules, ids 1 to C{count}, as a site that bans a
        lot accumulates them.
        """
        self.database.execute(
            "INSERT INTO isso_tx_rules (kind, value, action, note, created) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "SELECT 'words', 'word' || i, 'refuse', '', ? FROM n",
            count,
            START,
        )

    def test_pages(self) -> None:
        """
        With 120 rules, page 1 lists rules 1 to 50 with a link to the next
        page only, page 2 the next fifty with both links, and page 3 the
        last twenty with a link back only.
        """
        self.signed_in()
        self.many_rules(120)
        first = self.owner.get("/admin/rules")
        self.assertEqual(listed_rules(first.body), list(range(1, 51)))
        self.assertEqual(pager_links(first.body), {"next": "/admin/rules?page=2"})
        self.assertIn(b"Page 1 of 3", first.body)
        second = self.owner.get("/admin/rules?page=2")
        self.assertEqual(listed_rules(second.body), list(range(51, 101)))
        self.assertEqual(
            pager_links(second.body),
            {"prev": "/admin/rules", "next": "/admin/rules?page=3"},
        )
        self.assertIn(b"Page 2 of 3", second.body)
        third = self.owner.get("/admin/rules?page=3")
        self.assertEqual(listed_rules(third.body), list(range(101, 121)))
        self.assertEqual(pager_links(third.body), {"prev": "/admin/rules?page=2"})

    def test_one_page(self) -> None:
        """
        Fifty rules fit on one page, shown without a pager.
        """
        self.signed_in()
        self.many_rules(50)
        body = self.owner.get("/admin/rules").body
        self.assertEqual(listed_rules(body), list(range(1, 51)))
        self.assertNotIn(b'class="pager"', body)

    def test_bad_page(self) -> None:
        """
        An unusable page number shows page 1, and a page past the last says
        so and links back to the last page, as the comments panel does.
        """
        self.signed_in()
        self.many_rules(60)
        for page in ("abc", "0", "-3", ""):
            response = self.owner.get(f"/admin/rules?page={page}")
            self.assertEqual(response.code, 200)
            self.assertEqual(listed_rules(response.body), list(range(1, 51)))
        response = self.owner.get("/admin/rules?page=9")
        self.assertEqual(response.code, 200)
        self.assertEqual(listed_rules(response.body), [])
        self.assertIn(b"No rules on this page.", response.body)
        self.assertIn(b"Page 9 of 2", response.body)
        self.assertEqual(pager_links(response.body), {"prev": "/admin/rules?page=2"})
        response = self.owner.get("/admin/rules?page=99999999999999999999")
        self.assertEqual(response.code, 200)
        self.assertIn(b"Page 1000000 of 2", response.body)

    def test_delete_on_page_2(self) -> None:
        """
        Deleting a rule from page 2 lands back on page 2, which now lists
        the rule that followed the last one.
        """
        csrf = self.signed_in()
        self.many_rules(120)
        page = self.owner.get("/admin/rules?page=2").body
        response = self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "delete", "id": "60",
            "page": form_page(page)})
        location = response.header("location")
        self.assertEqual(location, "/admin/rules?done=deleted&id=60&page=2")
        page = self.owner.get(location).body
        self.assertIn(b"Rule 60 deleted.", page)
        self.assertEqual(
            listed_rules(page), [*range(51, 60), *range(61, 102)]
        )
        response = self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "delete", "id": "60", "page": "2"})
        self.assertEqual(response.header("location"), "/admin/rules?done=gone&page=2")

    def test_delete_last_on_page(self) -> None:
        """
        Deleting the only rule of the last page lands on the page before,
        the new last page.
        """
        csrf = self.signed_in()
        self.many_rules(101)
        page = self.owner.get("/admin/rules?page=3").body
        self.assertEqual(listed_rules(page), [101])
        response = self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "delete", "id": "101",
            "page": form_page(page)})
        location = response.header("location")
        self.assertEqual(location, "/admin/rules?done=deleted&id=101&page=2")
        page = self.owner.get(location).body
        self.assertEqual(listed_rules(page), list(range(51, 101)))
        self.assertIn(b"Page 2 of 2", page)
        self.assertEqual(pager_links(page), {"prev": "/admin/rules"})

    def test_add_from_page_2(self) -> None:
        """
        A rule added from page 2 lands on the page that lists it (the last);
        adding an existing rule lands on that rule's page.
        """
        csrf = self.signed_in()
        self.many_rules(120)
        page = self.owner.get("/admin/rules?page=2").body
        form = {"csrf": csrf, "action": "add", "kind": "network",
                "value": "192.0.2.1", "rule_action": "refuse", "note": "",
                "page": form_page(page)}
        response = self.owner.post("/admin/rules", form=form)
        location = response.header("location")
        self.assertEqual(location, "/admin/rules?done=added&id=121&page=3")
        page = self.owner.get(location).body
        self.assertIn(b"Rule 121 added.", page)
        self.assertEqual(listed_rules(page), list(range(101, 122)))
        response = self.owner.post("/admin/rules", form=dict(
            form, kind="words", value="word75", page="3"))
        self.assertEqual(response.header("location"), "/admin/rules?done=exists&id=75&page=2")
        response = self.owner.post("/admin/rules", form=dict(
            form, kind="words", value="word7", page="3"))
        self.assertEqual(response.header("location"), "/admin/rules?done=exists&id=7")

    def test_under_a_prefix(self) -> None:
        """
        Served below a path by a trusted proxy, the pager's links and the
        redirect after a delete carry the prefix.
        """
        proxied = {"X-Script-Name": "/comments"}
        csrf = self.signed_in()
        self.many_rules(60)
        page = self.owner.get("/comments/admin/rules", headers=proxied).body
        self.assertEqual(pager_links(page), {"next": "/comments/admin/rules?page=2"})
        response = self.owner.post("/comments/admin/rules", headers=proxied, form={
            "csrf": csrf, "action": "delete", "id": "55", "page": "2"})
        self.assertEqual(
            response.header("location"), "/comments/admin/rules?done=deleted&id=55&page=2"
        )

    def test_invalid_rule_on_page_2(self) -> None:
        """
        A rule refused from page 2 is explained on page 2, with its rules.
        """
        csrf = self.signed_in()
        self.many_rules(120)
        response = self.owner.post("/admin/rules", form={
            "csrf": csrf, "action": "add", "kind": "regex", "value": "(",
            "rule_action": "hold", "note": "", "page": "2"})
        self.assertEqual(response.code, 400)
        self.assertIn(b"The rule was not added", response.body)
        self.assertEqual(listed_rules(response.body), list(range(51, 101)))
        self.assertEqual(form_page(response.body), "2")


class BanTests(PanelTestCase):
    """
    C{/admin/action} with C{action=ban}: delete a comment and refuse its
    writer's network and/or e-mail address.
    """

    def ban(self, csrf: str, comment: int, targets: list[str]) -> Any:
        return self.act(csrf, "ban", [comment], ban=targets)

    def test_ban_both(self) -> None:
        """
        Banning deletes the comment and adds refusing rules for its network
        and e-mail; the writer's next comment is refused from either.
        """
        comment = self.pending(email="Spam&Eggs@example.org")
        csrf = self.signed_in()
        panel = self.owner.get("/admin/").body
        self.assertIn(b'value="ban"', panel)
        response = self.ban(csrf, comment, ["network", "email"])
        self.assertEqual(response.code, 303)
        self.assertIn("done=ban&n=1", response.header("location"))
        page = self.owner.get(response.header("location")).body
        self.assertIn(b"1 comment deleted and banned.", page)
        self.assertIn(b"Spam rules page", page)
        self.assertEqual(self.database.query("SELECT * FROM comments"), [])
        rules = self.database.query("SELECT kind, value, action, note FROM isso_tx_rules")
        self.assertEqual(
            [tuple(r) for r in rules],
            [("network", "192.0.2.0", "refuse", f"banned from comment {comment}"),
             ("email", "Spam&Eggs@example.org", "refuse", f"banned from comment {comment}")],
        )
        response = self.browser.post("/new?uri=/page/", {"text": "Again", "title": "t"})
        self.assertEqual(response.header("x-isso-refusal"), "rule")
        other = self.reader("198.51.100.7")
        response = other.post("/new?uri=/page/", {
            "text": "Again", "title": "t", "email": "spam&eggs@EXAMPLE.org"})
        self.assertEqual(response.header("x-isso-refusal"), "rule")
        self.post_comment(uri="/page/", browser=other)

    def test_ban_email_only(self) -> None:
        """
        Banning only the e-mail leaves the network free.
        """
        comment = self.pending(email="spam@example.org")
        self.ban(self.signed_in(), comment, ["email"])
        [rule] = self.database.query("SELECT kind FROM isso_tx_rules")
        self.assertEqual(rule[0], "email")
        self.pending()

    def test_nothing_chosen(self) -> None:
        """
        A ban that names neither target changes nothing and says so.
        """
        comment = self.pending()
        response = self.ban(self.signed_in(), comment, [])
        self.assertEqual(response.code, 400)
        self.assertIn(b"choose the network", response.body)
        self.assertEqual(len(self.database.query("SELECT * FROM comments")), 1)

    def test_no_email(self) -> None:
        """
        The ban form offers the e-mail only for a comment that has one.
        """
        self.pending()
        self.signed_in()
        panel = self.owner.get("/admin/").body
        self.assertIn(b'name="ban" value="network"', panel)
        self.assertNotIn(b'name="ban" value="email"', panel)
