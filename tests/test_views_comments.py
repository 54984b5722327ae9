"""
Fast tests of L{isso_tx.views.comments}: the comments API (everything but
C{GET /}), answered synchronously on an in-memory site.
"""

from __future__ import annotations

import re
import sqlite3

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.test.iosim import FakeTransport, connect
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.http import datetimeToString
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from twisted.web.static import Data
from twisted.web.test.requesthelper import DummyRequest

from isso_tx import __version__
from isso_tx.views.comments import NewCommentResource
from isso_tx.views.counts import KEPT_PER_REQUEST

from .fast_support import START, Browser, ViewTestCase

FORM = "application/x-www-form-urlencoded"
JSON_ACCEPT = {"Accept": "application/json"}


class NewCommentTests(ViewTestCase):
    """
    C{POST /new}.
    """

    def test_created(self) -> None:
        """
        A new comment is answered 201 with its public fields, its rendered
        text and an edit cookie good for the edit window.
        """
        response = self.browser.post(
            "/new?uri=/path/",
            {"text": "Hello *world*", "author": "Alice", "email": "a@b.c",
             "website": "example.org", "title": "A page", "bogus": 1},
        )
        self.assertEqual(response.code, 201)
        self.assertEqual(response.header("content-type"), "application/json")
        body = response.json()
        self.assertEqual(
            sorted(body),
            sorted(["id", "parent", "created", "modified", "mode", "text", "author",
                    "website", "likes", "dislikes", "notification", "hash"]),
        )
        self.assertEqual(body["id"], 1)
        self.assertEqual(body["created"], START)
        self.assertEqual(body["text"], "<p>Hello <em>world</em></p>")
        self.assertEqual(body["website"], "http://example.org")
        self.assertEqual(body["hash"], b"a@b.c".hex())
        expires = datetimeToString(START + 900).decode()
        self.assertEqual(
            re.sub(r"^1=[\w.-]+;", "1=TOKEN;", response.header("set-cookie")),
            f"1=TOKEN; Expires={expires}; Max-Age=900; Path=/; SameSite=Lax",
        )
        self.assertEqual(
            response.header("x-set-cookie"), "isso-" + response.header("set-cookie")
        )
        self.assertIsNotNone(self.browser.cookie("1"))

    def test_cors(self) -> None:
        """
        The answer carries the CORS headers for the embedding website.
        """
        response = self.browser.post(
            "/new?uri=/path/", {"text": "Hello", "title": "t"},
            headers={"Origin": "http://example.org"},
        )
        self.assertEqual(response.header("access-control-allow-origin"),
                         "http://example.org")
        self.assertEqual(response.header("access-control-allow-credentials"), "true")
        self.assertEqual(response.header("access-control-expose-headers"),
                         "X-Set-Cookie, X-Isso-Refusal, Date")

    def test_stored(self) -> None:
        """
        The comment is in the database with the reader's anonymised network.
        """
        self.post_comment(text="stored")
        [row] = self.database.query("SELECT text, remote_addr, created FROM comments")
        self.assertEqual(tuple(row), ("stored", "192.0.2.0", START))

    def test_missing_uri(self) -> None:
        """
        Without C{uri}, a JSON client gets a JSON 400 and a browser a page.
        """
        response = self.browser.post("/new", {"text": "hello"}, headers=JSON_ACCEPT)
        self.assertEqual(response.code, 400)
        self.assertEqual(response.json(), {"message": "400 Bad Request: missing uri query"})
        response = self.browser.post("/new", {"text": "hello"})
        self.assertEqual(response.header("content-type"), "text/html; charset=utf-8")
        self.assertIn(b"missing uri query", response.body)

    def test_invalid(self) -> None:
        """
        Bodies that break a rule are refused with 400 and a reason.
        """
        cases = [
            ({"title": "t"}, b"text is missing"),
            ({"text": "x", "title": "t"}, b"text is too short"),
            ({"text": "hello", "parent": "one", "title": "t"}, b"parent must be"),
            ({"text": "hello", "author": 3, "title": "t"}, b"author must be a string"),
            ([1, 2], b"JSON object"),
        ]
        for body, reason in cases:
            response = self.browser.post("/new?uri=/path/", body)
            self.assertEqual(response.code, 400, body)
            self.assertIn(reason, response.body)
        response = self.browser.post("/new?uri=/path/", raw=b"{not json")
        self.assertEqual(response.code, 400)
        self.assertIn(b"not valid JSON", response.body)
        self.assertEqual(self.database.query("SELECT * FROM comments"), [])

    def test_form_post_refused(self) -> None:
        """
        A form post from another website is refused (CSRF), and nothing is
        stored.
        """
        response = self.browser.post(
            "/new?uri=/a", raw=b"text=hello", content_type=FORM
        )
        self.assertEqual(response.code, 403)
        self.assertIn(b"CSRF", response.body)
        self.assertEqual(self.database.query("SELECT * FROM comments"), [])

    def test_reply(self) -> None:
        """
        A reply to a reply joins its conversation's first comment.
        """
        self.post_comment()
        self.post_comment(parent=1)
        third = self.post_comment(parent=2)
        self.assertEqual(third["parent"], 1)

    def test_wrong_method(self) -> None:
        """
        C{GET /new} is a 405 naming the method to use.
        """
        response = self.browser.get("/new")
        self.assertEqual(response.code, 405)
        self.assertEqual(response.header("allow"), "POST")

    def test_storing_fails(self) -> None:
        """
        A comment the database fails to store is answered with a 500, and
        the failure is logged.
        """
        from isso_tx.views import comments

        def broken(txn: object, comment: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        self.patch(comments, "new_comment_interaction", broken)
        response = self.browser.post("/new?uri=/path/", {"text": "Hello", "title": "t"})
        self.assertEqual(response.code, 500)
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)


