"""
Fast tests of L{isso_tx.views.thread}: C{GET /?uri=…} with its query
parameters, and its response cache.
"""

from __future__ import annotations

import json

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.views.bodies import PIECE
from isso_tx.views.thread import thread_json

from .fast_support import ViewTestCase


class ThreadTests(ViewTestCase):
    """
    Reading a thread.
    """

    def ids(self, query: str = "") -> list[int]:
        return [c["id"] for c in self.thread(query=query)["replies"]]

    def test_unknown_thread(self) -> None:
        """
        An unknown thread is an empty thread with the client's settings,
        not an error.
        """
        body = self.thread("/nothing/")
        self.assertEqual(
            (body["id"], body["total_replies"], body["hidden_replies"], body["replies"]),
            (None, 0, 0, []),
        )
        self.assertEqual(body["config"]["reply-to-self"], False)

    def test_shape(self) -> None:
        """
        Top-level comments carry their replies and reply counts; replies
        carry none.
        """
        self.post_comment(text="first")
        self.post_comment(text="reply", parent=1)
        self.post_comment(text="second")
        body = self.thread()
        self.assertEqual(body["total_replies"], 3)
        first, second = body["replies"]
        self.assertEqual((first["total_replies"], first["hidden_replies"]), (1, 0))
        self.assertEqual([r["text"] for r in first["replies"]], ["<p>reply</p>"])
        self.assertNotIn("replies", first["replies"][0])
        self.assertEqual(second["replies"], [])

    def test_limit_and_offset(self) -> None:
        """
        C{limit} and C{offset} page the top level and count what is hidden.
        """
        for _ in range(5):
            self.post_comment()
        self.assertEqual(self.ids("&limit=3&offset=2"), [3, 4, 5])
        self.assertEqual(self.ids("&offset=2"), [1, 2, 3, 4, 5])
        self.assertEqual(self.ids("&limit=0"), [])
        self.assertEqual(self.ids("&limit=-1"), [1, 2, 3, 4, 5])
        self.assertEqual(self.thread(query="&limit=2")["hidden_replies"], 3)

    def test_nested(self) -> None:
        """
        C{nested_limit} pages each conversation's replies; C{parent} reads
        one conversation.
        """
        self.post_comment()
        for _ in range(5):
            self.post_comment(parent=1)
        top = self.thread(query="&nested_limit=2")["replies"][0]
        self.assertEqual([r["id"] for r in top["replies"]], [2, 3])
        self.assertEqual((top["total_replies"], top["hidden_replies"]), (5, 3))
        self.assertEqual(self.ids("&parent=1&limit=3&offset=2"), [4, 5, 6])
        body = self.thread(query="&parent=1&limit=2")
        self.assertEqual((body["id"], body["total_replies"], body["hidden_replies"]),
                         (1, 5, 3))

    def test_sorting(self) -> None:
        """
        C{sort} orders the top level: oldest, newest, or most liked.
        """
        for _ in range(4):
            self.post_comment()
            self.advance(1)
        self.reader("198.51.100.1").post("/id/3/like")
        self.assertEqual(self.ids("&sort=oldest"), [1, 2, 3, 4])
        self.assertEqual(self.ids("&sort=newest"), [4, 3, 2, 1])
        self.assertEqual(self.ids("&sort=upvotes")[0], 3)

    def test_after_and_plain(self) -> None:
        """
        C{after} keeps comments created later; C{plain} gives the Markdown.
        """
        first = self.post_comment(text="*a*")
        self.advance(5)
        self.post_comment()
        self.assertEqual(self.ids(f"&after={first['created']}"), [2])
        self.assertEqual(self.thread(query="&plain=1")["replies"][0]["text"], "*a*")
        self.assertEqual(self.thread(query="&plain=0")["replies"][0]["text"],
                         "<p><em>a</em></p>")

    def test_bad_parameters(self) -> None:
        """
        Malformed parameters get a 400 saying which one is wrong.
        """
        cases = {
            "/?uri=/path/&sort=best": "Invalid sort option",
            "/?uri=/path/&limit=x": "limit should be integer",
            "/?uri=/path/&offset=-1": "offset should not be negative",
            "/?uri=/path/&parent=x": "parent should be integer",
            "/?uri=/path/&nested_limit=x": "nested_limit should be integer",
            "/?uri=/path/&after=x": "after should be a number",
            "/?uri=/path/&after=inf": "after should be a number",
            "/": "missing uri query",
        }
        for query, message in cases.items():
            response = self.browser.get(query)
            self.assertEqual(response.code, 400, query)
            self.assertIn(message, response.body.decode())

    def test_huge_numbers(self) -> None:
        """
        Numbers beyond the database's integers read as the largest one.
        """
        self.post_comment()
        self.assertEqual(self.ids("&limit=" + "9" * 40), [1])

    def test_head(self) -> None:
        """
        C{HEAD} answers like C{GET}, without a body.
        """
        response = self.browser.request("HEAD", "/?uri=/path/")
        self.assertEqual((response.code, response.body), (200, b""))

    def test_cors(self) -> None:
        """
        A thread carries the CORS headers of the asking website.
        """
        response = self.browser.get("/?uri=/x/", headers={"Origin": "http://example.org"})
        self.assertEqual(response.header("access-control-allow-origin"),
                         "http://example.org")
        self.assertEqual(response.header("content-type"), "application/json")


