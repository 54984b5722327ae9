"""
Fast tests of L{isso_tx.views.root}: the front door of a site, which adds
CORS headers, answers preflight requests and hands each request to its part.
"""

from __future__ import annotations

from .fast_support import Browser, ViewTestCase

WEBSITE = "https://blog.example:8443"
PROXIED = {"X-Script-Name": "/comments"}


class CORSTests(ViewTestCase):
    """
    CORS headers on what the embedding websites' scripts read.
    """

    config = (
        "[general]\nhost =\n    http://example.org\n    https://blog.example:8443\n"
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    )

    def assert_cors(self, response, origin: str) -> None:
        self.assertEqual(response.header("access-control-allow-origin"), origin)
        self.assertEqual(response.header("access-control-allow-credentials"), "true")
        self.assertEqual(response.header("access-control-allow-methods"),
                         "HEAD, GET, POST, PUT, DELETE")
        self.assertEqual(response.header("access-control-allow-headers"),
                         "Origin, Referer, Content-Type")
        self.assertEqual(response.header("access-control-expose-headers"),
                         "X-Set-Cookie, X-Isso-Refusal, Date")
        self.assertIn("Origin", response.header("vary"))

    def test_origin_resolution(self) -> None:
        """
        A configured website is echoed back; any other gets the first
        configured website, never its own origin.
        """
        cases = [
            ({"Origin": WEBSITE}, WEBSITE),
            ({"Referer": WEBSITE + "/post/1"}, WEBSITE),
            ({"Origin": "http://example.org:80"}, "http://example.org"),
            ({"Origin": "https://evil.example"}, "http://example.org"),
            ({}, "http://example.org"),
        ]
        for headers, origin in cases:
            self.assert_cors(self.browser.get("/?uri=/x/", headers=headers), origin)

    def test_preflight(self) -> None:
        """
        A preflight request is answered 200, empty, for any path, and runs
        nothing.
        """
        calls = self.database.calls
        for path in ("/new?uri=/x/", "/nowhere", "/id/1"):
            response = self.browser.request("OPTIONS", path, headers={"Origin": WEBSITE})
            self.assertEqual((response.code, response.body), (200, b""))
            self.assertEqual(response.header("content-type"), "text/plain")
            self.assert_cors(response, WEBSITE)
        self.assertEqual(self.database.calls, calls)

    def test_everywhere(self) -> None:
        """
        Errors, the client's files and API answers carry the CORS headers.
        """
        for method, path in (("GET", "/nowhere"), ("GET", "/js/embed.min.js"),
                             ("DELETE", "/id/99"), ("GET", "/config")):
            response = self.browser.request(method, path, headers={"Origin": WEBSITE})
            self.assert_cors(response, WEBSITE)


class DispatchTests(ViewTestCase):
    """
    Which part of the site answers which path.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[admin]\nenabled = true\npassword = s3cret-enough\n"
    )

    def test_thread(self) -> None:
        """
        C{GET /} is the thread reader, and C{POST /} is not.
        """
        self.assertEqual(self.browser.get("/?uri=/x/").json()["replies"], [])
        response = self.browser.post("/?uri=/x/", {})
        self.assertEqual(response.code, 404)

    def test_static(self) -> None:
        """
        The client's files are served under C{/js/} and C{/css/}; other
        methods there reach the API, which knows no such route.
        """
        response = self.browser.get("/js/embed.min.js")
        self.assertEqual(response.code, 200)
        self.assertIn("javascript", response.header("content-type"))
        self.assertEqual(self.browser.post("/js/embed.min.js").code, 404)

    def test_admin_without_cors(self) -> None:
        """
        The admin panel's pages carry no CORS headers, so no website's
        script may read them.
        """
        for path in ("/login/", "/admin/", "/logout/"):
            response = self.browser.get(path, headers={"Origin": "http://example.org"})
            self.assertIsNone(response.header("access-control-allow-origin"), path)
        self.assertIn(b"password", self.browser.get("/login/").body)

    def test_mail_links_without_cors(self) -> None:
        """
        The pages behind mailed links carry no CORS headers either.
        """
        self.post_comment()
        key = self.site.signer.moderation_key(1)
        response = self.browser.get(f"/id/1/delete/{key}")
        self.assertEqual(response.code, 200)
        self.assertIsNone(response.header("access-control-allow-origin"))
        self.assertEqual(response.header("x-frame-options"), "DENY")

    def test_api(self) -> None:
        """
        Everything else is the comments API.
        """
        self.assertEqual(self.browser.post("/count", ["/x/"]).json(), [0])
        self.assertEqual(self.browser.get("/id/1/activate").code, 404)


class ScriptNameTests(ViewTestCase):
    """
    A site served by a trusted proxy below a path (C{X-Script-Name}).
    """

    def test_prefix_stripped(self) -> None:
        """
        The site answers below the proxy's path, and names it in its address.
        """
        response = self.browser.get("/comments/info", headers=PROXIED)
        self.assertEqual(response.json()["host"], "http://example.org/comments")
        response = self.browser.get("/comments/?uri=/x/", headers=PROXIED)
        self.assertEqual(response.json()["replies"], [])

    def test_untrusted_proxy(self) -> None:
        """
        A reader who is not a trusted proxy cannot move the site with the
        header.
        """
        trusting_nobody = self.open(
            "[server]\ntrusted-proxies = 192.0.2.250\n[guard]\nenabled = false\n", name="open"
        )
        browser = Browser(self, trusting_nobody.resource())
        response = browser.get("/comments/info", headers=PROXIED)
        self.assertEqual(response.code, 404)
        response = browser.get("/info", headers=PROXIED)
        self.assertEqual(response.json()["host"], "http://example.org")