class StdoutNotifierTests(ViewTestCase):
    """
    C{POST /new} with C{[general] notify = stdout}, Isso's default.
    """

    config = ViewTestCase.config + "[general]\nnotify = stdout\n"

    def test_lines(self) -> None:
        """
        The log shows the new thread, the comment's public fields, its
        link, and a link that deletes it.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        self.post_comment(text="Hello *there*", author="Alice")
        logged = [
            formatEvent(event) for event in events
            if event["log_namespace"] == "isso_tx.notify.fanout.StdoutNotifier"
        ]
        self.assertEqual(logged[:3], [
            "New thread 1: A page (/path/)",
            'Comment 1 created: {"id": 1, "parent": null, "mode": 1, '
            '"author": "Alice", "website": null, "text": "Hello *there*"}',
            "Link to comment 1: http://example.org/path/#isso-1",
        ])
        prefix = "Delete comment 1: http://example.org/id/1/delete/"
        self.assertEqual(len(logged), 4)
        self.assertTrue(logged[3].startswith(prefix), logged[3])
        link = logged[3][len(prefix) - len("/id/1/delete/"):]
        self.assertEqual(self.browser.get(link + "x").code, 403)
        self.assertEqual(self.browser.get(link).code, 200)


class WriterLeavesTests(SynchronousTestCase):
    """
    POST /new carries a comment through when its writer goes away.
    """

    def test_stored_comment_followed_through(self) -> None:
        """
        A writer who closes the page while the comment is being stored
        gets no answer, but everything that follows the storing still
        happens (the notifications run to the end).
        """
        stored: Deferred[bytes] = Deferred()
        followed: list[str] = []

        class API:
            async def new(self, request: object) -> bytes:
                body = await stored
                followed.append("notified")
                return body

        request = DummyRequest([b"new"])
        request.method = b"POST"
        self.assertEqual(
            NewCommentResource(API()).render(request),  # type: ignore[arg-type]
            NOT_DONE_YET,
        )
        request.processingFailed(Failure(ConnectionDone()))
        stored.callback(b'{"id": 1}')
        self.assertEqual(followed, ["notified"])
        self.assertEqual(request.written, [])
        self.assertEqual(request.finished, 0)


class ModeratedTests(ViewTestCase):
    """
    C{POST /new} on a moderated site.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
    )

    def test_pending(self) -> None:
        """
        A comment waiting for approval is answered 202 and not shown in the
        thread, but its author still gets an edit cookie.
        """
        response = self.browser.post("/new?uri=/path/", {"text": "Wait", "title": "t"})
        self.assertEqual(response.code, 202)
        self.assertEqual(response.json()["mode"], 2)
        self.assertIsNotNone(self.browser.cookie("1"))
        self.assertEqual(self.thread()["replies"], [])


class GuardTests(ViewTestCase):
    """
    C{POST /new} under the guard's rate limit.
    """

    config = "[guard]\nenabled = true\nratelimit = 2\n[hash]\nalgorithm = none\n"

    def test_rate_limit_passes(self) -> None:
        """
        A reader over the limit is refused with 403 until a minute has
        passed on the clock.
        """
        self.post_comment()
        self.post_comment(uri="/other/")
        response = self.browser.post("/new?uri=/third/", {"text": "again", "title": "t"})
        self.assertEqual(response.code, 403)
        self.assertIn(b"ratelimit exceeded", response.body)
        self.advance(61)
        self.post_comment(uri="/third/")


class TitleTests(ViewTestCase):
    """
    C{POST /new} without a title: the page is fetched to name the thread.
    """

    def serve_page(self, html: bytes) -> None:
        """
        Answer the site's pending page fetch with C{html}.
        """
        _, _, factory, _, _ = self.reactor.tcpClients[-1]
        root = Resource()
        root.putChild(b"path", Data(html, "text/html"))
        server = Site(root).buildProtocol(None)
        client = factory.buildProtocol(None)
        connect(
            server, FakeTransport(server, isServer=True),
            client, FakeTransport(client, isServer=False),
        )
        self.browser.flush()

    def test_title_from_page(self) -> None:
        """
        The thread is named after the page's C{<h1>}, once the page arrives.
        """
        d = self.browser.send("POST", "/new?uri=/path", {"text": "Lorem ipsum"})
        self.assertNoResult(d)
        self.serve_page(b"<html><h1>My page</h1><div id=isso-thread></div></html>")
        self.assertEqual(self.successResultOf(d).code, 201)
        [row] = self.database.query("SELECT uri, title FROM threads")
        self.assertEqual(tuple(row), ("/path", "My page"))

    def test_page_never_answers(self) -> None:
        """
        When the page does not answer within 3 s, the comment is refused
        with a request for a title.
        """
        d = self.browser.send("POST", "/new?uri=/path", {"text": "Lorem ipsum"})
        self.advance(2.9)
        self.assertNoResult(d)
        self.advance(0.2)
        self.browser.flush()
        response = self.successResultOf(d)
        self.assertEqual(response.code, 400)
        self.assertIn(b"Cannot create new thread", response.body)
        self.assertEqual(self.database.query("SELECT * FROM threads"), [])


