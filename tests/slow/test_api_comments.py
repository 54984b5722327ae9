"""
Feature tests: writing comments over HTTP (POST /new, /id/<id>, votes).
"""

from __future__ import annotations

import sqlite3

from twisted.internet.defer import inlineCallbacks

from isso_tx.config import load_site_config
from isso_tx.db import prepare_database

from ..support import SiteTestCase, write_config


class CreateTests(SiteTestCase):
    @inlineCallbacks
    def test_create(self):
        """
        A new comment is published at once with its rendered text, its
        public fields only, and an edit cookie plus its page-side copy.
        """
        response = yield self.client.post(
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
        self.assertEqual(body["mode"], 1)
        self.assertEqual(body["text"], "<p>Hello <em>world</em></p>")
        self.assertEqual(body["website"], "http://example.org")
        self.assertIsNone(body["modified"])
        self.assertEqual(body["hash"], b"a@b.c".hex())
        cookie = response.header("set-cookie")
        self.assertRegex(cookie, r"^1=[\w.-]+; Expires=.+ GMT; Max-Age=900; Path=/; SameSite=Lax$")
        self.assertEqual(response.header("x-set-cookie"), "isso-" + cookie)

    @inlineCallbacks
    def test_ids_and_thread_listing(self):
        """
        Comments get consecutive ids and all show in the thread.
        """
        for expected in (1, 2, 3):
            body = yield self.post_comment()
            self.assertEqual(body["id"], expected)
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual([c["id"] for c in response.json()["replies"]], [1, 2, 3])

    @inlineCallbacks
    def test_non_ascii(self):
        """
        Non-ASCII text is stored and rendered unchanged.
        """
        body = yield self.post_comment(text="Здравствуй, мир!")
        self.assertEqual(body["text"], "<p>Здравствуй, мир!</p>")

    @inlineCallbacks
    def test_escaping(self):
        """
        Author and website cannot inject HTML into pages that show them.
        """
        body = yield self.post_comment(
            author="<script>alert(1)</script>",
            website="http://x.com/?'onmouseover='alert(document.domain)'x='",
        )
        self.assertEqual(body["author"], "&lt;script&gt;alert(1)&lt;/script&gt;")
        self.assertEqual(
            body["website"],
            "http://x.com/?&#x27;onmouseover=&#x27;alert(document.domain)&#x27;x=&#x27;",
        )

    @inlineCallbacks
    def test_website_scheme_kept(self):
        """
        A website written with an upper-case scheme is not given a second one.
        """
        body = yield self.post_comment(website="HTTPS://Example.org/")
        self.assertEqual(body["website"], "HTTPS://Example.org/")

    @inlineCallbacks
    def test_reply_flattening(self):
        """
        A reply to a reply is filed under the conversation's first comment;
        a parent from another thread, or 0, makes a top-level comment.
        """
        yield self.post_comment()
        reply = yield self.post_comment(parent=1)
        self.assertEqual(reply["parent"], 1)
        nested = yield self.post_comment(parent=2)
        self.assertEqual(nested["parent"], 1)
        other = yield self.post_comment(uri="/other/", parent=1)
        self.assertIsNone(other["parent"])
        zero = yield self.post_comment(parent=0)
        self.assertIsNone(zero["parent"])
        missing = yield self.post_comment(parent=999)
        self.assertIsNone(missing["parent"])

    @inlineCallbacks
    def test_validation(self):
        """
        Unusable comments are refused with 400 and a message saying why,
        and nothing is stored.
        """
        cases = [
            ({}, "text is missing"),
            ({"text": None}, "text is missing"),
            ({"text": "hello", "parent": "x"}, "parent must be an integer or null"),
            ({"text": "hello", "parent": True}, "parent must be an integer or null"),
            ({"text": 42}, "text must be a string or null"),
            ({"text": "hello", "author": 1}, "author must be a string or null"),
            ({"text": "hello", "email": []}, "email must be a string or null"),
            ({"text": "hello", "website": {}}, "website must be a string or null"),
            ({"text": "  \n\n"}, "text is too short"),
            ({"text": "ab  "}, "text is too short"),
            ({"text": "x" * 65536}, "text is too long"),
            ({"text": "hello", "email": "a" * 255}, "email is too long"),
            ({"text": "hello", "website": "http://x.org/" + "a" * 250}, "website is too long"),
            ({"text": "hello", "website": "javascript:alert(1)"}, "Website not Django-conform"),
            ({"text": "hello", "website": "name@example.com"}, "Website not Django-conform"),
            ({"text": "hello", "title": 5}, "title must be a string or null"),
            ({"text": "hello", "notification": {"a": 1}}, "notification"),
            ([1, 2], "must be a JSON object"),
            ("text", "must be a JSON object"),
        ]
        for body, message in cases:
            response = yield self.client.post("/new?uri=/path/", body)
            self.assertEqual(response.code, 400, (body, response))
            self.assertIn(message, response.body.decode(), body)
        response = yield self.client.post("/new?uri=/path/", raw=b"{not json")
        self.assertEqual(response.code, 400)
        self.assertIn(b"JSON", response.body)
        response = yield self.client.post("/new", {"text": "hello"})
        self.assertEqual(response.code, 400)
        self.assertIn(b"missing uri query", response.body)
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["total_replies"], 0)

    @inlineCallbacks
    def test_notification_flag(self):
        """
        A notification flag sent as text or any other value is accepted and
        answered and stored as 0 or 1, the same on either database.
        """
        conn = self.connect_database()
        for sent, flag in [
            ("yes", 1), ("1", 1), ("false", 0), ("0", 0), ("", 0),
            (True, 1), (2**40, 1), (0.5, 1), (0, 0), (1, 1), (None, None),
        ]:
            response = yield self.client.post(
                "/new?uri=/flags/", {"text": "hello", "title": "A page", "notification": sent}
            )
            self.assertEqual(response.code, 201, (sent, response))
            comment = response.json()
            self.assertIs(comment["notification"], flag, sent)
            stored = conn.execute(
                "SELECT notification FROM comments WHERE id = ?", (comment["id"],)
            ).fetchone()[0]
            self.assertIs(stored, flag, sent)

    @inlineCallbacks
    def test_valid_websites(self):
        """
        Ordinary website addresses are accepted.
        """
        for website in ("example.tld", "http://example.tld", "https://example.tld",
                        "https://exämple.tld", "https://example.tld:1337/",
                        "https://example.tld:1337/foobar?p=1#isso-thread",
                        "http://localhost:8080/", "http://127.0.0.1/", "", None):
            response = yield self.client.post(
                "/new?uri=/path/", {"text": "hello", "website": website, "title": "t"}
            )
            self.assertEqual(response.code, 201, (website, response))

    @inlineCallbacks
    def test_error_format(self):
        """
        Errors are JSON for clients that ask for JSON, else an HTML page.
        """
        response = yield self.client.post(
            "/new", {"text": "hello"}, headers={"Accept": "application/json"}
        )
        self.assertEqual(response.json(), {"message": "400 Bad Request: missing uri query"})
        response = yield self.client.post("/new", {"text": "hello"})
        self.assertTrue(response.header("content-type").startswith("text/html"))
        self.assertIn(b"missing uri query", response.body)


