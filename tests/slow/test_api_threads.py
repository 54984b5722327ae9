"""
Feature tests: reading threads over HTTP (GET /?uri=…).
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import inlineCallbacks

from ..support import SiteTestCase


class ThreadTests(SiteTestCase):
    def db(self) -> Any:
        return self.connect_database()

    @inlineCallbacks
    def ids(self, query: str):
        response = yield self.client.get(f"/?uri=/path/{query}")
        self.assertEqual(response.code, 200, response)
        return [c["id"] for c in response.json()["replies"]]

    @inlineCallbacks
    def test_unknown_thread(self):
        """
        An unknown thread is an empty thread, not an error.
        """
        for query in ("/?uri=/nothing/", "/?uri=/nothing/&id=3", "/?uri=%3Furi%3D%25foo%2F"):
            response = yield self.client.get(query)
            self.assertEqual(response.code, 200)
            body = response.json()
            self.assertEqual(
                (body["id"], body["total_replies"], body["hidden_replies"], body["replies"]),
                (None, 0, 0, []),
            )
            self.assertEqual(body["config"]["reply-to-self"], False)

    @inlineCallbacks
    def test_thread_shape(self):
        """
        Top-level comments carry their replies and reply counts.
        """
        yield self.post_comment(text="first")
        yield self.post_comment(text="reply", parent=1)
        yield self.post_comment(text="second")
        response = yield self.client.get("/?uri=/path/")
        body = response.json()
        self.assertEqual(body["total_replies"], 3)
        first, second = body["replies"]
        self.assertEqual((first["total_replies"], first["hidden_replies"]), (1, 0))
        self.assertEqual([r["text"] for r in first["replies"]], ["<p>reply</p>"])
        self.assertNotIn("replies", first["replies"][0])
        self.assertEqual(second["replies"], [])

    @inlineCallbacks
    def test_limit_and_offset(self):
        """
        limit and offset page the top level; offset alone changes nothing.
        """
        for _ in range(5):
            yield self.post_comment()
        self.assertEqual((yield self.ids("&limit=3&offset=2")), [3, 4, 5])
        self.assertEqual((yield self.ids("&offset=2")), [1, 2, 3, 4, 5])
        self.assertEqual((yield self.ids("&limit=0")), [])
        self.assertEqual((yield self.ids("&limit=-1")), [1, 2, 3, 4, 5])
        response = yield self.client.get("/?uri=/path/&limit=2")
        self.assertEqual(response.json()["hidden_replies"], 3)
        response = yield self.client.get("/?uri=/path/&offset=2")
        self.assertEqual(response.json()["hidden_replies"], 0)

    @inlineCallbacks
    def test_nested(self):
        """
        Replies are paged per conversation with nested_limit and fetched with
        parent; without nested_limit every reply is included.
        """
        yield self.post_comment()
        for _ in range(5):
            yield self.post_comment(parent=1)
        response = yield self.client.get("/?uri=/path/&limit=1")
        top = response.json()["replies"][0]
        self.assertEqual([r["id"] for r in top["replies"]], [2, 3, 4, 5, 6])
        response = yield self.client.get("/?uri=/path/&nested_limit=2")
        top = response.json()["replies"][0]
        self.assertEqual([r["id"] for r in top["replies"]], [2, 3])
        self.assertEqual((top["total_replies"], top["hidden_replies"]), (5, 3))
        response = yield self.client.get("/?uri=/path/&nested_limit=0")
        self.assertEqual(response.json()["replies"][0]["replies"], [])
        self.assertEqual((yield self.ids("&parent=1&limit=3&offset=2")), [4, 5, 6])
        response = yield self.client.get("/?uri=/path/&parent=1&limit=2")
        body = response.json()
        self.assertEqual((body["id"], body["total_replies"], body["hidden_replies"]), (1, 5, 3))
        self.assertNotIn("replies", body["replies"][0])

    @inlineCallbacks
    def test_sorting(self):
        """
        sort orders the top level; replies always read oldest first.
        """
        for _ in range(5):
            yield self.post_comment()
        self.assertEqual((yield self.ids("&sort=oldest")), [1, 2, 3, 4, 5])
        self.assertEqual((yield self.ids("&sort=newest")), [5, 4, 3, 2, 1])
        conn = self.db()
        conn.execute("UPDATE comments SET likes = id WHERE id IN (2, 4)")
        conn.commit()
        self.assertEqual((yield self.ids("&sort=upvotes")), [4, 2, 1, 3, 5])
        for _ in range(3):
            yield self.post_comment(parent=1)
        response = yield self.client.get("/?uri=/path/&sort=newest")
        first = [c for c in response.json()["replies"] if c["id"] == 1][0]
        self.assertEqual([r["id"] for r in first["replies"]], [6, 7, 8])

    @inlineCallbacks
    def test_bad_parameters(self):
        """
        Malformed parameters get 400 with a message.
        """
        cases = {
            "/?uri=/path/&sort=": "Invalid sort option",
            "/?uri=/path/&sort=best": "Invalid sort option",
            "/?uri=/path/&limit=x": "limit should be integer",
            "/?uri=/path/&offset=x": "offset should be integer",
            "/?uri=/path/&offset=-1": "offset should not be negative",
            "/?uri=/path/&parent=x": "parent should be integer",
            "/?uri=/path/&nested_limit=x": "nested_limit should be integer",
            "/?uri=/path/&after=x": "after should be a number",
            "/": "missing uri query",
        }
        for query, message in cases.items():
            response = yield self.client.get(query)
            self.assertEqual(response.code, 400, query)
            self.assertIn(message, response.body.decode())

    @inlineCallbacks
    def test_after_and_plain(self):
        """
        after filters by creation time; plain gives the Markdown.
        """
        first = yield self.post_comment(text="*a*")
        yield self.post_comment()
        self.assertEqual((yield self.ids(f"&after={first['created']}")), [2])
        response = yield self.client.get("/?uri=/path/&plain=1")
        self.assertEqual(response.json()["replies"][0]["text"], "*a*")
        response = yield self.client.get("/?uri=/path/&plain=0")
        self.assertEqual(response.json()["replies"][0]["text"], "<p><em>a</em></p>")

    @inlineCallbacks
    def test_pending_hidden(self):
        """
        Comments waiting for moderation are not listed.
        """
        yield self.post_comment()
        conn = self.db()
        conn.execute("UPDATE comments SET mode = 2")
        conn.commit()
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["replies"], [])

    @inlineCallbacks
    def test_cache_follows_writes(self):
        """
        A cached thread shows new comments, edits, votes and deletions at once.
        """
        yield self.post_comment(text="one")
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(len(response.json()["replies"]), 1)
        yield self.post_comment(text="two")
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(len(response.json()["replies"]), 2)
        yield self.client.put("/id/1", {"text": "edited"})
        yield self.reader("198.51.100.3").post("/id/2/like")
        response = yield self.client.get("/?uri=/path/")
        replies = response.json()["replies"]
        self.assertEqual(replies[0]["text"], "<p>edited</p>")
        self.assertEqual(replies[1]["likes"], 1)
        yield self.client.delete("/id/2")
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(len(response.json()["replies"]), 1)

    @inlineCallbacks
    def test_external_writes(self):
        """
        Comments added by another program show up in the next read.
        """
        yield self.post_comment(text="one")
        yield self.client.get("/?uri=/path/")
        conn = self.db()
        conn.execute(
            "INSERT INTO comments (tid, created, mode, text, voters, remote_addr) "
            "VALUES (1, 1, 1, 'from *isso*', ?, '10.0.0.0')",
            (b"",),
        )
        conn.commit()
        response = yield self.client.get("/?uri=/path/")
        texts = [reply["text"] for reply in response.json()["replies"]]
        # Created at second 1 of 1970, so it sorts first.
        self.assertEqual(texts, ["<p>from <em>isso</em></p>", "<p>one</p>"])

    @inlineCallbacks
    def test_head(self):
        """
        HEAD answers like GET, without a body.
        """
        response = yield self.client.request("HEAD", "/?uri=/path/")
        self.assertEqual((response.code, response.body), (200, b""))
