"""
Telling the site owner (and subscribed commenters) what happens.

The comments API and the moderation actions report events to a
L{Notifiers} fan-out; each backend named in C{[general] notify} receives
them.  Backends must return quickly: anything slow (mail) is their own
background work, never the request's.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from twisted.logger import Logger

from ..logs import PerRequestLogger
from ..signing import Signer
from ..store.rows import PENDING
from .events import CommentEvent
from .links import moderation_link


class Notifier(Protocol):
    def thread_created(self, thread: dict[str, Any]) -> None: ...

    def comment_created(self, event: CommentEvent) -> None: ...

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None: ...

    def comment_deleted(self, comment_id: int, comment: dict[str, Any]) -> None:
        """
        C{comment} is the full row as it was before, with its thread's uri.
        """

    def comment_activated(self, event: CommentEvent) -> None: ...


class Notifiers:
    """
    Passes each event to every backend; a failing backend is logged and
    never disturbs the request or the other backends.
    """

    log = Logger()

    def __init__(self, backends: list[Notifier]) -> None:
        self.backends = backends

    def _each(self, method: str, *args: Any) -> None:
        for backend in self.backends:
            try:
                getattr(backend, method)(*args)
            except Exception:
                self.log.failure(
                    "Notifier {backend} failed on {event}",
                    backend=type(backend).__name__,
                    event=method,
                )

    def thread_created(self, thread: dict[str, Any]) -> None:
        self._each("thread_created", thread)

    def comment_created(self, event: CommentEvent) -> None:
        self._each("comment_created", event)

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        self._each("comment_edited", comment_id, comment)

    def comment_deleted(self, comment_id: int, comment: dict[str, Any]) -> None:
        self._each("comment_deleted", comment_id, comment)

    def comment_activated(self, event: CommentEvent) -> None:
        self._each("comment_activated", event)


class StdoutNotifier:
    """
    Logs every event, with the links to moderate new comments.
    """

    # Three lines or more for every comment, as many as the access log's.
    log = PerRequestLogger()

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def thread_created(self, thread: dict[str, Any]) -> None:
        self.log.info(
            "New thread {id}: {title} ({uri})",
            id=thread["id"],
            title=thread["title"],
            uri=thread["uri"],
        )

    def comment_created(self, event: CommentEvent) -> None:
        comment = event.comment
        public = {
            key: comment[key]
            for key in ("id", "parent", "mode", "author", "website", "text")
        }
        # Each self.log is a new logger (Logger.__get__): one for all lines.
        log = self.log
        log.info(
            "Comment {id} created: {comment}",
            id=comment["id"],
            comment=json.dumps(public),
        )
        log.info("Link to comment {id}: {url}", id=comment["id"],
                 url=event.comment_url)
        if comment["mode"] == PENDING:
            log.info(
                "Activate comment {id}: {url}",
                id=comment["id"],
                url=moderation_link(
                    self._signer, event.endpoint, comment["id"], "activate"
                ),
            )
        log.info(
            "Delete comment {id}: {url}",
            id=comment["id"],
            url=moderation_link(self._signer, event.endpoint, comment["id"], "delete"),
        )

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        self.log.info(
            "Comment {id} edited: {comment}",
            id=comment_id,
            comment=json.dumps(comment),
        )

    def comment_deleted(self, comment_id: int, comment: dict[str, Any]) -> None:
        self.log.info("Comment {id} deleted", id=comment_id)

    def comment_activated(self, event: CommentEvent) -> None:
        self.log.info(
            "Comment {id} activated: {url}",
            id=event.comment["id"],
            url=event.comment_url,
        )