class OwnCommentTests(SiteTestCase):
    @inlineCallbacks
    def test_view(self):
        """
        The author can fetch their comment, rendered or as written.
        """
        yield self.post_comment(text="Lorem *ipsum*")
        response = yield self.client.get("/id/1")
        self.assertEqual(response.code, 200)
        body = response.json()
        self.assertEqual(body["text"], "<p>Lorem <em>ipsum</em></p>")
        self.assertNotIn("hash", body)
        response = yield self.client.get("/id/1?plain=1")
        self.assertEqual(response.json()["text"], "Lorem *ipsum*")

    @inlineCallbacks
    def test_view_needs_cookie(self):
        """
        Without the cookie, or with someone else's, the comment stays closed.
        """
        yield self.post_comment()
        stranger = self.reader("198.51.100.1")
        response = yield stranger.get("/id/1")
        self.assertEqual(response.code, 403)
        response = yield stranger.get("/id/1", headers={"Cookie": "1=garbage"})
        self.assertEqual(response.code, 403)
        yield self.post_comment(client=stranger)
        # A valid cookie of comment 2 presented under the name of comment 1.
        token = next(c.value for c in stranger.cookies if c.name == "2")
        response = yield stranger.get("/id/1", headers={"Cookie": f"1={token}"})
        self.assertEqual(response.code, 403)

    @inlineCallbacks
    def test_moderation_key_is_not_a_cookie(self):
        """
        A moderation link's key cannot be used as an edit cookie.
        """
        yield self.post_comment()
        key = self.site.signer.moderation_key(1)
        stranger = self.reader("198.51.100.1")
        response = yield stranger.get("/id/1", headers={"Cookie": f"1={key}"})
        self.assertEqual(response.code, 403)
        response = yield stranger.delete("/id/1", headers={"Cookie": f"1={key}"})
        self.assertEqual(response.code, 403)

    @inlineCallbacks
    def test_edit(self):
        """
        An edit changes text, author and website, marks the comment modified
        and renews the cookie, which opens a new edit window.
        """
        yield self.post_comment(author="me", website="http://a.org/")
        old_cookie = next(c.value for c in self.client.cookies if c.name == "1")
        response = yield self.client.put(
            "/id/1", {"text": "Hello World", "author": "you", "website": "b.org",
                      "email": "ignored@x.org"}
        )
        self.assertEqual(response.code, 200)
        body = response.json()
        self.assertEqual(body["text"], "<p>Hello World</p>")
        self.assertEqual(body["author"], "you")
        self.assertEqual(body["website"], "http://b.org")
        self.assertIsNotNone(body["modified"])
        self.assertIn("Max-Age=900", response.header("set-cookie"))
        response = yield self.client.put("/id/1", {"text": "Typo"})
        self.assertEqual(response.code, 200)
        response = yield self.client.get("/id/1")
        self.assertEqual(response.json()["text"], "<p>Typo</p>")
        self.assertEqual(response.json()["author"], "you")
        # The cookie is bound to the comment, not to its text: the first
        # one still opens it until its own window ends.
        response = yield self.reader("198.51.100.1").get(
            "/id/1", headers={"Cookie": f"1={old_cookie}"}
        )
        self.assertEqual(response.code, 200)
        # Without a cookie nobody else may edit it.
        stranger = self.reader("198.51.100.1")
        response = yield stranger.put("/id/1", {"text": "hijack"})
        self.assertEqual(response.code, 403)
        conn = self.connect_database()
        self.assertEqual(
            conn.execute("SELECT email, text FROM comments").fetchall(),
            [(None, "Typo")],
        )

    @inlineCallbacks
    def test_edit_escaping_and_validation(self):
        """
        Edits are checked and escaped like new comments.
        """
        yield self.post_comment()
        response = yield self.client.put("/id/1", {})
        self.assertEqual(response.code, 400)
        self.assertIn(b"text is missing", response.body)
        response = yield self.client.put("/id/1", {"text": ""})
        self.assertIn(b"text is too short", response.body)
        response = yield self.client.put(
            "/id/1", {"text": "fine", "website": "name@example.com"}
        )
        self.assertIn(b"Website not Django-conform", response.body)
        response = yield self.client.put("/id/1", raw=b"[")
        self.assertEqual(response.code, 400)
        response = yield self.client.put(
            "/id/1", {"text": "fine", "author": "<script>alert(1)</script>",
                      "website": "http://x.com/?'a'"}
        )
        self.assertEqual(response.json()["author"], "&lt;script&gt;alert(1)&lt;/script&gt;")
        self.assertEqual(response.json()["website"], "http://x.com/?&#x27;a&#x27;")

    @inlineCallbacks
    def test_delete(self):
        """
        Deleting a comment without replies removes it and its thread, and
        clears both cookies.
        """
        yield self.post_comment()
        response = yield self.client.delete("/id/1")
        self.assertEqual(response.code, 200)
        self.assertIsNone(response.json())
        self.assertTrue(response.header("set-cookie").startswith("1=; Expires=Thu, 01 Jan 1970"))
        self.assertTrue(response.header("x-set-cookie").startswith("isso-1=;"))
        response = yield self.client.get("/id/1", headers={"Cookie": "1=x"})
        self.assertEqual(response.code, 404)
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["total_replies"], 0)

    @inlineCallbacks
    def test_delete_with_replies(self):
        """
        A deleted comment with replies stays as a placeholder until its last
        reply goes.
        """
        yield self.post_comment()
        replier = self.reader("198.51.100.1")
        yield self.post_comment(client=replier, parent=1)
        response = yield self.client.delete("/id/1")
        body = response.json()
        self.assertEqual((body["mode"], body["text"], body["author"]), (4, "", None))
        response = yield self.client.get("/?uri=/path/")
        thread = response.json()
        self.assertEqual(thread["total_replies"], 2)
        self.assertEqual(thread["replies"][0]["text"], "<p></p>")
        yield replier.delete("/id/2")
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["replies"], [])
        conn = self.connect_database()
        self.assertEqual(conn.execute("SELECT count(*) FROM threads").fetchone(), (0,))

    @inlineCallbacks
    def test_reused_id(self):
        """
        Deleting the newest comment frees its id; the old cookie does not
        open the new comment that reuses it.
        """
        mallory = self.reader("198.51.100.1")
        yield self.post_comment(client=mallory, text="mallory's")
        yield mallory.delete("/id/1")
        mallory_cookie = "1=" + self.site.signer.edit_token(1, "x")
        bob = self.reader("198.51.100.2")
        body = yield self.post_comment(client=bob, text="bob's")
        self.assertEqual(body["id"], 1)
        response = yield mallory.delete("/id/1")
        self.assertEqual(response.code, 403)
        response = yield mallory.delete("/id/1", headers={"Cookie": mallory_cookie})
        self.assertEqual(response.code, 403)
        response = yield bob.delete("/id/1")
        self.assertEqual(response.code, 200)

    @inlineCallbacks
    def test_reused_id_with_the_real_cookie(self):
        """
        The cookie a reader was given for a comment they deleted does not
        open the next comment that gets the same id.
        """
        mallory = self.reader("198.51.100.1")
        yield self.post_comment(client=mallory, text="same text")
        token = next(c.value for c in mallory.cookies if c.name == "1")
        yield mallory.delete("/id/1")
        bob = self.reader("198.51.100.2")
        body = yield self.post_comment(client=bob, text="same text")
        self.assertEqual(body["id"], 1)
        for method in (mallory.get, mallory.delete):
            response = yield method("/id/1", headers={"Cookie": f"1={token}"})
            self.assertEqual(response.code, 403)
        response = yield mallory.put(
            "/id/1", {"text": "mine"}, headers={"Cookie": f"1={token}"}
        )
        self.assertEqual(response.code, 403)
        response = yield bob.get("/id/1")
        self.assertEqual(response.code, 200)

    @inlineCallbacks
    def test_missing_comment_order(self):
        """
        As with Isso, viewing a comment that does not exist, or that its
        author just deleted, is a 404 whatever the cookie; editing or
        deleting it checks the cookie first (403 without one).
        """
        stranger = self.reader("198.51.100.1")
        response = yield stranger.get("/id/99")
        self.assertEqual(response.code, 404)
        response = yield stranger.put("/id/99", {"text": "x"})
        self.assertEqual(response.code, 403)
        response = yield stranger.delete("/id/99")
        self.assertEqual(response.code, 403)
        yield self.post_comment()
        yield self.client.delete("/id/1")
        response = yield self.client.get("/id/1")
        self.assertEqual(response.code, 404)
        response = yield self.client.delete("/id/1")
        self.assertEqual(response.code, 403)

    @inlineCallbacks
    def test_vanished_comment(self):
        """
        A valid cookie for a comment deleted meanwhile gets 404, not an error.
        """
        yield self.post_comment()
        conn = self.connect_database()
        conn.execute("DELETE FROM comments")
        conn.commit()
        conn.close()
        for method in (self.client.get, self.client.delete):
            response = yield method("/id/1")
            self.assertEqual(response.code, 404)
        response = yield self.client.put("/id/1", {"text": "again"})
        self.assertEqual(response.code, 404)

    @inlineCallbacks
    def test_csrf(self):
        """
        Form posts from other websites are refused; JSON and no content type
        are allowed.
        """
        yield self.post_comment()
        form = "application/x-www-form-urlencoded"
        response = yield self.client.post("/id/1/dislike", content_type=form)
        self.assertEqual(response.code, 403)
        self.assertIn(b"CSRF", response.body)
        response = yield self.client.post("/new?uri=/a", {"text": "hello"}, content_type=form)
        self.assertEqual(response.code, 403)
        response = yield self.client.put("/id/1", {"text": "hello"}, content_type="text/plain")
        self.assertEqual(response.code, 403)
        response = yield self.client.delete("/id/1", content_type="multipart/form-data")
        self.assertEqual(response.code, 403)
        response = yield self.client.post("/id/1/dislike", content_type=None)
        self.assertEqual(response.code, 200)
        response = yield self.client.post(
            "/id/1/like", content_type="application/json; charset=utf-8"
        )
        self.assertEqual(response.code, 200)


