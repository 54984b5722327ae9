"""
Author hashes (L{isso_tx.hashing}): the identicon C{hash} that clients are
sent, as chosen by C{[hash]}; the hash functions and their cache, without a
reactor (what clients see over HTTP is in L{tests.slow.test_hashing}).
"""

from __future__ import annotations

import hashlib

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.hashing import AuthorHasher, author_subject, make_hash_function
from isso_tx.settings import HashConfig

from .threadless import ThreadlessReactor

SALT = b"Eech7co8Ohloopo9Ol6baimi"


def pbkdf2(value: str) -> str:
    """
    The identicon hash of C{value} under Isso's default C{[hash]} settings.
    """
    return hashlib.pbkdf2_hmac("sha1", value.encode(), SALT, 1000, 6).hex()


def hash_function(algorithm: str, salt: str = SALT.decode()):
    """
    The hash function C{[hash]} with this algorithm and salt builds.
    """
    return make_hash_function(HashConfig(salt=salt, algorithm=algorithm))


class AlgorithmTests(SynchronousTestCase):
    """
    The hash functions C{[hash] algorithm} names.
    """

    def test_default_pbkdf2(self) -> None:
        """
        Plain C{pbkdf2} is Isso's: 1000 rounds of SHA-1, six bytes, salted.
        """
        self.assertEqual(hash_function("pbkdf2")("a@b.c"), "b539304e6ef9")
        self.assertEqual(hash_function("pbkdf2")("a@b.c"), pbkdf2("a@b.c"))

    def test_pbkdf2_parameters(self) -> None:
        """
        Rounds, length and function may each be given, the rest keeping
        their defaults.
        """
        self.assertEqual(
            hash_function("pbkdf2:10")("x"),
            hashlib.pbkdf2_hmac("sha1", b"x", SALT, 10, 6).hex(),
        )
        self.assertEqual(
            hash_function("pbkdf2:10:16")("x"),
            hashlib.pbkdf2_hmac("sha1", b"x", SALT, 10, 16).hex(),
        )
        self.assertEqual(
            hash_function("pbkdf2:10:4:sha256", "pepper")("x"),
            hashlib.pbkdf2_hmac("sha256", b"x", b"pepper", 10, 4).hex(),
        )

    def test_salt(self) -> None:
        """
        Another salt gives other pictures under PBKDF2.
        """
        self.assertNotEqual(hash_function("pbkdf2", "pepper")("a@b.c"), "b539304e6ef9")

    def test_plain_functions(self) -> None:
        """
        Any other hashlib name is its unsalted hex digest.
        """
        for name in ("sha1", "md5", "sha256", "sha512"):
            self.assertEqual(
                hash_function(name, "ignored")("a@b.c"),
                hashlib.new(name, b"a@b.c").hexdigest(),
                name,
            )

    def test_none(self) -> None:
        """
        C{none} sends the value itself, hex-encoded as UTF-8.
        """
        self.assertEqual(hash_function("none")("é@b.c"), "é@b.c".encode().hex())
        self.assertEqual(hash_function("none")(""), "")

    def test_name_spelling(self) -> None:
        """
        The algorithm's name may be written in any case, with spaces around.
        """
        self.assertEqual(hash_function(" PBKDF2 ")("a@b.c"), "b539304e6ef9")
        self.assertEqual(
            hash_function("SHA256")("x"), hashlib.sha256(b"x").hexdigest()
        )
        self.assertEqual(hash_function("None")("x"), "78")

    def test_unknown_or_bad(self) -> None:
        """
        An unknown function, an unknown function under PBKDF2, and PBKDF2
        parameters that are not numbers are refused with ValueError.
        """
        for algorithm in (
            "rot13",
            "pbkdf2:many",
            "pbkdf2:10:long",
            "pbkdf2:10:4:rot13",
        ):
            self.assertRaises(ValueError, hash_function, algorithm)

    def test_only_pbkdf2_takes_parameters(self) -> None:
        """
        Parameters on a plain function are refused with a message naming
        the algorithm.
        """
        error = self.assertRaises(ValueError, hash_function, "sha256:10")
        self.assertEqual(str(error), "'sha256:10': only pbkdf2 takes parameters")


