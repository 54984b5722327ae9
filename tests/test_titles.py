"""
Naming new threads after their pages (L{isso_tx.titles}): finding the title
in a page, and fetching pages through a stand-in agent on a L{Clock} (the
whole over HTTP is in L{tests.slow.test_titles}).
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.testing import EventLoggingObserver, StringTransport
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.client import ResponseDone
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH

from isso_tx import __version__
from isso_tx.titles import MAX_PAGE, UNTITLED, TitleFetcher, page_thread

from .threadless import ThreadlessReactor

ORIGIN = "http://example.org"


class PageThreadTests(SynchronousTestCase):
    """
    Finding a thread's uri and title in its page.
    """

    def test_data_title(self) -> None:
        """
        The comment section's data-title names the thread, percent-decoded,
        whatever headings the page has.
        """
        for tag in ("div", "section"):
            page = (
                f"<title>Head</title><h1>Heading</h1>"
                f'<{tag} id="isso-thread" data-title="Caf%C3%A9%20talk"></{tag}>'
            )
            self.assertEqual(page_thread(page, "/post/"), ("/post/", "Café talk"))

    def test_isso_id(self) -> None:
        """
        The comment section's data-isso-id, percent-decoded, files the thread
        under another uri, with or without a data-title.
        """
        page = '<div id="isso-thread" data-isso-id="/a%20b/" data-title="T"></div>'
        self.assertEqual(page_thread(page, "/post/"), ("/a b/", "T"))
        page = '<h1>H</h1><div id="isso-thread" data-isso-id="/other/"></div>'
        self.assertEqual(page_thread(page, "/post/"), ("/other/", "H"))

    def test_empty_attributes(self) -> None:
        """
        An empty data-title or data-isso-id counts as none.
        """
        page = '<h1>H</h1><div id="isso-thread" data-title="" data-isso-id=""></div>'
        self.assertEqual(page_thread(page, "/post/"), ("/post/", "H"))

    def test_heading_before_section(self) -> None:
        """
        Without a data-title, the heading that opens the enclosing element
        names the thread, its text joined from inner elements and trimmed.
        """
        page = (
            "<title>Head title</title><article>"
            "<h1> The <em>first</em>\n post </h1><p>Text</p>"
            '<section id="isso-thread"></section></article>'
        )
        self.assertEqual(page_thread(page, "/p"), ("/p", "The first\n post"))

    def test_heading_inside_section(self) -> None:
        """
        A heading inside the comment section itself names the thread.
        """
        page = '<section id="isso-thread"><h1>Comments</h1></section>'
        self.assertEqual(page_thread(page, "/p"), ("/p", "Comments"))

    def test_heading_further_out(self) -> None:
        """
        As in Isso, the search goes outwards and down the first branch of
        each enclosing element: a heading deep in an earlier sibling is
        missed, the site's banner heading further out is found.
        """
        page = (
            "<body><header><h1>Site</h1></header><main><article>"
            "<p>Intro</p><div><h1>Missed</h1></div>"
            '<section id="isso-thread"></section></article></main></body>'
        )
        self.assertEqual(page_thread(page, "/p"), ("/p", "Site"))

    def test_heading_after_section(self) -> None:
        """
        When the comment section opens its element, a heading after it in
        that element is found.
        """
        page = '<div><section id="isso-thread"></section><h1>After</h1></div>'
        self.assertEqual(page_thread(page, "/p"), ("/p", "After"))

    def test_untitled(self) -> None:
        """
        A page whose comment section has no heading around it, even with a
        <title>, or whose only heading is empty, gives an untitled thread.
        """
        for page in (
            '<title>Head title</title><div id="isso-thread"></div>',
            '<h1> </h1><div id="isso-thread"></div>',
        ):
            self.assertEqual(page_thread(page, "/p"), ("/p", UNTITLED))
        self.assertEqual(UNTITLED, "Untitled.")

    def test_no_comment_section(self) -> None:
        """
        A page without a div or section with id isso-thread gives an
        untitled thread at the uri asked for.
        """
        for page in (
            "<title>T</title><h1>Heading</h1>",
            '<article id="isso-thread" data-title="T"></article>',
            "",
        ):
            self.assertEqual(page_thread(page, "/p"), ("/p", UNTITLED))

    def test_encoding(self) -> None:
        """
        A page sent as bytes is decoded as its meta tag says.
        """
        page = (
            b'<meta charset="iso-8859-1"><h1>Caf\xe9</h1>'
            b'<section id="isso-thread"></section>'
        )
        self.assertEqual(page_thread(page, "/p"), ("/p", "Café"))


class Page:
    """
    A response of the website, whose body the test sends piece by piece.
    """

    def __init__(
        self, code: int = 200, length: int | object = UNKNOWN_LENGTH, **headers: str
    ) -> None:
        self.code = code
        self.length = length
        self.headers = Headers({k: [v] for k, v in headers.items()})
        self.transport = StringTransport()
        self.reader: Any = None

    def deliverBody(self, protocol: Any) -> None:
        self.reader = protocol
        protocol.makeConnection(self.transport)

    def send(self, *chunks: bytes) -> None:
        for chunk in chunks:
            self.reader.dataReceived(chunk)

    def finish(self) -> None:
        self.reader.connectionLost(Failure(ResponseDone()))

    @property
    def hung_up(self) -> bool:
        """
        Whether the reader stopped the transfer of the body.
        """
        return self.transport.producerState == "stopped"


class Website:
    """
    An agent that remembers each request and answers when the test says.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, bytes, Headers, Deferred[Page]]] = []
        # The urls of the requests given up before an answer.
        self.cancelled: list[bytes] = []

    def request(
        self,
        method: bytes,
        uri: bytes,
        headers: Headers | None = None,
        bodyProducer: Any = None,
    ) -> Deferred[Page]:
        d: Deferred[Page] = Deferred(lambda _: self.cancelled.append(uri))
        self.requests.append((method, uri, headers, d))
        return d

    def urls(self) -> list[bytes]:
        return [uri for _, uri, _, _ in self.requests]

    def answer(self, page: Page) -> Page:
        """
        Answer the latest request with C{page}.
        """
        self.requests[-1][3].callback(page)
        return page


