"""
Unit tests of L{isso_tx.views.requests}: what a request says about where it
comes from and where the site is, and the cookies sent back.
"""

from __future__ import annotations

from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.test.requesthelper import DummyRequest

from isso_tx.addresses import ProxyPolicy
from isso_tx.views.requests import (
    Addressing,
    client_network,
    host_url,
    mark_site_root,
    move_prefix,
    prefix_segments,
    site_path,
    site_root,
    strip_script_name,
)

PROXY = "127.0.0.1"
TRUSTING = ProxyPolicy((PROXY,))
# A proxy far from the test requests: with none listed, loopback is trusted.
TRUSTING_NOBODY = ProxyPolicy(("192.0.2.250",))


def request(
    path: str = "/",
    headers: dict[str, str] | None = None,
    peer: object = None,
    host: object = None,
) -> DummyRequest:
    """
    Return a request for C{path} from C{peer} (the trusted proxy by
    default), with C{headers}.
    """
    r = DummyRequest([s.encode() for s in path.lstrip("/").split("/")])
    r.client = peer if peer is not None else IPv4Address("TCP", PROXY, 40000)
    # DummyRequest has no isSecure: the connection is plain http here.
    r.isSecure = lambda: False  # type: ignore[attr-defined]
    if host is not None:
        r.getHost = lambda: host  # type: ignore[method-assign]
    for name, value in (headers or {}).items():
        r.requestHeaders.setRawHeaders(name.encode(), [value.encode()])
    return r


class PrefixTests(SynchronousTestCase):
    """
    The path prefix a proxy serves the site under.
    """

    def test_segments(self) -> None:
        """
        A prefix is split into path segments, whatever its slashes.
        """
        self.assertEqual(prefix_segments("/comments/blog/"), [b"comments", b"blog"])
        self.assertEqual(prefix_segments("comments"), [b"comments"])
        self.assertEqual(prefix_segments("/"), [])

    def test_move(self) -> None:
        """
        A prefix the path starts with is moved to the routed part; another
        is left alone.
        """
        r = request("/comments/new")
        self.assertFalse(move_prefix(r, [b"other"]))
        self.assertTrue(move_prefix(r, [b"comments"]))
        self.assertEqual((r.prepath, r.postpath), ([b"comments"], [b"new"]))
        self.assertFalse(move_prefix(r, []))

    def test_strip_trusted(self) -> None:
        """
        C{X-Script-Name} from a trusted proxy moves the prefix out of the
        path and marks where the site is served.
        """
        r = request("/comments/new", {"X-Script-Name": "/comments"})
        strip_script_name(r, TRUSTING)
        self.assertEqual(r.postpath, [b"new"])
        self.assertEqual(site_root(r), [b"comments"])

    def test_strip_untrusted(self) -> None:
        """
        The header from anyone else changes nothing.
        """
        r = request("/comments/new", {"X-Script-Name": "/comments"})
        strip_script_name(r, TRUSTING_NOBODY)
        self.assertEqual(r.postpath, [b"comments", b"new"])
        self.assertEqual(site_root(r), [])

    def test_site_root_kept(self) -> None:
        """
        The site's root stays what it was when marked, however far routing
        goes.
        """
        r = request("/blog/new")
        move_prefix(r, [b"blog"])
        mark_site_root(r)
        move_prefix(r, [b"new"])
        self.assertEqual(site_root(r), [b"blog"])


class HostURLTests(SynchronousTestCase):
    """
    Where the server is reached, as a request shows it.
    """

    def test_host_header(self) -> None:
        """
        The C{Host} header names the server.
        """
        r = request(headers={"Host": "comments.example:8080"})
        self.assertEqual(host_url(r, TRUSTING), "http://comments.example:8080")

    def test_no_host_header(self) -> None:
        """
        Without C{Host}, the listening address names it, port only when it
        is not the scheme's own.
        """
        r = request(host=IPv4Address("TCP", "10.0.0.1", 8080))
        self.assertEqual(host_url(r, TRUSTING), "http://10.0.0.1:8080")
        r = request(host=IPv4Address("TCP", "10.0.0.1", 80))
        self.assertEqual(host_url(r, TRUSTING), "http://10.0.0.1")
        r = request(host=UNIXAddress("/run/isso.sock"))
        self.assertEqual(host_url(r, TRUSTING), "http://localhost")

    def test_forwarded_scheme_and_prefix(self) -> None:
        """
        A trusted proxy's scheme, prefix and script name all show in the
        address, in that order.
        """
        r = request("/comments/info", {
            "Host": "example.org", "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/outer/", "X-Script-Name": "/comments",
        })
        strip_script_name(r, TRUSTING)
        self.assertEqual(host_url(r, TRUSTING), "https://example.org/outer/comments")

    def test_untrusted_forwarding(self) -> None:
        """
        From a peer that is not a trusted proxy, forwarded headers are
        ignored.
        """
        r = request("/info", {
            "Host": "example.org", "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/outer",
        })
        self.assertEqual(host_url(r, TRUSTING_NOBODY), "http://example.org")

    def test_quoted_root(self) -> None:
        """
        Path segments of the site's root are quoted in the address.
        """
        r = request("/a b/info", {"Host": "example.org"})
        move_prefix(r, [b"a b"])
        mark_site_root(r)
        self.assertEqual(host_url(r, TRUSTING), "http://example.org/a%20b")