class OwnCommentTests(ViewTestCase):
    """
    C{GET}, C{PUT} and C{DELETE /id/<id>} with the edit cookie.
    """

    def test_view(self) -> None:
        """
        The author reads their comment rendered, or as written with C{plain}.
        """
        self.post_comment(text="Lorem *ipsum*")
        response = self.browser.get("/id/1")
        self.assertEqual(response.code, 200)
        self.assertEqual(response.json()["text"], "<p>Lorem <em>ipsum</em></p>")
        self.assertNotIn("hash", response.json())
        self.assertEqual(self.browser.get("/id/1?plain=1").json()["text"], "Lorem *ipsum*")

    def test_no_cookie(self) -> None:
        """
        Another reader, or a forged cookie, gets 403 and the reason.
        """
        self.post_comment()
        stranger = self.reader("198.51.100.1")
        response = stranger.get("/id/1", headers=JSON_ACCEPT)
        self.assertEqual(response.code, 403)
        self.assertEqual(response.json()["message"],
                         "403 Forbidden: no edit cookie for this comment")
        response = stranger.get("/id/1", headers={"Cookie": "1=garbage"})
        self.assertEqual(response.code, 403)
        self.assertIn(b"invalid or has expired", response.body)

    def test_cookie_of_another_comment(self) -> None:
        """
        A valid cookie presented under another comment's id opens nothing.
        """
        self.post_comment()
        stranger = self.reader("198.51.100.1")
        self.post_comment(browser=stranger)
        token = stranger.cookie("2")
        response = stranger.get("/id/1", headers={"Cookie": f"1={token}"})
        self.assertEqual(response.code, 403)
        self.assertIn(b"not for this comment", response.body)

    def test_moderation_key_is_not_a_cookie(self) -> None:
        """
        A mailed moderation key does not open the comment as a cookie would.
        """
        self.post_comment()
        key = self.site.signer.moderation_key(1)
        stranger = self.reader("198.51.100.1")
        self.assertEqual(stranger.get("/id/1", headers={"Cookie": f"1={key}"}).code, 403)

    def test_edit_window_closes(self) -> None:
        """
        The cookie works until C{max-age} has passed, then the comment can
        no longer be read or changed through it.
        """
        self.post_comment()
        self.advance(899)
        self.assertEqual(self.browser.get("/id/1").code, 200)
        self.advance(2)
        response = self.browser.put("/id/1", {"text": "too late"})
        self.assertEqual(response.code, 403)
        self.assertIn(b"expired", response.body)
        self.assertEqual(self.browser.delete("/id/1").code, 403)

    def test_edit(self) -> None:
        """
        An edit changes text, author and website, marks the comment modified
        now, and renews the cookie; the older cookie names the same comment
        and works until its own max-age ends.
        """
        self.post_comment(author="me", website="http://a.org/")
        old = self.browser.cookie("1")
        self.advance(60)
        response = self.browser.put(
            "/id/1", {"text": "Hello World", "author": "you", "website": "b.org",
                      "email": "ignored@x.org"},
        )
        self.assertEqual(response.code, 200)
        body = response.json()
        self.assertEqual(
            (body["text"], body["author"], body["website"], body["modified"]),
            ("<p>Hello World</p>", "you", "http://b.org", START + 60),
        )
        expires = datetimeToString(START + 60 + 900).decode()
        self.assertIn(f"Expires={expires}; Max-Age=900", response.header("set-cookie"))
        self.assertIsNotNone(response.header("x-set-cookie"))
        self.assertNotEqual(self.browser.cookie("1"), old)
        response = self.browser.get("/id/1", headers={"Cookie": f"1={old}"})
        self.assertEqual(response.code, 200)
        self.advance(900)
        response = self.browser.get("/id/1", headers={"Cookie": f"1={old}"})
        self.assertEqual(response.code, 403)

    def test_edit_invalid(self) -> None:
        """
        An edit that breaks a rule is a 400 and changes nothing.
        """
        self.post_comment(text="original")
        response = self.browser.put("/id/1", {"text": ""})
        self.assertEqual(response.code, 400)
        self.assertEqual(self.browser.get("/id/1?plain=1").json()["text"], "original")

    def test_delete(self) -> None:
        """
        Deleting answers null, clears both cookies, and the comment leaves
        the thread; asking for it afterwards finds nothing (404).
        """
        self.post_comment()
        response = self.browser.delete("/id/1")
        self.assertEqual((response.code, response.json()), (200, None))
        for header in ("set-cookie", "x-set-cookie"):
            self.assertIn("Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0",
                          response.header(header))
        self.assertIsNone(self.browser.cookie("1"))
        self.assertEqual(self.thread()["replies"], [])
        self.assertEqual(self.browser.get("/id/1").code, 404)

    def test_delete_with_replies(self) -> None:
        """
        A comment with replies leaves a placeholder, which the answer shows.
        """
        self.post_comment()
        self.post_comment(parent=1, browser=self.reader("198.51.100.1"))
        response = self.browser.delete("/id/1")
        body = response.json()
        self.assertEqual((body["id"], body["mode"], body["text"]), (1, 4, ""))
        self.assertEqual(len(self.thread()["replies"]), 1)

    def test_wrong_content_types(self) -> None:
        """
        Edits and deletions sent as forms or plain text are refused (CSRF).
        """
        self.post_comment()
        self.assertEqual(
            self.browser.put("/id/1", {"text": "hello"}, content_type="text/plain").code,
            403,
        )
        self.assertEqual(
            self.browser.delete("/id/1", content_type="multipart/form-data").code, 403
        )

    def test_bad_ids(self) -> None:
        """
        Ids that are not numbers, or too large for the database, are 404s.
        """
        for path in ("/id/-1", "/id/abc", "/id/1/", "/id/" + "9" * 30):
            self.assertEqual(self.browser.get(path).code, 404, path)


