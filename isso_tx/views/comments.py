"""
The comments API: everything but C{GET /} (see L{isso_tx.views.thread}).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from klein import Klein
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from .. import __version__
from ..addresses import Origins
from ..caches import FeedKey, LatestKey, ResponseCache, cached
from ..changes import Freshness
from ..db import Database
from ..guard import GuardRejection, check_honeypot
from ..hashing import AuthorHasher, author_subject
from ..metrics import SiteMetrics
from ..notify import CommentEvent, Notifiers
from ..rendering import Renderer
from ..settings import SiteConfig
from ..shapes import listed_comment, public_comment
from ..signing import InvalidToken, Signer
from ..store.comments import (
    NewComment,
    Stored,
    comment_interaction,
    delete_comment_interaction,
    edit_comment_interaction,
    latest_interaction,
    new_comment_interaction,
)
from ..store.rows import PENDING
from ..store.rules import rule_matched_interaction
from ..store.threads import feed_interaction, thread_interaction
from ..store.votes import vote_interaction
from ..titles import TitleFetcher
from ..validation import (
    MAX_TEXT,
    InvalidComment,
    edit_fields,
    new_comment_fields,
    parse_int,
)
from .feed import CachedFeed, atom_feed
from .http import (
    JSON_TYPE,
    BadRequest,
    Forbidden,
    HTTPError,
    NotFound,
    check_csrf,
    comment_routes,
    error_body,
    json_body,
    query_arg,
    read_json,
    route_errors,
)
from .requests import Addressing
from .thread import LARGEST


def text_digest(text: str) -> str:
    """
    Return the digest Isso's edit cookies bind: the comment's text, so that
    such a cookie works until the text changes.
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def comment_digest(row: dict[str, Any]) -> str:
    """
    Return the digest this server's edit cookies bind: the comment's id and
    creation time.  No edit changes them, so the owner's correction does not
    lock the author out; a comment that reuses a freed id was created at
    another time, so its predecessor's cookie does not open it.
    """
    return hashlib.sha256(f"{row['id']}\0{row['created']!r}".encode()).hexdigest()


def _uri(request: IRequest) -> str:
    uri = query_arg(request, "uri")
    if uri is None:
        raise BadRequest("missing uri query")
    return uri


class NewCommentResource(Resource):
    """
    C{POST /new}, answered past Klein's routing as C{POST /count} is: a
    comment costs the daemon its full price every time (nothing of it is
    cached), and matching the route and running Klein's machinery around
    the handler was a sixth of what the reactor's thread spent on one.

    The answer is the one the API's route gave: the same body written once
    the comment is stored, and the same error answers (L{HTTPError} through
    L{error_body}, anything else the request's own 500, or 503 for a
    database out of reach).  Unlike Klein, which cancels a handler whose
    client went away, a post whose writer left is carried through: the
    comment is stored by the database's thread whatever happens here, so
    the rest (the cache, the notifications, the moderation mail) must
    follow; only the answer is dropped.  Other methods on C{/new} still go
    to the API, which answers them with its 405.
    """

    isLeaf = True
    log = Logger()

    def __init__(self, api: CommentsAPI) -> None:
        super().__init__()
        self._api = api

    def render_POST(self, request: IRequest) -> int:
        posting = Deferred.fromCoroutine(self._api.new(request))
        gone = False

        def client_left(_: Failure) -> None:
            nonlocal gone
            gone = True

        def answer(body: bytes) -> None:
            if not gone:
                request.write(body)
                request.finish()

        def failed(failure: Failure) -> None:
            if gone:
                if not failure.check(HTTPError):
                    self.log.failure("While storing a comment", failure)
            elif failure.check(HTTPError):
                error = failure.value
                request.write(error_body(request, error.code, error.message))
                request.finish()
            else:
                request.processingFailed(failure)

        request.notifyFinish().addErrback(client_left)
        posting.addCallbacks(answer, failed)
        return NOT_DONE_YET


