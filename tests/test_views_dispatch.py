"""
Fast tests of L{isso_tx.views.dispatch}: several sites in one daemon, each
under C{/<name>/}.
"""

from __future__ import annotations

from isso_tx.tap import root_resource

from .fast_support import Browser, ViewTestCase

ALPHA = "http://alpha.example"
BRAVO = "http://bravo.example"


class SeveralSitesTests(ViewTestCase):
    """
    Two sites, alpha (guarded, trusting the test's proxy) and bravo (open,
    trusting no proxy), served side by side.
    """

    def setUp(self) -> None:
        super().setUp()
        self.alpha = self.open(
            f"[general]\nname = alpha\nhost = {ALPHA}\n"
            "[guard]\nenabled = true\nrequire-author = true\n[hash]\nalgorithm = none\n",
            name="alpha", mount="/alpha/",
        )
        self.bravo = self.open(
            f"[general]\nname = bravo\nhost = {BRAVO}\n[server]\ntrusted-proxies = 192.0.2.250\n"
            "[guard]\nenabled = false\n[hash]\nalgorithm = none\n",
            name="bravo", mount="/bravo/",
        )
        self.root = root_resource([self.alpha, self.bravo])
        self.browser = Browser(self, self.root)

    def test_isolated(self) -> None:
        """
        A comment posted on one site is counted and shown only there.
        """
        response = self.browser.post(
            "/alpha/new?uri=/p/", {"text": "On alpha", "author": "A", "title": "P"}
        )
        self.assertEqual(response.code, 201)
        self.assertEqual(self.browser.post("/alpha/count", ["/p/"]).json(), [1])
        self.assertEqual(self.browser.post("/bravo/count", ["/p/"]).json(), [0])
        self.assertNotIn(b"On alpha", self.browser.get("/bravo/?uri=/p/").body)

    def test_cookies_per_site(self) -> None:
        """
        Each site's edit cookie is set for its own path, so comment 1 of
        both sites can be edited by the same reader.
        """
        for name in ("alpha", "bravo"):
            response = self.browser.post(
                f"/{name}/new?uri=/p/", {"text": "First", "author": "A", "title": "P"}
            )
            self.assertIn(f"; Path=/{name}/;", response.header("set-cookie"))
            self.assertIn("; Path=/;", response.header("x-set-cookie"))
        for name in ("alpha", "bravo"):
            self.assertEqual(self.browser.put(f"/{name}/id/1", {"text": "Edited"}).code,
                             200, name)

    def test_cors_per_site(self) -> None:
        """
        Each site allows only its own websites.
        """
        response = self.browser.get("/bravo/config", headers={"Origin": ALPHA})
        self.assertEqual(response.header("access-control-allow-origin"), BRAVO)
        response = self.browser.request(
            "OPTIONS", "/alpha/new?uri=/p/", headers={"Origin": ALPHA}
        )
        self.assertEqual(response.header("access-control-allow-origin"), ALPHA)

    def test_guard_per_site(self) -> None:
        """
        Alpha requires a name; bravo takes an anonymous comment.
        """
        response = self.browser.post("/alpha/new?uri=/p/", {"text": "anon", "title": "P"})
        self.assertEqual(response.code, 403)
        self.assertIn(b"author name required", response.body)
        response = self.browser.post("/bravo/new?uri=/p/", {"text": "anon", "title": "P"})
        self.assertEqual(response.code, 201)

    def test_info_host(self) -> None:
        """
        A site's address is below its name.
        """
        self.assertEqual(self.browser.get("/alpha/info").json()["host"],
                         "http://example.org/alpha")

    def test_name_without_slash(self) -> None:
        """
        A name without its slash is a 308 to the name with it, query kept.
        """
        response = self.browser.get("/alpha")
        self.assertEqual((response.code, response.header("location")), (308, "./alpha/"))
        response = self.browser.post("/bravo?uri=/p/", {"text": "x"})
        self.assertEqual((response.code, response.header("location")),
                         (308, "./bravo/?uri=/p/"))

    def test_not_found(self) -> None:
        """
        The root and unknown names are a 404 that lists no site and carries
        no CORS headers.
        """
        for path in ("/", "/charlie/", "/charlie/info", "/alph/config", "/charlie"):
            for accept in ("text/html", "application/json"):
                response = self.browser.get(path, headers={"Accept": accept})
                self.assertEqual(response.code, 404, path)
                self.assertNotIn(b"alpha", response.body)
                self.assertNotIn(b"bravo", response.body)
                self.assertIsNone(response.header("access-control-allow-origin"))
        response = self.browser.get("/", headers={"Accept": "application/json"})
        self.assertEqual(response.json(),
                         {"message": "404 Not Found: no site is served here"})

    def test_script_name(self) -> None:
        """
        Behind a proxy below a path, the sites are found below it and name
        it in their address, once.
        """
        proxied = {"X-Script-Name": "/comments"}
        response = self.browser.get("/comments/alpha/info", headers=proxied)
        self.assertEqual(response.json()["host"], "http://example.org/comments/alpha")
        response = self.browser.get("/comments/alpha", headers=proxied)
        self.assertEqual((response.code, response.header("location")), (308, "./alpha/"))

    def test_script_name_untrusted(self) -> None:
        """
        A site that does not trust the proxy is not found below its path.
        """
        response = self.browser.get("/comments/bravo/info",
                                    headers={"X-Script-Name": "/comments"})
        self.assertEqual(response.code, 404)
        response = self.browser.get("/bravo/info", headers={"X-Script-Name": "/comments"})
        self.assertEqual(response.json()["host"], "http://example.org/bravo")
