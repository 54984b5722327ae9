"""
What a moderator does to one comment: publish, edit, delete.

Each action updates the database, drops the cached pages of the thread,
and tells the notifiers, whichever door it came through (a signed link from
a mail, or the admin panel).  An action on a comment that is gone, or that
is already in the wanted state, changes nothing and says so.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twisted.application.internet import TimerService
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from .notify import CommentEvent
from .store import (
    DELETED,
    PUBLISHED,
    activate_interaction,
    comment_interaction,
    delete_comment_interaction,
    purge_interaction,
    update_comment_interaction,
)
from .views.shapes import public_comment

if TYPE_CHECKING:
    from .site import CommentSite

log = Logger()


class Outcome(enum.Enum):
    # The action was carried out.
    DONE = "done"
    # The comment was already in the wanted state (published, deleted).
    ALREADY = "already"
    # The comment was deleted; only its placeholder is left.
    DELETED = "deleted"
    # No such comment (deleted for good, purged, or never there).
    GONE = "gone"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    # The comment after the action (None when it is gone).
    comment: dict[str, Any] | None = None


async def find_comment(site: CommentSite, comment_id: int) -> dict[str, Any] | None:
    """
    Return a comment with its thread's C{uri}, or None.
    """
    return await site.database.run(
        comment_interaction, comment_id, site.renderer.fingerprint
    )


async def activate_comment(
    site: CommentSite, comment_id: int, *, origin: str, endpoint: str
) -> Result:
    """
    Publish a comment waiting for moderation.

    @param origin: the website the comment's links point to.
    @param endpoint: where this server is reached, for links in mails.
    """
    found = await site.database.run(activate_interaction, comment_id)
    if found is None:
        return Result(Outcome.GONE)
    thread, before = found
    comment = {**before, "uri": thread["uri"]}
    if before["mode"] == PUBLISHED:
        return Result(Outcome.ALREADY, comment)
    if before["mode"] == DELETED:
        return Result(Outcome.DELETED, comment)
    comment["mode"] = PUBLISHED
    site.threads.invalidate(thread["uri"])
    log.info("Comment {id} on {uri} published", id=comment_id, uri=thread["uri"])
    site.notifiers.comment_activated(CommentEvent(thread, comment, origin, endpoint))
    return Result(Outcome.DONE, comment)


async def delete_comment(site: CommentSite, comment_id: int) -> Result:
    """
    Delete a comment; one with replies stays as a placeholder.
    """
    row = await find_comment(site, comment_id)
    if row is None:
        return Result(Outcome.GONE)
    if row["mode"] == DELETED:
        return Result(Outcome.ALREADY, row)
    placeholder = await site.database.run(
        delete_comment_interaction, comment_id, site.renderer.placeholder
    )
    site.threads.invalidate(row["uri"])
    log.info("Comment {id} on {uri} deleted", id=comment_id, uri=row["uri"])
    site.notifiers.comment_deleted(comment_id)
    return Result(Outcome.DONE, placeholder)


async def edit_comment(
    site: CommentSite, comment_id: int, changes: dict[str, Any]
) -> Result:
    """
    Change a comment's columns (C{text}, C{author}, C{email}, C{website},
    already checked and escaped) and render the new text.  The comment is
    not marked as modified: the moderator's edit is not the author's.
    """
    row = await find_comment(site, comment_id)
    if row is None:
        return Result(Outcome.GONE)
    if row["mode"] == DELETED:
        return Result(Outcome.DELETED, row)
    rendering = (
        await site.renderer.render(changes["text"]) if "text" in changes else None
    )
    updated = await site.database.run(
        update_comment_interaction, comment_id, changes, rendering
    )
    if updated is None:
        return Result(Outcome.GONE)
    site.threads.invalidate(row["uri"])
    log.info("Comment {id} on {uri} edited", id=comment_id, uri=row["uri"])
    site.notifiers.comment_edited(comment_id, public_comment(updated))
    return Result(Outcome.DONE, updated)


# Purging runs at least this often, so that a comment goes soon after it
# has waited out [moderation] purge-after.
PURGE_PERIOD = 3600.0


async def purge_pending(site: CommentSite) -> list[str]:
    """
    Delete the comments that waited for approval longer than C{[moderation]
    purge-after}; return the uris of the threads that changed.
    """
    older_than = site.config.moderation.purge_after
    uris = await site.database.run(
        purge_interaction, site.clock.seconds(), older_than
    )
    if uris:
        site.threads.invalidate(*uris)
        log.info(
            "Purged comments that waited more than {days:.1f} days for "
            "approval, on: {uris}",
            days=older_than / 86400,
            uris=", ".join(uris),
        )
    return uris


def purge_service(site: CommentSite) -> TimerService | None:
    """
    Return the service that purges stale pending comments of a site, now
    and then periodically (every hour, or more often for a short
    C{purge-after}); None when C{purge-after} is 0 (pending comments are
    then kept until a moderator decides).
    """
    if site.config.moderation.purge_after <= 0:
        return None
    period = max(1.0, min(float(site.config.moderation.purge_after), PURGE_PERIOD))

    def purge() -> Deferred[None]:
        d = Deferred.fromCoroutine(purge_pending(site))
        d.addCallback(lambda _: None)
        d.addErrback(lambda f: log.failure("While purging pending comments", f))
        return d

    service = TimerService(period, purge)
    service.clock = site.clock
    return service