class VoteTests(ViewTestCase):
    """
    C{POST /id/<id>/like} and C{/dislike}.
    """

    def test_votes(self) -> None:
        """
        Each network votes once; the author's own vote is refused with a
        message.
        """
        self.post_comment()
        response = self.browser.post("/id/1/like")
        self.assertEqual(response.json()["likes"], 0)
        self.assertIn("already been registered", response.json()["message"])
        voter = self.reader("198.51.1.7")
        self.assertEqual(voter.post("/id/1/like").json(), {"likes": 1, "dislikes": 0})
        self.assertEqual(voter.post("/id/1/dislike").json()["dislikes"], 0)
        other = self.reader("203.0.113.1")
        self.assertEqual(other.post("/id/1/dislike").json(), {"likes": 1, "dislikes": 1})

    def test_vote_on_nothing(self) -> None:
        """
        A vote on a missing comment answers null; C{GET} is a 405.
        """
        response = self.browser.post("/id/7/like")
        self.assertEqual((response.code, response.json()), (200, None))
        response = self.browser.get("/id/7/like")
        self.assertEqual(response.code, 405)
        self.assertEqual(response.header("allow"), "POST")

    def test_form_vote_refused(self) -> None:
        """
        A vote sent as a form is refused; one without a content type counts.
        """
        self.post_comment()
        voter = self.reader("198.51.1.7")
        self.assertEqual(voter.post("/id/1/dislike", content_type=FORM).code, 403)
        self.assertEqual(voter.post("/id/1/dislike", content_type=None).code, 200)


class ReadingTests(ViewTestCase):
    """
    C{/count}, C{/preview}, C{/config} and C{/info}.
    """

    def test_count(self) -> None:
        """
        Counts come back in the order asked, zero for unknown threads.
        """
        self.post_comment(uri="/a/")
        self.post_comment(uri="/a/")
        self.post_comment(uri="/b/")
        response = self.browser.post("/count", ["/b/", "/nothing/", "/a/"])
        self.assertEqual((response.code, response.json()), (200, [1, 0, 2]))

    def test_count_needs_strings(self) -> None:
        """
        Anything but a list of strings is a 400.
        """
        for body in ({"uri": "/a/"}, [1], "/a/"):
            response = self.browser.post("/count", body)
            self.assertEqual(response.code, 400, body)
            self.assertIn(b"JSON must be a list of URLs", response.body)

    def test_preview(self) -> None:
        """
        A preview is the rendered, sanitised text, and stores nothing.
        """
        response = self.browser.post(
            "/preview", {"text": "*hi* <script>alert(1)</script>"}
        )
        self.assertEqual(response.code, 200)
        self.assertTrue(response.json()["text"].startswith("<p><em>hi</em>"))
        self.assertNotIn("<script", response.json()["text"])
        self.assertEqual(self.database.query("SELECT * FROM comments"), [])

    def test_preview_bad(self) -> None:
        """
        A preview without text, or of a non-string, is a 400.
        """
        self.assertIn(b"no text given", self.browser.post("/preview", {}).body)
        self.assertIn(
            b"text must be a string", self.browser.post("/preview", {"text": 1}).body
        )

    def test_config(self) -> None:
        """
        The client's settings are the site's guard and notification options.
        """
        response = self.browser.get("/config")
        self.assertEqual(
            response.json(),
            {"config": {"reply-to-self": False, "require-email": False,
                        "require-author": False, "reply-notifications": False,
                        "gravatar": False, "feed": False}},
        )

    def test_info(self) -> None:
        """
        C{/info} names the version, the server's address as the request
        shows it, the origin and whether comments are moderated.
        """
        response = self.browser.get("/info", headers={"Host": "comments.example"})
        self.assertEqual(
            response.json(),
            {"version": __version__, "host": "http://comments.example",
             "origin": "http://example.org", "moderation": False},
        )

    def test_unknown_path(self) -> None:
        """
        An unknown path is a 404, as JSON for JSON clients.
        """
        response = self.browser.get("/nowhere", headers=JSON_ACCEPT)
        self.assertEqual(response.code, 404)
        self.assertTrue(response.json()["message"].startswith("404 Not Found"))


class SecureTests(ViewTestCase):
    """
    Cookies of a site published over https.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[server]\npublic-endpoint = https://comments.example\n"
    )

    def test_secure_cookies(self) -> None:
        """
        Both edit cookies are C{Secure} and C{SameSite=None}, so that the
        embedding page's script may send them across sites.
        """
        response = self.browser.post("/new?uri=/path/", {"text": "Hello", "title": "t"})
        for header in ("set-cookie", "x-set-cookie"):
            value = response.header(header)
            self.assertIn("; Secure; Path=/; SameSite=None", value)


class SameSiteTests(ViewTestCase):
    """
    Cookies under C{[server] samesite}.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[server]\nsamesite = Strict\n"
    )

    def test_configured(self) -> None:
        """
        The configured C{SameSite} value is sent instead of the default.
        """
        response = self.browser.post("/new?uri=/path/", {"text": "Hello", "title": "t"})
        self.assertTrue(response.header("set-cookie").endswith("; SameSite=Strict"))


class LatestTests(ViewTestCase):
    """
    C{GET /latest}.
    """

    config = (
        "[general]\nlatest-enabled = true\n[guard]\nenabled = false\n"
        "[hash]\nalgorithm = none\n"
    )

    def test_latest(self) -> None:
        """
        The newest comments of every thread, oldest first, with their thread
        and without private fields.
        """
        for uri, text in (("/a/", "one"), ("/b/", "two"), ("/a/", "three")):
            self.post_comment(uri=uri, text=text)
            self.advance(1)
        response = self.browser.get("/latest?limit=2")
        self.assertEqual(response.code, 200)
        body = response.json()
        self.assertEqual([(c["uri"], c["text"]) for c in body],
                         [("/b/", "<p>two</p>"), ("/a/", "<p>three</p>")])
        self.assertNotIn("notification", body[0])

    def test_limit_required(self) -> None:
        """
        Without a positive integer C{limit}, C{/latest} is a 400.
        """
        for query in ("", "?limit=0", "?limit=x"):
            response = self.browser.get("/latest" + query)
            self.assertEqual(response.code, 400, query)
            self.assertIn(b"is mandatory (integer", response.body)


