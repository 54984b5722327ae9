"""
What the site owner does to comments: publish, edit, delete, ban.

This is the one place for it, whichever door the owner came through (a
signed link from a mail, or the admin panel): each action updates the
database in one transaction, drops the cached pages of the thread, logs,
and tells the notifiers.  An action on a comment that is gone, or that is
already in the wanted state, changes nothing and says so.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from twisted.application.internet import TimerService
from twisted.enterprise.adbapi import Transaction
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from .addresses import UNKNOWN_ADDRESS
from .caches import ResponseCache
from .db import Database, serialised
from .notify import CommentEvent, Notifiers
from .rendering import Renderer
from .shapes import public_comment
from .store.comments import (
    comment_interaction,
    delete_comment_interaction,
    update_comment_interaction,
)
from .store.pending import activate_interaction, purge_interaction
from .store.renderings import Rendering
from .store.rows import DELETED, PENDING, PUBLISHED
from .store.rules import add_rule_interaction
from .validation import InvalidComment, check_fields, edit_fields, escape_text

log = Logger()

# The fields of a comment the owner may change.
EDITABLE = ("text", "author", "email", "website")


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
    # The comment, with its thread's uri, after the action; for a deletion,
    # as it was before.  None when it is gone.
    comment: dict[str, Any] | None = None


def owner_changes(body: Any) -> dict[str, Any]:
    """
    Check an owner's edit (a JSON body, or a form's fields) and return the
    columns to set.  Unlike an author's own edit, the owner may correct the
    e-mail address too.

    @raise InvalidComment: the edit breaks a rule for comments.
    """
    if not isinstance(body, dict):
        raise InvalidComment("the request body must be a JSON object")
    check_fields({key: body.get(key) for key in EDITABLE})
    changes = edit_fields(body)
    if "email" in body:
        changes["email"] = escape_text(body["email"])
    return changes


def typed_changes(fields: Mapping[str, str]) -> dict[str, Any]:
    """
    Check an edit typed into a form and return the columns to set: line
    breaks become LF (browsers send CRLF), the text is kept as typed, other
    fields are trimmed, and a blank one is cleared.

    @raise InvalidComment: the edit breaks a rule for comments.
    """
    body: dict[str, Any] = {}
    for name in EDITABLE:
        value = fields.get(name, "").replace("\r\n", "\n")
        body[name] = value if name == "text" else value.strip() or None
    return owner_changes(body)


# The interactions: each checks and acts in one transaction, so that no
# other request changes the comment in between.


@serialised
def activate_many_interaction(
    txn: Transaction, comment_ids: Iterable[int]
) -> list[tuple[dict[str, Any], dict[str, Any]] | None]:
    """
    Publish the pending comments among C{comment_ids}; return, for each id,
    the thread and the comment as it was before (None if it is gone).
    """
    return [activate_interaction(txn, comment_id) for comment_id in comment_ids]


@serialised
def delete_many_interaction(
    txn: Transaction,
    comment_ids: Iterable[int],
    placeholder: Rendering,
    fingerprint: str,
) -> list[Result]:
    """
    Delete the comments among C{comment_ids} that are not deleted yet; one
    with replies stays as a placeholder, as for a reader's delete.
    """
    results = []
    for comment_id in comment_ids:
        row = comment_interaction(txn, comment_id, fingerprint)
        if row is None:
            results.append(Result(Outcome.GONE))
        elif row["mode"] == DELETED:
            results.append(Result(Outcome.ALREADY, row))
        else:
            delete_comment_interaction(txn, comment_id, placeholder)
            results.append(Result(Outcome.DONE, row))
    return results


@serialised
def edit_interaction(
    txn: Transaction,
    comment_id: int,
    changes: dict[str, Any],
    rendering: Rendering | None,
    fingerprint: str,
) -> Result:
    """
    Change a comment that is not deleted.
    """
    row = comment_interaction(txn, comment_id, fingerprint)
    if row is None:
        return Result(Outcome.GONE)
    if row["mode"] == DELETED:
        return Result(Outcome.DELETED, row)
    return Result(
        Outcome.DONE,
        update_comment_interaction(txn, comment_id, changes, rendering),
    )


# What a ban can refuse: the comment's network, its e-mail address.
BAN_TARGETS = ("network", "email")


@dataclass(frozen=True)
class AddedRule:
    """
    A refusing rule a ban asked for: its id, and whether it is new (the
    same rule may exist already).
    """

    id: int
    kind: str
    value: str
    new: bool


def ban_note(comment_id: int) -> str:
    """
    The note of the rules made by banning the writer of comment
    C{comment_id}, by which an undo from its mailed link finds them.
    """
    return f"banned from comment {comment_id}"


def ban_targets(
    row: Mapping[str, Any], targets: Iterable[str]
) -> list[tuple[str, str]]:
    """
    Return the C{(kind, value)} of the rules that ban the writer of a
    comment by C{targets}: its network as stored (unless unknown), its
    e-mail address as typed (unless it has none).
    """
    rules = []
    network = row.get("remote_addr") or ""
    email = " ".join(html.unescape(row.get("email") or "").split())
    if "network" in targets and network and network != UNKNOWN_ADDRESS:
        rules.append(("network", network))
    if "email" in targets and email:
        rules.append(("email", email))
    return rules


@serialised
def ban_interaction(
    txn: Transaction,
    comment_id: int,
    targets: tuple[str, ...],
    note: str,
    now: float,
    placeholder: Rendering,
    fingerprint: str,
) -> tuple[Result, list[AddedRule]]:
    """
    Delete a comment (unless it is deleted already) and add rules that
    refuse its writer's further comments, all in one transaction.
    """
    row = comment_interaction(txn, comment_id, fingerprint)
    if row is None:
        return Result(Outcome.GONE), []
    added = []
    for kind, value in ban_targets(row, targets):
        rule_id, new = add_rule_interaction(txn, kind, value, "refuse", note, now)
        added.append(AddedRule(rule_id, kind, value, new))
    if row["mode"] == DELETED:
        return Result(Outcome.ALREADY, row), added
    delete_comment_interaction(txn, comment_id, placeholder)
    return Result(Outcome.DONE, row), added


# Purging runs at least this often, so that a comment goes soon after it
# has waited out [moderation] purge-after.
PURGE_PERIOD = 3600.0


class Moderation:
    """
    The owner's actions on the comments of one site.

    @param purge_after: C{[moderation] purge-after}, in seconds; 0 keeps
        pending comments until a moderator decides.
    """

    def __init__(
        self,
        database: Database,
        renderer: Renderer,
        responses: ResponseCache,
        notifiers: Notifiers,
        clock: IReactorTime,
        purge_after: int,
    ) -> None:
        self._database = database
        self._renderer = renderer
        self._responses = responses
        self._notifiers = notifiers
        self._clock = clock
        self._purge_after = purge_after

    async def find_comment(self, comment_id: int) -> dict[str, Any] | None:
        """
        Return a comment with its thread's C{uri}, or None.
        """
        return await self._database.run(
            comment_interaction, comment_id, self._renderer.fingerprint
        )

    async def activate_comments(
        self, comment_ids: list[int], *, origin: str, endpoint: str
    ) -> list[Result]:
        """
        Publish comments waiting for moderation; return a result for each id.

        @param origin: the website the comments' links point to.
        @param endpoint: where this server is reached, for links in mails.
        """
        found = await self._database.run(activate_many_interaction, comment_ids)
        results = []
        events = []
        for item in found:
            if item is None:
                results.append(Result(Outcome.GONE))
                continue
            thread, before = item
            comment = {**before, "uri": thread["uri"]}
            if before["mode"] != PENDING:
                published = before["mode"] == PUBLISHED
                outcome = Outcome.ALREADY if published else Outcome.DELETED
                results.append(Result(outcome, comment))
                continue
            comment["mode"] = PUBLISHED
            results.append(Result(Outcome.DONE, comment))
            events.append(CommentEvent(thread, comment, origin, endpoint))
        if events:
            self._responses.invalidate(*{event.thread["uri"] for event in events})
        for event in events:
            log.info(
                "Comment {id} on {uri} published",
                id=event.comment["id"],
                uri=event.thread["uri"],
            )
            self._notifiers.comment_activated(event)
        return results

    async def activate_comment(
        self, comment_id: int, *, origin: str, endpoint: str
    ) -> Result:
        """
        Publish a comment waiting for moderation (see L{activate_comments}).
        """
        [result] = await self.activate_comments(
            [comment_id], origin=origin, endpoint=endpoint
        )
        return result

    async def delete_comments(self, comment_ids: list[int]) -> list[Result]:
        """
        Delete comments; one with replies stays as a placeholder.  Return a
        result for each id.
        """
        results = await self._database.run(
            delete_many_interaction,
            comment_ids,
            self._renderer.placeholder,
            self._renderer.fingerprint,
        )
        deleted = [r.comment for r in results if r.outcome is Outcome.DONE]
        if deleted:
            self._responses.invalidate(*{row["uri"] for row in deleted})
        for row in deleted:
            log.info("Comment {id} on {uri} deleted", id=row["id"], uri=row["uri"])
            self._notifiers.comment_deleted(row["id"], row)
        return results

    async def delete_comment(self, comment_id: int) -> Result:
        """
        Delete a comment (see L{delete_comments}).
        """
        [result] = await self.delete_comments([comment_id])
        return result

    async def ban_comment(
        self, comment_id: int, targets: tuple[str, ...], note: str
    ) -> tuple[Result, list[AddedRule]]:
        """
        Delete a comment and refuse further comments from its network
        and/or its e-mail address (C{targets}, from L{BAN_TARGETS}); the
        ban is undone by deleting the rules.
        """
        result, added = await self._database.run(
            ban_interaction,
            comment_id,
            targets,
            note,
            self._clock.seconds(),
            self._renderer.placeholder,
            self._renderer.fingerprint,
        )
        row = result.comment
        for rule in added:
            log.info(
                "Rule {rule_id} refuses comments from {kind} {value} ({how}, "
                "banned from comment {id})",
                rule_id=rule.id,
                kind=rule.kind,
                value=rule.value,
                how="new" if rule.new else "already there",
                id=comment_id,
            )
        if result.outcome is Outcome.DONE:
            assert row is not None
            self._responses.invalidate(row["uri"])
            log.info("Comment {id} on {uri} deleted", id=row["id"], uri=row["uri"])
            self._notifiers.comment_deleted(row["id"], row)
        return result, added

    async def edit_comment(self, comment_id: int, changes: dict[str, Any]) -> Result:
        """
        Change a comment's columns (from L{owner_changes} or L{typed_changes})
        and render the new text.  Only the columns given change: the comment
        is not marked as modified unless C{changes} sets C{modified}.
        """
        renderer = self._renderer
        rendering = (
            await renderer.render(changes["text"]) if "text" in changes else None
        )
        result = await self._database.run(
            edit_interaction, comment_id, changes, rendering, renderer.fingerprint
        )
        if result.outcome is Outcome.DONE:
            updated = result.comment
            assert updated is not None
            self._responses.invalidate(updated["uri"])
            log.info("Comment {id} on {uri} edited", id=comment_id, uri=updated["uri"])
            self._notifiers.comment_edited(comment_id, public_comment(updated))
        return result

    async def purge_pending(self) -> list[str]:
        """
        Delete the comments that waited for approval longer than
        C{[moderation] purge-after}; return the uris of the threads that
        changed.
        """
        older_than = self._purge_after
        uris = await self._database.run(
            purge_interaction, self._clock.seconds(), older_than
        )
        if uris:
            self._responses.invalidate(*uris)
            log.info(
                "Purged comments that waited more than {days:.1f} days for "
                "approval, on: {uris}",
                days=older_than / 86400,
                uris=", ".join(uris),
            )
        return uris

    def purge_service(self) -> TimerService | None:
        """
        Return the service that purges stale pending comments, now and then
        periodically (every hour, or more often for a short C{purge-after});
        None when C{purge-after} is 0.
        """
        if self._purge_after <= 0:
            return None
        period = max(1.0, min(float(self._purge_after), PURGE_PERIOD))

        def purge() -> Deferred[None]:
            d = Deferred.fromCoroutine(self.purge_pending())
            d.addCallback(lambda _: None)
            d.addErrback(lambda f: log.failure("While purging pending comments", f))
            return d

        service = TimerService(period, purge)
        service.clock = self._clock
        return service
