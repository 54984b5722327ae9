"""
Fast tests of L{isso_tx.views.static}: the client's files, with ETags and
gzip.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from twisted.python.filepath import FilePath
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.views.static import StaticResource, load_assets

from .fast_support import Browser, ViewTestCase


class SiteFilesTests(ViewTestCase):
    """
    The built client, as a site serves it.
    """

    def test_files(self) -> None:
        """
        Each file comes with its type, a day of caching and its ETag.
        """
        assets = load_assets()
        for path, content_type in (
            ("/js/embed.min.js", "text/javascript; charset=utf-8"),
            ("/js/count.min.js", "text/javascript; charset=utf-8"),
            ("/css/isso.css", "text/css; charset=utf-8"),
        ):
            response = self.browser.fetch("GET", path)
            self.assertEqual(response.code, 200, path)
            self.assertEqual(response.header("content-type"), content_type)
            self.assertEqual(response.body, assets[path.encode()].body)
            self.assertEqual(response.header("cache-control"),
                             "public, max-age=86400, stale-while-revalidate=604800")
            self.assertEqual(response.header("etag"), assets[path.encode()].etag.decode())
            self.assertIsNotNone(response.header("last-modified"))
            self.assertEqual(response.header("vary"), "Origin, Accept-Encoding")

    def test_not_modified(self) -> None:
        """
        A browser that sends the ETag back gets an empty 304.
        """
        etag = self.browser.fetch("GET", "/js/embed.min.js").header("etag")
        again = self.browser.fetch("GET", "/js/embed.min.js", {"If-None-Match": etag})
        self.assertEqual((again.code, again.body), (304, b""))
        other = self.browser.fetch("GET", "/js/embed.min.js", {"If-None-Match": '"old"'})
        self.assertEqual(other.code, 200)

    def test_gzip(self) -> None:
        """
        A browser that accepts gzip gets the file compressed at build time;
        another gets it plain.
        """
        packed = self.browser.fetch("GET", "/js/embed.min.js",
                                    {"Accept-Encoding": "gzip, deflate, br"})
        plain = self.browser.fetch("GET", "/js/embed.min.js",
                                   {"Accept-Encoding": "identity"})
        self.assertEqual(packed.header("content-encoding"), "gzip")
        self.assertIsNone(plain.header("content-encoding"))
        self.assertEqual(gzip.decompress(packed.body), plain.body)
        self.assertLess(len(packed.body), len(plain.body))

    def test_demo(self) -> None:
        """
        C{/demo} is redirected to C{/demo/}, the demo page.
        """
        response = self.browser.fetch("GET", "/demo")
        self.assertEqual((response.code, response.header("location")), (308, "demo/"))
        response = self.browser.fetch("GET", "/demo/")
        self.assertEqual(response.header("content-type"), "text/html; charset=utf-8")
        self.assertIn(b'id="isso-thread"', response.body)

    def test_missing(self) -> None:
        """
        Unknown files, folders and paths that climb out are 404s.
        """
        for path in ("/js/nothing.js", "/css/", "/js/../db.py"):
            self.assertEqual(self.browser.fetch("GET", path).code, 404, path)


class LoadAssetsTests(SynchronousTestCase):
    """
    Reading a folder of built files.
    """

    def setUp(self) -> None:
        folder = FilePath(self.mktemp())
        folder.child("img").makedirs()
        folder.child("img").child("logo.svg").setContent(b"<svg/>")
        folder.child("js").makedirs()
        folder.child("js").child("a.js").setContent(b"var a = 1;" * 100)
        folder.child("js").child("a.js.gz").setContent(gzip.compress(b"var a = 1;" * 100))
        self.folder = folder

    def test_types_and_siblings(self) -> None:
        """
        Files get their type; a C{.gz} sibling is the compressed copy, not a
        file of its own.
        """
        assets = load_assets(Path(self.folder.path))
        self.assertEqual(sorted(assets), [b"/img/logo.svg", b"/js/a.js"])
        self.assertEqual(assets[b"/img/logo.svg"].content_type, b"image/svg+xml")
        self.assertIsNone(assets[b"/img/logo.svg"].gzipped)
        self.assertIsNotNone(assets[b"/js/a.js"].gzipped)

    def test_missing_folder(self) -> None:
        """
        Without a built client, nothing is served (and nothing fails).
        """
        self.assertEqual(load_assets(Path(os.path.join(self.folder.path, "nope"))), {})

    def test_served_without_gzip(self) -> None:
        """
        A file without a compressed copy is sent plain even to gzip browsers.
        """
        resource = StaticResource(load_assets(Path(self.folder.path)))
        browser = Browser(self, resource)
        response = browser.fetch("GET", "/img/logo.svg", {"Accept-Encoding": "gzip"})
        self.assertEqual((response.code, response.body), (200, b"<svg/>"))
        self.assertIsNone(response.header("content-encoding"))
