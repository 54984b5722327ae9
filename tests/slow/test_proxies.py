"""
A site behind a reverse proxy on the same host, configured as Isso's guides
show it: no C{[server] trusted-proxies}, the proxy appending each visitor's
address to C{X-Forwarded-For}.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import inlineCallbacks
from twisted.logger import globalLogPublisher

from ..support import SiteTestCase


class LocalProxyTests(SiteTestCase):
    """
    Visitors reaching the site through a proxy on the loopback network.
    """

    # An empty value is how trusted-proxies reads when it is not given.
    config = (
        "[server]\ntrusted-proxies =\n"
        "[guard]\nenabled = true\nratelimit = 2\ndirect-reply = 100\n"
        "reply-to-self = false\n"
        "[hash]\nalgorithm = none\n"
    )

    def proxied(self, address: str, forged: str | None = None) -> Any:
        """
        Return a visitor as the proxy forwards it: the proxy appends the
        visitor's address to whatever header the visitor sent.
        """
        client = self.reader(address)
        if forged is not None:
            client.address = f"{forged}, {address}"
        return client

    @inlineCallbacks
    def test_visitors_are_distinct(self):
        """
        Two visitors behind the local proxy vote, reply to each other and
        each post up to the rate limit as two clients, not as the proxy.
        """
        ann = self.proxied("192.0.2.10")
        bob = self.proxied("198.51.100.20", forged="192.0.2.10")
        first = yield self.post_comment(client=ann, text="Ann's first comment")
        yield self.post_comment(client=ann, text="Ann's second comment")

        # Ann is at her rate limit; Bob, whose forged prefix is ignored, is not.
        reply = yield self.post_comment(
            client=bob, text="Bob answers Ann", parent=first["id"]
        )
        self.assertEqual(reply["parent"], first["id"])
        yield self.post_comment(client=bob, text="Bob's own comment")
        response = yield ann.post(
            "/new?uri=/path/", {"text": "Ann's third comment", "title": "t"},
            headers={"Accept": "application/json"},
        )
        self.assertEqual(response.code, 403, response)
        self.assertIn("192.0.2.0: ratelimit exceeded", response.json()["message"])

        for voter in (bob, self.proxied("203.0.113.5")):
            response = yield voter.post(f"/id/{first['id']}/like")
            self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json(), {"likes": 2, "dislikes": 0})

    @inlineCallbacks
    def test_access_log_names_the_visitor(self):
        """
        The access log shows the visitor the local proxy named, not the
        proxy's own address.
        """
        lines: list[str] = []

        def observe(event: dict[str, Any]) -> None:
            if event.get("log_namespace") == "isso_tx.access":
                lines.append(event["request_line"])

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        response = yield self.proxied("198.51.100.20").get("/config")
        self.assertEqual(response.code, 200)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith('198.51.100.20 "GET /config '), lines)


class ExplicitProxyTests(SiteTestCase):
    """
    A site whose trusted-proxies names another host: the loopback network
    is no longer trusted.
    """

    config = (
        "[server]\ntrusted-proxies = 10.9.9.9\n"
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_header_ignored_with_one_warning(self):
        """
        X-Forwarded-For from the untrusted loopback peer is ignored, and the
        owner is told once which key to set, however many requests come.
        """
        warnings: list[str] = []

        def observe(event: dict[str, Any]) -> None:
            if "trusted-proxies" in event.get("log_format", ""):
                warnings.append(event["peer"])

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        for address in ("192.0.2.10", "198.51.100.20", "203.0.113.5"):
            yield self.post_comment(client=self.reader(address))
        self.assertEqual(warnings, ["127.0.0.1"])