class SubjectTests(SynchronousTestCase):
    """
    What an author's hash is computed from.
    """

    def test_email_first(self) -> None:
        """
        The stored e-mail address wins over the network.
        """
        self.assertEqual(AuthorHasher.subject("a@b.c", "192.0.2.0"), "a@b.c")
        self.assertEqual(
            author_subject({"email": "a@b.c", "remote_addr": "192.0.2.0"}), "a@b.c"
        )

    def test_network_without_email(self) -> None:
        """
        Without an e-mail address (none or empty) the network is used, and
        without either the empty string.
        """
        for email in (None, ""):
            self.assertEqual(AuthorHasher.subject(email, "192.0.2.0"), "192.0.2.0")
            self.assertEqual(
                author_subject({"email": email, "remote_addr": "192.0.2.0"}),
                "192.0.2.0",
            )
        self.assertEqual(AuthorHasher.subject(None, None), "")
        self.assertEqual(AuthorHasher.subject("", ""), "")


class HasherTests(SynchronousTestCase):
    """
    L{AuthorHasher}: slow hashes computed in the thread pool, and remembered.
    """

    def setUp(self) -> None:
        self.reactor = ThreadlessReactor()

    def hasher(self, cache_size: int = 8192) -> AuthorHasher:
        """
        An author hasher with Isso's default settings.
        """
        return AuthorHasher(
            HashConfig(salt=SALT.decode(), algorithm="pbkdf2"),
            self.reactor,
            cache_size=cache_size,
        )

    def test_computed_in_thread(self) -> None:
        """
        New hashes are computed in the thread pool, not in the caller's
        thread: nothing is known until the pool has run the work once.
        """
        hasher = self.hasher()
        d = hasher.hash_many(["a@b.c", "192.0.2.0", "a@b.c"])
        self.assertNoResult(d)
        self.assertEqual(hasher.cached("a@b.c"), None)
        self.assertEqual(self.reactor.run_work(), 1)
        self.assertEqual(
            self.successResultOf(d),
            {"a@b.c": "b539304e6ef9", "192.0.2.0": pbkdf2("192.0.2.0")},
        )

    def test_cached_answer_at_once(self) -> None:
        """
        Hashes computed once are answered at once, without the thread pool.
        """
        hasher = self.hasher()
        d = hasher.hash_many(["a@b.c"])
        self.reactor.run_work()
        self.successResultOf(d)
        self.assertEqual(hasher.cached("a@b.c"), "b539304e6ef9")
        again = hasher.hash_many(["a@b.c", "a@b.c"])
        self.assertEqual(self.successResultOf(again), {"a@b.c": "b539304e6ef9"})
        self.assertEqual(self.reactor.work, [])

    def test_mixed(self) -> None:
        """
        A request for known and new values gives all of them, computing
        only the new ones in the pool.
        """
        hasher = self.hasher()
        hasher.hash_many(["a@b.c"])
        self.reactor.run_work()
        d = hasher.hash_many(["a@b.c", "x@y.z"])
        self.assertNoResult(d)
        # The work handed to the pool is only the new value.
        _, compute, _, _ = self.reactor.work[0]
        self.assertEqual(compute(), {"x@y.z": pbkdf2("x@y.z")})
        self.reactor.run_work()
        self.assertEqual(
            self.successResultOf(d),
            {"a@b.c": "b539304e6ef9", "x@y.z": pbkdf2("x@y.z")},
        )

    def test_nothing_asked(self) -> None:
        """
        Asking for no hashes answers at once with none.
        """
        self.assertEqual(self.successResultOf(self.hasher().hash_many([])), {})

    def test_least_recently_used_forgotten(self) -> None:
        """
        The cache keeps the most recently used hashes up to its size: using
        a hash keeps it, the one unused longest is forgotten first.
        """
        hasher = self.hasher(cache_size=2)
        for value in ("a", "b"):
            hasher.hash_many([value])
            self.reactor.run_work()
        self.assertEqual(hasher.cached("a"), pbkdf2("a"))
        hasher.hash_many(["c"])
        self.reactor.run_work()
        self.assertIsNone(hasher.cached("b"))
        self.assertEqual(hasher.cached("a"), pbkdf2("a"))
        self.assertEqual(hasher.cached("c"), pbkdf2("c"))