class LatestDisabledTests(ViewTestCase):
    """
    C{GET /latest} on a site that did not switch it on.
    """

    def test_disabled(self) -> None:
        """
        The endpoint is a 404 saying the site's admin has not enabled it.
        """
        response = self.browser.get("/latest?limit=5")
        self.assertEqual(response.code, 404)
        self.assertIn(b"latest-enabled", response.body)


class FeedTests(ViewTestCase):
    """
    C{GET /feed}.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[rss]\nbase = https://example.org\nlimit = 3\n"
    )

    def test_feed(self) -> None:
        """
        The feed is Atom with an entry per comment, dated by the clock.
        """
        self.post_comment(text="First")
        self.advance(10)
        self.post_comment(text="Reply", parent=1)
        response = self.browser.get("/feed?uri=/path/")
        self.assertEqual(response.code, 200)
        self.assertEqual(response.header("content-type"),
                         "application/atom+xml; charset=utf-8")
        self.assertEqual(response.body.count(b"<entry>"), 2)
        self.assertIn(b"<updated>2025-06-15T15:06:50.000000Z</updated>", response.body)
        self.assertIn(b"thr:in-reply-to", response.body)

    def test_conditional(self) -> None:
        """
        A reader sending the ETag back gets 304 until a comment is added.
        """
        self.post_comment(text="First")
        etag = self.browser.get("/feed?uri=/path/").header("etag")
        again = self.browser.get("/feed?uri=/path/", headers={"If-None-Match": etag})
        self.assertEqual((again.code, again.body), (304, b""))
        self.post_comment(text="Reply", parent=1)
        changed = self.browser.get("/feed?uri=/path/", headers={"If-None-Match": etag})
        self.assertEqual(changed.code, 200)

    def test_limit(self) -> None:
        """
        A reader may ask for fewer entries than configured, never more;
        a non-number is a 400.
        """
        for i in range(5):
            self.post_comment(text=f"comment {i}")

        def count(query: str) -> int:
            return self.browser.get("/feed?uri=/path/" + query).body.count(b"<entry>")

        self.assertEqual((count(""), count("&limit=2"), count("&limit=50")), (3, 2, 3))
        response = self.browser.get("/feed?uri=/path/&limit=x")
        self.assertEqual(response.code, 400)
        self.assertIn(b"limit should be integer", response.body)

    def test_uri_required(self) -> None:
        """
        A feed without C{uri} is a 400.
        """
        self.assertEqual(self.browser.get("/feed").code, 400)


class NoFeedTests(ViewTestCase):
    """
    C{GET /feed} without C{[rss] base}.
    """

    def test_no_feed(self) -> None:
        """
        Feeds are a 404 saying they are not enabled.
        """
        response = self.browser.get("/feed?uri=/path/")
        self.assertEqual(response.code, 404)
        self.assertIn(b"feeds are not enabled", response.body)


class CachedReadingTests(ViewTestCase):
    """
    C{POST /count}, C{GET /feed} and C{GET /latest} answered from the
    response cache, like threads, and never behind a write.
    """

    config = (
        "[general]\nlatest-enabled = true\n[guard]\nenabled = false\n"
        "[hash]\nalgorithm = none\n[rss]\nbase = https://example.org\n"
    )

    def read_all(self) -> tuple[list[int], bytes, list[str]]:
        """
        Return the counts of /path/ and /other/, the feed of /path/ and the
        texts of the latest comments.
        """
        counts = self.browser.post("/count", ["/path/", "/other/", "/path/"])
        feed = self.browser.get("/feed?uri=/path/")
        latest = self.browser.get("/latest?limit=10")
        self.assertEqual((counts.code, feed.code, latest.code), (200, 200, 200))
        return counts.json(), feed.body, [c["text"] for c in latest.json()]

    def test_cached(self) -> None:
        """
        Counts, feeds and the latest comments, read again, are answered the
        same without the database.
        """
        self.post_comment(text="one")
        first = self.read_all()
        calls = self.database.calls
        self.assertEqual(self.read_all(), first)
        self.assertEqual(self.database.calls, calls)
        response = self.browser.post("/count", ["/path/"])
        self.assertEqual(response.body, b"[1]")
        self.assertEqual(response.header("content-type"), "application/json")
        self.assertEqual(self.browser.post("/count", []).body, b"[]")

    def test_writes_invalidate(self) -> None:
        """
        A new comment, an edit and a deletion show in the next count, feed
        and list of latest comments.
        """
        self.post_comment(text="one")
        self.read_all()
        self.post_comment(text="two")
        counts, feed, latest = self.read_all()
        self.assertEqual((counts, feed.count(b"<entry>")), ([2, 0, 2], 2))
        self.assertEqual(latest, ["<p>one</p>", "<p>two</p>"])
        self.browser.put("/id/1", {"text": "edited"})
        counts, feed, latest = self.read_all()
        self.assertIn(b"edited", feed)
        self.assertEqual(latest, ["<p>edited</p>", "<p>two</p>"])
        self.browser.delete("/id/2")
        counts, feed, latest = self.read_all()
        self.assertEqual((counts, feed.count(b"<entry>")), ([1, 0, 1], 1))
        self.assertEqual(latest, ["<p>edited</p>"])

    def test_other_thread_writes(self) -> None:
        """
        A comment on another thread shows in its count and in the latest
        comments, though both were cached.
        """
        self.post_comment(text="one")
        self.read_all()
        self.post_comment(uri="/other/", text="elsewhere")
        counts, _, latest = self.read_all()
        self.assertEqual(counts, [1, 1, 1])
        self.assertEqual(latest, ["<p>one</p>", "<p>elsewhere</p>"])

    def test_external_writes(self) -> None:
        """
        A comment added by another program is in the very next count, feed
        and list of latest comments, rendered.
        """
        self.post_comment(text="one")
        self.read_all()
        self.database.execute(
            "INSERT INTO comments (tid, created, mode, text, voters, remote_addr, "
            "author) VALUES (1, 2e9, 1, 'from *isso*', x'', '10.0.0.0', 'Isso')"
        )
        counts, feed, latest = self.read_all()
        self.assertEqual(counts, [2, 0, 2])
        self.assertIn(b"from &lt;em&gt;isso&lt;/em&gt;", feed)
        self.assertEqual(latest[-1], "<p>from <em>isso</em></p>")

    def test_count_never_stale(self) -> None:
        """
        Counts read before a comment arrived, but answered after, are not
        kept: the next reader counts the new comment.
        """
        self.post_comment(text="one")
        # Another read looks up the changes first, so that the interaction
        # held below is the count's.
        self.thread("/other/")
        release = self.database.hold_next()
        slow = self.browser.send("POST", "/count", ["/path/"])
        self.assertNoResult(slow)
        self.post_comment(text="two")
        release()
        self.browser.flush()
        self.assertEqual(self.successResultOf(slow).json(), [1])
        self.assertEqual(self.browser.post("/count", ["/path/"]).json(), [2])

    def test_count_after_a_write_elsewhere(self) -> None:
        """
        After a write to another thread, counts still current are answered
        with no more database work than the look at what changed.
        """
        self.post_comment(text="one")
        self.browser.post("/count", ["/path/", "/other/"])
        self.post_comment(uri="/other/", text="two")
        calls = self.database.calls
        self.assertEqual(self.browser.post("/count", ["/path/"]).json(), [1])
        self.assertEqual(self.database.calls, calls + 1)

    def test_count_other_methods(self) -> None:
        """
        C{/count} takes only POST: other methods are a 405 naming it.
        """
        response = self.browser.get("/count")
        self.assertEqual((response.code, response.header("allow")), (405, "POST"))

    def test_count_many_not_kept(self) -> None:
        """
        The counts of a request for more threads than a page lists are
        answered but not kept; a page's are.
        """
        self.post_comment(text="one")
        many = ["/path/"] + [f"/made-up/{n}/" for n in range(KEPT_PER_REQUEST)]
        first = self.browser.post("/count", many)
        self.assertEqual(first.json(), [1] + [0] * KEPT_PER_REQUEST)
        calls = self.database.calls
        self.browser.post("/count", many)
        self.assertGreater(self.database.calls, calls)
        few = many[:KEPT_PER_REQUEST]
        self.browser.post("/count", few)
        calls = self.database.calls
        self.assertEqual(self.browser.post("/count", few).json()[0], 1)
        self.assertEqual(self.database.calls, calls)


class SpamTestCase(ViewTestCase):
    """
    A site with the link limit at 2, rules written straight into its
    database, and its refusals counted.
    """

    config = (
        "[guard]\nenabled = true\nratelimit = 100\nmax-links = 2\n"
        "[hash]\nalgorithm = none\n"
    )

    def add_rule(self, kind: str, value: str, action: str = "refuse") -> None:
        self.database.execute(
            "INSERT INTO isso_tx_rules (kind, value, action, created) "
            "VALUES (?, ?, ?, 0)",
            kind,
            value,
            action,
        )

    def refused_count(self, reason: str) -> float | None:
        return self.site.metrics.metrics.registry.get_sample_value(
            "isso_comments_refused_total", {"site": "default", "reason": reason}
        )


class SpamTests(SpamTestCase):
    """
    C{POST /new} under the owner's rules, the link limit and the honeypot:
    refusals keep Isso's 403 and message and say why in C{X-Isso-Refusal}.
    """

    def test_honeypot(self) -> None:
        """
        A post whose honeypot field is filled is refused with 403, the
        reason "honeypot" and no comment stored; the same post without the
        field, or with it empty, is published without the field.
        """
        body = {"text": "Buy now", "title": "t", "phone": "0123456789"}
        response = self.browser.post("/new?uri=/path/", body)
        self.assertEqual(response.code, 403)
        self.assertEqual(response.header("x-isso-refusal"), "honeypot")
        self.assertIn(b"not accepted", response.body)
        self.assertEqual(self.database.query("SELECT * FROM comments"), [])
        self.assertEqual(self.refused_count("honeypot"), 1)
        self.post_comment(phone="")
        self.post_comment()
        self.assertEqual(len(self.thread()["replies"]), 2)

    def test_guard_refusal_header(self) -> None:
        """
        The guard's own refusals keep their message and gain the header
        naming their reason.
        """
        site = self.open(
            "[guard]\nenabled = true\nrequire-email = true\n[hash]\nalgorithm = none\n",
            name="strict",
        )
        browser = Browser(self, site.resource())
        response = browser.post("/new?uri=/path/", {"text": "Hello", "title": "t"})
        self.assertEqual(response.code, 403)
        self.assertEqual(response.header("x-isso-refusal"), "require-email")
        self.assertIn(b"email address required but not provided", response.body)

    def test_rule_refuses(self) -> None:
        """
        A comment matching a refusing rule gets 403 with the reason "rule",
        nothing is stored, and the rule's match is counted though the
        refused transaction was rolled back.
        """
        self.add_rule("email", "spam@example.org")
        response = self.browser.post(
            "/new?uri=/path/",
            {"text": "Hello", "title": "t", "email": "SPAM@example.org"},
        )
        self.assertEqual(response.code, 403)
        self.assertEqual(response.header("x-isso-refusal"), "rule")
        self.assertNotIn(b"spam@example.org", response.body)
        self.assertEqual(self.database.query("SELECT * FROM comments"), [])
        [row] = self.database.query("SELECT matches, last_match FROM isso_tx_rules")
        self.assertEqual(tuple(row), (1, self.reactor.seconds()))
        self.assertEqual(self.refused_count("rule"), 1)
        self.post_comment(email="friend@example.org")

    def test_count_failure(self) -> None:
        """
        When the match of a refusing rule cannot be counted, the commenter
        still gets the 403, and the failure is logged.
        """
        from isso_tx.views import comments

        def broken(txn: object, rule_id: int, now: float) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        self.patch(comments, "rule_matched_interaction", broken)
        self.add_rule("network", "192.0.2.0")
        response = self.browser.post("/new?uri=/path/", {"text": "Hello", "title": "t"})
        self.assertEqual((response.code, response.header("x-isso-refusal")), (403, "rule"))
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)

    def test_rule_holds(self) -> None:
        """
        A comment matching a holding rule is stored pending (202) and stays
        out of the thread until approved.
        """
        self.add_rule("words", "casino", "hold")
        response = self.browser.post(
            "/new?uri=/path/", {"text": "Best CASINO bonus", "title": "t"}
        )
        self.assertEqual(response.code, 202)
        self.assertEqual(response.json()["mode"], 2)
        self.assertIsNone(response.header("x-isso-refusal"))
        self.assertEqual(self.thread()["replies"], [])

    def test_logged(self) -> None:
        """
        The log names the rule that refused or held a comment and what it
        matched; the link limit's hold is logged with the count.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        self.add_rule("email", "spam@example.org")
        self.add_rule("words", "casino", "hold")
        self.browser.post(
            "/new?uri=/path/", {"text": "Hello", "title": "t", "email": "spam@example.org"}
        )
        self.post_comment(text="casino night")
        self.post_comment(text="<https://a.example> <https://b.example> <https://c.example>")
        logged = [formatEvent(event) for event in events]
        self.assertIn(
            "Refused a comment on /path/ from 192.0.2.0: rule 1 (refuse email "
            "'spam@example.org') matched the e-mail",
            logged,
        )
        self.assertIn(
            "Comment 1 on /path/ from 192.0.2.0 held for moderation: rule 2 "
            "(hold words 'casino') matched the text",
            logged,
        )
        self.assertIn(
            "Comment 2 on /path/ from 192.0.2.0 held for moderation: 3 links, "
            "more than [guard] max-links = 2",
            logged,
        )

    def test_new_rule_at_once(self) -> None:
        """
        A rule written by another process applies to the very next post.
        """
        self.post_comment()
        self.add_rule("network", "192.0.2.0")
        response = self.browser.post("/new?uri=/path/", {"text": "Again", "title": "t"})
        self.assertEqual(response.code, 403)

    def test_max_links(self) -> None:
        """
        A comment with more links than [guard] max-links waits for
        moderation (202); one with as many is published.
        """
        two = "[a](https://a.example) and <https://b.example>"
        self.assertEqual(self.post_comment(text=two)["mode"], 1)
        response = self.browser.post(
            "/new?uri=/path/",
            {"text": two + " and [c](https://c.example)", "title": "t"},
        )
        self.assertEqual(response.code, 202)
        self.assertEqual(len(self.thread()["replies"]), 1)


