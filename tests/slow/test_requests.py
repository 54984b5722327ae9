"""
What a request says about itself (L{isso_tx.views.requests}), seen over
HTTP: the edit cookies and their attributes, the client's network behind
trusted and untrusted proxies, and the path prefix a proxy serves the site
under.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

from twisted.internet.defer import inlineCallbacks

from ..support import DatabaseMixin, SiteTestCase
from .test_guard import GuardTestCase


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
