"""
Author hashes (L{isso_tx.hashing}): the identicon C{hash} that clients are
sent, as chosen by C{[hash]}; what clients see over HTTP.
"""

from __future__ import annotations

import hashlib

from twisted.internet.defer import inlineCallbacks

from ..support import SiteTestCase
from ..test_hashing import pbkdf2


class HashTests(SiteTestCase):
    config = "[guard]\nenabled = false\n"

    @inlineCallbacks
    def test_default_hash(self):
        """
        By default an author's hash is Isso's salted PBKDF2 of their e-mail
        as stored (escaped), or without one of their network, in new
        comments and in the thread alike.
        """
        reader = self.reader("192.168.1.77")
        with_email = yield self.post_comment(client=reader, email="a@b.c")
        self.assertEqual(with_email["hash"], pbkdf2("a@b.c"))
        self.assertEqual(with_email["hash"], "b539304e6ef9")
        anonymous = yield self.post_comment(client=reader)
        self.assertEqual(anonymous["hash"], pbkdf2("192.168.1.0"))
        self.assertEqual(anonymous["hash"], "9f0076fd038d")
        empty = yield self.post_comment(client=reader, email="")
        self.assertEqual(empty["hash"], "9f0076fd038d")
        escaped = yield self.post_comment(client=reader, email="a&b@x.org")
        self.assertEqual(escaped["hash"], pbkdf2("a&amp;b@x.org"))
        response = yield self.client.get("/?uri=/path/")
        self.assertEqual(
            [c["hash"] for c in response.json()["replies"]],
            ["b539304e6ef9", "9f0076fd038d", "9f0076fd038d", pbkdf2("a&amp;b@x.org")],
        )


class PlainHashTests(SiteTestCase):
    config = "[guard]\nenabled = false\n[hash]\nalgorithm = sha256\nsalt = ignored\n"

    @inlineCallbacks
    def test_sha256(self):
        """
        With a plain hash function the hash is its unsalted digest.
        """
        body = yield self.post_comment(email="a@b.c")
        self.assertEqual(body["hash"], hashlib.sha256(b"a@b.c").hexdigest())
        body = yield self.post_comment()
        self.assertEqual(body["hash"], hashlib.sha256(b"192.0.2.0").hexdigest())


class TunedHashTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n"
        "[hash]\nalgorithm = pbkdf2:10:4:sha256\nsalt = pepper\n"
    )

    @inlineCallbacks
    def test_parameters(self):
        """
        PBKDF2's iterations, length, function and salt can be chosen.
        """
        body = yield self.post_comment(email="a@b.c")
        expected = hashlib.pbkdf2_hmac("sha256", b"a@b.c", b"pepper", 10, 4).hex()
        self.assertEqual(body["hash"], expected)
