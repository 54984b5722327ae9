"""
The smaller endpoints over HTTP: counts, preview, configuration, info,
latest comments, feeds, CORS, static files, and requests that are wrong in
themselves (oversize, not JSON, unknown paths and methods).
"""

from __future__ import annotations

import gzip
import re
import socket

from twisted.internet import reactor, threads
from twisted.internet.defer import inlineCallbacks
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers

from isso_tx.views.static import load_assets

from ..support import HOST, SiteTestCase


class CountTests(SiteTestCase):
    @inlineCallbacks
    def test_count(self):
        """
        Counts follow the order of the request and leave out pending and
        deleted comments; unknown threads count 0.
        """
        yield self.post_comment(uri="/a/")
        yield self.post_comment(uri="/a/")
        yield self.post_comment(uri="/b/")
        yield self.client.delete("/id/3")
        response = yield self.client.post("/count", ["/b/", "/a/", "/none/"])
        self.assertEqual(response.code, 200)
        self.assertEqual(response.json(), [0, 2, 0])
        self.assertEqual(response.header("content-type"), "application/json")

    @inlineCallbacks
    def test_count_needs_a_list_of_strings(self):
        """
        Anything but a list of strings is a 400 (Isso answers 500 for some).
        """
        for body in (3, True, "abc", {"/a/": 1}, ["/a/", 3]):
            response = yield self.client.post(
                "/count", body, headers={"Accept": "application/json"}
            )
            self.assertEqual(response.code, 400, body)
            self.assertEqual(
                response.json(), {"message": "400 Bad Request: JSON must be a list of URLs"}
            )
        response = yield self.client.post("/count", raw=b"[", content_type=None)
        self.assertEqual(response.code, 400)
        self.assertIn(b"Unable to read JSON request", response.body)

    @inlineCallbacks
    def test_count_any_content_type(self):
        """
        The counter script posts without JSON content type; that is fine
        for /count, which changes nothing.
        """
        yield self.post_comment(uri="/a/")
        response = yield self.client.post(
            "/count", raw=b'["/a/"]', content_type="text/plain"
        )
        self.assertEqual((response.code, response.json()), (200, [1]))


class PreviewTests(SiteTestCase):
    @inlineCallbacks
    def test_preview(self):
        """
        A preview shows the text rendered as the comment would be.
        """
        response = yield self.client.post("/preview", {"text": "Hello *world*"})
        self.assertEqual(response.code, 200)
        self.assertEqual(response.json(), {"text": "<p>Hello <em>world</em></p>"})

    @inlineCallbacks
    def test_preview_sanitises(self):
        """
        A preview never contains scripts or javascript: links.
        """
        response = yield self.client.post(
            "/preview", {"text": "<script>alert(1)</script>[x](javascript:alert(1))"}
        )
        text = response.json()["text"]
        self.assertNotIn("<script", text)
        self.assertNotIn("javascript:", text)

    @inlineCallbacks
    def test_preview_bad(self):
        """
        A preview without a text, or with one that is not a string, is
        refused with 400 saying why.
        """
        for body, message in (({}, "no text given"), ({"text": None}, "no text given"),
                              ({"text": 5}, "text must be a string"),
                              ([1], "no text given")):
            response = yield self.client.post(
                "/preview", body, headers={"Accept": "application/json"}
            )
            self.assertEqual(response.code, 400, body)
            self.assertEqual(response.json()["message"], f"400 Bad Request: {message}")

    @inlineCallbacks
    def test_preview_stores_nothing(self):
        """
        A preview leaves no comment behind.
        """
        yield self.client.post("/preview", {"text": "Hello"})
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["total_replies"], 0)


class ConfigAndInfoTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\nreply-to-self = true\nrequire-email = true\n"
        "[general]\ngravatar = true\n[rss]\nbase = https://example.org/\n"
        "[hash]\nalgorithm = none\n"
    )

    @inlineCallbacks
    def test_config(self):
        """
        The client is told the settings it needs: the guard's rules,
        notifications, avatars and whether there is a feed.
        """
        response = yield self.client.get("/config")
        self.assertEqual(response.code, 200)
        self.assertEqual(
            response.json(),
            {
                "config": {
                    "reply-to-self": True,
                    "require-email": True,
                    "require-author": False,
                    "reply-notifications": False,
                    "gravatar": True,
                    "avatar": False,
                    "feed": True,
                }
            },
        )

    @inlineCallbacks
    def test_info(self):
        """
        /info names the version, the server's address, the asking origin and
        whether comments are moderated.
        """
        response = yield self.client.get("/info", headers={"Origin": HOST})
        info = response.json()
        self.assertEqual(set(info), {"version", "host", "origin", "moderation"})
        self.assertEqual(info["host"], self.base)
        self.assertEqual(info["origin"], HOST)
        self.assertIs(info["moderation"], False)
        self.assertIsInstance(info["version"], str)

    @inlineCallbacks
    def test_gravatar(self):
        """
        With gravatar on, a comment carries the Gravatar image address of
        its author's e-mail.
        """
        comment = yield self.post_comment(email="Someone@Example.org")
        self.assertRegex(
            comment["gravatar_image"],
            r"^https://www\.gravatar\.com/avatar/[0-9a-f]{32}\?d=identicon&s=55$",
        )


class LatestTests(SiteTestCase):
    config = "[general]\nlatest-enabled = true\n[guard]\nenabled = false\n"

    @inlineCallbacks
    def test_latest(self):
        """
        The newest comments of all threads, newest last, with their thread
        and without private fields.
        """
        yield self.post_comment(uri="/a/", text="one")
        yield self.post_comment(uri="/b/", text="two")
        yield self.post_comment(uri="/a/", text="three", parent=1)
        yield self.post_comment(uri="/b/", text="four")
        response = yield self.client.get("/latest?limit=3")
        self.assertEqual(response.code, 200)
        latest = response.json()
        self.assertEqual([c["id"] for c in latest], [2, 3, 4])
        self.assertEqual([c["uri"] for c in latest], ["/b/", "/a/", "/b/"])
        self.assertEqual(
            set(latest[0]),
            {"id", "parent", "created", "modified", "mode", "text", "author",
             "website", "likes", "dislikes", "uri"},
        )
        self.assertEqual(latest[1]["text"], "<p>three</p>")

    @inlineCallbacks
    def test_limit_required(self):
        """
        /latest without a positive whole limit is refused with 400.
        """
        for query in ("", "?limit=", "?limit=0", "?limit=-2", "?limit=x"):
            response = yield self.client.get("/latest" + query)
            self.assertEqual(response.code, 400, query)
            self.assertIn(b"Query parameter &#x27;limit&#x27; is mandatory", response.body)


class LatestDisabledTests(SiteTestCase):
    @inlineCallbacks
    def test_disabled(self):
        """
        Without latest-enabled, /latest is not found, and the page says
        which setting enables it.
        """
        response = yield self.client.get("/latest?limit=5")
        self.assertEqual(response.code, 404)
        self.assertIn(b"latest-enabled", response.body)


