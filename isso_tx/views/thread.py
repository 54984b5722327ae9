"""
C{GET /?uri=…}: a thread's comments, the request every page view makes.

It is the hot path, so it is a plain twisted.web resource rather than a Klein
route (Klein's per-request routing halves the throughput here), and its
responses are cached per thread.  Every write through this server drops the
thread's entries (see L{isso_tx.caches}); before a cached answer is given,
the site's L{Freshness} drops those of threads that other processes (another
daemon on the same database, the command line, Isso itself) changed, so an
answer never lags behind a write acknowledged anywhere.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource

from ..caches import ResponseCache
from ..changes import Freshness
from ..db import Database
from ..hashing import AuthorHasher, author_subject
from ..rendering import Renderer
from ..settings import GeneralConfig
from ..shapes import listed_comment
from ..store.threads import SORTS, thread_page_interaction
from ..validation import parse_int
from .bodies import send_body, write_json_later
from .http import JSON_TYPE, BadRequest, HTTPError, error_body

LARGEST = 2**62


@dataclass(frozen=True)
class ThreadQuery:
    """
    The parameters of C{GET /}, checked.
    """

    uri: str
    parent: int | None = None
    sort: str = "oldest"
    limit: int | None = None
    offset: int = 0
    after: float = 0
    nested_limit: int | None = None
    plain: bool = False

    @classmethod
    def from_request(cls, request: IRequest) -> ThreadQuery:
        args = {
            key.decode("utf-8", "replace"): values[0].decode("utf-8", "replace")
            for key, values in request.args.items()
            if values
        }
        if "uri" not in args:
            raise BadRequest("missing uri query")

        def integer(name: str) -> int | None:
            if name not in args:
                return None
            value = parse_int(args[name])
            if value is None:
                raise BadRequest(f"{name} should be integer")
            # Beyond SQLite's integers every limit, offset or id means the
            # same as the largest one.
            return max(-LARGEST, min(value, LARGEST))

        sort = args.get("sort", "oldest")
        if sort not in SORTS:
            raise BadRequest(
                "Invalid sort option. Must be one of: 'newest', 'oldest', 'upvotes'"
            )
        offset = integer("offset") or 0
        if offset < 0:
            raise BadRequest("offset should not be negative")
        try:
            after = float(args.get("after", 0))
        except ValueError:
            raise BadRequest("after should be a number")
        if not math.isfinite(after):
            raise BadRequest("after should be a number")
        return cls(
            uri=args["uri"],
            parent=integer("parent"),
            sort=sort,
            limit=integer("limit"),
            offset=offset,
            after=after,
            nested_limit=integer("nested_limit"),
            plain=args.get("plain", "0") != "0",
        )


class ThreadResource(Resource):
    isLeaf = True
    log = Logger()

    def __init__(
        self,
        general: GeneralConfig,
        database: Database,
        renderer: Renderer,
        hasher: AuthorHasher,
        responses: ResponseCache,
        freshness: Freshness,
        client_config: dict[str, bool],
    ) -> None:
        super().__init__()
        self._general = general
        self._database = database
        self._renderer = renderer
        self._hasher = hasher
        self._responses = responses
        self._freshness = freshness
        self._client_config = client_config

    def render_GET(self, request: IRequest) -> bytes | int:
        try:
            query = ThreadQuery.from_request(request)
        except HTTPError as e:
            return error_body(request, e.code, e.message)
        waiting = self._freshness.check()
        if waiting is None:
            # Nothing was committed anywhere since the cache was current.
            body = self._responses.get(query)
            if body is not None:
                request.setHeader(b"content-type", JSON_TYPE)
                return send_body(request, body)
            d = self._read(query)
        else:
            d = waiting.addCallback(lambda _: self._answer(query))

        return write_json_later(
            request, d, self.log, "the thread could not be read",
            "While reading thread {uri}", uri=query.uri,
        )

    def _answer(self, query: ThreadQuery) -> Deferred[bytes]:
        """
        Return the body of a current cache's answer, read from the database
        (and kept) when the cache has none.
        """
        body = self._responses.get(query)
        if body is not None:
            return succeed(body)
        return self._read(query)

    def _read(self, query: ThreadQuery) -> Deferred[bytes]:
        """
        Return the body of the answer read from the database, kept in the
        cache unless a write came in between (and read once for all the
        readers who ask meanwhile).
        """
        return self._responses.read_once(query, lambda: self._page(query))

    async def _page(self, query: ThreadQuery) -> bytes:
        page = await self._database.run(
            thread_page_interaction,
            query.uri,
            fingerprint=self._renderer.fingerprint,
            parent=query.parent,
            sort=query.sort,
            limit=query.limit,
            offset=query.offset,
            after=query.after,
            nested_limit=query.nested_limit,
        )
        rows = page.comments + [r for rs in page.replies.values() for r in rs]
        if not query.plain:
            await self._renderer.complete(rows)
        hashes = await self._hasher.hash_many(author_subject(row) for row in rows)

        def shaped(row: dict[str, Any]) -> dict[str, Any]:
            return listed_comment(
                row, hashes[author_subject(row)], self._general,
                plain=query.plain,
            )

        comments = []
        for row in page.comments:
            comment = shaped(row)
            if query.parent is None:
                replies = [shaped(r) for r in page.replies.get(row["id"], [])]
                total = page.counts.get(row["id"], 0)
                comment["total_replies"] = total
                comment["hidden_replies"] = total - len(replies)
                comment["replies"] = replies
            comments.append(comment)
        total = page.counts.get(query.parent, 0)
        if query.parent is None:
            total_replies = sum(page.counts.values())
        else:
            total_replies = total
        return thread_json(
            {
                "id": query.parent,
                "total_replies": total_replies,
                "hidden_replies": max(0, total - len(comments) - page.offset),
                "replies": comments,
                "config": self._client_config,
            }
        )


def thread_json(answer: dict[str, Any]) -> bytes:
    """
    Return C{json.dumps(answer)} as ASCII bytes, encoding the comments of
    C{answer["replies"]} one at a time.

    Python's encoder (3.11) holds each token of a document as a string of
    its own until the document is done: 1.2 MiB for the 216 KB answer of a
    600-comment thread, ten times more for 5,000 comments, at the moment
    the first reader of a large thread asks.  One comment's tokens at a
    time hold next to nothing; the bytes are the same.
    """
    pieces = [json.dumps(comment).encode("ascii") for comment in answer["replies"]]
    placeholder = json.dumps(dict(answer, replies=[])).encode("ascii")
    # '"replies": []' is there once: as the key and its empty list (in a
    # string, a quote would be escaped; the other keys are fixed names).
    before, marker, after = placeholder.partition(b'"replies": []')
    return b"".join([before, b'"replies": [', b", ".join(pieces), b"]", after])
