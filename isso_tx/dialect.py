"""
What differs between the two databases a site can use, in one place.

A site's C{[general] dbpath} is either a file (SQLite, the default) or a
libpq URI (C{postgresql://...} or C{postgres://...}).  The queries of
L{isso_tx.store} are written once, in SQL both engines accept, with C{?}
placeholders; on PostgreSQL the cursor rewrites them with
L{translate_placeholders} and hands out L{Row}s, which read like SQLite's
C{sqlite3.Row}: by position and by column name.

Nothing here imports the driver or the rest of the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def dialect_of(dbpath: str) -> str:
    """
    Return which database C{dbpath} names: L{POSTGRESQL} for a libpq URI,
    else L{SQLITE} (a file).
    """
    return POSTGRESQL if is_postgres_uri(dbpath) else SQLITE


def is_postgres_uri(dbpath: str) -> bool:
    """
    Whether C{dbpath} is a PostgreSQL connection URI rather than a file.
    """
    return dbpath.lower().startswith(_POSTGRES_SCHEMES)


def masked_uri(uri: str) -> str:
    """
    Return C{uri} fit for a log line: its password, in the user part or in
    a C{password=} parameter, replaced by C{***}.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hosts = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}{':***' if colon else ''}@{hosts}"
    query = "&".join(
        "password=***" if item.lower().startswith("password=") else item
        for item in parts.query.split("&")
    ) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def uri_password(uri: str) -> str | None:
    """
    Return the password written in C{uri}, if any, so that it can be struck
    out of a driver's error message.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.password:
        return parts.password
    for item in parts.query.split("&"):
        if item.lower().startswith("password="):
            return item.partition("=")[2] or None
    return None


def without_password(message: str, uri: str) -> str:
    """
    Return a driver's C{message} about C{uri} with the URI masked and any
    trace of its password removed.
    """
    message = message.replace(uri, masked_uri(uri))
    password = uri_password(uri)
    if password:
        message = message.replace(password, "***")
    return message


def translate_placeholders(sql: str) -> str:
    """
    Rewrite SQLite's C{?} placeholders as the C{%s} of PostgreSQL's driver,
    doubling the C{%} that the driver would otherwise read as one.

    A C{?} inside a quoted string or identifier is text, not a placeholder.
    """
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class Row(tuple):  # type: ignore[type-arg]
    """
    A result row read by position (C{row[0]}, unpacking) or by column name
    (C{row["id"]}, C{dict(row)}), as C{sqlite3.Row} is.
    """

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """
        Return the column names, in order.
        """
        return list(self._names)


def row_class(names: Sequence[str]) -> type[Row]:
    """
    Return a L{Row} type for a result with these column names.
    """
    names = tuple(names)
    return type(
        "Row",
        (Row,),
        {
            "__slots__": (),
            "_names": names,
            "_index": {name: i for i, name in enumerate(names)},
        },
    )
