"""
Reading a WordPress export (WXR): posts holding their comments.
"""

from __future__ import annotations

import re
from typing import IO, Any
from xml.etree import ElementTree

from ..addresses import anonymize
from ..store.rows import PENDING, PUBLISHED
from .reading import (
    DATE,
    element_text,
    expect_root,
    optional,
    split_tag,
    thread_uri,
    utc_time,
)
from .staging import Comment, ImportFailure, Staging

_NAMESPACE = re.compile(r"http://wordpress\.org/export/1\.\d+/")


def _is_wordpress(namespace: str) -> bool:
    return namespace.startswith("http://wordpress.org/export/")


# comment_type values that are comments; anything else (pingbacks,
# trackbacks, WooCommerce's private order notes…) is skipped.
_WORDPRESS_COMMENT_TYPES = ("", "comment")


def parse_wordpress(stream: IO[bytes], staging: Staging) -> None:
    """
    Read a WordPress export (WXR): each C{<item>} is a post, holding its
    C{<wp:comment>}s, which name the comment they answer by id.

    Approved comments are published, unapproved ones wait for moderation;
    spam, trash, pingbacks and trackbacks are skipped.
    """
    stack: list[ElementTree.Element] = []
    items = 0
    comments_in_item = 0
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            stack.append(element)
            if len(stack) == 1:
                expect_root(element, "rss", "a WordPress export")
            if len(stack) == 3 and element.tag == "item":
                items += 1
                comments_in_item = 0
            continue
        stack.pop()
        depth = len(stack)
        namespace, name = split_tag(element.tag)
        if depth == 3 and name == "comment" and _is_wordpress(namespace):
            comments_in_item += 1
            _wordpress_comment(element, namespace, staging, items, comments_in_item)
            stack[-1].remove(element)
        elif depth == 2:
            if element.tag == "item" and comments_in_item:
                _wordpress_item(element, staging, items)
            stack[-1].remove(element)


def _wordpress_item(
    element: ElementTree.Element, staging: Staging, number: int
) -> None:
    link = element_text(element.find("link")).strip()
    title = element_text(element.find("title")).strip() or None
    staging.add_thread(
        str(number),
        thread_uri(link, with_query=True) if link else None,
        title,
        skip=None if link else ("no link", "on a post without a link"),
    )


def _markdown_breaks(text: str) -> str:
    """
    Keep WordPress' line breaks: a single newline becomes a Markdown hard
    break; blank lines still separate paragraphs.
    """
    text = text.replace("\r\n", "\n").strip()
    return re.sub(r"(?<!\n)\n(?!\n)", "  \n", text)


def _wordpress_comment(
    element: ElementTree.Element,
    namespace: str,
    staging: Staging,
    item: int,
    number: int,
) -> None:
    ns = "{" + namespace + "}"

    def field(name: str) -> str:
        return element_text(element.find(ns + name))

    source_id = field("comment_id").strip() or None
    where = f"item #{item}, comment #{number}" + (
        f" (comment_id {source_id})" if source_id else ""
    )
    created_text = field("comment_date_gmt").strip()
    if not created_text or created_text.startswith("0000-00-00"):
        # Unapproved comments may lack the UTC date; the local one is the
        # best there is.
        created_text = field("comment_date").strip()
    try:
        created = utc_time(created_text, DATE)
    except ValueError:
        raise ImportFailure(
            f"{where}: comment_date_gmt {created_text!r} is not a date like "
            "2020-01-31 12:00:00"
        ) from None
    parent = field("comment_parent").strip()
    try:
        sort_key: Any = int(source_id) if source_id else None
    except ValueError:
        sort_key = source_id
    approved = field("comment_approved").strip()
    kind = field("comment_type").strip()
    comment = Comment(
        thread_key=str(item),
        text=_markdown_breaks(field("comment_content")),
        created=created,
        source_id=source_id,
        source_parent=parent if parent not in ("", "0") else None,
        sort_key=sort_key,
        mode=PUBLISHED if approved == "1" else PENDING,
        remote_addr=anonymize(field("comment_author_IP")),
        author=optional(field("comment_author")),
        email=optional(field("comment_author_email")),
        website=optional(field("comment_author_url")),
    )
    if kind not in _WORDPRESS_COMMENT_TYPES:
        comment.skip = kind
    elif approved == "spam":
        comment.skip = "spam"
    elif approved in ("trash", "post-trashed"):
        comment.skip = "trash"
    staging.add_comment(comment)



def recognises(head: str) -> bool:
    """
    Tell whether the beginning of a file is that of a WordPress export.
    """
    return _NAMESPACE.search(head) is not None