class FeedTests(SiteTestCase):
    config = "[rss]\nbase = https://example.org/\nlimit = 3\n[guard]\nenabled = false\n"

    @inlineCallbacks
    def test_empty(self):
        """
        A thread without comments has an empty Atom feed, with Isso's ids
        and title.
        """
        response = yield self.client.get("/feed?uri=/path/nothing")
        self.assertEqual(response.code, 200)
        self.assertEqual(response.header("etag"), '"empty"')
        self.assertEqual(
            response.body,
            b"<?xml version='1.0' encoding='utf-8'?>\n"
            b'<feed xmlns="http://www.w3.org/2005/Atom" '
            b'xmlns:thr="http://purl.org/syndication/thread/1.0">'
            b"<updated>1970-01-01T00:00:00.000000Z</updated>"
            b"<id>tag:example.org,2018:/isso/thread/path/nothing</id>"
            b"<title>Comments for example.org/path/nothing</title></feed>",
        )

    @inlineCallbacks
    def test_feed(self):
        """
        Entries carry Isso's tag ids, links into the page and the rendered
        text; a reply says what it answers.
        """
        yield self.post_comment(text="First")
        yield self.post_comment(text="*Second*", parent=1)
        response = yield self.client.get("/feed?uri=/path/")
        self.assertEqual(response.code, 200)
        body = re.sub(rb"\d{4}-\d\d-\d\dT[\d:.]+Z", b"T", response.body)
        self.assertEqual(
            body,
            b"<?xml version='1.0' encoding='utf-8'?>\n"
            b'<feed xmlns="http://www.w3.org/2005/Atom" '
            b'xmlns:thr="http://purl.org/syndication/thread/1.0">'
            b"<updated>T</updated><id>tag:example.org,2018:/isso/thread/path/</id>"
            b"<title>Comments for example.org/path/</title>"
            b"<entry><id>tag:example.org,2018:/isso/1/1</id><title>Comment #1</title>"
            b"<updated>T</updated><author><name /></author>"
            b'<link href="https://example.org/path/#isso-1" />'
            b'<content type="html">&lt;p&gt;First&lt;/p&gt;</content></entry>'
            b"<entry><id>tag:example.org,2018:/isso/1/2</id><title>Comment #2</title>"
            b"<updated>T</updated><author><name /></author>"
            b'<link href="https://example.org/path/#isso-2" />'
            b'<content type="html">&lt;p&gt;&lt;em&gt;Second&lt;/em&gt;&lt;/p&gt;</content>'
            b'<thr:in-reply-to ref="tag:example.org,2018:/isso/1/1" '
            b'href="https://example.org/path/#isso-1" /></entry></feed>',
        )

    @inlineCallbacks
    def test_conditional_and_changes(self):
        """
        A feed reader that sends back the ETag gets 304 until a comment is
        added, even a reply.
        """
        yield self.post_comment(text="First")
        first = yield self.client.get("/feed?uri=/path/")
        etag = first.header("etag")
        again = yield self.client.get("/feed?uri=/path/", headers={"If-None-Match": etag})
        self.assertEqual((again.code, again.body), (304, b""))
        yield self.post_comment(text="Reply", parent=1)
        changed = yield self.client.get("/feed?uri=/path/", headers={"If-None-Match": etag})
        self.assertEqual(changed.code, 200)
        self.assertNotEqual(changed.header("etag"), etag)

    @inlineCallbacks
    def test_limit(self):
        """
        The configured limit caps the feed; a reader may ask for fewer
        entries but not for more.
        """
        for i in range(5):
            yield self.post_comment(text=f"comment {i}")
        def entries(response):
            return response.body.count(b"<entry>")
        response = yield self.client.get("/feed?uri=/path/")
        self.assertEqual(entries(response), 3)
        response = yield self.client.get("/feed?uri=/path/&limit=1")
        self.assertEqual(entries(response), 1)
        response = yield self.client.get("/feed?uri=/path/&limit=50")
        self.assertEqual(entries(response), 3)
        response = yield self.client.get("/feed?uri=/path/&limit=x")
        self.assertEqual(response.code, 400)
        self.assertIn(b"limit should be integer", response.body)

    @inlineCallbacks
    def test_uri_required(self):
        """
        A feed request without a uri is refused with 400.
        """
        response = yield self.client.get("/feed")
        self.assertEqual(response.code, 400)
        self.assertIn(b"missing uri query", response.body)


class NoFeedTests(SiteTestCase):
    @inlineCallbacks
    def test_no_feed(self):
        """
        Without an [rss] base the feed is not found.
        """
        response = yield self.client.get("/feed?uri=/path/")
        self.assertEqual(response.code, 404)