class ClientNetworkTests(SynchronousTestCase):
    """
    The requester's anonymised network.
    """

    def test_behind_trusted_proxy(self) -> None:
        """
        Behind a trusted proxy, the forwarded address counts, as its /24.
        """
        r = request(headers={"X-Forwarded-For": "198.51.100.7"})
        self.assertEqual(client_network(r, TRUSTING), "198.51.100.0")

    def test_direct(self) -> None:
        """
        From anyone else, the connection's own address counts.
        """
        r = request(headers={"X-Forwarded-For": "198.51.100.7"},
                    peer=IPv4Address("TCP", "203.0.113.9", 4000))
        self.assertEqual(client_network(r, TRUSTING), "203.0.113.0")


class AddressingTests(SynchronousTestCase):
    """
    One site's reading of its requests, and its cookies.
    """

    def cookies(self, addressing: Addressing, r: DummyRequest) -> list[str]:
        addressing.set_cookies(r, "1", "token", 900, 0.0)
        return [
            value.decode()
            for name in (b"set-cookie", b"x-set-cookie")
            for value in r.responseHeaders.getRawHeaders(name, [])
        ]

    def test_endpoint(self) -> None:
        """
        The public endpoint, when configured, is the address of links;
        otherwise the request's.
        """
        r = request(headers={"Host": "internal:8080"})
        self.assertEqual(Addressing(TRUSTING).endpoint(r), "http://internal:8080")
        published = Addressing(TRUSTING, public_endpoint="https://comments.example")
        self.assertEqual(published.endpoint(r), "https://comments.example")

    def test_secure(self) -> None:
        """
        A site is secure when its endpoint is https: configured, or as a
        trusted proxy says.
        """
        plain = request(headers={"Host": "example.org"})
        self.assertFalse(Addressing(TRUSTING).secure(plain))
        forwarded = request(headers={"Host": "example.org", "X-Forwarded-Proto": "https"})
        self.assertTrue(Addressing(TRUSTING).secure(forwarded))
        self.assertFalse(Addressing(TRUSTING_NOBODY).secure(forwarded))
        published = Addressing(TRUSTING, public_endpoint="https://comments.example")
        self.assertTrue(published.secure(plain))

    def test_cookies_plain(self) -> None:
        """
        Over http, both cookies are C{SameSite=Lax} for the whole host.
        """
        r = request(headers={"Host": "example.org"})
        attributes = (
            "=token; Expires=Thu, 01 Jan 1970 00:15:00 GMT; Max-Age=900; Path=/; "
            "SameSite=Lax"
        )
        self.assertEqual(
            self.cookies(Addressing(TRUSTING), r),
            ["1" + attributes, "isso-1" + attributes],
        )

    def test_cookies_secure(self) -> None:
        """
        Over https, both cookies are C{Secure} and C{SameSite=None}, unless
        the site configured its own C{SameSite}.
        """
        r = request(headers={"Host": "example.org", "X-Forwarded-Proto": "https"})
        for cookie in self.cookies(Addressing(TRUSTING), r):
            self.assertIn("; Secure; Path=/; SameSite=None", cookie)
        r = request(headers={"Host": "example.org", "X-Forwarded-Proto": "https"})
        for cookie in self.cookies(Addressing(TRUSTING, samesite="Strict"), r):
            self.assertTrue(cookie.endswith("; SameSite=Strict"))

    def test_cookies_shared(self) -> None:
        """
        A site among several sets its own cookie for its own path; the copy
        for the website stays at C{/}.
        """
        r = request("/blog/new", {"Host": "example.org"})
        move_prefix(r, [b"blog"])
        mark_site_root(r)
        own, copy = self.cookies(Addressing(TRUSTING, shared=True), r)
        self.assertIn("; Path=/blog/;", own)
        self.assertIn("; Path=/;", copy)

    def test_removal(self) -> None:
        """
        A cookie of age 0 expires at once (the epoch).
        """
        r = request(headers={"Host": "example.org"})
        Addressing(TRUSTING).set_cookies(r, "1", "", 0, 1e9)
        self.assertIn(
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0",
            r.responseHeaders.getRawHeaders(b"set-cookie")[0].decode(),
        )

    def test_site_path(self) -> None:
        """
        A site's path is its address's, without the trailing slash.
        """
        self.assertEqual(site_path("https://example.org/comments/"), "/comments")
        self.assertEqual(site_path("https://example.org"), "")
