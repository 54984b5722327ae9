"""
Tests for L{isso_tx.addresses}: client networks and website origins.
"""

from __future__ import annotations

from twisted.internet.address import IPv4Address, UNIXAddress
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.test.requesthelper import DummyRequest

from isso_tx.addresses import Origin, Origins, ProxyPolicy, anonymize


def request_from(peer: str | None, headers: dict[bytes, bytes] | None = None) -> DummyRequest:
    request = DummyRequest([b""])
    request.isSecure = lambda: False
    if peer is None:
        request.client = UNIXAddress(None)
    else:
        request.client = IPv4Address("TCP", peer, 40000)
    for name, value in (headers or {}).items():
        request.requestHeaders.addRawHeader(name, value)
    return request


class AnonymizeTests(SynchronousTestCase):
    def test_networks(self) -> None:
        """
        Addresses are stored as their /24 or /48 network, as Isso stores them.
        """
        self.assertEqual(anonymize("12.34.56.78"), "12.34.56.0")
        self.assertEqual(
            anonymize("1234:5678:90ab:cdef:fedc:ba09:8765:4321"),
            "1234:5678:90ab:0000:0000:0000:0000:0000",
        )
        self.assertEqual(anonymize("::1"), "0000:0000:0000:0000:0000:0000:0000:0000")
        self.assertEqual(
            anonymize("2001:db8::1"), "2001:0db8:0000:0000:0000:0000:0000:0000"
        )
        self.assertEqual(anonymize("::ffff:127.0.0.1"), "127.0.0.0")
        self.assertEqual(anonymize("garbage"), "0.0.0.0")
        self.assertEqual(anonymize(""), "0.0.0.0")


class ProxyPolicyTests(SynchronousTestCase):
    def test_untrusted_peer_cannot_forge(self) -> None:
        """
        A client that talks to the server directly cannot pick its address
        with X-Forwarded-For.
        """
        policy = ProxyPolicy(())
        request = request_from("203.0.113.9", {b"x-forwarded-for": b"10.1.2.3"})
        self.assertEqual(policy.client_address(request), "203.0.113.9")
        self.assertIsNone(policy.forwarded_header(request, b"x-forwarded-for"))
        self.assertEqual(policy.scheme(request), "http")

    def test_trusted_proxy_chain(self) -> None:
        """
        Behind trusted proxies, the last untrusted hop is the client.
        """
        policy = ProxyPolicy(("127.0.0.1", "10.0.0.0/8"))
        request = request_from(
            "127.0.0.1",
            {b"x-forwarded-for": b"198.51.100.7, 203.0.113.9, 10.2.3.4",
             b"x-forwarded-proto": b"https"},
        )
        self.assertEqual(policy.client_address(request), "203.0.113.9")
        self.assertEqual(policy.scheme(request), "https")

    def test_unix_socket_peer_is_a_proxy(self) -> None:
        """
        Over a unix socket the forwarding proxy's header is believed.
        """
        policy = ProxyPolicy(())
        request = request_from(None, {b"x-forwarded-for": b"198.51.100.7"})
        self.assertEqual(policy.client_address(request), "198.51.100.7")
        self.assertEqual(policy.client_address(request_from(None)), "0.0.0.0")

    def test_bad_entry(self) -> None:
        """
        A trusted-proxies entry that is no address is refused at start-up.
        """
        self.assertRaises(ValueError, ProxyPolicy, ("proxy.example",))