class VoteTests(SiteTestCase):
    @inlineCallbacks
    def test_votes(self):
        """
        Each network votes once per comment, and the author not at all.
        """
        yield self.post_comment()
        response = yield self.client.post("/id/1/like")
        self.assertEqual(response.json()["likes"], 0)
        self.assertIn("already been registered", response.json()["message"])
        for n in range(1, 16):
            voter = self.reader(f"198.51.{n}.7")
            response = yield voter.post("/id/1/like")
            self.assertEqual(response.json(), {"likes": n, "dislikes": 0})
        response = yield self.reader("198.51.1.99").post("/id/1/dislike")
        self.assertEqual(response.json()["dislikes"], 0)
        response = yield self.reader("203.0.113.1").post("/id/1/dislike")
        self.assertEqual(response.json(), {"likes": 15, "dislikes": 1})
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(response.json()["replies"][0]["likes"], 15)

    @inlineCallbacks
    def test_vote_limit(self):
        """
        Votes stop counting at 142, where the voters filter gets unreliable.
        """
        yield self.post_comment()
        conn = self.connect_database()
        conn.execute("UPDATE comments SET likes = 141")
        conn.commit()
        conn.close()
        response = yield self.reader("198.51.100.1").post("/id/1/like")
        self.assertEqual(response.json(), {"likes": 142, "dislikes": 0})
        response = yield self.reader("198.51.100.2").post("/id/1/like")
        self.assertEqual(response.json()["likes"], 142)
        self.assertIn("142 >= 142", response.json()["message"])

    @inlineCallbacks
    def test_vote_on_nothing(self):
        """
        A vote on a missing comment answers null.
        """
        response = yield self.client.post("/id/7/like")
        self.assertEqual((response.code, response.json()), (200, None))
        response = yield self.client.get("/id/7/like")
        self.assertEqual(response.code, 405)
        self.assertEqual(response.header("allow"), "POST")