class PendingTests(ViewTestCase):
    """
    A thread on a moderated site.
    """

    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
    )

    def test_pending_hidden(self) -> None:
        """
        Comments waiting for approval are not listed, nor counted.
        """
        self.post_comment()
        body = self.thread()
        self.assertEqual((body["total_replies"], body["replies"]), (0, []))


class ResponseCacheTests(ViewTestCase):
    """
    Threads answered from the response cache.
    """

    def test_cached(self) -> None:
        """
        Reading a thread again is answered without the database.
        """
        self.post_comment()
        first = self.browser.get("/?uri=/path/")
        calls = self.database.calls
        again = self.browser.get("/?uri=/path/")
        self.assertEqual(self.database.calls, calls)
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.header("content-type"), "application/json")

    def test_writes_invalidate(self) -> None:
        """
        A cached thread shows new comments, edits, votes and deletions at
        once.
        """
        self.post_comment(text="one")
        self.assertEqual(len(self.thread()["replies"]), 1)
        self.post_comment(text="two")
        self.assertEqual(len(self.thread()["replies"]), 2)
        self.browser.put("/id/1", {"text": "edited"})
        self.reader("198.51.100.3").post("/id/2/like")
        replies = self.thread()["replies"]
        self.assertEqual(replies[0]["text"], "<p>edited</p>")
        self.assertEqual(replies[1]["likes"], 1)
        self.browser.delete("/id/2")
        self.assertEqual(len(self.thread()["replies"]), 1)

    def test_other_threads_kept(self) -> None:
        """
        A write to one thread leaves other threads' answers cached.
        """
        self.post_comment(uri="/a/")
        self.post_comment(uri="/b/")
        self.thread("/a/")
        self.thread("/b/")
        self.post_comment(uri="/b/")
        # The first read after a write also looks up which threads changed.
        self.assertEqual(len(self.thread("/b/")["replies"]), 2)
        calls = self.database.calls
        self.thread("/a/")
        self.assertEqual(self.database.calls, calls)

    def test_never_stale(self) -> None:
        """
        A thread read before a comment arrived, but answered after, is not
        kept: the next reader sees the new comment.
        """
        self.post_comment(text="one")
        # Another thread's read looks up the changes first, so that the
        # interaction held below is the thread's.
        self.thread("/other/")
        release = self.database.hold_next()
        slow = self.browser.send("GET", "/?uri=/path/")
        self.assertNoResult(slow)
        self.post_comment(text="two")
        release()
        self.browser.flush()
        self.assertEqual(len(self.successResultOf(slow).json()["replies"]), 1)
        self.assertEqual(len(self.thread()["replies"]), 2)

    def test_external_writes(self) -> None:
        """
        A comment added by another program shows up in the very next read of
        its thread, rendered, although the thread's answer was cached.
        """
        self.post_comment(text="one")
        self.thread()
        self.database.execute(
            "INSERT INTO comments (tid, created, mode, text, voters, remote_addr) "
            "VALUES (1, 1, 1, 'from *isso*', x'', '10.0.0.0')"
        )
        texts = [reply["text"] for reply in self.thread()["replies"]]
        self.assertEqual(texts, ["<p>from <em>isso</em></p>", "<p>one</p>"])


class LargeThreadTests(ViewTestCase):
    """
    A thread whose answer is larger than one piece of L{PIECE} bytes.
    """

    def test_large_answer(self) -> None:
        """
        A large thread is answered whole, the same from the database and
        from the cache.
        """
        for i in range(60):
            self.post_comment(text=f"Comment {i}: " + "many words " * 120)
        first = self.browser.get("/?uri=/path/")
        again = self.browser.get("/?uri=/path/")
        self.assertGreater(len(first.body), PIECE)
        self.assertEqual(len(first.json()["replies"]), 60)
        self.assertEqual(again.body, first.body)


class ThreadJsonTests(SynchronousTestCase):
    """
    The bytes of a thread's answer.
    """

    def test_same_bytes_as_json_dumps(self) -> None:
        """
        A thread's answer, encoded a comment at a time, is byte for byte
        what C{json.dumps} makes of it: with replies, with none, with
        non-ASCII and quoted text, and with the answer's keys in any order.
        """
        comment = {
            "id": 7, "parent": None, "created": 1700000000.25, "mode": 1,
            "text": '<p>Caf\u00e9 \u201cquoted\u201d "replies": []</p>',
            "author": "\u00c5sa", "website": None, "likes": 0, "hash": "ab12",
            "total_replies": 1, "hidden_replies": 0,
            "replies": [{"id": 8, "parent": 7, "text": "<p>\U0001f600</p>"}],
        }
        config = {"reply-to-self": False, "gravatar": False, "feed": True}
        answers = [
            {"id": None, "total_replies": 2, "hidden_replies": 0,
             "replies": [comment, dict(comment, id=9, replies=[])], "config": config},
            {"id": 7, "total_replies": 0, "hidden_replies": 0, "replies": [],
             "config": config},
            {"replies": [comment], "id": None, "config": {}},
        ]
        for answer in answers:
            self.assertEqual(thread_json(answer), json.dumps(answer).encode("ascii"))

