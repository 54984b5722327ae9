"""
Several sites in one daemon, each under C{/<name>/}: the service tree that
C{twistd isso} builds from several configurations, seen over HTTP on a
loopback port.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from isso_tx.config import load_site_config
from isso_tx.tap import (
    listen_addresses,
)

from ..support import Client
from ..test_multisite import ALPHA_HOST, BRAVO_HOST, LOOPBACK, ServiceMixin, options


class SeveralSitesTests(ServiceMixin, TestCase):
    """
    Two sites with different websites, guards and proxies, served by one
    daemon.
    """

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        self.alpha = self.make_config(
            "alpha",
            f"[general]\nname = alpha\nhost = {ALPHA_HOST}\n"
            "[guard]\nenabled = true\nrequire-author = true\n"
            "[hash]\nalgorithm = none\n",
        )
        self.bravo = self.make_config(
            "bravo",
            f"[general]\nname = bravo\nhost = {BRAVO_HOST}\n"
            "[server]\ntrusted-proxies = 10.9.9.9\n"
            "[guard]\nenabled = false\n[hash]\nalgorithm = none\n",
        )
        [listener] = self.start(
            "--config", self.alpha, "-c", self.bravo, "--listen", LOOPBACK
        )
        self.base = f"http://127.0.0.1:{listener.port.getHost().port}"
        self.client = Client(self.base)

    def stored(self, config_path: str) -> list[tuple[Any, ...]]:
        dbpath = load_site_config(config_path).general.dbpath
        with sqlite3.connect(dbpath) as db:
            return db.execute(
                "SELECT threads.uri, comments.text FROM comments "
                "JOIN threads ON threads.id = comments.tid"
            ).fetchall()

    @inlineCallbacks
    def test_isolated(self):
        """
        A comment posted on one site is counted and shown only there, and
        each site's database holds only its own comments.
        """
        response = yield self.client.post(
            "/alpha/new?uri=/p/", {"text": "On alpha", "author": "A", "title": "P"}
        )
        self.assertEqual(response.code, 201, response)
        response = yield self.client.post(
            "/bravo/new?uri=/q/", {"text": "On bravo", "title": "Q"}
        )
        self.assertEqual(response.code, 201, response)

        counts = yield self.client.post("/alpha/count", ["/p/", "/q/"])
        self.assertEqual(counts.json(), [1, 0])
        counts = yield self.client.post("/bravo/count", ["/p/", "/q/"])
        self.assertEqual(counts.json(), [0, 1])
        thread = yield self.client.get("/alpha/?uri=/p/")
        self.assertEqual(
            [c["text"] for c in thread.json()["replies"]], ["<p>On alpha</p>"]
        )
        thread = yield self.client.get("/bravo/?uri=/p/")
        self.assertNotIn(b"On alpha", thread.body)

        self.assertEqual(self.stored(self.alpha), [("/p/", "On alpha")])
        self.assertEqual(self.stored(self.bravo), [("/q/", "On bravo")])

    @inlineCallbacks
    def test_edit_cookies_per_site(self):
        """
        A reader who commented on both sites can still edit both comments:
        each site's edit cookie is for its own path, so comment 1 of one
        site does not replace the cookie for comment 1 of the other.
        """
        for name in ("alpha", "bravo"):
            response = yield self.client.post(
                f"/{name}/new?uri=/p/", {"text": "First", "author": "A", "title": "P"}
            )
            self.assertEqual(response.json()["id"], 1)
            cookie = response.header("set-cookie")
            self.assertIn(f"; Path=/{name}/;", cookie)
            self.assertIn("; Path=/;", response.header("x-set-cookie"))
        for name in ("alpha", "bravo"):
            response = yield self.client.put(f"/{name}/id/1", {"text": "Edited"})
            self.assertEqual(response.code, 200, (name, response))
            response = yield self.client.delete(f"/{name}/id/1")
            self.assertEqual(response.code, 200, (name, response))

    @inlineCallbacks
    def test_cors_per_site(self):
        """
        Each site allows only its own websites: alpha's website asking
        bravo gets bravo's website back, which the browser refuses.
        """
        for path, origin, allowed in (
            ("/alpha/config", ALPHA_HOST, ALPHA_HOST),
            ("/bravo/config", BRAVO_HOST, BRAVO_HOST),
            ("/bravo/config", ALPHA_HOST, BRAVO_HOST),
            ("/alpha/config", BRAVO_HOST, ALPHA_HOST),
        ):
            response = yield self.client.get(path, headers={"Origin": origin})
            self.assertEqual(response.code, 200)
            self.assertEqual(
                response.header("access-control-allow-origin"), allowed, (path, origin)
            )
        response = yield self.client.request(
            "OPTIONS", "/bravo/new?uri=/p/", headers={"Origin": ALPHA_HOST}
        )
        self.assertEqual(response.header("access-control-allow-origin"), BRAVO_HOST)

    @inlineCallbacks
    def test_guard_per_site(self):
        """
        Alpha requires a name and tells its client so; bravo, whose guard
        is off, takes an anonymous comment.
        """
        response = yield self.client.post(
            "/alpha/new?uri=/p/", {"text": "anonymous", "title": "P"},
            headers={"Accept": "application/json"},
        )
        self.assertEqual(response.code, 403, response)
        self.assertIn(b"author name required", response.body)
        response = yield self.client.post(
            "/bravo/new?uri=/p/", {"text": "anonymous", "title": "P"}
        )
        self.assertEqual(response.code, 201, response)

        alpha = yield self.client.get("/alpha/config")
        bravo = yield self.client.get("/bravo/config")
        self.assertIs(alpha.json()["config"]["require-author"], True)
        self.assertIs(bravo.json()["config"]["require-author"], False)

    @inlineCallbacks
    def test_info_host(self):
        """
        A site's C{/info} gives its own address, below its name, and its own
        website.
        """
        response = yield self.client.get("/alpha/info")
        self.assertEqual(response.json()["host"], self.base + "/alpha")
        self.assertEqual(response.json()["origin"], ALPHA_HOST)
        response = yield self.client.get("/bravo/info")
        self.assertEqual(response.json()["host"], self.base + "/bravo")

    @inlineCallbacks
    def test_static_files(self):
        """
        Each site serves the embed client below its name.
        """
        response = yield self.client.get("/alpha/js/embed.min.js")
        self.assertEqual(response.code, 200)
        self.assertIn("javascript", response.header("content-type"))
        self.assertGreater(len(response.body), 1000)

    @inlineCallbacks
    def test_name_without_slash(self):
        """
        A site's name without the slash is redirected (308, so a POST stays
        a POST) to the name with it, keeping the query.
        """
        response = yield self.client.get("/alpha")
        self.assertEqual(response.code, 308)
        self.assertEqual(response.header("location"), "./alpha/")
        response = yield self.client.post("/bravo?uri=/p/", {"text": "x"})
        self.assertEqual(response.code, 308)
        self.assertEqual(response.header("location"), "./bravo/?uri=/p/")

    @inlineCallbacks
    def test_not_found(self):
        """
        The root, and a name no site has, are a 404 that names no site.
        """
        for path in ("/", "/charlie/", "/charlie/info", "/alph/config", "/charlie"):
            for accept in ("text/html", "application/json"):
                response = yield self.client.get(path, headers={"Accept": accept})
                self.assertEqual(response.code, 404, path)
                self.assertNotIn(b"alpha", response.body)
                self.assertNotIn(b"bravo", response.body)
                self.assertIsNone(response.header("access-control-allow-origin"))
        response = yield self.client.get("/", headers={"Accept": "application/json"})
        self.assertEqual(
            response.json(), {"message": "404 Not Found: no site is served here"}
        )

    @inlineCallbacks
    def test_script_name(self):
        """
        Behind a proxy that serves the daemon below a path and says so in
        X-Script-Name, the sites are found below that path, and links
        include it; it is believed only by a site that trusts the proxy.
        """
        proxied = {"X-Script-Name": "/comments"}
        response = yield self.client.get("/comments/alpha/info", headers=proxied)
        self.assertEqual(response.code, 200)
        self.assertEqual(response.json()["host"], self.base + "/comments/alpha")
        response = yield self.client.get("/comments/alpha", headers=proxied)
        self.assertEqual(
            (response.code, response.header("location")), (308, "./alpha/")
        )
        # The prefix is taken once: a site path that starts like it is kept.
        response = yield self.client.post(
            "/comments/alpha/new?uri=/comments/",
            {"text": "Hello", "author": "A", "title": "C"},
            headers=proxied,
        )
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.stored(self.alpha), [("/comments/", "Hello")])
        # bravo trusts another proxy, not this one.
        response = yield self.client.get("/comments/bravo/info", headers=proxied)
        self.assertEqual(response.code, 404)
        response = yield self.client.get("/bravo/info", headers=proxied)
        self.assertEqual(response.json()["host"], self.base + "/bravo")


class ServiceTreeTests(ServiceMixin, TestCase):
    """
    How the configurations decide what the daemon listens on and where it
    serves each site.
    """

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())

    @inlineCallbacks
    def test_one_site_at_root(self):
        """
        With one configuration the site is served at the root, whatever
        its name.
        """
        path = self.make_config(
            "alpha", f"[general]\nname = alpha\nhost = {ALPHA_HOST}\n"
        )
        [listener] = self.start("-c", path, "--listen", LOOPBACK)
        base = f"http://127.0.0.1:{listener.port.getHost().port}"
        response = yield Client(base).get("/info")
        self.assertEqual(response.json()["host"], base)
        response = yield Client(base).get("/alpha/info")
        self.assertEqual(response.code, 404)

    @inlineCallbacks
    def test_listen_merged(self):
        """
        The sites' listen addresses are merged, an address named by both
        being listened on once.
        """
        alpha = self.make_config(
            "alpha",
            f"[general]\nname = alpha\n[server]\nlisten =\n    {LOOPBACK}\n"
            "    tcp:8081\n",
        )
        bravo = self.make_config(
            "bravo", f"[general]\nname = bravo\n[server]\nlisten = {LOOPBACK}\n"
        )
        self.assertEqual(
            listen_addresses(
                options("-c", alpha, "-c", bravo),
                [load_site_config(alpha), load_site_config(bravo)],
            ),
            [LOOPBACK, "tcp:8081"],
        )
        # The same address twice is served by one listener, for both sites.
        alpha = self.make_config(
            "alpha", f"[general]\nname = alpha\n[server]\nlisten = {LOOPBACK}\n"
        )
        [listener] = self.start("-c", alpha, "-c", bravo)
        base = f"http://127.0.0.1:{listener.port.getHost().port}"
        for name in ("alpha", "bravo"):
            response = yield Client(base).get(f"/{name}/info")
            self.assertEqual(response.code, 200)

    def test_listen_option_overrides(self):
        """
        C{--listen} replaces every site's listen addresses.
        """
        alpha = self.make_config(
            "alpha", "[general]\nname = alpha\n[server]\nlisten = tcp:1\n"
        )
        bravo = self.make_config(
            "bravo", "[general]\nname = bravo\n[server]\nlisten = tcp:2\n"
        )
        self.assertEqual(
            listen_addresses(
                options("-c", alpha, "-c", bravo, "--listen", "tcp:3"),
                [load_site_config(alpha), load_site_config(bravo)],
            ),
            ["tcp:3"],
        )


