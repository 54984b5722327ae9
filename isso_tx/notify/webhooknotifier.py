"""
Turning comment events into webhooks, one per target that asked for the
event, for L{isso_tx.webhooks} to deliver.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, DeferredList
from twisted.logger import Logger

from ..db import Database
from ..rendering import Renderer
from ..settings import WebhookConfig
from ..signing import Signer
from ..store.comments import comment_interaction
from ..store.rows import PENDING
from ..store.threads import thread_interaction
from ..webhooks import WebhookSender
from .events import CommentEvent
from .hooks import Happening, webhook_body
from .links import moderation_link

# The moderation links each event carries.
_LINKS = {
    "created": ("edit", "delete"),
    "pending": ("activate", "edit", "delete"),
    "approved": ("edit", "delete"),
    "edited": ("edit", "delete"),
    "deleted": (),
}


class WebhookNotifier:
    """
    Queues a webhook for each target whose C{events} name what happened:
    C{created} (a new comment, public at once), C{pending} (a new comment
    waiting for approval), C{approved} (a waiting comment published),
    C{edited} and C{deleted}.

    What an event lacks (the thread's title, the comment's rendering) is
    read in the background; storing the webhooks in the outbox and sending
    them is the L{WebhookSender}'s work.  Nothing here makes a request wait.
    """

    log = Logger()

    def __init__(
        self,
        site: str,
        targets: tuple[WebhookConfig, ...],
        sender: WebhookSender,
        signer: Signer,
        database: Database,
        renderer: Renderer,
        *,
        public_endpoint: str,
        website: str,
    ) -> None:
        """
        @param site: the site's C{[general] name}.
        @param public_endpoint: C{[server] public-endpoint}: where moderation
            links point; when empty, the address the request came to, and
            no links for edits and deletions (which may come from the
            command line or the panel of another host name).
        @param website: the site's first C{[general] host}, for links to
            comments whose event names no website.
        """
        self._site = site
        self._targets = targets
        self._sender = sender
        self._signer = signer
        self._database = database
        self._renderer = renderer
        self._public_endpoint = public_endpoint
        self._website = website.rstrip("/")
        # Events on their way into the outbox.
        self._working: set[Deferred[None]] = set()

    def thread_created(self, thread: dict[str, Any]) -> None:
        pass

    def comment_created(self, event: CommentEvent) -> None:
        name = "pending" if event.comment["mode"] == PENDING else "created"
        self._tell(name, event.comment["id"], thread=event.thread,
                   row=event.comment, origin=event.origin, endpoint=event.endpoint)

    def comment_activated(self, event: CommentEvent) -> None:
        # The row is the comment as it was, without its rendering.
        self._tell("approved", event.comment["id"], thread=event.thread,
                   origin=event.origin, endpoint=event.endpoint)

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        self._tell("edited", comment_id)

    def comment_deleted(self, comment_id: int, comment: dict[str, Any]) -> None:
        self._tell("deleted", comment_id, row=comment)

    def _tell(self, event: str, comment_id: int, **known: Any) -> None:
        """
        Queue the webhooks of C{event} in the background, from what is
        C{known} already (see L{_queue}).
        """
        targets = [target for target in self._targets if event in target.events]
        if not targets:
            return
        d = Deferred.fromCoroutine(self._queue(targets, event, comment_id, **known))
        self._working.add(d)
        d.addErrback(
            lambda f: self.log.failure(
                "While queueing the {event} webhooks for comment {id}",
                f,
                event=event,
                id=comment_id,
            )
        )
        d.addBoth(lambda _: self._working.discard(d))

    async def _queue(
        self,
        targets: list[WebhookConfig],
        event: str,
        comment_id: int,
        thread: dict[str, Any] | None = None,
        row: dict[str, Any] | None = None,
        origin: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        """
        Read what is missing (the row, its rendering, the thread), build
        each target's body and store it in the outbox.

        @param origin: the website the event names, if any.
        @param endpoint: where the request that made the event came to.
        """
        if row is None:
            row = await self._database.run(
                comment_interaction, comment_id, self._renderer.fingerprint
            )
            if row is None:
                self.log.info(
                    "No {event} webhook for comment {id}: it is gone already",
                    event=event,
                    id=comment_id,
                )
                return
        row = dict(row)
        if row.get("html") is None:
            row["html"] = (await self._renderer.render(row["text"] or "")).html
        if thread is None:
            uri = row.get("uri") or ""
            # A thread goes with its last comment: then its title is unknown.
            thread = await self._database.run(thread_interaction, uri) or {
                "uri": uri,
                "title": None,
            }
        endpoint = self._public_endpoint or (endpoint or "")
        links = {
            action: moderation_link(self._signer, endpoint, comment_id, action)
            for action in _LINKS[event]
            if endpoint
        }
        website = origin or self._website
        happening = Happening(
            event=event,
            site=self._site,
            thread=thread,
            comment=row,
            url=f"{website}{thread['uri']}#isso-{comment_id}" if website else None,
            links=links,
        )
        for target in targets:
            await self._sender.send(
                target,
                event,
                f"the {event} webhook for comment {comment_id}",
                webhook_body(target.format, happening),
            )

    def stored(self) -> Deferred[None]:
        """
        Return a Deferred that fires once every event so far is in the
        outbox as webhooks.
        """
        return DeferredList(list(self._working)).addCallback(lambda _: None)

    def settled(self) -> Deferred[None]:
        """
        Return a Deferred that fires once every event so far has been
        turned into webhooks and they have left (or been given up).
        """
        return self.stored().addCallback(lambda _: self._sender.idle())
