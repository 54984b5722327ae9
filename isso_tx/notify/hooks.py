"""
The bodies of webhooks: pure functions of what happened to a comment.

Three formats: C{json} (our payload, documented in the README), C{slack}
(an incoming-webhook message) and C{matrix} (an C{m.room.message}).  Stored
author names and websites are HTML-escaped, as the comments API gives them;
the chat formats turn them back into plain text and escape them, and the
text and title, the way their target wants (Slack's C{&}, C{<}, C{>}; HTML
in Matrix's C{formatted_body}), so that nothing a commenter types becomes
markup, a link or a mention there.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..store.rows import DELETED, PENDING, PUBLISHED

MODES = {PUBLISHED: "published", PENDING: "pending", DELETED: "deleted"}

# How each event opens a chat message.
HEADLINES = {
    "created": "New comment",
    "pending": "Comment to approve",
    "approved": "Comment published",
    "edited": "Comment edited",
    "deleted": "Comment deleted",
}
# The labels of moderation links in chat messages, in the order shown.
LINK_LABELS = {"activate": "Approve", "edit": "Edit", "delete": "Delete"}
# Chat messages quote at most this much of the text.
MAX_QUOTE = 1000


@dataclass(frozen=True)
class Happening:
    """
    What a webhook tells: an event, and the comment and thread it is about.
    """

    event: str
    # [general] name ("" for a site served alone).
    site: str
    # uri and title.
    thread: dict[str, Any]
    # The stored row (raw text, HTML-escaped author and website) with
    # its rendering in C{html}.
    comment: dict[str, Any]
    # The comment on its page, when a website is known.
    url: str | None
    # Signed moderation links by action (activate, edit, delete).
    links: dict[str, str] = field(default_factory=dict)


def json_body(happening: Happening) -> str:
    """
    Return the body of a C{json} webhook.
    """
    comment = happening.comment
    payload = {
        "event": happening.event,
        "site": happening.site,
        "thread": {
            "uri": happening.thread.get("uri"),
            "title": happening.thread.get("title"),
        },
        "comment": {
            "id": comment["id"],
            "parent": comment.get("parent"),
            "mode": MODES.get(comment.get("mode"), "unknown"),
            "created": comment.get("created"),
            "modified": comment.get("modified"),
            "author": comment.get("author"),
            "website": comment.get("website"),
            "text": comment.get("text"),
            "html": comment.get("html"),
            "url": happening.url,
        },
        "links": happening.links,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _plain(stored: str | None) -> str:
    """
    Author names and websites are stored HTML-escaped.
    """
    return html.unescape(stored) if stored else ""


def _quoted(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_QUOTE:
        text = text[: MAX_QUOTE - 1] + "…"
    return text


def _safe_url(url: str) -> str:
    """
    Percent-encode what may not stand in a link (spaces, quotes, angle
    brackets, C{|}): a thread's uri comes from the page.
    """
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _slack(text: str) -> str:
    """
    Escape text for a Slack message: Slack reads C{&}, C{<} and C{>} as
    its own markup (links, mentions) and asks for exactly these three.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(happening: Happening) -> str:
    """
    Return the body of a C{slack} webhook: an incoming-webhook message.
    """
    comment = happening.comment
    title = _slack(happening.thread.get("title") or happening.thread.get("uri") or "")
    where = (
        f"<{_slack(_safe_url(happening.url))}|{title}>" if happening.url else title
    )
    author = _plain(comment.get("author")) or "someone without a name"
    line = f"*{HEADLINES[happening.event]}* on {where} by {_slack(author)}"
    website = _plain(comment.get("website"))
    if website:
        line += f" ({_slack(website)})"
    lines = [line]
    text = _quoted(comment.get("text"))
    if text and happening.event != "deleted":
        lines += ["> " + _slack(part) for part in text.splitlines()]
    links = [
        f"<{_slack(happening.links[action])}|{label}>"
        for action, label in LINK_LABELS.items()
        if action in happening.links
    ]
    if links:
        lines.append(" · ".join(links))
    return json.dumps({"text": "\n".join(lines)}, ensure_ascii=False)


def matrix_body(happening: Happening) -> str:
    """
    Return the body of a C{matrix} webhook: an C{m.room.message} with a
    plain C{body} and an HTML C{formatted_body}.
    """
    comment = happening.comment
    title = happening.thread.get("title") or happening.thread.get("uri") or ""
    author = _plain(comment.get("author")) or "someone without a name"
    website = _plain(comment.get("website"))
    headline = HEADLINES[happening.event]
    text = _quoted(comment.get("text")) if happening.event != "deleted" else ""
    links = [
        (label, happening.links[action])
        for action, label in LINK_LABELS.items()
        if action in happening.links
    ]

    plain = [f'{headline} on "{title}" by {author}' + (f" ({website})" if website else "")]
    if text:
        plain += ["", text]
    if happening.url:
        plain += ["", happening.url]
    plain += [f"{label}: {url}" for label, url in links]

    e = html.escape
    where = (
        f'<a href="{e(_safe_url(happening.url))}">{e(title)}</a>'
        if happening.url
        else e(title)
    )
    formatted = f"<p><strong>{e(headline)}</strong> on {where} by {e(author)}"
    if website:
        formatted += f" ({e(website)})"
    formatted += "</p>"
    if text:
        formatted += "<blockquote>" + "<br/>".join(
            e(part) for part in text.splitlines()
        ) + "</blockquote>"
    if links:
        formatted += "<p>" + " · ".join(
            f'<a href="{e(url)}">{e(label)}</a>' for label, url in links
        ) + "</p>"
    message = {
        "msgtype": "m.text",
        "body": "\n".join(plain),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    }
    return json.dumps(message, ensure_ascii=False)


BODIES = {"json": json_body, "slack": slack_body, "matrix": matrix_body}


def webhook_body(fmt: str, happening: Happening) -> str:
    """
    Return the body of a webhook of the given format.
    """
    return BODIES[fmt](happening)