class CORSTests(SiteTestCase):
    config = (
        "[general]\nhost =\n    http://example.org\n    https://blog.example:8443/\n"
        "[guard]\nenabled = false\n"
    )

    def assertCORS(self, response, origin):
        self.assertEqual(response.header("access-control-allow-origin"), origin)
        self.assertEqual(response.header("access-control-allow-credentials"), "true")
        self.assertEqual(
            response.header("access-control-allow-methods"), "HEAD, GET, POST, PUT, DELETE"
        )
        self.assertEqual(
            response.header("access-control-allow-headers"), "Origin, Referer, Content-Type"
        )
        self.assertEqual(
            response.header("access-control-expose-headers"),
            "X-Set-Cookie, X-Isso-Refusal, Date",
        )

    @inlineCallbacks
    def test_origin_resolution(self):
        """
        A configured origin is echoed; anything else gets the first host,
        never the stranger's origin.
        """
        cases = [
            ({"Origin": "https://blog.example:8443"}, "https://blog.example:8443"),
            ({"Referer": "https://blog.example:8443/post/1"}, "https://blog.example:8443"),
            ({"Origin": "http://example.org:80"}, "http://example.org"),
            ({"Origin": "https://evil.example"}, "http://example.org"),
            ({"Origin": "http://blog.example:8443"}, "http://example.org"),
            ({}, "http://example.org"),
        ]
        for headers, origin in cases:
            response = yield self.client.get("/?uri=/x/", headers=headers)
            self.assertCORS(response, origin)

    @inlineCallbacks
    def test_everywhere(self):
        """
        Errors, static files and preflight requests carry CORS headers too;
        preflight answers 200 for any path without running anything.
        """
        origin = {"Origin": "https://blog.example:8443"}
        for method, path in (("GET", "/nowhere"), ("GET", "/js/embed.min.js"),
                             ("OPTIONS", "/new?uri=/x/"), ("OPTIONS", "/nowhere"),
                             ("DELETE", "/id/99")):
            response = yield self.client.request(method, path, headers=origin)
            self.assertCORS(response, "https://blog.example:8443")
            if method == "OPTIONS":
                self.assertEqual((response.code, response.body), (200, b""))
                self.assertEqual(response.header("content-type"), "text/plain")
        response = yield self.client.get("/?uri=/x/")
        self.assertEqual(response.json()["total_replies"], 0)


class RequestErrorTests(SiteTestCase):
    def raw_request(self, data: bytes) -> bytes:
        """
        Send bytes on a fresh connection and read the answer until the
        server closes it.
        """
        def talk():
            with socket.create_connection(("127.0.0.1", self.port.getHost().port)) as s:
                s.settimeout(10)
                s.sendall(data)
                answer = b""
                try:
                    while chunk := s.recv(65536):
                        answer += chunk
                except (ConnectionResetError, TimeoutError):
                    pass
                return answer
        return threads.deferToThreadPool(reactor, reactor.getThreadPool(), talk)

    @inlineCallbacks
    def test_oversize_declared(self):
        """
        A body announced bigger than 256 KiB is refused before it is sent.
        """
        answer = yield self.raw_request(
            b"POST /new?uri=/x/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 300000\r\n\r\n"
        )
        self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer[:100])
        self.assertIn(b"the body exceeds 262144 bytes", answer)

    @inlineCallbacks
    def test_oversize_chunked(self):
        """
        A chunked body that grows past the limit is cut off with 413 too.
        """
        chunk = b"x" * 65536
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))
        answer = yield self.raw_request(
            b"POST /new?uri=/x/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
        )
        self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer[:100])
        response = yield self.client.get("/?uri=/x/")
        self.assertEqual(response.json()["total_replies"], 0)

    @inlineCallbacks
    def test_largest_allowed_body(self):
        """
        A body just under the limit is read (and refused for its content:
        the text is too long for a comment).
        """
        text = "a" * (256 * 1024 - 20)
        response = yield self.client.post("/new?uri=/x/", {"text": text})
        self.assertEqual(response.code, 400)
        self.assertIn(b"text is too long", response.body)

    @inlineCallbacks
    def test_not_json(self):
        """
        A body that is not JSON is refused with 400 saying so.
        """
        for raw in (b"{", b"\xff\xfe", b"", b"text=hello"):
            response = yield self.client.post("/new?uri=/x/", raw=raw)
            self.assertEqual(response.code, 400, raw)
            self.assertIn(b"Unable to read JSON request", response.body)

    @inlineCallbacks
    def test_not_an_object(self):
        """
        A JSON body that is not an object is refused with 400.
        """
        for body in ([1, 2], "text", 5, None):
            response = yield self.client.post("/new?uri=/x/", raw=repr(body).encode()
                                              if body is None else None, body=body)
            self.assertEqual(response.code, 400, body)

    @inlineCallbacks
    def test_routing(self):
        """
        Unknown paths are 404, known paths with the wrong method 405 with
        Allow, and a bad id a 404; none of them a 500.
        """
        response = yield self.client.get("/nowhere", headers={"Accept": "application/json"})
        self.assertEqual(response.code, 404)
        self.assertTrue(response.json()["message"].startswith("404 Not Found"))
        response = yield self.client.get("/new")
        self.assertEqual(response.code, 405)
        self.assertIn("POST", response.header("allow"))
        for path in ("/id/-1", "/id/abc", "/id/1/"):
            response = yield self.client.get(path)
            self.assertEqual(response.code, 404, path)
        huge = "/id/" + "9" * 30
        for method, path in (("GET", huge), ("PUT", huge), ("DELETE", huge),
                             ("POST", huge + "/like"), ("GET", huge + "?plain=1")):
            response = yield self.client.request(method, path, {"text": "new text"})
            self.assertIn(response.code, (403, 404), (method, path, response))
        response = yield self.client.get("/nowhere")
        self.assertEqual(response.header("content-type"), "text/html; charset=utf-8")
        self.assertIn(b"<title>404 Not Found</title>", response.body)


