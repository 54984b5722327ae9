"""
Tests for L{isso_tx.notify.hooks}: what a commenter types never becomes
markup, a link or a mention in a webhook's chat message.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.notify.hooks import Happening, json_body, matrix_body, slack_body
from isso_tx.validation import escape_text, normalise_website

from .test_webhooks import HOOKS, WebhookTestCase

# Typed by a commenter (or a page's title), as the XSS corpus does.
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<img src=x onerror=alert(1)//",
    "<!channel> <@U123> <#C123> <https://evil.example|click here>",
    "Tom & Jerry &amp; &lt;b&gt;",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
]

LINKS = {
    "activate": "https://c.example/id/7/activate/KEY",
    "edit": "https://c.example/id/7/edit/KEY",
    "delete": "https://c.example/id/7/delete/KEY",
}


def happening(payload: str, event: str = "pending") -> Happening:
    """
    A comment whose every field is C{payload}, stored as the site stores
    it (author and website HTML-escaped).
    """
    return Happening(
        event=event,
        site="blog",
        thread={"uri": "/p/" + payload, "title": payload},
        comment={
            "id": 7,
            "parent": None,
            "mode": 2,
            "created": 1.0,
            "modified": None,
            "author": escape_text(payload),
            "website": normalise_website("https://x.example/" + payload),
            "text": payload + "\nsecond line " + payload,
            "html": "<p>safe</p>",
        },
        url="https://blog.example/p/" + payload + "#isso-7",
        links=LINKS,
    )


class _Elements(HTMLParser):
    """
    Collects the elements and attributes of an HTML fragment.
    """

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


class SlackTests(SynchronousTestCase):
    def test_markup_escaped(self) -> None:
        """
        In a Slack message, the only C{<...>} are our own links (the page,
        and the moderation links): a commenter's C{<}, C{>} and C{&} are
        escaped, so no mention, link or broadcast can be slipped in.
        """
        for payload in MARKUP:
            text = json.loads(slack_body(happening(payload)))["text"]
            controls = re.findall(r"<([^>]*)>", text)
            self.assertEqual(len(controls), 4, (payload, text))
            page, *links = controls
            self.assertTrue(page.startswith("https://blog.example/p/"), page)
            url, _, label = page.partition("|")
            self.assertNotIn(" ", url)
            self.assertNotIn("<", label)
            self.assertEqual(
                links,
                [f"{LINKS['activate']}|Approve", f"{LINKS['edit']}|Edit",
                 f"{LINKS['delete']}|Delete"],
            )
            without_controls = re.sub(r"<[^>]*>", "", text)
            self.assertNotIn(">", without_controls.replace("\n> ", "\n"))
            # Every & left is one of the three escapes Slack reads.
            self.assertEqual(re.findall(r"&(?!amp;|lt;|gt;)", text), [])

    def test_plain_text_kept(self) -> None:
        """
        Names with special characters read as typed once Slack unescapes
        them (no double escaping of what the site stored escaped).
        """
        text = json.loads(slack_body(happening("Tom & Jerry")))["text"]
        self.assertIn("by Tom &amp; Jerry", text)
        self.assertNotIn("&amp;amp;", text)


class MatrixTests(SynchronousTestCase):
    def test_markup_escaped(self) -> None:
        """
        In a Matrix message's formatted_body, the only elements are ours and
        the only attributes our links' hrefs; the plain body is text.
        """
        for payload in MARKUP:
            message = json.loads(matrix_body(happening(payload)))
            parser = _Elements()
            parser.feed(message["formatted_body"])
            tags = {tag for tag, _ in parser.elements}
            self.assertLessEqual(tags, {"p", "strong", "a", "blockquote", "br"}, payload)
            for tag, attrs in parser.elements:
                if tag == "a":
                    [(name, value)] = attrs
                    self.assertEqual(name, "href")
                    assert value is not None
                    self.assertTrue(value.startswith("https://"), value)
                else:
                    self.assertEqual(attrs, [], (payload, tag))
            self.assertIn(payload, message["body"])


class JsonTests(SynchronousTestCase):
    def test_fields_as_stored(self) -> None:
        """
        The json payload gives author and website as the comments API does
        (HTML-escaped), the text as typed and the HTML as rendered.
        """
        payload = json.loads(json_body(happening("<b>x</b>")))
        comment = payload["comment"]
        self.assertEqual(comment["author"], "&lt;b&gt;x&lt;/b&gt;")
        self.assertNotIn("<", comment["website"])
        self.assertEqual(comment["text"], "<b>x</b>\nsecond line <b>x</b>")
        self.assertEqual(comment["html"], "<p>safe</p>")
        self.assertEqual(payload["thread"]["title"], "<b>x</b>")


class ThroughTheSiteTests(WebhookTestCase):
    config = HOOKS.replace("events = deleted\n", "events = created\n")

    def test_posted_markup(self) -> None:
        """
        A comment posted with markup in every field reaches Slack and
        Matrix escaped.
        """
        payload = '<img src=x onerror=alert(1)> & <script>'
        self.post_comment(author=payload, website='https://x.example/?q=<b>&x="1',
                          text=payload, title=payload)
        slack = json.loads(self.agent.to("slack")[0].body)["text"]
        self.assertIn("&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;", slack)
        self.assertNotIn("<img", slack)
        self.assertNotIn("<script", slack)
        self.assertNotIn("<b>", slack)
        message: dict[str, Any] = json.loads(self.agent.to("matrix")[0].body)
        self.assertNotIn("<img", message["formatted_body"])
        self.assertNotIn("<script", message["formatted_body"])
        self.assertIn("&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;",
                      message["formatted_body"])
