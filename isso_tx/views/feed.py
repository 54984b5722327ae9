"""
The Atom feed of a thread (C{GET /feed?uri=…}).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

ATOM = "http://www.w3.org/2005/Atom"
THREADING = "http://purl.org/syndication/thread/1.0"


@dataclass(frozen=True)
class CachedFeed:
    """
    A feed as the response cache keeps it (L{atom_feed}'s three values),
    with what conditional requests compare; its size is its document's.
    """

    document: bytes
    etag: bytes
    updated: float

    def __len__(self) -> int:
        return len(self.document)


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def atom_feed(
    base: str, uri: str, thread: dict[str, Any] | None, rows: list[dict[str, Any]]
) -> tuple[bytes, bytes, float]:
    """
    Return the feed document, its ETag and its last-modified time.

    Entry ids are tag URIs built from the website's host name, the thread id
    and the comment id, as Isso builds them, so feed readers that followed a
    thread under Isso do not see its comments as new.
    """
    base = base.rstrip("/")
    hostname = urlsplit(base).netloc

    def tag(*parts: Any) -> str:
        return f"tag:{hostname},2018:/isso/" + "/".join(str(p) for p in parts)

    feed = Element("feed", {"xmlns": ATOM, "xmlns:thr": THREADING})
    # The newest change of any entry: replies come after the top-level
    # comments, so the first entry is not necessarily the newest.
    updated = max((row["modified"] or row["created"] for row in rows), default=0.0)
    SubElement(feed, "updated").text = _timestamp(updated)
    SubElement(feed, "id").text = f"tag:{hostname},2018:/isso/thread{uri}"
    SubElement(feed, "title").text = f"Comments for {hostname}{uri}"

    for row in rows:
        assert thread is not None
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = tag(row["tid"], row["id"])
        SubElement(entry, "title").text = f"Comment #{row['id']}"
        SubElement(entry, "updated").text = _timestamp(
            row["modified"] or row["created"]
        )
        author = SubElement(entry, "author")
        SubElement(author, "name").text = row["author"]
        SubElement(entry, "link", {"href": f"{base}{uri}#isso-{row['id']}"})
        SubElement(entry, "content", {"type": "html"}).text = row["html"]
        if row["parent"] is not None:
            SubElement(
                entry,
                "thr:in-reply-to",
                {
                    "ref": tag(row["tid"], row["parent"]),
                    "href": f"{base}{uri}#isso-{row['parent']}",
                },
            )

    if rows:
        newest = max(row["id"] for row in rows)
        etag = f'"{rows[0]["tid"]}-{newest}-{len(rows)}-{updated}"'.encode()
    else:
        etag = b'"empty"'
    document = tostring(feed, encoding="utf-8", xml_declaration=True)
    return document, etag, updated
