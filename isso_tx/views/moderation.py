"""
The links in the owner's mails and in commenters' reply mails.

C{/id/<id>/<activate|edit|delete>/<key>} moderates a comment (the delete
page can also ban the writer: refuse further comments from the comment's
network and/or e-mail address, and undo that) and
C{/id/<id>/unsubscribe/<email>/<key>} stops reply mails; the signed key is
the authorisation.  A C{GET} only shows what the link would do, with a
button: mail scanners and link previews fetch links, and must change
nothing.  Only the C{POST} that button sends acts.

Isso's links keep working: the keys are made and checked as Isso does,
but the id in the path must be the id the key was made for.  Scripts that
used Isso's endpoints with a bare C{POST} still get Isso's plain answers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.template import Element, Tag, renderer, tags

from ..addresses import Origins
from ..db import Database
from ..moderation import (
    BAN_TARGETS,
    EDITABLE,
    AddedRule,
    Moderation,
    Outcome,
    Result,
    ban_note,
    ban_targets,
    owner_changes,
    typed_changes,
)
from ..shapes import public_comment
from ..signing import InvalidToken, Signer
from ..store.recipients import unsubscribe_interaction
from ..store.rows import DELETED, PENDING, PUBLISHED
from ..store.rules import delete_rules_interaction
from ..validation import InvalidComment, is_sqlite_int, parse_int
from .http import (
    TEXT_TYPE,
    comment_routes,
    error_body,
    json_body,
    read_json,
    route_errors,
)
from .pages import content_security_policy, owner_page, template
from .requests import Addressing

# The page styles itself (one inline stylesheet) and loads nothing.
POLICY = content_security_policy("style-src 'unsafe-inline'")

FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")

STATES = {PUBLISHED: "published", PENDING: "waiting for approval", DELETED: "deleted"}


@dataclass
class Page:
    """
    Everything one page shows, gathered before rendering.
    """

    title: str
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    comment: dict[str, Any] | None = None
    # A button that posts back to the same address.
    button: str | None = None
    # Values for the edit form (plain text), or None for no form.
    edit: dict[str, str] | None = None
    # Where the comment is shown on the website.
    link: str | None = None
    # What the delete page offers to ban: (kind, value) of the writer.
    ban: list[tuple[str, str]] = field(default_factory=list)
    # The rules a ban added, which the page offers to delete again.
    undo: list[AddedRule] = field(default_factory=list)


class ModerationElement(Element):
    loader = template("moderation.xml")

    def __init__(self, page: Page) -> None:
        super().__init__()
        self._page = page

    @renderer
    def title(self, request: IRequest, tag: Tag) -> Tag:
        return tag(f"{self._page.title} · comments")

    @renderer
    def heading(self, request: IRequest, tag: Tag) -> Tag:
        return tag(self._page.title)

    @renderer
    def error(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag(self._page.error) if self._page.error else ""

    @renderer
    def messages(self, request: IRequest, tag: Tag) -> list[Tag]:
        return [tag.clone()(message) for message in self._page.messages]

    @renderer
    def comment(self, request: IRequest, tag: Tag) -> Tag | str:
        row = self._page.comment
        if row is None:
            return ""
        email = html.unescape(row["email"] or "")
        website = html.unescape(row["website"] or "")
        return tag.fillSlots(
            author=html.unescape(row["author"] or "") or "(no name)",
            email=f" <{email}>" if email else "",
            website=f" · {website}" if website else "",
            id=str(row["id"]),
            uri=row.get("uri") or "?",
            state=STATES.get(row["mode"], f"mode {row['mode']}"),
            text=row["text"],
        )

    @renderer
    def confirm_form(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._page.button is None:
            return ""
        return tag.fillSlots(button=self._page.button)

    @renderer
    def ban(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._page.ban else ""

    @renderer
    def ban_targets(self, request: IRequest, tag: Tag) -> list[Tag]:
        return [
            tag.clone().fillSlots(
                kind=kind,
                what="network" if kind == "network" else "e-mail address",
                value=value,
            )
            for kind, value in self._page.ban
        ]

    @renderer
    def undo_form(self, request: IRequest, tag: Tag) -> Tag | str:
        new = [rule for rule in self._page.undo if rule.new]
        if not new:
            return ""
        for rule in new:
            tag(tags.input(type="hidden", name="undo", value=str(rule.id)))
        return tag

    @renderer
    def edit_form(self, request: IRequest, tag: Tag) -> Tag | str:
        values = self._page.edit
        if values is None:
            return ""
        # A browser drops the first newline after <textarea>.
        return tag.fillSlots(
            text="\n" + values["text"],
            author=values["author"],
            email=values["email"],
            website=values["website"],
        )

    @renderer
    def link(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._page.link is None:
            return ""
        return tag.fillSlots(href=self._page.link)


DELETED_PAGE = Page(
    "Already deleted",
    [
        "This comment was deleted. Only a placeholder is left, so that its "
        "replies stay readable; there is nothing left to do."
    ],
)


class PageError(Exception):
    """
    The request ends with an explanatory page and this status.
    """

    def __init__(self, code: int, page: Page) -> None:
        super().__init__(code, page.title)
        self.code = code
        self.page = page


def _form_post(request: IRequest) -> bool:
    """
    Whether the request is a browser form's (our pages' buttons, one-click
    unsubscribe), rather than a script speaking Isso's API.
    """
    content_type = (request.getHeader(b"content-type") or b"").lower()
    return content_type.startswith(FORM_TYPES)


def _form_value(request: IRequest, name: str) -> str:
    values = request.args.get(name.encode())
    return values[0].decode("utf-8", "replace") if values else ""


def _edit_values(row: dict[str, Any]) -> dict[str, str]:
    """
    A comment's fields as a person edits them: author, e-mail and website
    are stored HTML-escaped, and are escaped again when saved.
    """
    return {
        "text": row["text"],
        "author": html.unescape(row["author"] or ""),
        "email": html.unescape(row["email"] or ""),
        "website": html.unescape(row["website"] or ""),
    }


class ModerationPages:
    """
    The pages behind the links of notification mails.
    """

    app = comment_routes(Klein())
    log = Logger()

    def __init__(
        self,
        moderation: Moderation,
        signer: Signer,
        database: Database,
        origins: Origins,
        addressing: Addressing,
    ) -> None:
        self._moderation = moderation
        self._signer = signer
        self._database = database
        self._origins = origins
        self._addressing = addressing

    # Pages and errors

    def _page(self, request: IRequest, code: int, page: Page) -> Element:
        owner_page(request, code, POLICY)
        return ModerationElement(page)

    @app.handle_errors(PageError)
    def _page_error(self, request: IRequest, failure: Failure) -> Element:
        return self._page(request, failure.value.code, failure.value.page)

    def _no_route(self, request: IRequest) -> Element:
        return self._page(
            request,
            404,
            Page("Not found", ["This address is not a link this server makes."]),
        )

    def _wrong_method(self, request: IRequest, allowed: list[str]) -> Element:
        return self._page(
            request,
            405,
            Page("Not allowed", ["Open this link in a browser."]),
        )

    def _allow(self, allowed: list[str]) -> str:
        # Every link of these pages takes what a browser uses to follow it
        # and to submit the page's form.
        return "GET, HEAD, POST"

    route_errors(app, _no_route, _wrong_method, allow=_allow)

    def _comment_link(self, request: IRequest, row: dict[str, Any]) -> str | None:
        if row.get("mode") != PUBLISHED or not row.get("uri"):
            return None
        origin = self._origins.resolve(request)
        return f"{origin}{row['uri']}#isso-{row['id']}"

    def _check_key(self, comment_id: int, key: str) -> None:
        try:
            signed_id = self._signer.load_moderation_key(key)
        except InvalidToken:
            raise PageError(
                403,
                Page(
                    "This link does not work",
                    [
                        "The link is incomplete, was changed, has expired, or "
                        "was made by another server. Copy the whole link from "
                        "the mail, or use the admin panel.",
                    ],
                ),
            ) from None
        if signed_id != comment_id:
            raise PageError(
                403,
                Page(
                    "This link does not work",
                    [
                        "The link was made for another comment than the one "
                        "its address names. Copy the whole link from the mail.",
                    ],
                ),
            )

    @staticmethod
    def _gone() -> PageError:
        return PageError(
            404,
            Page(
                "This comment no longer exists",
                [
                    "It was deleted, or removed after waiting too long for "
                    "approval. There is nothing left to do."
                ],
            ),
        )

    # Moderation links

    @app.route(
        "/id/<id:comment_id>/<any(activate, edit, delete):action>/<key>",
        methods=["GET", "HEAD", "POST"],
    )
    async def moderate(
        self, request: IRequest, comment_id: int, action: str, key: str
    ) -> Element | bytes:
        self._check_key(comment_id, key)
        if request.method == b"POST":
            if _form_post(request):
                return await getattr(self, f"_{action}")(request, comment_id)
            return await self._isso_post(request, comment_id, action)
        row = await self._moderation.find_comment(comment_id)
        if row is None:
            raise self._gone()
        if row["mode"] == DELETED:
            return self._page(request, 200, DELETED_PAGE)
        link = self._comment_link(request, row)
        if action == "activate":
            if row["mode"] != PENDING:
                return self._page(
                    request,
                    200,
                    Page(
                        "Already published",
                        ["This comment is already public."],
                        comment=row,
                        link=link,
                    ),
                )
            page = Page(
                "Publish this comment?",
                ["It will appear on the page for every reader."],
                comment=row,
                button="Publish",
            )
        elif action == "delete":
            page = Page(
                "Delete this comment?",
                [
                    "It disappears from the page. If it has replies, they stay "
                    "and a placeholder takes its place."
                ],
                comment=row,
                button="Delete",
                link=link,
                ban=ban_targets(row, BAN_TARGETS),
            )
        else:
            page = Page(
                "Edit this comment",
                ["Change what you need and save; the comment keeps its place."],
                comment=row,
                edit=_edit_values(row),
                link=link,
            )
        return self._page(request, 200, page)

    async def _activate_now(self, request: IRequest, comment_id: int) -> Result:
        return await self._moderation.activate_comment(
            comment_id,
            origin=self._origins.resolve(request),
            endpoint=self._addressing.endpoint(request),
        )

    async def _activate(self, request: IRequest, comment_id: int) -> Element:
        result = await self._activate_now(request, comment_id)
        row = result.comment
        if result.outcome is Outcome.GONE:
            raise self._gone()
        if result.outcome is Outcome.DELETED:
            return self._page(request, 200, DELETED_PAGE)
        assert row is not None
        title = "Published" if result.outcome is Outcome.DONE else "Already published"
        message = (
            "The comment is now public."
            if result.outcome is Outcome.DONE
            else "This comment was already public."
        )
        return self._page(
            request,
            200,
            Page(title, [message], link=self._comment_link(request, row)),
        )

    async def _delete(self, request: IRequest, comment_id: int) -> Element:
        if request.args.get(b"undo"):
            return await self._undo(request, comment_id)
        targets = tuple(
            target for target in BAN_TARGETS
            if target.encode() in request.args.get(b"ban", [])
        )
        if targets:
            return await self._ban(request, comment_id, targets)
        result = await self._moderation.delete_comment(comment_id)
        if result.outcome is Outcome.GONE:
            raise self._gone()
        if result.outcome is Outcome.ALREADY:
            return self._page(request, 200, DELETED_PAGE)
        return self._page(
            request, 200, Page("Deleted", ["The comment was deleted."])
        )

    async def _ban(
        self, request: IRequest, comment_id: int, targets: tuple[str, ...]
    ) -> Element:
        result, added = await self._moderation.ban_comment(
            comment_id, targets, ban_note(comment_id)
        )
        if result.outcome is Outcome.GONE:
            raise self._gone()
        self.log.info(
            "Banned the writer of comment {id} from a mailed link: rules {rules}",
            id=comment_id,
            rules=", ".join(str(rule.id) for rule in added) or "none",
        )
        done = (
            "The comment was deleted."
            if result.outcome is Outcome.DONE
            else "The comment was already deleted."
        )
        messages = [done]
        for rule in added:
            what = "network" if rule.kind == "network" else "e-mail address"
            state = "" if rule.new else " (this rule existed already)"
            messages.append(
                f"Further comments from the {what} {rule.value} are refused: "
                f"rule {rule.id}{state}."
            )
        if any(rule.new for rule in added):
            messages.append(
                "Undo the ban with the button below, or by deleting the rules "
                "on the admin panel's Spam rules page."
            )
        return self._page(request, 200, Page("Deleted and banned", messages, undo=added))

    async def _undo(self, request: IRequest, comment_id: int) -> Element:
        ids = []
        for value in request.args.get(b"undo", [])[:len(BAN_TARGETS)]:
            number = parse_int(value.decode("ascii", "replace"))
            if number is not None and is_sqlite_int(number):
                ids.append(number)
        # Only the rules this comment's ban made: the link's key is for
        # this comment, not for the site's other rules.
        deleted = await self._database.run(
            delete_rules_interaction, ids, ban_note(comment_id)
        )
        for rule in deleted:
            self.log.info(
                "Deleted rule {id} ({kind} {value}) from a mailed link: ban of "
                "comment {comment} undone",
                id=rule.id,
                kind=rule.kind,
                value=rule.value,
                comment=comment_id,
            )
        if not deleted:
            return self._page(
                request,
                200,
                Page("Nothing to undo", ["The ban's rules were already deleted."]),
            )
        return self._page(
            request,
            200,
            Page(
                "Ban undone",
                [
                    f"Rule {rule.id} was deleted: comments from {rule.value} are "
                    "accepted again."
                    for rule in deleted
                ]
                + ["The deleted comment stays deleted."],
            ),
        )

    async def _edit(self, request: IRequest, comment_id: int) -> Element:
        values = {name: _form_value(request, name) for name in EDITABLE}
        try:
            changes = typed_changes(values)
        except InvalidComment as e:
            row = await self._moderation.find_comment(comment_id)
            if row is None:
                raise self._gone() from e
            return self._page(
                request,
                400,
                Page(
                    "Edit this comment",
                    error=f"Not saved: {e}.",
                    comment=row,
                    edit=values,
                ),
            )
        result = await self._moderation.edit_comment(comment_id, changes)
        if result.outcome is Outcome.GONE:
            raise self._gone()
        if result.outcome is Outcome.DELETED:
            return self._page(request, 200, DELETED_PAGE)
        assert result.comment is not None
        return self._page(
            request,
            200,
            Page(
                "Saved",
                ["The comment was changed."],
                comment=result.comment,
                link=self._comment_link(request, result.comment),
            ),
        )

    async def _isso_post(
        self, request: IRequest, comment_id: int, action: str
    ) -> bytes:
        """
        Answer a bare C{POST} (a script, or Isso's own pages) as Isso does:
        plain text, or the edited comment as JSON.
        """
        def text(message: str) -> bytes:
            request.setResponseCode(200)
            request.setHeader(b"content-type", TEXT_TYPE)
            return message.encode("utf-8")

        if action == "activate":
            result = await self._activate_now(request, comment_id)
            if result.outcome is Outcome.GONE:
                return error_body(request, 404, "no such comment")
            if result.outcome is Outcome.ALREADY:
                return text("Already activated")
            if result.outcome is Outcome.DELETED:
                return text("Already deleted")
            return text("Comment has been activated")
        if action == "delete":
            result = await self._moderation.delete_comment(comment_id)
            if result.outcome is Outcome.GONE:
                return error_body(request, 404, "no such comment")
            return text("Comment has been deleted")
        try:
            changes = owner_changes(read_json(request))
        except InvalidComment as e:
            return error_body(request, 400, str(e))
        result = await self._moderation.edit_comment(comment_id, changes)
        if result.outcome is Outcome.GONE:
            return error_body(request, 404, "no such comment")
        if result.outcome is Outcome.DELETED:
            return error_body(request, 409, "the comment was deleted")
        assert result.comment is not None
        return json_body(request, public_comment(result.comment, plain=True))

    # Unsubscribing

    @app.route(
        "/id/<id:comment_id>/unsubscribe/<path:email>/<key>",
        methods=["GET", "HEAD", "POST"],
    )
    async def unsubscribe(
        self, request: IRequest, comment_id: int, email: str, key: str
    ) -> Element:
        try:
            signed_email = self._signer.load_unsubscribe_key(key)
        except InvalidToken:
            signed_email = None
        if signed_email is None or signed_email != email:
            raise PageError(
                403,
                Page(
                    "This link does not work",
                    [
                        "The link is incomplete or was changed. Copy the whole "
                        "link from the mail.",
                    ],
                ),
            )
        shown = html.unescape(email)
        if request.method != b"POST":
            if await self._moderation.find_comment(comment_id) is None:
                raise self._conversation_gone()
            return self._page(
                request,
                200,
                Page(
                    "Stop mails about replies?",
                    [
                        f"{shown} will no longer get a mail when someone "
                        "answers in this conversation. Other conversations "
                        "are not affected."
                    ],
                    button="Unsubscribe",
                ),
            )
        if not await self._database.run(unsubscribe_interaction, comment_id, email):
            raise self._conversation_gone()
        self.log.info(
            "Reply notifications for comment {id} turned off for an address",
            id=comment_id,
        )
        return self._page(
            request,
            200,
            Page(
                "Unsubscribed",
                [
                    f"{shown} will no longer get mails about replies in this "
                    "conversation."
                ],
            ),
        )

    @staticmethod
    def _conversation_gone() -> PageError:
        return PageError(
            404,
            Page(
                "This conversation no longer exists",
                ["Its comment was deleted, so no more mails will come from it."],
            ),
        )