class OwnerEditTests(SiteTestCase):
    @inlineCallbacks
    def test_owner_edit_keeps_author_cookie(self):
        """
        After the site owner corrects a comment through the link of a
        moderation mail, its author can still view, edit and delete it with
        their cookie, within the edit window.
        """
        yield self.post_comment(text="Teh text")
        key = self.site.signer.moderation_key(1)
        owner = self.reader("203.0.113.5")
        response = yield owner.post(f"/id/1/edit/{key}", {"text": "The text"})
        self.assertEqual(response.code, 200, response)
        response = yield self.client.get("/id/1?plain=1")
        self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json()["text"], "The text")
        response = yield self.client.put("/id/1", {"text": "The text, again"})
        self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json()["text"], "<p>The text, again</p>")
        response = yield self.client.delete("/id/1")
        self.assertEqual(response.code, 200, response)
        self.assertIsNone(response.json())


class IssoCookieTests(SiteTestCase):
    """
    A reader who wrote a comment under Isso keeps their edit cookie when the
    site switches to isso-tx on the same database.
    """

    # The cookie below was issued in November 2023; its window is long.
    config = "[guard]\nenabled = false\n[general]\nmax-age = 1000w\n"
    # api.md's test vector: Isso's cookie for comment 1 with the text
    # "Hello", under this session key.
    session_key = "0123456789abcdef0123456789abcdef0123456789abcdef"
    isso_cookie = (
        "WzEsImY3ZmY5ZThiN2JiMmUwOWI3MDkzNWE1ZDc4NWUwY2M1ZDlkMGFiZjAiXQ."
        "ZVPxAA.qbN4AYJS6Z_FCflziQs_uvHfR14"
    )

    # The file Isso leaves behind is SQLite's.
    sqlite_only = True

    def setUp(self):
        directory = self.mktemp()
        self.config_path = write_config(directory, self.config)
        config = load_site_config(self.config_path)
        # The database as Isso left it: its key, a thread and the comment.
        prepare_database(config.general.dbpath)
        with sqlite3.connect(config.general.dbpath) as db:
            db.execute(
                "UPDATE preferences SET value = ? WHERE key = 'session-key'",
                (self.session_key,),
            )
            db.execute("INSERT INTO threads (id, uri, title) VALUES (1, '/path/', 'A')")
            db.execute(
                "INSERT INTO comments (id, tid, created, mode, remote_addr, text, "
                "voters) VALUES (1, 1, 1700000000, 1, '192.0.2.0', 'Hello', x'')"
            )
        return self.start_site(config)

    @inlineCallbacks
    def test_isso_cookie_edits_and_deletes(self):
        """
        A reader holding the edit cookie Isso gave them can still open, edit
        and delete their comment; after an edit only the new cookie works.
        """
        headers = {"Cookie": f"1={self.isso_cookie}"}
        response = yield self.client.get("/id/1?plain=1", headers=headers)
        self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json()["text"], "Hello")
        response = yield self.client.put(
            "/id/1", {"text": "Hello again"}, headers=headers
        )
        self.assertEqual(response.code, 200, response)
        self.assertEqual(response.json()["text"], "<p>Hello again</p>")
        # The new cookie replaces Isso's, which no longer matches the text.
        response = yield self.client.delete("/id/1", headers=headers)
        self.assertEqual(response.code, 403)
        response = yield self.client.delete("/id/1")
        self.assertEqual(response.code, 200, response)