class EditSpamTests(SpamTestCase):
    """
    C{PUT /id/<id>}, a writer's edit, under the owner's rules and the link
    limit, as a new comment is: a harmless comment cannot be edited into
    the spam the rules would have refused.
    """

    def stored(self, comment_id: int = 1) -> tuple[str, int]:
        """
        Return the stored text and mode of a comment.
        """
        [row] = self.database.query(
            "SELECT text, mode FROM comments WHERE id = ?", comment_id
        )
        return row["text"], row["mode"]

    def test_refused(self) -> None:
        """
        An edit whose new text, name or website matches a refusing rule
        gets Isso's 403 with the reason "rule", changes nothing, and is
        counted and logged like a refused comment.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        self.add_rule("words", "cheap watches")
        self.add_rule("regex", r"ch[e3]ap\s+pills")
        self.add_rule("author", "Spam Bot")
        self.add_rule("domain", "shop.example")
        self.post_comment(author="me", website="http://me.example/")
        edits = [
            {"text": "Cheap  WATCHES here"},
            {"text": "ch3ap pills"},
            {"text": "Hello", "author": "spam bot"},
            {"text": "Hello", "website": "https://www.shop.example/buy"},
        ]
        for edit in edits:
            response = self.browser.put("/id/1", edit, headers=JSON_ACCEPT)
            self.assertEqual(response.code, 403, edit)
            self.assertEqual(response.header("x-isso-refusal"), "rule")
            self.assertEqual(
                response.json()["message"],
                "403 Forbidden: the comment was not accepted",
            )
        [row] = self.database.query(
            "SELECT text, author, website, modified, mode FROM comments"
        )
        self.assertEqual(
            tuple(row), ("Lorem ipsum ...", "me", "http://me.example/", None, 1)
        )
        matches = self.database.query("SELECT matches, last_match FROM isso_tx_rules")
        self.assertEqual([tuple(r) for r in matches], [(1, START)] * 4)
        self.assertEqual(self.refused_count("rule"), 4)
        self.assertIn(
            "Refused an edit of comment 1 on /path/ from 192.0.2.0: rule 1 (refuse "
            "words 'cheap watches') matched the text",
            [formatEvent(event) for event in events],
        )

    def test_stored_email_and_network(self) -> None:
        """
        An e-mail or network rule added after the comment was posted
        refuses its edits: the rules see the comment's stored e-mail and
        the network the edit comes from.
        """
        self.post_comment(email="spam@example.org")
        self.add_rule("email", "spam@example.org")
        self.assertEqual(self.browser.put("/id/1", {"text": "Hello"}).code, 403)
        self.database.execute("DELETE FROM isso_tx_rules")
        self.add_rule("network", "192.0.2.0")
        self.assertEqual(self.browser.put("/id/1", {"text": "Hello"}).code, 403)
        self.assertEqual(self.stored(), ("Lorem ipsum ...", 1))

    def test_held(self) -> None:
        """
        An edit matching a holding rule is saved, but the comment leaves the
        thread, its count and feed for the moderation queue, the answer says
        so (mode 2), the log says why; a harmless edit after it does not
        publish it again.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        self.add_rule("words", "casino", "hold")
        self.post_comment()
        self.assertEqual(len(self.thread()["replies"]), 1)
        self.assertEqual(self.browser.post("/count", ["/path/"]).json(), [1])
        response = self.browser.put("/id/1", {"text": "Best casino bonus"})
        self.assertEqual(response.code, 200)
        self.assertEqual(
            (response.json()["mode"], response.json()["text"]),
            (2, "<p>Best casino bonus</p>"),
        )
        self.assertEqual(self.thread()["replies"], [])
        self.assertEqual(self.browser.post("/count", ["/path/"]).json(), [0])
        self.assertEqual(self.stored(), ("Best casino bonus", 2))
        [row] = self.database.query("SELECT matches, last_match FROM isso_tx_rules")
        self.assertEqual(tuple(row), (1, START))
        self.assertIn(
            "Comment 1 on /path/ from 192.0.2.0 held for moderation after an edit: "
            "rule 1 (hold words 'casino') matched the text",
            [formatEvent(event) for event in events],
        )
        response = self.browser.put("/id/1", {"text": "Hello again"})
        self.assertEqual((response.code, response.json()["mode"]), (200, 2))
        self.assertEqual(self.thread()["replies"], [])

    def test_max_links(self) -> None:
        """
        An edit that gives a comment more links than [guard] max-links sends
        it back to moderation; one that gives it as many keeps it published.
        """
        self.post_comment()
        self.post_comment()
        two = "[a](https://a.example) and <https://b.example>"
        response = self.browser.put("/id/1", {"text": two})
        self.assertEqual((response.code, response.json()["mode"]), (200, 1))
        response = self.browser.put("/id/2", {"text": two + " <https://c.example>"})
        self.assertEqual((response.code, response.json()["mode"]), (200, 2))
        self.assertEqual([c["id"] for c in self.thread()["replies"]], [1])

    def test_regex_undecided(self) -> None:
        """
        An edit the site's patterns cannot decide within their time budget
        is saved but held for moderation, never published unchecked.
        """
        # Stored as another program might: the panel refuses such a pattern.
        self.add_rule("regex", r"(a|aa)+$")
        self.post_comment()
        response = self.browser.put("/id/1", {"text": "a" * 60 + "b"})
        self.assertEqual((response.code, response.json()["mode"]), (200, 2))
        [row] = self.database.query("SELECT matches FROM isso_tx_rules")
        self.assertEqual(row["matches"], 0)

    def test_nothing_matched(self) -> None:
        """
        An edit that matches no rule and stays within the link limit is
        saved and published as before, and counts no rule's match.
        """
        self.add_rule("words", "casino")
        self.add_rule("author", "Spam Bot", "hold")
        self.post_comment()
        response = self.browser.put("/id/1", {"text": "Hello *World*", "author": "Bot"})
        self.assertEqual(response.code, 200)
        self.assertEqual(
            (response.json()["text"], response.json()["mode"]),
            ("<p>Hello <em>World</em></p>", 1),
        )
        self.assertEqual(self.thread()["replies"][0]["author"], "Bot")
        matches = self.database.query("SELECT matches FROM isso_tx_rules")
        self.assertEqual([r["matches"] for r in matches], [0, 0])
        self.assertEqual(self.refused_count("rule"), 0)

    def test_owner_unchecked(self) -> None:
        """
        The site owner's edit in the admin panel is saved as typed, though
        the rules and the link limit would refuse or hold a writer's.
        """
        password = "correct horse battery staple"
        site = self.open(
            self.config + f"[admin]\nenabled = true\npassword = {password}\n",
            name="panel",
        )
        self.site = site
        self.resource = site.resource()
        self.browser = self.reader()
        self.post_comment()
        self.add_rule("words", "casino")
        self.add_rule("words", "poker", "hold")
        owner = self.reader("203.0.113.5")
        response = owner.post("/login/", form={"password": password})
        self.assertEqual(response.code, 302)
        panel = owner.get("/admin/?mode=1").body
        csrf = re.search(rb'name="csrf" value="([^"]+)"', panel).group(1).decode()
        text = "casino poker <https://a.example> <https://b.example> <https://c.ex>"
        response = owner.post("/admin/action", form={
            "csrf": csrf, "action": "edit", "id": [1], "text": text, "author": "",
            "email": "", "website": "",
        })
        self.assertEqual(response.code, 303)
        self.assertEqual(self.stored(), (text, 1))
        matches = self.database.query("SELECT matches FROM isso_tx_rules")
        self.assertEqual([r["matches"] for r in matches], [0, 0])