class StaticTests(SiteTestCase):
    @inlineCallbacks
    def test_files(self):
        """
        The client's files are served with their type, long-lived caching
        and an ETag that answers 304.
        """
        assets = load_assets()
        for path, content_type in (
            ("/js/embed.min.js", "text/javascript; charset=utf-8"),
            ("/js/embed.dev.js", "text/javascript; charset=utf-8"),
            ("/js/count.min.js", "text/javascript; charset=utf-8"),
            ("/js/count.dev.js", "text/javascript; charset=utf-8"),
            ("/css/isso.css", "text/css; charset=utf-8"),
        ):
            response = yield self.client.get(path)
            self.assertEqual(response.code, 200, path)
            self.assertEqual(response.header("content-type"), content_type)
            self.assertEqual(response.body, assets[path.encode()].body)
            self.assertIn("max-age=86400", response.header("cache-control"))
            etag = response.header("etag")
            again = yield self.client.get(path, headers={"If-None-Match": etag})
            self.assertEqual((again.code, again.body), (304, b""))

    @inlineCallbacks
    def test_gzip(self):
        """
        Browsers that accept gzip get the file compressed at build time;
        others get it plain.
        """
        agent = Agent(reactor, pool=HTTPConnectionPool(reactor, persistent=False))
        url = (self.base + "/js/embed.min.js").encode()
        bodies = {}
        for accept in (b"gzip, deflate, br", b"identity"):
            response = yield agent.request(
                b"GET", url, Headers({b"accept-encoding": [accept]})
            )
            body = yield readBody(response)
            encoding = response.headers.getRawHeaders(b"content-encoding", [None])[0]
            bodies[encoding] = body
            self.assertIn(b"Accept-Encoding", response.headers.getRawHeaders(b"vary")[0])
        self.assertEqual(set(bodies), {b"gzip", None})
        self.assertEqual(gzip.decompress(bodies[b"gzip"]), bodies[None])
        self.assertLess(len(bodies[b"gzip"]), len(bodies[None]))

    @inlineCallbacks
    def test_demo(self):
        """
        /demo redirects to /demo/, an HTML page with a comment section and
        the client script.
        """
        response = yield self.client.get("/demo")
        self.assertEqual(response.code, 308)
        self.assertEqual(response.header("location"), "demo/")
        response = yield self.client.get("/demo/")
        self.assertEqual(response.code, 200)
        self.assertEqual(response.header("content-type"), "text/html; charset=utf-8")
        self.assertIn(b'id="isso-thread"', response.body)
        self.assertIn(b"embed", response.body)

    @inlineCallbacks
    def test_missing(self):
        """
        Missing files, directories and paths climbing out of the static tree
        are not found.
        """
        for path in ("/js/nothing.js", "/css/", "/js/../db.py"):
            response = yield self.client.get(path)
            self.assertEqual(response.code, 404, path)
