"""
Checking and normalising what commenters send.

The rules and messages are Isso's, so clients and their users see the same
refusals.  Author, e-mail and website are HTML-escaped on the way in because
clients (Isso's among them) insert them into pages as HTML; the text is
stored as written and only ever served rendered and sanitised.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

MIN_TEXT = 3
MAX_TEXT = 65535
MAX_EMAIL = 254
MAX_WEBSITE = 254

# The keys a client may set.  Anything else in the body is ignored.
NEW_KEYS = ("text", "author", "email", "website", "parent", "title", "notification")
EDIT_KEYS = ("text", "author", "website")

_LABEL = r"[\w](?:[\w-]{0,61}[\w])?"
_WEBSITE = re.compile(
    r"(?:https?://)?"
    r"(?:"
    rf"(?:{_LABEL}\.)+(?:[^\W\d_]{{2,6}}|[\w-]{{2,}})\.?"
    r"|localhost"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    r")"
    r"(?::\d+)?"
    r"(?:/?|[/?]\S+)",
    re.IGNORECASE,
)


class InvalidComment(ValueError):
    """
    A comment breaks a rule; the message says which.
    """


# The integers SQLite can store and compare: a larger one in a query is an
# OverflowError, not a row that does not match.
SQLITE_MIN = -(2**63)
SQLITE_MAX = 2**63 - 1

# An integer as clients write one in a URL or form: a sign and ASCII digits
# (Python's int() would also take spaces, underscores and other scripts'
# digits).  Longer numbers than this are refused before int() reads them.
_INTEGER = re.compile(r"[+-]?[0-9]{1,4000}")


def is_int(value: Any) -> bool:
    """
    Whether a JSON value is an integer (JSON's true and false are not).
    """
    return isinstance(value, int) and not isinstance(value, bool)


def is_sqlite_int(value: Any) -> bool:
    """
    Whether a JSON value is an integer that SQLite can store.
    """
    return is_int(value) and SQLITE_MIN <= value <= SQLITE_MAX


def parse_int(text: str | None) -> int | None:
    """
    Read a decimal integer written in a query string, a path or a form;
    None when C{text} is none.  The value may be beyond SQLite's range:
    callers refuse or clamp it.
    """
    if text is None or not _INTEGER.fullmatch(text):
        return None
    return int(text)


def check_fields(data: dict[str, Any]) -> None:
    """
    Apply Isso's rules, in Isso's order, to a comment body.

    @raise InvalidComment: the first rule broken.
    """
    text = data.get("text")
    if text is None:
        raise InvalidComment("text is missing")
    parent = data.get("parent")
    if parent is not None and not is_int(parent):
        raise InvalidComment("parent must be an integer or null")
    if parent is not None and not is_sqlite_int(parent):
        # No comment has such an id, and SQLite cannot even compare it.
        raise InvalidComment("parent is not a comment id")
    for key in ("text", "author", "website", "email"):
        if not isinstance(data.get(key), (str, type(None))):
            raise InvalidComment(f"{key} must be a string or null")
    if len(text.rstrip()) < MIN_TEXT:
        raise InvalidComment(f"text is too short (minimum length: {MIN_TEXT})")
    if len(text) > MAX_TEXT:
        raise InvalidComment(f"text is too long (maximum length: {MAX_TEXT})")
    if len(data.get("email") or "") > MAX_EMAIL:
        raise InvalidComment(
            f"email is too long (maximum length: {MAX_EMAIL}, RFC 5321 section 4.5.3)"
        )
    website = data.get("website")
    if website:
        if len(website) > MAX_WEBSITE:
            raise InvalidComment(
                f"website is too long (maximum length: {MAX_WEBSITE})"
            )
        if not _WEBSITE.fullmatch(website):
            raise InvalidComment(
                "Website not Django-conform: expected an http(s) address "
                "such as https://example.org/"
            )
    title = data.get("title")
    if not isinstance(title, (str, type(None))):
        raise InvalidComment("title must be a string or null")


def escape_text(value: str | None) -> str | None:
    """
    Escape an author name or e-mail address for insertion into HTML.
    """
    return None if value is None else html.escape(value, quote=False)


def normalise_website(value: str | None) -> str | None:
    """
    Escape a website address (quotes too: it ends up in an attribute) and
    give a scheme-less one C{http://}.
    """
    if value is None:
        return None
    value = html.escape(value, quote=True)
    if value and not value.lower().startswith(("http://", "https://")):
        value = "http://" + value
    return value


def wants_notifications(value: Any) -> bool:
    """
    Whether a C{notification} flag asks for reply notifications: any true
    value but the text "0" or "false".

    Isso's client sends 0 or 1; other API clients may send text, which
    Isso's SQLite file keeps as it is and an INTEGER column on PostgreSQL
    cannot, so new comments store the flag as 0 or 1 on both.  Rows an
    older Isso wrote are read with this too.
    """
    return bool(value) and str(value).strip().lower() not in ("0", "false")


def new_comment_fields(body: Any) -> dict[str, Any]:
    """
    Check a C{POST /new} body and return its normalised fields.

    @raise InvalidComment: the body is unusable.
    """
    if not isinstance(body, dict):
        raise InvalidComment("the request body must be a JSON object")
    data = {key: body.get(key) for key in NEW_KEYS}
    check_fields(data)
    notification = data["notification"]
    if (
        isinstance(notification, (dict, list))
        or (is_int(notification) and not is_sqlite_int(notification))
        or (isinstance(notification, float) and not math.isfinite(notification))
    ):
        raise InvalidComment("notification must be 0, 1 or null")
    if notification is not None:
        data["notification"] = int(wants_notifications(notification))
    data["author"] = escape_text(data["author"])
    data["email"] = escape_text(data["email"])
    data["website"] = normalise_website(data["website"])
    return data


def edit_fields(body: Any) -> dict[str, Any]:
    """
    Check an edit body and return the columns to change: only the text,
    author and website keys the client sent.

    @raise InvalidComment: the body is unusable.
    """
    if not isinstance(body, dict):
        raise InvalidComment("the request body must be a JSON object")
    check_fields({key: body.get(key) for key in EDIT_KEYS})
    changes: dict[str, Any] = {"text": body["text"]}
    if "author" in body:
        changes["author"] = escape_text(body["author"])
    if "website" in body:
        changes["website"] = normalise_website(body["website"])
    return changes