class CommentsAPI:
    """
    Creating, editing, deleting and voting on comments, and the small
    read-only endpoints around them.
    """

    app = comment_routes(Klein())
    log = Logger()

    def __init__(
        self,
        config: SiteConfig,
        database: Database,
        renderer: Renderer,
        hasher: AuthorHasher,
        signer: Signer,
        titles: TitleFetcher,
        origins: Origins,
        addressing: Addressing,
        responses: ResponseCache,
        freshness: Freshness,
        counts: IResource,
        notifiers: Notifiers,
        clock: IReactorTime,
        client_config: dict[str, bool],
        metrics: SiteMetrics,
    ) -> None:
        """
        @param counts: answers C{POST /count} (L{isso_tx.views.counts});
            the site's front door sends it those requests directly, and
            this app only the others, to answer them with a 405.
        """
        self._config = config
        self._database = database
        self._renderer = renderer
        self._hasher = hasher
        self._signer = signer
        self._titles = titles
        self._origins = origins
        self._addressing = addressing
        self._responses = responses
        self._freshness = freshness
        self._counts = counts
        self._notifiers = notifiers
        self._clock = clock
        self._client_config = client_config
        self._metrics = metrics
        # POST /new, which the site's front door sends here directly.
        self.new_comments = NewCommentResource(self)

    # Errors

    @app.handle_errors(HTTPError)
    def _http_error(self, request: IRequest, failure: Failure) -> bytes:
        error = failure.value
        return error_body(request, error.code, error.message)

    def _no_route(self, request: IRequest) -> bytes:
        return error_body(request, 404, "no such resource")

    def _wrong_method(self, request: IRequest, allowed: list[str]) -> bytes:
        return error_body(request, 405, f"use one of: {', '.join(allowed)}")

    route_errors(app, _no_route, _wrong_method)

    # Helpers

    def _cookies(
        self, request: IRequest, row: dict[str, Any], endpoint: str | None = None
    ) -> None:
        token = self._signer.edit_token(row["id"], comment_digest(row))
        self._addressing.set_cookies(
            request,
            str(row["id"]),
            token,
            self._config.general.max_age,
            self._clock.seconds(),
            endpoint,
        )

    def _clear_cookies(self, request: IRequest, comment_id: int) -> None:
        self._addressing.set_cookies(
            request, str(comment_id), "", 0, self._clock.seconds()
        )

    def _edit_cookie(self, request: IRequest, comment_id: int) -> tuple[int, str]:
        """
        Return the comment id and digest that the requester's edit cookie
        for C{comment_id} was issued for.

        @raise Forbidden: no such cookie, or it is forged or expired.
        """
        token = request.getCookie(str(comment_id).encode())
        if token is None:
            raise Forbidden("no edit cookie for this comment")
        try:
            return self._signer.load_edit_token(
                token.decode("latin-1"), self._config.general.max_age
            )
        except InvalidToken:
            raise Forbidden("the edit cookie is invalid or has expired") from None

    async def _comment(self, comment_id: int) -> dict[str, Any]:
        row = await self._database.run(
            comment_interaction, comment_id, self._renderer.fingerprint
        )
        if row is None:
            raise NotFound("no such comment")
        return row

    @staticmethod
    def _check_cookie(cookie: tuple[int, str], row: dict[str, Any]) -> None:
        """
        Refuse a cookie issued for another comment: another id, or the same
        id before a deletion freed it.
        """
        cookie_id, digest = cookie
        if cookie_id != row["id"] or digest not in (
            comment_digest(row),
            text_digest(row["text"]),
        ):
            raise Forbidden("the edit cookie is not for this comment")

    async def _owned_comment(
        self, request: IRequest, comment_id: int
    ) -> dict[str, Any]:
        """
        Return a comment the requester may change: their cookie for it must
        be valid and issued for this comment.
        """
        cookie = self._edit_cookie(request, comment_id)
        row = await self._comment(comment_id)
        self._check_cookie(cookie, row)
        return row

    # Writing

    @app.route("/new", methods=["POST"])
    def new_route(self, request: IRequest) -> IResource:
        # The front door sends POST /new to new_comments itself; the route
        # is here for the 405 that other methods get.
        return self.new_comments

    async def new(self, request: IRequest) -> bytes:
        check_csrf(request)
        uri = _uri(request)
        body = read_json(request)
        address = self._addressing.client_network(request)
        try:
            check_honeypot(body)
        except GuardRejection as e:
            await self._refuse(request, uri, address, e)
        try:
            fields = new_comment_fields(body)
        except InvalidComment as e:
            raise BadRequest(str(e)) from e
        origin = self._origins.resolve(request)

        title = fields["title"]
        if not title and await self._database.run(thread_interaction, uri) is None:
            found = await self._titles.fetch(origin, uri)
            if found is None:
                raise BadRequest(
                    f"Cannot create new thread: URI {uri} is not accessible and "
                    "no title was provided. Please provide a title parameter in "
                    "your request."
                )
            uri, title = found

        config = self._config
        renderer = self._renderer

        def render_and_store(txn: Any) -> Stored:
            # Rendering in the database's thread, just before the comment is
            # stored there, saves one hand-over between threads per comment.
            comment = NewComment(
                uri=uri,
                text=fields["text"],
                author=fields["author"],
                email=fields["email"],
                website=fields["website"],
                parent=fields["parent"],
                notification=fields["notification"],
                address=address,
                rendering=renderer.render_here(fields["text"]),
                title=title,
            )
            return new_comment_interaction(
                txn,
                comment,
                now=now,
                moderated=config.moderation.enabled,
                approve_known_authors=(
                    config.moderation.approve_if_email_previously_approved
                ),
                guard=config.guard,
                edit_window=config.general.max_age,
            )

        now = self._clock.seconds()
        try:
            stored = await self._database.run(render_and_store)
        except GuardRejection as e:
            await self._refuse(request, uri, address, e)

        self._responses.invalidate(stored.thread["uri"])
        row = stored.comment
        self._metrics.comment_created(
            "pending" if row["mode"] == PENDING else "published"
        )
        if stored.thread_created:
            self._notifiers.thread_created(stored.thread)
        # Read once for the notifiers and the cookies.
        endpoint = self._addressing.endpoint(request)
        self._notifiers.comment_created(
            CommentEvent(stored.thread, row, origin, endpoint)
        )
        if stored.held is not None:
            self.log.info(
                "Comment {id} on {uri} from {address} held for moderation: {why}",
                id=row["id"],
                uri=uri,
                address=address,
                why=stored.held,
            )
        elif row["mode"] == PENDING:
            self.log.info(
                "Comment {id} on {uri} awaits moderation", id=row["id"], uri=uri
            )

        subject = author_subject(row)
        hashes = await self._hasher.hash_many([subject])
        body = listed_comment(row, hashes[subject], config.general)
        self._cookies(request, row, endpoint)
        return json_body(request, body, 202 if row["mode"] == PENDING else 201)

    async def _refuse(
        self,
        request: IRequest,
        uri: str,
        address: str,
        refusal: GuardRejection,
        what: str = "a comment",
    ) -> NoReturn:
        """
        Count, log and answer a refused comment or edit: Isso's 403 with its
        message, and the reason in C{X-Isso-Refusal} for our client.

        @param what: what was refused, for the log.
        @raise Forbidden: always.
        """
        self._metrics.comment_refused(refusal.kind)
        self.log.info(
            "Refused {what} on {uri} from {address}: {reason}",
            what=what,
            uri=uri,
            address=address,
            reason=refusal.detail,
        )
        if refusal.rule_id is not None:
            # The refusing transaction was rolled back: the match is
            # counted in one of its own, whose failure changes no answer.
            try:
                await self._database.run(
                    rule_matched_interaction, refusal.rule_id, self._clock.seconds()
                )
            except Exception:
                self.log.failure(
                    "While counting a match of rule {rule_id}", rule_id=refusal.rule_id
                )
        request.setHeader(b"x-isso-refusal", refusal.kind.encode("ascii"))
        raise Forbidden(refusal.reason) from refusal

    @app.route("/id/<id:comment_id>", methods=["GET"])
    async def view(self, request: IRequest, comment_id: int) -> bytes:
        # A comment that does not exist is a 404 whatever the cookie, as
        # Isso answers; changing one checks the cookie first.
        row = await self._comment(comment_id)
        self._check_cookie(self._edit_cookie(request, comment_id), row)
        plain = (query_arg(request, "plain") or "0") != "0"
        if not plain:
            await self._renderer.complete([row])
        return json_body(request, public_comment(row, plain=plain))

    @app.route("/id/<id:comment_id>", methods=["PUT"])
    async def edit(self, request: IRequest, comment_id: int) -> bytes:
        check_csrf(request)
        row = await self._owned_comment(request, comment_id)
        try:
            changes = edit_fields(read_json(request))
        except InvalidComment as e:
            raise BadRequest(str(e)) from e
        now = self._clock.seconds()
        changes["modified"] = now
        rendering = await self._renderer.render(changes["text"])
        address = self._addressing.client_network(request)
        try:
            edited = await self._database.run(
                edit_comment_interaction,
                comment_id,
                changes,
                rendering,
                address=address,
                now=now,
                guard=self._config.guard,
            )
        except GuardRejection as e:
            await self._refuse(
                request, row["uri"], address, e, what=f"an edit of comment {comment_id}"
            )
        updated = edited.comment
        if updated is None:
            raise NotFound("no such comment")
        self._responses.invalidate(row["uri"])
        if edited.held is not None:
            # Isso's client shows what the answer carries: mode 2 says the
            # comment waits for moderation again.
            self.log.info(
                "Comment {id} on {uri} from {address} held for moderation "
                "after an edit: {why}",
                id=comment_id,
                uri=row["uri"],
                address=address,
                why=edited.held,
            )
        body = public_comment(updated)
        self._notifiers.comment_edited(comment_id, body)
        # A fresh cookie opens a new edit window, as Isso's edit does.
        self._cookies(request, updated)
        return json_body(request, body)

    @app.route("/id/<id:comment_id>", methods=["DELETE"])
    async def delete(self, request: IRequest, comment_id: int) -> bytes:
        check_csrf(request)
        row = await self._owned_comment(request, comment_id)
        placeholder = await self._database.run(
            delete_comment_interaction, comment_id, self._renderer.placeholder
        )
        self._responses.invalidate(row["uri"])
        self._notifiers.comment_deleted(comment_id, row)
        self._clear_cookies(request, comment_id)
        if placeholder is None:
            return json_body(request, None)
        return json_body(request, public_comment(placeholder, plain=True))

    @app.route("/id/<id:comment_id>/like", methods=["POST"])
    async def like(self, request: IRequest, comment_id: int) -> bytes:
        return await self._vote(request, comment_id, upvote=True)

    @app.route("/id/<id:comment_id>/dislike", methods=["POST"])
    async def dislike(self, request: IRequest, comment_id: int) -> bytes:
        return await self._vote(request, comment_id, upvote=False)

    async def _vote(self, request: IRequest, comment_id: int, upvote: bool) -> bytes:
        check_csrf(request)
        result = await self._database.run(
            vote_interaction,
            comment_id,
            self._addressing.client_network(request),
            upvote,
        )
        if result is None:
            return json_body(request, None)
        body: dict[str, Any] = {"likes": result.likes, "dislikes": result.dislikes}
        if result.refused is not None:
            body["message"] = result.refused
        else:
            self._responses.invalidate(result.uri)
        return json_body(request, body)

    # Reading

    @app.route("/count", methods=["POST"])
    def count(self, request: IRequest) -> IResource:
        return self._counts

    @app.route("/preview", methods=["POST"])
    async def preview(self, request: IRequest) -> bytes:
        body = read_json(request)
        text = body.get("text") if isinstance(body, dict) else None
        if text is None:
            raise BadRequest("no text given")
        if not isinstance(text, str):
            raise BadRequest("text must be a string")
        # A text too long to be posted is not worth rendering; a long one
        # costs the renderer tens of megabytes, which stay with the process.
        if len(text) > MAX_TEXT:
            raise BadRequest(f"text is too long (maximum length: {MAX_TEXT})")
        html = await self._renderer.preview(text)
        return json_body(request, {"text": html})

    @app.route("/config", methods=["GET"])
    def client_config(self, request: IRequest) -> bytes:
        return json_body(request, {"config": self._client_config})

    @app.route("/info", methods=["GET"])
    def info(self, request: IRequest) -> bytes:
        return json_body(
            request,
            {
                "version": __version__,
                "host": self._addressing.host_url(request),
                "origin": self._origins.resolve(request),
                "moderation": self._config.moderation.enabled,
            },
        )

    @app.route("/latest", methods=["GET"])
    async def latest(self, request: IRequest) -> bytes:
        if not self._config.general.latest_enabled:
            raise NotFound("Unavailable because 'latest-enabled' not set by site admin")
        limit = parse_int(query_arg(request, "limit")) or 0
        if limit <= 0:
            raise BadRequest("Query parameter 'limit' is mandatory (integer, >0)")
        # More than SQLite can count means all of them.
        limit = min(limit, LARGEST)
        body = await cached(
            self._responses,
            self._freshness.check,
            LatestKey(limit),
            lambda: self._read_latest(limit),
        )
        request.setHeader(b"content-type", JSON_TYPE)
        return body

    async def _read_latest(self, limit: int) -> bytes:
        rows = await self._database.run(
            latest_interaction, limit, self._renderer.fingerprint
        )
        await self._renderer.complete(rows)
        body = []
        for row in rows:
            comment = public_comment(row)
            del comment["notification"]
            comment["uri"] = row["uri"]
            body.append(comment)
        return json.dumps(body).encode("ascii")

    @app.route("/feed", methods=["GET"])
    async def feed(self, request: IRequest) -> bytes:
        uri = _uri(request)
        base = self._config.rss.base
        if not base:
            raise NotFound("feeds are not enabled: [rss] base is not set")
        limit = self._config.rss.limit
        if query_arg(request, "limit") is not None:
            asked = parse_int(query_arg(request, "limit"))
            if asked is None:
                raise BadRequest("limit should be integer")
            # A reader may ask for fewer entries, never for more.
            limit = min(limit, max(1, asked))
        feed = await cached(
            self._responses,
            self._freshness.check,
            FeedKey(uri, limit),
            lambda: self._read_feed(base, uri, limit),
        )
        request.setHeader(b"content-type", b"application/atom+xml; charset=utf-8")
        not_modified = request.setLastModified(feed.updated)
        if request.setETag(feed.etag) or not_modified:
            return b""
        return feed.document

    async def _read_feed(self, base: str, uri: str, limit: int) -> CachedFeed:
        thread, rows = await self._database.run(
            feed_interaction, uri, limit, self._renderer.fingerprint
        )
        await self._renderer.complete(rows)
        return CachedFeed(*atom_feed(base, uri, thread, rows))