class FetchTests(SynchronousTestCase):
    """
    L{TitleFetcher.fetch}: getting the page that names a new thread.
    """

    def setUp(self) -> None:
        self.reactor = ThreadlessReactor()
        self.website = Website()
        self.fetcher = TitleFetcher(self.reactor, self.website)
        self.events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)

    def fetch(self, uri: str = "/post/") -> Deferred[tuple[str, str] | None]:
        return Deferred.fromCoroutine(self.fetcher.fetch(ORIGIN, uri))

    def messages(self) -> list[str]:
        return [event["log_format"] for event in self.events]

    def test_page(self) -> None:
        """
        The page at the website's origin plus the uri is asked for, as
        isso-tx, and parsed in the thread pool for its uri and title.
        """
        d = self.fetch("/post/")
        [(method, url, headers, _)] = self.website.requests
        self.assertEqual((method, url), (b"GET", b"http://example.org/post/"))
        self.assertEqual(
            headers.getRawHeaders(b"user-agent"), [f"isso-tx/{__version__}".encode()]
        )
        body = b'<h1>Hello</h1><div id="isso-thread"></div>'
        page = self.website.answer(Page(length=len(body)))
        page.send(body)
        page.finish()
        self.assertNoResult(d)
        self.assertEqual(self.reactor.run_work(), 1)
        self.assertEqual(self.successResultOf(d), ("/post/", "Hello"))

    def test_chunked(self) -> None:
        """
        A page sent in pieces, without a length, is read whole.
        """
        d = self.fetch()
        page = self.website.answer(Page())
        page.send(b"<h1>Sent in", b" chunks</h1>", b'<div id="isso-thread"></div>')
        page.finish()
        self.reactor.run_work()
        self.assertEqual(self.successResultOf(d), ("/post/", "Sent in chunks"))

    def test_oversized_length(self) -> None:
        """
        A page announced as larger than the limit is not read at all.
        """
        d = self.fetch()
        page = self.website.answer(Page(length=MAX_PAGE + 1))
        self.assertIsNone(self.successResultOf(d))
        self.assertTrue(page.hung_up)
        self.assertEqual(self.reactor.work, [])

    def test_oversized_chunked(self) -> None:
        """
        A page without a length is read up to the limit; past it the
        fetcher hangs up and the page counts as not accessible.
        """
        d = self.fetch()
        page = self.website.answer(Page())
        piece = b"x" * (MAX_PAGE // 4)
        page.send(piece, piece, piece, piece)
        self.assertNoResult(d)
        self.assertFalse(page.hung_up)
        page.send(b"x")
        self.assertIsNone(self.successResultOf(d))
        self.assertTrue(page.hung_up)
        page.send(b'<div id="isso-thread" data-title="Too far"></div>')
        page.finish()
        self.assertEqual(self.reactor.work, [])

    def test_not_found(self) -> None:
        """
        A page the website does not answer 200 or 301 for gives nothing,
        and its body is not read.
        """
        for code in (404, 500, 302, 204):
            d = self.fetch()
            page = self.website.answer(Page(code))
            self.assertIsNone(self.successResultOf(d), code)
            self.assertTrue(page.hung_up, code)

    def test_permanent_redirect(self) -> None:
        """
        A permanent redirect is followed to its path on the same website,
        and the thread keeps the uri it was asked for.
        """
        d = self.fetch("/old/")
        moved = self.website.answer(Page(301, location="http://example.org/new/"))
        self.assertTrue(moved.hung_up)
        page = self.website.answer(Page())
        page.send(b'<div id="isso-thread" data-title="Moved"></div>')
        page.finish()
        self.reactor.run_work()
        self.assertEqual(self.successResultOf(d), ("/old/", "Moved"))
        self.assertEqual(
            self.website.urls(),
            [b"http://example.org/old/", b"http://example.org/new/"],
        )

    def test_redirect_stays_on_website(self) -> None:
        """
        A redirect to another host, or a relative one, is followed to its
        path on the website asked, never elsewhere.
        """
        self.fetch("/old/")
        self.website.answer(Page(301, location="https://elsewhere.example/x?y=1"))
        self.website.answer(Page(301, location="/relative"))
        self.assertEqual(
            self.website.urls(),
            [
                b"http://example.org/old/",
                b"http://example.org/x",
                b"http://example.org/relative",
            ],
        )

    def test_redirect_without_path(self) -> None:
        """
        A redirect without a location, or to a location without a path,
        gives nothing.
        """
        for headers in ({}, {"location": "http://example.org"}):
            d = self.fetch()
            self.website.answer(Page(301, **headers))
            self.assertIsNone(self.successResultOf(d), headers)

    def test_too_many_redirects(self) -> None:
        """
        Three redirects in a row are followed; a fourth gives nothing.
        """
        d = self.fetch("/0")
        for hop in range(1, 5):
            self.website.answer(Page(301, location=f"/{hop}"))
        self.assertIsNone(self.successResultOf(d))
        self.assertEqual(
            self.website.urls(), [f"http://example.org/{i}".encode() for i in range(4)]
        )

    def test_no_answer(self) -> None:
        """
        A website that does not answer within three seconds gives nothing,
        and the request is given up.
        """
        d = self.fetch()
        self.reactor.advance(2.9)
        self.assertNoResult(d)
        self.reactor.advance(0.1)
        self.assertIsNone(self.successResultOf(d))
        self.assertEqual(self.website.cancelled, [b"http://example.org/post/"])

    def test_slow_body(self) -> None:
        """
        A page whose body does not arrive within three seconds gives
        nothing.
        """
        d = self.fetch()
        page = self.website.answer(Page())
        page.send(b"<h1>Slow")
        self.reactor.advance(3)
        self.assertIsNone(self.successResultOf(d))

    def test_timeout_logged(self) -> None:
        """
        The owner's log says a page timed out, rather than showing the
        timeout as some other error.
        """
        d = self.fetch()
        self.reactor.advance(3)
        self.assertIsNone(self.successResultOf(d))
        self.assertEqual(self.messages(), ["Timed out fetching {url} for its title"])


    def test_slow_body_hangs_up(self) -> None:
        """
        A page whose body is too slow is hung up on, so that a website
        trickling bytes does not keep the connection open.
        """
        d = self.fetch()
        page = self.website.answer(Page())
        page.send(b"<h1>Slow")
        self.reactor.advance(3)
        self.assertIsNone(self.successResultOf(d))
        self.assertTrue(page.hung_up)


    def test_unreachable(self) -> None:
        """
        A website that cannot be reached gives nothing, and the error is
        logged.
        """
        d = self.fetch()
        self.website.requests[0][3].errback(ConnectionRefusedError())
        self.assertIsNone(self.successResultOf(d))
        self.assertIn("Could not fetch {url} for its title: {error}", self.messages())

    def test_broken_body(self) -> None:
        """
        A connection lost in the middle of the body gives nothing.
        """
        d = self.fetch()
        page = self.website.answer(Page())
        page.send(b"<h1>Half")
        page.reader.connectionLost(Failure(ConnectionRefusedError()))
        self.assertIsNone(self.successResultOf(d))




