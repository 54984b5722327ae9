"""
Every endpoint fed with bodies, parameters and request heads of every wrong
kind: each answer is a 4xx with a message (or a success), never a 500, and
nothing stored is changed by what was refused.

Trying every combination of endpoint, query, content type and body takes
minutes, so each endpoint gets every body once, every query once, every
content type once and every integer case once (partners drawn from a seeded
random generator, so a failure repeats), plus a seeded sample of further
combinations; the request heads are sent raw, over a socket of their own.
"""

from __future__ import annotations

import itertools
import json
import random
import sqlite3

from twisted.internet.defer import inlineCallbacks

from ..support import SiteTestCase
from .test_request_head import exchange, head, status

# Integers at and beyond the edges of SQLite's (and any 64-bit) integers.
BIG_INTEGERS = [2**63 - 1, 2**63, 2**64, 10**20, -(2**63) - 1, 10**400]

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
] + [
    json.dumps({"text": "ok text", "title": "t", key: number}).encode()
    for key in ("parent", "notification")
    for number in BIG_INTEGERS
] + [
    b'{"text": "ok text", "title": "t", "notification": 1e400}',
    b'{"text": "ok text", "title": "t", "notification": -1e400}',
]

QUERIES = [
    "",
    "?uri=",
    "?uri=/path/",
    "?uri=%ff%fe",
    "?uri=/path/&uri=/other/",
    "?uri=/path/&limit=-1&offset=x&nested_limit=1e9&after=nan&parent=abc&sort=sideways",
    "?uri=/path/&limit=99999999999999999999999&plain=maybe",
] + [
    f"?uri=/path/&{name}={number}"
    for name in ("limit", "offset", "nested_limit", "parent", "after", "plain",
                 "page", "mode")
    for number in BIG_INTEGERS + ["9" * 5000]
]

# Request heads no browser sends, by what they replace in a good one.
HEADS = [
    ("host", b"a" * 10000),
    ("host", b"a..b"),
    ("host", b"x\x00y"),
    ("path", b"/" + b"a" * 20000),
    ("path", b"/con\x00fig"),
    ("method", b"G(T"),
    ("method", b"BREW"),
    ("method", b"\xff"),
    ("version", b"HTTP/9"),
    ("headers", b"\r\n".join(b"X-H%d: v" % i for i in range(600))),
    ("headers", b"X-Big: " + b"v" * 20000),
    ("headers", b"X-Forwarded-For: " + b"9" * 8000),
    ("end", b"\n"),
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
BASE_ENDPOINTS = list(ENDPOINTS)
# Each endpoint with a comment id, with ids beyond SQLite's integers too.
ENDPOINTS += [
    (method, path.replace("/id/1", f"/id/{number}"))
    for method, path in ENDPOINTS
    if "/id/1" in path
    for number in BIG_INTEGERS[1:4]
]

# Endpoints that read a body, and those that read integers from the query.
READS_BODY = ("POST", "PUT")
READS_NUMBERS = ("/", "/latest", "/feed", "/admin/")

# How many bodies or queries an endpoint gets when it does not read them,
# and how many further random combinations every endpoint gets.
SAMPLE = 4


def cases(rng: random.Random) -> list[tuple[str, str, str, str | None, bytes | None]]:
    """
    Return the requests to make: every body to each endpoint that reads
    one, every query to each endpoint that reads numbers, every content
    type to all, each with partners drawn from C{rng}; a sample of each
    to the rest, and a sample of other combinations to all.
    """
    chosen = []
    for method, path in ENDPOINTS:
        combos = set()
        reads_body = method in READS_BODY and (method, path) in BASE_ENDPOINTS
        bodies = BODIES if reads_body else rng.sample(BODIES, SAMPLE)
        for body in bodies:
            combos.add((rng.choice(QUERIES[:3]), CONTENT_TYPES[0], body))
        queries = QUERIES if path in READS_NUMBERS else rng.sample(QUERIES, SAMPLE)
        for query in queries:
            combos.add((query, rng.choice(CONTENT_TYPES[:3]), rng.choice(BODIES)))
        for content_type in CONTENT_TYPES:
            combos.add((rng.choice(QUERIES), content_type, rng.choice(BODIES)))
        everything = list(itertools.product(QUERIES, CONTENT_TYPES, BODIES))
        combos.update(rng.sample(everything, SAMPLE))
        chosen += [(method, path, *combo) for combo in sorted(combos, key=repr)]
    return chosen


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
        No endpoint gets a server error from any body, query, content type
        or out-of-range integer.  Bodies that were refused change nothing.
        """
        yield self.post_comment(text="The first comment", author="Ann")
        yield self.post_comment(text="A reply", parent=1)
        reader = self.reader("198.51.100.7")
        failures = []
        for method, path, query, content_type, body in cases(random.Random(11)):
            # Only writes can change what is stored; reading the database
            # around every request would take most of the test's time.
            before = self.stored() if method != "GET" else None
            response = yield reader.request(
                method,
                path + query,
                raw=body if body is not None else b"",
                content_type=content_type,
                headers={"Accept": "application/json"},
            )
            if response.code >= 500:
                failures.append((method, path + query[:80], content_type, body[:60]
                                 if body else body, response.code, response.body[:200]))
            elif response.code >= 400:
                self.assertTrue(response.body, (method, path, body, response.code, query, content_type))
                if before is not None and self.stored() != before:
                    failures.append(("changed on refusal", method, path, body[:60]
                                     if body else body, response.code))
        self.assertEqual(failures, [])
        # The original comments are intact (the reader had no cookie for them).
        rows = self.stored()
        self.assertEqual([r[4] for r in rows[:2]], ["The first comment", "A reply"])

    @inlineCallbacks
    def test_heads(self):
        """
        No endpoint answers a malformed or oversized request head with a
        server error or silence.
        """
        rng = random.Random(12)
        port = self.port.getHost().port
        failures = []
        for (method, path), (part, value) in itertools.product(BASE_ENDPOINTS, HEADS):
            if rng.random() > 0.5:
                continue
            lines = {
                "method": method.encode(), "path": path.encode(),
                "version": b"HTTP/1.1", "host": b"example.org", "headers": b"X: y",
            }
            if part in lines:
                lines[part] = value
            data = head(
                b"%s %s %s" % (lines["method"], lines["path"], lines["version"]),
                b"Host: " + lines["host"], lines["headers"],
                end=value if part == "end" else b"\r\n",
            )
            answer = yield exchange(port, data)
            if not answer or status(answer) >= 500:
                failures.append((method, path, part, value[:20], answer[:60]))
        self.assertEqual(failures, [])
