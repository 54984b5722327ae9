"""
The admin panel's pages: the L{twisted.web.template} elements that render
the sign-in form, messages, the comments panel and the spam rules, and the
helpers they share (the labels of states, kinds and actions, dates, the
panel's links, stored HTML turned into tags).

The routes, the form parsing and the flow are L{isso_tx.views.admin}'s;
this module only turns data fetched there into HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from twisted.web.iweb import IRequest, ITemplateLoader
from twisted.web.template import Element, Tag, TagLoader, renderer, tags

from ..addresses import UNKNOWN_ADDRESS
from ..store.admin import AdminPage, AdminQuery
from ..store.rows import DELETED, PENDING, PUBLISHED
from ..store.rules import RulesListing
from .pages import template

STATES = {
    PENDING: ("pending", "Pending"),
    PUBLISHED: ("approved", "Approved"),
    DELETED: ("deleted", "Deleted"),
}

# How the rules page names the kinds and actions of rules.
KIND_LABELS = {
    "network": "Network",
    "email": "E-mail",
    "author": "Name",
    "domain": "Website domain",
    "words": "Words in the text",
    "regex": "Regular expression on the text",
}
ACTION_LABELS = {"refuse": "Refuse", "hold": "Hold for moderation"}


def html_fragment(markup: str) -> list[Any]:
    """
    Turn an HTML fragment into template tags, so that it is written as
    HTML (Twisted's templates have no "raw" node; everything else is
    escaped).  Only for HTML that is already safe: the stored renderings,
    which went through the Markdown and bleach pipeline.
    """
    # Loaded when the panel first shows comments, not at start: html5lib
    # costs every daemon over a megabyte of memory.
    import html5lib

    root = html5lib.parseFragment(
        markup, treebuilder="etree", namespaceHTMLElements=False
    )

    def convert(element: Any) -> list[Any]:
        out: list[Any] = []
        if element.text:
            out.append(element.text)
        for child in element:
            if isinstance(child.tag, str):
                attributes = dict(child.attrib)
                out.append(
                    Tag(child.tag, attributes=attributes, children=convert(child))
                )
            if child.tail:
                out.append(child.tail)
        return out

    return convert(root)


def query_string(query: AdminQuery, **changes: Any) -> str:
    """
    Return the query string that lists C{query} (with C{changes}).
    """
    values = {
        "mode": query.mode,
        "uri": query.uri,
        "q": query.search,
        "page": query.page,
    }
    values.update(changes)
    kept = {k: v for k, v in values.items() if v not in ("", None)}
    if kept.get("page") == 1:
        del kept["page"]
    return urlencode(kept)


def _utc(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC)


class _Page(Element):
    """
    A page of the panel: its slots are filled at the root.
    """

    def __init__(self, slots: dict[str, Any]) -> None:
        super().__init__()
        self._slots = slots

    @renderer
    def page(self, request: IRequest, tag: Tag) -> Tag:
        return tag.fillSlots(**self._slots)

    @renderer
    def notice(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._slots.get("notice") else ""


class LoginPage(_Page):
    loader = template("admin-login.xml")

    def __init__(self, slots: dict[str, Any], notice: str, form: bool) -> None:
        super().__init__(dict(slots, notice=notice))
        self._show_form = form

    @renderer
    def form(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._show_form else ""


class MessagePage(_Page):
    loader = template("admin-message.xml")

    def __init__(
        self, slots: dict[str, Any], link: tuple[str, str] | None = None
    ) -> None:
        if link is not None:
            slots = dict(slots, href=link[0], label=link[1])
        super().__init__(slots)
        self._link = link

    @renderer
    def link(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._link is not None else ""


class CommentItem(Element):
    """
    One comment of the list, rendered from the list's pattern.
    """

    def __init__(self, loader: ITemplateLoader, row: dict[str, Any]) -> None:
        super().__init__(loader)
        self._row = row

    @staticmethod
    def slots(row: dict[str, Any], links: dict[str, str]) -> dict[str, str]:
        created = _utc(row["created"])
        modified = _utc(row["modified"])
        author = html.unescape(row["author"]) if row["author"] else ""
        return dict(
            id=str(row["id"]),
            author=author or "Anonymous",
            author_raw=author,
            email=html.unescape(row["email"] or ""),
            website=html.unescape(row["website"] or ""),
            parent=str(row["parent"] or ""),
            uri=row["uri"] or "",
            title=row["title"] or "(thread gone)",
            thread_filter=links["thread_filter"],
            page_url=links["page_url"],
            created=created.strftime("%Y-%m-%d %H:%M UTC") if created else "",
            created_iso=created.isoformat() if created else "",
            modified=modified.strftime("%Y-%m-%d %H:%M UTC") if modified else "",
            likes=str(row["likes"] or 0),
            dislikes=str(row["dislikes"] or 0),
            network=row["remote_addr"] or "unknown",
            text=row["text"] or "",
        )

    @renderer
    def unless_deleted(self, request: IRequest, tag: Tag) -> Tag | str:
        """
        Selecting, deleting and editing are for comments not deleted yet.
        """
        return tag if self._row["mode"] != DELETED else ""

    @renderer
    def email(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._row["email"] else ""

    @renderer
    def website(self, request: IRequest, tag: Tag) -> Tag | str:
        website = html.unescape(self._row["website"] or "")
        if not website.lower().startswith(("http://", "https://")):
            return ""
        return tag

    @renderer
    def reply(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._row["parent"] else ""

    @renderer
    def modified(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._row["modified"] else ""

    @renderer
    def rendered(self, request: IRequest, tag: Tag) -> Tag:
        # The stored rendering went through the Markdown and bleach
        # pipeline: it is the HTML readers get.
        return tag(html_fragment(self._row["html"] or ""))

    @renderer
    def activate(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._row["mode"] == PENDING else ""

    @renderer
    def ban_network(self, request: IRequest, tag: Tag) -> Tag | str:
        network = self._row["remote_addr"]
        return tag if network and network != UNKNOWN_ADDRESS else ""


def _when(timestamp: float | None) -> str:
    moment = _utc(timestamp)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def rules_path(page: int, **params: Any) -> str:
    """
    Return the path and query of the rules page C{page} (with C{params},
    such as the notice to show); page 1 is named by no C{page} parameter,
    as the comments panel names it.
    """
    if page > 1:
        params["page"] = page
    query = urlencode(params)
    return "/admin/rules" + ("?" + query if query else "")


class RulesPage(_Page):
    """
    A page of the spam rules of the site, and the form that adds one.
    """

    loader = template("admin-rules.xml")

    def __init__(
        self,
        slots: dict[str, Any],
        listing: RulesListing,
        notice: str = "",
        error: str = "",
        typed: dict[str, str] | None = None,
    ) -> None:
        typed = typed or {}
        super().__init__(
            dict(
                slots,
                notice=notice,
                error=error,
                value=typed.get("value", ""),
                note=typed.get("note", ""),
                page=str(listing.page),
                pages=str(listing.pages),
            )
        )
        self._listing = listing
        self._rules = listing.rules
        self._typed = typed

    @renderer
    def error(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._slots.get("error") else ""

    def _options(self, tag: Tag, labels: dict[str, str], chosen: str) -> Tag:
        for value, label in labels.items():
            attributes = {"value": value}
            if value == chosen:
                attributes["selected"] = "selected"
            tag(tags.option(label, **attributes))
        return tag

    @renderer
    def kinds(self, request: IRequest, tag: Tag) -> Tag:
        return self._options(tag, KIND_LABELS, self._typed.get("kind", ""))

    @renderer
    def actions(self, request: IRequest, tag: Tag) -> Tag:
        return self._options(tag, ACTION_LABELS, self._typed.get("rule_action", ""))

    @renderer
    def empty(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._rules:
            return ""
        empty = "No rules on this page." if self._listing.total else "No rules yet."
        return tag.fillSlots(empty=empty)

    @renderer
    def table(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._rules else ""

    @renderer
    def rules(self, request: IRequest, tag: Tag) -> Iterator[Tag]:
        for rule in self._rules:
            created = _utc(rule.created)
            yield tag.clone().fillSlots(
                id=str(rule.id),
                kind=KIND_LABELS.get(rule.kind, rule.kind),
                value=rule.value,
                action=ACTION_LABELS.get(rule.action, rule.action),
                note=rule.note,
                created=_when(rule.created),
                created_iso=created.isoformat() if created else "",
                matches=str(rule.matches),
                last_match=_when(rule.last_match),
            )

    # The pager, as the comments panel's.

    def _href(self, page: int) -> str:
        return self._slots["base"] + rules_path(page)

    @renderer
    def pager(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._listing.pages <= 1 and self._listing.page <= 1:
            return ""
        return tag

    @renderer
    def previous(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._listing.page <= 1:
            return ""
        page = min(self._listing.page - 1, self._listing.pages)
        return tag.fillSlots(href=self._href(page))

    @renderer
    def next(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._listing.page >= self._listing.pages:
            return ""
        return tag.fillSlots(href=self._href(self._listing.page + 1))


class PanelPage(_Page):
    loader = template("admin-panel.xml")

    def __init__(
        self,
        slots: dict[str, Any],
        query: AdminQuery,
        listing: AdminPage,
        notice: str,
        origin: str,
    ) -> None:
        super().__init__(dict(slots, notice=notice))
        self._query = query
        self._listing = listing
        self._origin = origin
        self._admin = slots["base"] + "/admin/"

    def _href(self, **changes: Any) -> str:
        query = query_string(self._query, **changes)
        return self._admin + ("?" + query if query else "")

    @renderer
    def tabs(self, request: IRequest, tag: Tag) -> Tag:
        for mode, (_, label) in STATES.items():
            attributes = {"href": self._href(mode=mode, page=1)}
            if mode == self._query.mode:
                attributes["aria-current"] = "page"
            tag(
                tags.li(
                    tags.a(
                        label,
                        " ",
                        tags.span(str(self._listing.total(mode)), class_="count"),
                        **attributes,
                    )
                )
            )
        return tag

    @renderer
    def clear_filter(self, request: IRequest, tag: Tag) -> Tag | str:
        if not (self._query.uri or self._query.search):
            return ""
        return tag(href=self._href(uri="", q="", page=1))

    @renderer
    def bulk(self, request: IRequest, tag: Tag) -> Tag | str:
        if not self._listing.comments or self._query.mode == DELETED:
            return ""
        return tag

    @renderer
    def if_pending(self, request: IRequest, tag: Tag) -> Tag | str:
        return tag if self._query.mode == PENDING else ""

    @renderer
    def empty(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._listing.comments:
            return ""
        state = STATES[self._query.mode][0]
        query = self._query
        filtered = " matching the filter" if query.uri or query.search else ""
        return tag.fillSlots(empty=f"No {state} comments{filtered}.")

    @renderer
    def comments(self, request: IRequest, tag: Tag) -> Iterator[Element]:
        for row in self._listing.comments:
            uri = row["uri"] or ""
            links = {
                "thread_filter": self._href(uri=uri, q="", page=1),
                "page_url": f"{self._origin}{quote(uri, safe='/:?=&%#+,;@!~*()')}"
                f"#isso-{row['id']}",
            }
            item = tag.clone().fillSlots(**CommentItem.slots(row, links))
            yield CommentItem(TagLoader(item), row)

    def _pages(self) -> int:
        total = self._listing.total(self._query.mode)
        return max(1, -(-total // self._query.page_size))

    @renderer
    def pager(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._pages() <= 1 and self._query.page <= 1:
            return ""
        return tag.fillSlots(page=str(self._query.page), pages=str(self._pages()))

    @renderer
    def previous(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._query.page <= 1:
            return ""
        page = min(self._query.page - 1, self._pages())
        return tag.fillSlots(href=self._href(page=page))

    @renderer
    def next(self, request: IRequest, tag: Tag) -> Tag | str:
        if self._query.page >= self._pages():
            return ""
        return tag.fillSlots(href=self._href(page=self._query.page + 1))

