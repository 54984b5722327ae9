"""
Every endpoint fed with bodies and parameters of every wrong kind: each
answer is a 4xx with a message (or a success), never a 500, and nothing
stored is changed by what was refused.
"""

from __future__ import annotations

import itertools
import json
import sqlite3

from twisted.internet.defer import inlineCallbacks

from .support import SiteTestCase

BODIES = [
    None,
    b"",
    b"{",
    b"\xff\xfe\x00",
    b"null",
    b"0",
    b"-1e400",
    b"true",
    b'"text"',
    b"[]",
    b'[1, "a", null, {}]',
    b"{}",
    b'{"text": null}',
    b'{"text": 12}',
    b'{"text": ["a"]}',
    b'{"text": {"a": 1}}',
    b'{"text": "ok text", "parent": "1"}',
    b'{"text": "ok text", "parent": -1}',
    b'{"text": "ok text", "parent": 99999999999999999999999}',
    b'{"text": "ok text", "parent": 1.5}',
    b'{"text": "ok text", "parent": true}',
    b'{"text": "ok text", "author": 5}',
    b'{"text": "ok text", "email": []}',
    b'{"text": "ok text", "website": "javascript:alert(1)"}',
    b'{"text": "ok text", "notification": "yes"}',
    b'{"text": "ok text", "title": 3}',
    b'{"text": "\\u0000\\ud800 broken surrogate"}',
    json.dumps({"text": "x" * 70000}).encode(),
    json.dumps({"text": "deep", "author": [[[[[[[[[[[]]]]]]]]]]]}).encode(),
    b"[" * 5000 + b"]" * 5000,
]

QUERIES = [
    "",
    "?uri=",
    "?uri=/path/",
    "?uri=%ff%fe",
    "?uri=/path/&uri=/other/",
    "?uri=/path/&limit=-1&offset=x&nested_limit=1e9&after=nan&parent=abc&sort=sideways",
    "?uri=/path/&limit=99999999999999999999999&plain=maybe",
]

CONTENT_TYPES = [
    "application/json",
    None,
    "text/plain",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
]

ENDPOINTS = [
    ("POST", "/new"),
    ("GET", "/"),
    ("GET", "/id/1"),
    ("PUT", "/id/1"),
    ("DELETE", "/id/1"),
    ("POST", "/id/1/like"),
    ("POST", "/id/1/dislike"),
    ("POST", "/count"),
    ("POST", "/preview"),
    ("GET", "/feed"),
    ("GET", "/latest"),
    ("GET", "/config"),
    ("GET", "/info"),
    ("POST", "/id/1/activate/garbage"),
    ("GET", "/id/1/edit/garbage"),
    ("POST", "/id/1/unsubscribe/a%40b.c/garbage"),
    ("POST", "/login/"),
    ("GET", "/admin/"),
]


class NoServerErrorTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[general]\nlatest-enabled = true\n[rss]\nbase = https://example.org/\n"
        "[admin]\nenabled = true\npassword = a password of the owner\n"
    )

    def stored(self) -> list[tuple]:
        with sqlite3.connect(self.site_config.general.dbpath) as db:
            return db.execute(
                "SELECT id, tid, parent, mode, text, author, email, website, likes, "
                "dislikes, modified FROM comments ORDER BY id"
            ).fetchall()

    @inlineCallbacks
    def test_no_500(self):
        """
        No combination of endpoint, query, content type and body gets a
        server error.  Bodies that were refused change nothing.
        """
        yield self.post_comment(text="The first comment", author="Ann")
        yield self.post_comment(text="A reply", parent=1)
        reader = self.reader("198.51.100.7")
        failures = []
        cases = itertools.product(ENDPOINTS, QUERIES[:3], CONTENT_TYPES[:3], BODIES)
        extra = itertools.product(ENDPOINTS, QUERIES, CONTENT_TYPES, BODIES[:6])
        for (method, path), query, content_type, body in itertools.chain(cases, extra):
            before = self.stored()
            response = yield reader.request(
                method,
                path + query,
                raw=body if body is not None else b"",
                content_type=content_type,
                headers={"Accept": "application/json"},
            )
            if response.code >= 500:
                failures.append((method, path + query, content_type, body[:60]
                                 if body else body, response.code, response.body[:200]))
            elif response.code >= 400:
                self.assertTrue(response.body, (method, path, body, response.code, query, content_type))
                if self.stored() != before:
                    failures.append(("changed on refusal", method, path, body[:60]
                                     if body else body, response.code))
        self.assertEqual(failures, [])
        # The original comments are intact (the reader had no cookie for them).
        rows = self.stored()
        self.assertEqual([r[4] for r in rows[:2]], ["The first comment", "A reply"])
