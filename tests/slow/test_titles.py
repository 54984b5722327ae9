"""
Naming new threads after their pages (L{isso_tx.titles}): the whole over
HTTP, with the website served on another loopback port.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.endpoints import serverFromString
from twisted.internet.task import deferLater
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from twisted.web.static import Data

from ..support import DatabaseMixin, SiteTestCase


class WebsiteTestCase(DatabaseMixin, SiteTestCase):
    """
    A site whose website is served on another loopback port.
    """

    config = "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"

    def use_website(self, port: int) -> None:
        self.website = f"http://127.0.0.1:{port}"
        self.config = f"{type(self).config}[general]\nhost = {self.website}\n"

    @inlineCallbacks
    def post_untitled(self, uri: str) -> Any:
        """
        Post a comment without a title, as the page at C{uri} would.
        """
        response = yield self.client.post(
            f"/new?uri={uri}", {"text": "Lorem ipsum"},
            headers={"Origin": self.website},
        )
        return response

    def titles(self) -> list[tuple[str, str]]:
        return self.stored("SELECT uri, title FROM threads ORDER BY id")


class PageTitleTests(WebsiteTestCase):
    pages = {
        b"titled": b'<!doctype html><title>Head title</title><h1>Heading</h1>'
        b'<div id="isso-thread" data-title="Caf%C3%A9 talk"></div>',
        b"heading": b"<!doctype html><title>Head title</title><article>"
        b"<h1> The <em>first</em> post </h1><p>Text</p>"
        b'<section id="isso-thread"></section></article>',
        b"renamed": b'<!doctype html><div id="isso-thread" data-isso-id="/canonical/"'
        b' data-title="Renamed"></div>',
        b"bare": b"<!doctype html><title>Head title</title><p>No comments here",
    }

    @inlineCallbacks
    def setUp(self):
        root = Resource()
        for name, page in self.pages.items():
            root.putChild(name, Data(page, "text/html; charset=utf-8"))
        root.putChild(b"chunked", _ChunkedPage())
        self.endless = _EndlessPage()
        root.putChild(b"endless", self.endless)
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(Site(root))
        self.addCleanup(port.stopListening)
        self.use_website(port.getHost().port)
        yield super().setUp()

    @inlineCallbacks
    def test_data_title(self):
        """
        A new thread is named after its comment section's data-title.
        """
        response = yield self.post_untitled("/titled")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/titled", "Café talk")])

    @inlineCallbacks
    def test_heading(self):
        """
        Without a data-title, the thread is named after the nearest heading
        before the comment section, not after the page's <title>.
        """
        response = yield self.post_untitled("/heading")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/heading", "The first post")])

    @inlineCallbacks
    def test_renamed_thread(self):
        """
        A comment section with data-isso-id files the comment under that id.
        """
        response = yield self.post_untitled("/renamed")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/canonical/", "Renamed")])
        response = yield self.client.get("/?uri=/canonical/")
        self.assertEqual(response.json()["total_replies"], 1)

    @inlineCallbacks
    def test_no_comment_section(self):
        """
        A page without a comment section gives an untitled thread.
        """
        response = yield self.post_untitled("/bare")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/bare", "Untitled.")])

    @inlineCallbacks
    def test_missing_page(self):
        """
        A page the website answers 404 for cannot name a thread: the comment
        is refused with 400 and nothing is stored, until it comes with a
        title.
        """
        response = yield self.post_untitled("/missing")
        self.assertEqual(response.code, 400)
        self.assertIn(
            b"Cannot create new thread: URI /missing is not accessible", response.body
        )
        self.assertEqual(self.titles(), [])
        self.assertEqual(self.stored("SELECT count(*) FROM comments"), [(0,)])
        yield self.post_comment("/missing", title="Given")
        self.assertEqual(self.titles(), [("/missing", "Given")])

    @inlineCallbacks
    def test_page_without_length(self):
        """
        A page sent in chunks, without a Content-Length, names its thread
        like any other.
        """
        response = yield self.post_untitled("/chunked")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/chunked", "Sent in chunks")])

    @inlineCallbacks
    def test_oversized_page_without_length(self):
        """
        A page sent without a length is read only up to the size limit:
        past it, the page counts as not accessible and nothing is stored.
        """
        response = yield self.post_untitled("/endless")
        self.assertEqual(response.code, 400)
        self.assertIn(b"is not accessible", response.body)
        self.assertEqual(self.stored("SELECT count(*) FROM comments"), [(0,)])
        # The fetcher hung up rather than read the rest.
        yield self.endless.hung_up()


class _ChunkedPage(Resource):
    """
    A small page sent in chunks, without a length, as many servers send
    pages they compress or build on the fly.
    """

    isLeaf = True

    def render_GET(self, request):
        request.write(b"<!doctype html><h1>Streamed</h1>")
        request.write(b'<div id="isso-thread" data-title="Sent in chunks"></div>')
        request.finish()
        return NOT_DONE_YET


class _EndlessPage(Resource):
    """
    A page streamed in chunks, far past the title fetcher's limit, with a
    comment section at the very end.
    """

    isLeaf = True

    def render_GET(self, request):
        self.transport = request.transport
        filler = b"<p>" + b"x" * 65536 + b"</p>"

        def more(left: int) -> None:
            if self.transport.disconnected:
                return
            if not left:
                request.write(b'<div id="isso-thread" data-title="Too far"></div>')
                request.finish()
                return
            request.write(filler)
            reactor.callLater(0.001, more, left - 1)

        more(64)
        return NOT_DONE_YET

    @inlineCallbacks
    def hung_up(self):
        """
        Wait until the reader's connection is closed.
        """
        for _ in range(500):
            if self.transport.disconnected:
                return
            yield deferLater(reactor, 0.01)
        raise AssertionError("the reader never hung up")


class WebsiteDownTests(WebsiteTestCase):
    @inlineCallbacks
    def setUp(self):
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(Site(Resource()))
        self.use_website(port.getHost().port)
        yield port.stopListening()
        yield super().setUp()

    @inlineCallbacks
    def test_website_down(self):
        """
        When the website is down a new thread needs a title: without one the
        comment is refused with 400 and nothing is stored; a comment on an
        existing thread needs no page.
        """
        response = yield self.post_untitled("/post")
        self.assertEqual(response.code, 400)
        self.assertIn(b"URI /post is not accessible", response.body)
        self.assertEqual(self.titles(), [])
        yield self.post_comment("/post", title="Given")
        response = yield self.post_untitled("/post")
        self.assertEqual(response.code, 201, response)
        self.assertEqual(self.titles(), [("/post", "Given")])