class OriginTests(SynchronousTestCase):
    def test_parse(self) -> None:
        """
        Hosts are compared as scheme, host name and port, with default ports.
        """
        self.assertEqual(Origin.parse("http://example.tld/"), Origin("http", "example.tld", 80))
        self.assertEqual(Origin.parse("https://example.tld/"), Origin("https", "example.tld", 443))
        self.assertEqual(Origin.parse("example.tld"), Origin("http", "example.tld", 80))
        self.assertEqual(Origin.parse("example.tld:42"), Origin("http", "example.tld", 42))
        self.assertEqual(Origin.parse("https://example.tld:80/"), Origin("https", "example.tld", 80))
        self.assertEqual(str(Origin("https", "example.tld", 443)), "https://example.tld")
        self.assertEqual(str(Origin("https", "example.tld", 42)), "https://example.tld:42")

    def test_resolve(self) -> None:
        """
        A request is answered for the configured website it names, else for
        the first one; never for an arbitrary origin.
        """
        origins = Origins(("https://example.tld/", "http://example.tld/"))
        self.assertEqual(
            origins.resolve(request_from("1.2.3.4", {b"origin": b"http://example.tld"})),
            "http://example.tld",
        )
        self.assertEqual(
            origins.resolve(request_from("1.2.3.4", {b"referer": b"http://example.tld/a/b"})),
            "http://example.tld",
        )
        self.assertEqual(
            origins.resolve(request_from("1.2.3.4", {b"origin": b"http://evil.example"})),
            "https://example.tld",
        )
        self.assertEqual(origins.resolve(request_from("1.2.3.4")), "https://example.tld")
        self.assertEqual(Origins(()).default, "http://invalid.local")


class LocalProxyPolicyTests(SynchronousTestCase):
    def test_loopback_is_trusted_by_default(self) -> None:
        """
        Without trusted-proxies, a peer on the loopback network forwards the
        client's address, read from the header's end.
        """
        policy = ProxyPolicy(())
        for peer in ("127.0.0.1", "127.3.2.1"):
            request = request_from(
                peer, {b"x-forwarded-for": b"10.1.2.3, 198.51.100.7"}
            )
            self.assertEqual(policy.client_address(request), "198.51.100.7")
            self.assertEqual(request.isso_client, "198.51.100.7")

    def test_explicit_list_replaces_loopback(self) -> None:
        """
        An explicit trusted-proxies list replaces the loopback default, but
        a unix socket peer stays a proxy.
        """
        policy = ProxyPolicy(("10.9.9.9",))
        request = request_from("127.0.0.1", {b"x-forwarded-for": b"198.51.100.7"})
        self.assertEqual(policy.client_address(request), "127.0.0.1")
        request = request_from(None, {b"x-forwarded-for": b"198.51.100.7"})
        self.assertEqual(policy.client_address(request), "198.51.100.7")

    def test_warning_once_per_network(self) -> None:
        """
        An untrusted peer's X-Forwarded-For is reported once per network,
        naming the key to set, and the memory of it is bounded.
        """
        from twisted.logger import Logger

        events: list[dict] = []
        policy = ProxyPolicy(("10.9.9.9",))
        policy.log = Logger(observer=events.append)
        for peer in ("203.0.113.9", "203.0.113.10", "198.51.100.1"):
            policy.client_address(request_from(peer, {b"x-forwarded-for": b"1.2.3.4"}))
        policy.client_address(request_from("192.0.2.1"))
        self.assertEqual([e["peer"] for e in events], ["203.0.113.9", "198.51.100.1"])
        self.assertIn("[server] trusted-proxies", events[0]["log_format"])
        for n in range(2000):
            peer = f"{n // 256 + 1}.{n % 256}.0.1"
            policy.client_address(request_from(peer, {b"x-forwarded-for": b"1.2.3.4"}))
        self.assertLessEqual(len(events), 256)

    def test_huge_header_values_are_not_cached(self) -> None:
        """
        Header-sized text in X-Forwarded-For is no address, and is neither
        believed nor kept in the address caches.
        """
        policy = ProxyPolicy(())
        junk = b"9" * 5000
        request = request_from("127.0.0.1", {b"x-forwarded-for": junk})
        self.assertEqual(policy.client_address(request), junk.decode())
        self.assertEqual(anonymize(junk.decode()), "0.0.0.0")
        self.assertNotIn(junk.decode(), policy._verdicts)
