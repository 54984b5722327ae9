"""
Reading a Disqus export: C{<thread>} elements, then C{<post>} elements that
name their thread and the post they answer.
"""

from __future__ import annotations

from typing import IO
from xml.etree import ElementTree

from ..addresses import anonymize
from ..store.rows import DELETED
from .reading import (
    ISO_DATE,
    element_text,
    expect_root,
    optional,
    thread_uri,
    utc_time,
)
from .staging import Comment, ImportFailure, Staging

_DISQUS = "{http://disqus.com}"
_DISQUS_INTERNALS = "{http://disqus.com/disqus-internals}"


def parse_disqus(stream: IO[bytes], staging: Staging, *, empty_id: bool) -> None:
    """
    Read a Disqus export: C{<thread>} elements, then C{<post>} elements that
    name their thread and the post they answer by C{dsq:id}.

    Spam is skipped; a deleted post stays as a placeholder only when a reply
    needs it.  A thread whose C{<id>} (Disqus' identifier) is empty is
    skipped unless C{empty_id}: exports list such threads when a page was
    opened under several addresses.
    """
    depth = 0
    posts = 0
    root = None
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            if depth == 0:
                root = element
                expect_root(element, _DISQUS + "disqus", "a Disqus export")
            depth += 1
            continue
        depth -= 1
        if depth != 1:
            continue
        if element.tag == _DISQUS + "thread":
            _disqus_thread(element, staging, empty_id)
        elif element.tag == _DISQUS + "post":
            posts += 1
            _disqus_post(element, staging, posts)
        assert root is not None
        root.clear()


_NO_DISQUS_ID = (
    "no Disqus identifier (see --empty-id)",
    "in a thread without a Disqus identifier (see --empty-id)",
)


def _disqus_thread(
    element: ElementTree.Element, staging: Staging, empty_id: bool
) -> None:
    key = element.get(_DISQUS_INTERNALS + "id")
    if not key:
        # No post can name it.
        return
    link = element_text(element.find(_DISQUS + "link")).strip()
    title = element_text(element.find(_DISQUS + "title")).strip() or None
    skip = None
    if not element_text(element.find(_DISQUS + "id")).strip() and not empty_id:
        skip = _NO_DISQUS_ID
    elif not link:
        skip = ("no link", "in a thread without a link")
    staging.add_thread(
        key, thread_uri(link, with_query=False) if link else None, title, skip=skip
    )


def _disqus_post(element: ElementTree.Element, staging: Staging, number: int) -> None:
    source_id = element.get(_DISQUS_INTERNALS + "id")
    where = f"post #{number}" + (f" (dsq:id {source_id})" if source_id else "")
    thread = element.find(_DISQUS + "thread")
    thread_key = thread.get(_DISQUS_INTERNALS + "id") if thread is not None else None
    if not thread_key:
        raise ImportFailure(f"{where}: no <thread dsq:id=...> names its thread")
    created_text = element_text(element.find(_DISQUS + "createdAt"))
    try:
        created = utc_time(created_text, ISO_DATE)
    except ValueError:
        raise ImportFailure(
            f"{where}: <createdAt> {created_text!r} is not a date like "
            "2020-01-31T12:00:00Z"
        ) from None
    parent = element.find(_DISQUS + "parent")
    author = element.find(_DISQUS + "author")
    comment = Comment(
        thread_key=thread_key,
        text=element_text(element.find(_DISQUS + "message")).strip(),
        created=created,
        source_id=source_id,
        source_parent=parent.get(_DISQUS_INTERNALS + "id")
        if parent is not None
        else None,
        sort_key=created,
        remote_addr=anonymize(element_text(element.find(_DISQUS + "ipAddress"))),
        author=optional(element_text(author.find(_DISQUS + "name")))
        if author is not None
        else None,
        email=optional(element_text(author.find(_DISQUS + "email")))
        if author is not None
        else None,
    )
    if element_text(element.find(_DISQUS + "isSpam")).strip() == "true":
        comment.skip = "spam"
    elif element_text(element.find(_DISQUS + "isDeleted")).strip() == "true":
        # What Isso keeps of a comment deleted while it has replies.
        comment.mode = DELETED
        comment.text = ""
        comment.author = None
        comment.website = None
    staging.add_comment(comment)



def recognises(head: str) -> bool:
    """
    Tell whether the beginning of a file is that of a Disqus export.
    """
    return 'xmlns="http://disqus.com' in head
