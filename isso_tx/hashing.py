"""
The C{hash} of a comment's author, from which clients draw identicons.

By default it is a short PBKDF2 digest of the author's e-mail (or of the
anonymised address), salted with a public, constant salt so that the same
person gets the same picture on every Isso site.  PBKDF2 is slow on purpose,
so results are cached and new ones are computed off the reactor thread.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorThreads

from .settings import HashConfig
from .threads import run_in_thread


def make_hash_function(config: HashConfig) -> Callable[[str], str]:
    """
    Return the function that turns a value into its hex digest, as chosen by
    C{[hash] algorithm}.

    @raise ValueError: the algorithm is unknown or its parameters are bad.
    """
    name, *params = config.algorithm.split(":")
    name = name.strip().lower()
    if name == "none":
        return lambda value: value.encode("utf-8").hex()
    if name == "pbkdf2":
        iterations = int(params[0]) if len(params) > 0 else 1000
        length = int(params[1]) if len(params) > 1 else 6
        prf = params[2] if len(params) > 2 else "sha1"
        salt = config.salt.encode("utf-8")
        hashlib.new(prf)  # raises ValueError for an unknown function

        def pbkdf2(value: str) -> str:
            return hashlib.pbkdf2_hmac(
                prf, value.encode("utf-8"), salt, iterations, length
            ).hex()

        return pbkdf2
    if params:
        raise ValueError(f"{config.algorithm!r}: only pbkdf2 takes parameters")
    hashlib.new(name)

    def plain(value: str) -> str:
        return hashlib.new(name, value.encode("utf-8")).hexdigest()

    return plain


def author_subject(row: dict[str, Any]) -> str:
    """
    Return what a stored comment's author hash is computed from.
    """
    return AuthorHasher.subject(row["email"], row["remote_addr"])


class AuthorHasher:
    """
    Computes author hashes, remembering the most recent ones.
    """

    def __init__(
        self,
        config: HashConfig,
        reactor: IReactorThreads,
        cache_size: int = 8192,
    ) -> None:
        self._function = make_hash_function(config)
        self._reactor = reactor
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size

    @staticmethod
    def subject(email: str | None, address: str | None) -> str:
        """
        Return what a comment's hash is computed from: the stored e-mail, or
        the anonymised address when there is none.
        """
        return email or address or ""

    def cached(self, value: str) -> str | None:
        digest = self._cache.get(value)
        if digest is not None:
            self._cache.move_to_end(value)
        return digest

    def _remember(self, results: dict[str, str]) -> dict[str, str]:
        self._cache.update(results)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return results

    def hash_many(self, values: Iterable[str]) -> Deferred[dict[str, str]]:
        """
        Return the hashes of C{values}, computing the ones not cached in a
        worker thread.
        """
        known: dict[str, str] = {}
        missing = []
        for value in set(values):
            digest = self.cached(value)
            if digest is None:
                missing.append(value)
            else:
                known[value] = digest
        if not missing:
            return succeed(known)

        def compute() -> dict[str, str]:
            return {value: self._function(value) for value in missing}

        d = run_in_thread(self._reactor, compute)
        d.addCallback(self._remember)
        d.addCallback(lambda computed: {**known, **computed})
        return d
