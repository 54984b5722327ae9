"""
C{POST /count}: the number of published comments of each of a list of
threads, which every page listing articles asks for.

Like C{GET /} (L{isso_tx.views.thread}) it is a plain twisted.web resource
answered from memory: each thread's count is kept in the site's
L{ResponseCache} and dropped with the thread's other answers, by this
daemon's writes and, through the site's L{Freshness}, by any other
process's, so a count never lags behind an acknowledged write.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource

from ..caches import CountKey, ResponseCache
from ..changes import Freshness
from ..db import Database
from ..store.threads import count_interaction
from .bodies import write_json_later
from .http import (
    JSON_TYPE,
    BadRequest,
    HTTPError,
    error_body,
    read_json,
)

# A page asks for the counts of the articles it lists: tens.  The counts
# of a request for more threads than this are read but not kept, so that
# one request for thousands of made-up uris does not fill the cache.
KEPT_PER_REQUEST = 100


def count_body(counts: list[bytes]) -> bytes:
    """
    Return the JSON list of counts, each given as its digits, spelled as
    C{json.dumps} spells a list of numbers.
    """
    return b"[" + b", ".join(counts) + b"]"


class CountResource(Resource):
    isLeaf = True
    log = Logger()

    def __init__(
        self, database: Database, responses: ResponseCache, freshness: Freshness
    ) -> None:
        super().__init__()
        self._database = database
        self._responses = responses
        self._freshness = freshness

    def render_POST(self, request: IRequest) -> bytes | int:
        try:
            uris = read_json(request)
            if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
                raise BadRequest("JSON must be a list of URLs")
        except HTTPError as e:
            return error_body(request, e.code, e.message)
        waiting = self._freshness.check()
        if waiting is None:
            # Nothing was committed anywhere since the cache was current.
            known = [self._responses.get(CountKey(uri)) for uri in uris]
            if None not in known:
                request.setHeader(b"content-type", JSON_TYPE)
                return count_body(known)
            d = Deferred.fromCoroutine(self._counts(uris, known))
        else:
            d = waiting.addCallback(
                lambda _: Deferred.fromCoroutine(self._counts(uris, None))
            )

        return write_json_later(
            request, d, self.log, "the comments could not be counted",
            "While counting comments",
        )

    async def _counts(self, uris: list[str], known: list[bytes | None] | None) -> bytes:
        """
        Return the answer, reading from the database the counts that the
        current cache (C{known}, as looked up; None: look them up) lacks.
        """
        cache = self._responses
        if known is None:
            known = [cache.get(CountKey(uri)) for uri in uris]
        missing = sorted({uri for uri, count in zip(uris, known) if count is None})
        generation = cache.generation
        # After a wait for the change log, every count may be in the cache.
        counts = await self._database.run(count_interaction, missing) if missing else []
        read = {}
        for uri, count in zip(missing, counts):
            read[uri] = b"%d" % count
            if len(missing) <= KEPT_PER_REQUEST:
                cache.put(CountKey(uri), read[uri], generation)
        return count_body(
            [count if count is not None else read[uri] for uri, count in zip(uris, known)]
        )
