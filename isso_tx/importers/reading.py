"""
What the three dump formats share: reading dates, uris, element text and
the kinds of JSON values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from .staging import ImportFailure

# The two ways dumps write dates: "2020-01-31 12:00:00" (WordPress, generic)
# and "2020-01-31T12:00:00Z" (Disqus).
DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)")
ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")


def utc_time(text: str, form: re.Pattern[str]) -> float:
    """
    Read a date written in UTC as a Unix time (strptime is slow enough to
    matter for 100,000 comments).

    @raise ValueError: it does not have the form, or is no date.
    """
    match = form.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    moment = datetime(*map(int, match.groups()), tzinfo=UTC)
    return moment.timestamp()


def thread_uri(link: str, with_query: bool) -> str:
    """
    Take the uri of a thread (its path, and query if C{with_query}) from a
    page's link.
    """
    parts = urlsplit(link.strip())
    uri = parts.path or "/"
    if with_query and parts.query:
        uri += "?" + parts.query
    return uri


def element_text(element: ElementTree.Element | None) -> str:
    """
    Return the text of an element, or "" for a missing element or text.
    """
    if element is None or element.text is None:
        return ""
    return element.text


def optional(value: str) -> str | None:
    """
    Return C{value} without surrounding blanks, or None if nothing is left.
    """
    value = value.strip()
    return value or None


def expect_root(element: ElementTree.Element, tag: str, what: str) -> None:
    """
    @raise ImportFailure: the document's root is not C{tag}, so the file is
        not C{what}.
    """
    if element.tag != tag:
        _namespace, name = split_tag(element.tag)
        raise ImportFailure(f"not {what}: the document is a <{name}>")


def split_tag(tag: str) -> tuple[str, str]:
    """
    Split C{{namespace}name} into its two parts.
    """
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def is_int(value: Any) -> bool:
    """
    Tell whether a JSON value is a whole number (true and false are not).
    """
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """
    Tell whether a JSON value is a number (true and false are not).
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool)

