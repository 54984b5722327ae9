"""
Malformed and oversized request heads, sent over a real socket: each gets
an answer at once (400, 414 or 431), never a 500 and never silence.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from ..support import SiteTestCase

# How long a refusal may take; the old behaviour was to wait for the client.
PROMPT = 5


class _Collect(Protocol):
    """
    Send one request, keep everything the server answers until it closes.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.received = b""
        self.done: Deferred[bytes] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.data)

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: Failure) -> None:
        self.done.callback(self.received)


@inlineCallbacks
def exchange(port: int, data: bytes) -> object:
    """
    Send raw bytes to the site and return the whole answer, or fail when
    the server neither answers nor closes within L{PROMPT} seconds.
    """
    protocol = _Collect(data)
    yield connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), protocol)
    timer = reactor.callLater(PROMPT, protocol.transport.abortConnection)
    answer = yield protocol.done
    if not timer.active():
        raise AssertionError(f"no answer within {PROMPT} s: {answer[:100]!r}")
    timer.cancel()
    return answer


def status(answer: bytes) -> int:
    """
    Return the status code of a raw HTTP answer.
    """
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer[9:12])


def head(*lines: bytes, end: bytes = b"\r\n") -> bytes:
    """
    Join a request's head lines with C{end}, closing the connection after.
    """
    return end.join(lines + (b"Connection: close", b"", b""))


class RequestHeadTests(SiteTestCase):
    """
    The site's HTTP edge, fed heads no browser would send.
    """

    def send(self, data: bytes) -> Deferred[bytes]:
        return exchange(self.port.getHost().port, data)

    @inlineCallbacks
    def test_huge_host(self):
        """
        A 10 KB Host header, or one with an empty label, is a 400 that says
        the host is unusable.
        """
        for host in (b"a" * 10000, b"a" * 64 + b".example", b"a..b", b"\xff\xfe"):
            answer = yield self.send(head(b"GET /config HTTP/1.1", b"Host: " + host))
            self.assertEqual(status(answer), 400, host[:20])
            self.assertIn(b"Host header", answer)

    @inlineCallbacks
    def test_long_request_line(self):
        """
        A request line beyond the line limit is a 414.
        """
        answer = yield self.send(head(b"GET /" + b"a" * 20000 + b" HTTP/1.1", b"Host: x"))
        self.assertEqual(status(answer), 414)

    @inlineCallbacks
    def test_long_header_line(self):
        """
        A header line beyond the line limit is a 431.
        """
        answer = yield self.send(
            head(b"GET /config HTTP/1.1", b"Host: x", b"X-Big: " + b"a" * 20000)
        )
        self.assertEqual(status(answer), 431)

    @inlineCallbacks
    def test_too_many_headers(self):
        """
        Too many headers, or too many bytes of them, are a 400.
        """
        many = tuple(b"X-H%d: v" % i for i in range(600))
        big = tuple(b"X-H%d: %s" % (i, b"v" * 1000) for i in range(60))
        for headers in (many, big):
            answer = yield self.send(head(b"GET /config HTTP/1.1", b"Host: x", *headers))
            self.assertEqual(status(answer), 400)

    @inlineCallbacks
    def test_bare_line_feeds(self):
        """
        A request whose lines end in a bare LF is refused at once with a
        400, whether all its lines or only some do, and after a good
        request on the same connection too.
        """
        for data in (
            head(b"GET /config HTTP/1.1", b"Host: x", end=b"\n"),
            b"GET /config HTTP/1.1\nHost: x\r\nConnection: close\r\n\r\n",
            b"GET /config HTTP/1.1\r\nHost: x\nConnection: close\r\n\r\n",
        ):
            answer = yield self.send(data)
            self.assertEqual(status(answer), 400, data)
        # The second request of a connection, after a good first one.
        answer = yield self.send(
            b"GET /config HTTP/1.1\r\nHost: x\r\n\r\n"
            + head(b"GET /config HTTP/1.1", b"Host: x", end=b"\n")
        )
        self.assertEqual(status(answer), 200)
        self.assertIn(b"HTTP/1.1 400 Bad Request", answer)

    @inlineCallbacks
    def test_nul_bytes_and_bad_methods(self):
        """
        NUL bytes in the path or a header, and methods that are no tokens,
        are a 400; an unknown method is a 405.
        """
        for data in (
            head(b"GET /con\x00fig HTTP/1.1", b"Host: x"),
            head(b"GET /config HTTP/1.1", b"Host: x\x00y"),
            head(b"GE\xffT /config HTTP/1.1", b"Host: x"),
            head(b"G(T /config HTTP/1.1", b"Host: x"),
            head(b"GET /config", b"Host: x"),
            head(b"GET /config HTTP/9", b"Host: x"),
        ):
            answer = yield self.send(data)
            self.assertEqual(status(answer), 400, data)
        answer = yield self.send(head(b"BREW /config HTTP/1.1", b"Host: x"))
        self.assertEqual(status(answer), 405)
