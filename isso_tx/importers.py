"""
Importing comment dumps (Disqus, WordPress, and Isso's generic JSON) into an
Isso database.

An import runs in two stages, so that a broken dump never touches the
database and the daemon is never locked out for long:

 1. The dump is parsed as a stream (L{parse_disqus}, L{parse_wordpress},
    L{parse_generic}) into a scratch SQLite file, one comment at a time; the
    parsers keep no more than one element (or one JSON comment) in memory.
    Replies are attached to their conversations, repeated comments are
    noticed, and anything not worth importing is set aside with a reason.
 2. L{merge} copies what is new into the site's database in one
    transaction, mostly in set-based SQL, so the write lock is held for as
    short a time as possible.

A comment is considered already present, and is skipped, when the target
database holds a comment of the same thread (uri) with the same C{created}
time, the same author and the same text.  Re-importing a dump therefore adds
nothing, and importing a newer dump adds only what is new.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from .addresses import UNKNOWN_ADDRESS, anonymize
from .bloom import new_voters
from .db import prepare_database
from .store import DELETED, PENDING, PUBLISHED

_FORMAT_NAMES = {
    "disqus": "Disqus",
    "wordpress": "WordPress",
    "generic": "generic JSON",
}
FORMATS = tuple(_FORMAT_NAMES)

# How long to wait for the daemon (or Isso) to finish a write.
BUSY_TIMEOUT = 30.0

# Enough of a file to tell the formats apart.
_PEEK = 8192

_DISQUS = "{http://disqus.com}"
_DISQUS_INTERNALS = "{http://disqus.com/disqus-internals}"
_WORDPRESS = re.compile(r"http://wordpress\.org/export/1\.\d+/")

# Parent chains are shortened by pointer jumping: each round halves them,
# so this many rounds flatten any chain a real dump contains; what is still
# nested afterwards is a loop, and is cut.
_FLATTEN_ROUNDS = 64


class ImportFailure(Exception):
    """
    The dump cannot be imported; the message says where and why, in one line.
    """


# A staged comment is imported when none of these set it aside.
_TO_INSERT = "c.skip IS NULL AND c.dup_of IS NULL AND c.existing IS NULL"


_STAGING_SCHEMA = """
CREATE TABLE staged_threads (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    uri TEXT,
    title TEXT,
    source_tid INTEGER,
    skip TEXT,
    keep INTEGER NOT NULL DEFAULT 0,
    tid INTEGER,
    new INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE staged_comments (
    seq INTEGER PRIMARY KEY,
    thread_key TEXT NOT NULL,
    source_id TEXT,
    source_parent TEXT,
    wanted_id INTEGER,
    sort_key,
    created REAL NOT NULL,
    modified REAL,
    mode INTEGER,
    remote_addr TEXT,
    text TEXT NOT NULL,
    author TEXT,
    email TEXT,
    website TEXT,
    likes INTEGER,
    dislikes INTEGER,
    voters BLOB NOT NULL,
    notification,
    skip TEXT,
    uri TEXT,
    thread_seq INTEGER,
    dup_of INTEGER,
    parent_seq INTEGER,
    orphan INTEGER NOT NULL DEFAULT 0,
    existing INTEGER,
    ordinal INTEGER
);
"""


@dataclass
class Comment:
    """
    One comment as a dump describes it, before it is matched with the
    database.
    """

    thread_key: str
    text: str
    created: float
    source_id: str | None = None
    # The source id of the comment this one replies to.
    source_parent: str | None = None
    sort_key: Any = None
    modified: float | None = None
    mode: int | None = PUBLISHED
    remote_addr: str | None = UNKNOWN_ADDRESS
    author: str | None = None
    email: str | None = None
    website: str | None = None
    likes: int | None = 0
    dislikes: int | None = 0
    voters: bytes | None = None
    notification: Any = 0
    # The row id to keep, when ids are kept (generic dumps only).
    wanted_id: int | None = None
    # Why it is not imported at all.
    skip: str | None = None


class Staging:
    """
    The scratch database a dump is parsed into.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = OFF")
        self._conn.execute("PRAGMA synchronous = OFF")
        self._conn.executescript(_STAGING_SCHEMA)
        self._conn.execute("BEGIN")
        self.threads_skipped: Counter[str] = Counter()

    def add_thread(
        self,
        key: str,
        uri: str | None,
        title: str | None,
        *,
        source_tid: int | None = None,
        skip: tuple[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        """
        Describe a thread; comments refer to it by C{key}.  A thread whose
        key was seen before is ignored.

        @param skip: why the thread is not imported, said of the thread and
            said of its comments.
        @param keep: create the thread even if none of its comments is
            imported (the generic format lists empty threads too).
        """
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO staged_threads (key, uri, title, source_tid, "
            "skip, keep) VALUES (?, ?, ?, ?, ?, ?)",
            (key, uri, title, source_tid, skip[1] if skip else None, int(keep)),
        )
        if cursor.rowcount and skip is not None:
            self.threads_skipped[skip[0]] += 1

    def add_comment(self, comment: Comment) -> None:
        voters = comment.voters
        if voters is None:
            voters = new_voters(comment.remote_addr or UNKNOWN_ADDRESS)
        self._conn.execute(
            "INSERT INTO staged_comments (thread_key, source_id, source_parent, "
            "wanted_id, sort_key, created, modified, mode, remote_addr, text, "
            "author, email, website, likes, dislikes, voters, notification, skip) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                comment.thread_key,
                comment.source_id,
                comment.source_parent,
                comment.wanted_id,
                comment.sort_key,
                comment.created,
                comment.modified,
                comment.mode,
                comment.remote_addr,
                comment.text,
                comment.author,
                comment.email,
                comment.website,
                comment.likes,
                comment.dislikes,
                voters,
                comment.notification,
                comment.skip,
            ),
        )

    def finish(self, *, drop_unreferenced_deleted: bool) -> None:
        """
        Tie comments to threads and to their conversations, once the whole
        dump has been read.  A reply to a comment that is not imported
        becomes a top-level comment (marked C{orphan}).

        @param drop_unreferenced_deleted: set aside deleted comments (mode 4)
            that nothing replies to, as Isso removes such placeholders.
        """
        run = self._conn.execute
        run(
            "UPDATE staged_comments AS c SET uri = t.uri, "
            "skip = coalesce(c.skip, t.skip) "
            "FROM staged_threads AS t WHERE t.key = c.thread_key"
        )
        run(
            "UPDATE staged_comments SET skip = 'in a thread missing from the file' "
            "WHERE uri IS NULL AND skip IS NULL"
        )
        # Comments of thread elements that share a uri form one thread, in
        # the place of the first of them.
        run("CREATE INDEX staged_threads_uri ON staged_threads (uri, seq)")
        run(
            "UPDATE staged_comments AS c SET thread_seq = "
            "(SELECT min(t.seq) FROM staged_threads AS t WHERE t.uri = c.uri "
            "AND t.skip IS NULL) "
            "WHERE c.skip IS NULL"
        )
        run("CREATE INDEX staged_identity ON staged_comments (uri, created)")
        run("CREATE INDEX staged_source ON staged_comments (uri, source_id)")
        run("CREATE INDEX staged_parent ON staged_comments (parent_seq)")

        # The same comment twice in the dump: the first one stands for both.
        run(
            "UPDATE staged_comments AS c SET dup_of = (SELECT min(d.seq) "
            "FROM staged_comments AS d WHERE d.uri = c.uri "
            "AND d.created = c.created AND d.author IS c.author "
            "AND d.text = c.text AND d.skip IS NULL AND d.seq < c.seq) "
            "WHERE c.skip IS NULL"
        )

        # Parents, looked up in the same thread; a reply to a comment that
        # is not imported becomes a top-level comment, as in Isso.
        run(
            "UPDATE staged_comments AS c SET parent_seq = (SELECT min(p.seq) "
            "FROM staged_comments AS p WHERE p.uri = c.uri "
            "AND p.source_id = c.source_parent AND p.seq != c.seq) "
            "WHERE c.source_parent IS NOT NULL AND c.skip IS NULL"
        )
        run(
            "UPDATE staged_comments AS c SET parent_seq = NULL, orphan = 1 "
            "WHERE c.source_parent IS NOT NULL AND c.skip IS NULL "
            "AND c.dup_of IS NULL AND (c.parent_seq IS NULL OR EXISTS ("
            "SELECT 1 FROM staged_comments AS p WHERE p.seq = c.parent_seq "
            "AND p.skip IS NOT NULL))"
        )
        run(
            "UPDATE staged_comments AS c SET parent_seq = p.dup_of "
            "FROM staged_comments AS p "
            "WHERE p.seq = c.parent_seq AND p.dup_of IS NOT NULL"
        )
        self._flatten()

        if drop_unreferenced_deleted:
            run(
                f"UPDATE staged_comments AS c SET skip = 'deleted without replies' "
                f"WHERE c.mode = {DELETED} AND {_TO_INSERT} AND NOT EXISTS ("
                "SELECT 1 FROM staged_comments AS r WHERE r.parent_seq = c.seq "
                "AND r.skip IS NULL AND r.dup_of IS NULL)"
            )
        # The order in which new comments get their ids.
        run(
            "UPDATE staged_comments AS s SET ordinal = n.number FROM (SELECT seq, "
            "row_number() OVER (ORDER BY thread_seq, sort_key, seq) AS number "
            "FROM staged_comments WHERE skip IS NULL AND dup_of IS NULL) AS n "
            "WHERE n.seq = s.seq"
        )
        run("CREATE INDEX staged_ordinal ON staged_comments (ordinal)")
        run("COMMIT")
        self._conn.close()

    def _flatten(self) -> None:
        """
        Point every reply at the top-level comment of its conversation:
        Isso nests replies one level deep.
        """
        run = self._conn.execute
        for _ in range(_FLATTEN_ROUNDS):
            changed = run(
                "UPDATE staged_comments AS c SET parent_seq = p.parent_seq "
                "FROM staged_comments AS p "
                "WHERE p.seq = c.parent_seq AND p.parent_seq IS NOT NULL"
            ).rowcount
            run("UPDATE staged_comments SET parent_seq = NULL WHERE parent_seq = seq")
            if not changed:
                return
        # Still nested: a loop of replies.  Cut it.
        run(
            "UPDATE staged_comments AS c SET parent_seq = NULL FROM staged_comments "
            "AS p WHERE p.seq = c.parent_seq AND p.parent_seq IS NOT NULL"
        )

    def abandon(self) -> None:
        self._conn.close()


# Reading the formats


def detect_format(path: str) -> str:
    """
    Tell which of the three formats the file at C{path} is in, from its
    beginning.

    @raise ImportFailure: none of them.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_PEEK)
    except OSError as e:
        raise ImportFailure(f"{path}: cannot be read: {e.strerror}") from None
    text = head.decode("utf-8", "replace")
    if 'xmlns="http://disqus.com' in text:
        return "disqus"
    if _WORDPRESS.search(text):
        return "wordpress"
    if re.match(r"\A(\ufeff)?\s*\[\s*[{\]]", text):
        return "generic"
    raise ImportFailure(
        f"{path}: not a Disqus or WordPress export, nor a JSON list of "
        "threads; give the format with -t"
    )


# The two ways dumps write dates: "2020-01-31 12:00:00" (WordPress, generic)
# and "2020-01-31T12:00:00Z" (Disqus).
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")


def _utc(text: str, form: re.Pattern[str]) -> float:
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


def _uri(link: str, with_query: bool) -> str:
    parts = urlsplit(link.strip())
    uri = parts.path or "/"
    if with_query and parts.query:
        uri += "?" + parts.query
    return uri


def _text(element: ElementTree.Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return element.text


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


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
                _expect_root(element, _DISQUS + "disqus", "a Disqus export")
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


def _expect_root(element: ElementTree.Element, tag: str, what: str) -> None:
    if element.tag != tag:
        _namespace, name = _local(element.tag)
        raise ImportFailure(f"not {what}: the document is a <{name}>")


def _disqus_thread(
    element: ElementTree.Element, staging: Staging, empty_id: bool
) -> None:
    key = element.get(_DISQUS_INTERNALS + "id")
    if not key:
        # No post can name it.
        return
    link = _text(element.find(_DISQUS + "link")).strip()
    title = _text(element.find(_DISQUS + "title")).strip() or None
    skip = None
    if not _text(element.find(_DISQUS + "id")).strip() and not empty_id:
        skip = _NO_DISQUS_ID
    elif not link:
        skip = ("no link", "in a thread without a link")
    staging.add_thread(
        key, _uri(link, with_query=False) if link else None, title, skip=skip
    )


def _disqus_post(element: ElementTree.Element, staging: Staging, number: int) -> None:
    source_id = element.get(_DISQUS_INTERNALS + "id")
    where = f"post #{number}" + (f" (dsq:id {source_id})" if source_id else "")
    thread = element.find(_DISQUS + "thread")
    thread_key = thread.get(_DISQUS_INTERNALS + "id") if thread is not None else None
    if not thread_key:
        raise ImportFailure(f"{where}: no <thread dsq:id=...> names its thread")
    created_text = _text(element.find(_DISQUS + "createdAt"))
    try:
        created = _utc(created_text, _ISO_DATE)
    except ValueError:
        raise ImportFailure(
            f"{where}: <createdAt> {created_text!r} is not a date like "
            "2020-01-31T12:00:00Z"
        ) from None
    parent = element.find(_DISQUS + "parent")
    author = element.find(_DISQUS + "author")
    comment = Comment(
        thread_key=thread_key,
        text=_text(element.find(_DISQUS + "message")).strip(),
        created=created,
        source_id=source_id,
        source_parent=parent.get(_DISQUS_INTERNALS + "id")
        if parent is not None
        else None,
        sort_key=created,
        remote_addr=anonymize(_text(element.find(_DISQUS + "ipAddress"))),
        author=_optional(_text(author.find(_DISQUS + "name")))
        if author is not None
        else None,
        email=_optional(_text(author.find(_DISQUS + "email")))
        if author is not None
        else None,
    )
    if _text(element.find(_DISQUS + "isSpam")).strip() == "true":
        comment.skip = "spam"
    elif _text(element.find(_DISQUS + "isDeleted")).strip() == "true":
        # What Isso keeps of a comment deleted while it has replies.
        comment.mode = DELETED
        comment.text = ""
        comment.author = None
        comment.website = None
    staging.add_comment(comment)


def _local(tag: str) -> tuple[str, str]:
    """
    Split C{{namespace}name} into its two parts.
    """
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


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
                _expect_root(element, "rss", "a WordPress export")
            if len(stack) == 3 and element.tag == "item":
                items += 1
                comments_in_item = 0
            continue
        stack.pop()
        depth = len(stack)
        namespace, name = _local(element.tag)
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
    link = _text(element.find("link")).strip()
    title = _text(element.find("title")).strip() or None
    staging.add_thread(
        str(number),
        _uri(link, with_query=True) if link else None,
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
        return _text(element.find(ns + name))

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
        created = _utc(created_text, _DATE)
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
        author=_optional(field("comment_author")),
        email=_optional(field("comment_author_email")),
        website=_optional(field("comment_author_url")),
    )
    if kind not in _WORDPRESS_COMMENT_TYPES:
        comment.skip = kind
    elif approved == "spam":
        comment.skip = "spam"
    elif approved in ("trash", "post-trashed"):
        comment.skip = "trash"
    staging.add_comment(comment)


def _json_events(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    import ijson

    for _prefix, event, value in ijson.parse(stream, use_float=True):
        yield event, value


def _json_value(events: Iterator[tuple[str, Any]], event: str, value: Any) -> Any:
    """
    Build the JSON value that starts with C{(event, value)} from the events
    that follow.
    """
    if event == "start_map":
        result: dict[str, Any] = {}
        for inner, key in events:
            if inner == "end_map":
                return result
            result[key] = _json_value(events, *next(events))
    if event == "start_array":
        items = []
        for inner, item in events:
            if inner == "end_array":
                return items
            items.append(_json_value(events, inner, item))
    return value


_JSON_TYPES = {
    "start_map": "an object",
    "start_array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a number",
    "double": "a number",
    "boolean": "true or false",
    "null": "null",
}


def parse_generic(stream: IO[bytes], staging: Staging) -> None:
    """
    Read Isso's generic JSON format: a list of threads C{{"id": uri,
    "title": …, "comments": […]}}, read one comment at a time.

    Beyond the fields Isso reads, each comment may carry what
    C{isso-tx export} writes (see L{generic_comment}).
    """
    events = _json_events(stream)
    first = next(events, None)
    if first is None or first[0] != "start_array":
        raise ImportFailure(
            "the file must be a JSON list of threads, not "
            f"{_JSON_TYPES.get(first[0], first[0]) if first else 'empty'}"
        )
    for number, (event, _value) in enumerate(events, start=1):
        if event == "end_array":
            break
        if event != "start_map":
            raise ImportFailure(
                f"thread #{number}: must be an object, "
                f"not {_JSON_TYPES.get(event, event)}"
            )
        _generic_thread(events, staging, number)
    # Anything after the list is reported by the parser itself.
    for _ in events:
        pass


def _generic_thread(
    events: Iterator[tuple[str, Any]], staging: Staging, number: int
) -> None:
    thread: dict[str, Any] = {}
    comments = 0
    key = str(number)
    for event, value in events:
        if event == "end_map":
            break
        name = value
        event, value = next(events)
        if name != "comments":
            thread[name] = _json_value(events, event, value)
            continue
        if event == "null":
            continue
        if event != "start_array":
            raise ImportFailure(f"thread #{number}: comments must be a list")
        for event, value in events:
            if event == "end_array":
                break
            comments += 1
            raw = _json_value(events, event, value)
            where = (
                f"thread #{number}"
                + (f" ({thread['id']})" if isinstance(thread.get("id"), str) else "")
                + f", comment #{comments}"
            )
            if not isinstance(raw, dict):
                raise ImportFailure(f"{where}: must be an object")
            staging.add_comment(generic_comment(raw, key, where))
    uri = thread.get("id")
    if not isinstance(uri, str) or not uri:
        raise ImportFailure(
            f'thread #{number}: "id" (the thread\'s uri) must be a string'
        )
    title = thread.get("title")
    if title is not None and not isinstance(title, str):
        raise ImportFailure(f'thread #{number} ({uri}): "title" must be a string')
    tid = thread.get("tid")
    if tid is not None and not _is_int(tid):
        raise ImportFailure(f'thread #{number} ({uri}): "tid" must be a whole number')
    staging.add_thread(key, uri, title, source_tid=tid, keep=True)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: Any) -> bool:
    """
    Tell whether a generic dump's C{id} or C{parent} is of a usable kind: a
    number, a string, or absent.
    """
    return value is None or isinstance(value, str) or _is_int(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _date(value: Any, where: str, name: str) -> float:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return _utc(value, _DATE)
        except ValueError:
            pass
    raise ImportFailure(
        f'{where}: {name!r} must be a date like "2020-01-31 12:00:00" (UTC) '
        f"or a Unix time, not {value!r}"
    )


def generic_comment(raw: dict[str, Any], thread_key: str, where: str) -> Comment:
    """
    Check one comment of a generic dump and return it.

    Isso's fields: C{id} (orders the comments; kept as the row id when the
    target database is empty), C{text}, C{author}, C{email}, C{website},
    C{remote_addr}, C{created} (C{"YYYY-MM-DD HH:MM:SS"}, read as UTC).
    Ours, all optional: C{created_unix} (the exact time, preferred over
    C{created}), C{modified} (Unix time or null), C{parent} (the C{id} of the
    comment answered, in the same thread), C{mode}, C{likes}, C{dislikes},
    C{voters} (the bloom filter, base64), C{notification}.

    @raise ImportFailure: a field has the wrong type.
    """
    text = raw.get("text")
    if not isinstance(text, str):
        raise ImportFailure(f'{where}: "text" must be a string')
    for name in ("author", "email", "website", "remote_addr"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise ImportFailure(f"{where}: {name!r} must be a string or null")
    if "created_unix" in raw:
        created = _date(raw["created_unix"], where, "created_unix")
    elif "created" in raw:
        created = _date(raw["created"], where, "created")
    else:
        raise ImportFailure(f'{where}: "created" is missing')
    modified = raw.get("modified")
    if modified is not None:
        modified = _date(modified, where, "modified")
    source_id = raw.get("id")
    if not _is_id(source_id):
        raise ImportFailure(f'{where}: "id" must be a number or a string')
    wanted_id = None
    if _is_int(source_id) and source_id > 0:
        wanted_id = source_id
    elif isinstance(source_id, str) and source_id.isdigit() and int(source_id) > 0:
        wanted_id = int(source_id)
    parent = raw.get("parent")
    if not _is_id(parent):
        raise ImportFailure(f'{where}: "parent" must be a comment id or null')
    for name in ("mode", "likes", "dislikes"):
        if raw.get(name) is not None and not _is_int(raw[name]):
            raise ImportFailure(f"{where}: {name!r} must be a whole number")
    notification = raw.get("notification", 0)
    if isinstance(notification, (dict, list)):
        raise ImportFailure(f'{where}: "notification" must be a number')
    voters = raw.get("voters")
    if voters is not None:
        if not isinstance(voters, str):
            raise ImportFailure(f'{where}: "voters" must be base64 text')
        try:
            voters = base64.b64decode(voters, validate=True)
        except (binascii.Error, ValueError):
            raise ImportFailure(f'{where}: "voters" is not valid base64') from None
    remote_addr = raw.get("remote_addr")
    # Anonymising is a no-op for what Isso and isso-tx store; any other
    # address is a real one that should not be kept whole.
    if remote_addr and anonymize(remote_addr) != UNKNOWN_ADDRESS:
        remote_addr = anonymize(remote_addr)
    return Comment(
        thread_key=thread_key,
        text=text,
        created=created,
        source_id=str(source_id) if source_id is not None else None,
        source_parent=str(parent) if parent not in (None, 0, "0", "") else None,
        sort_key=wanted_id if wanted_id is not None else source_id,
        modified=modified,
        mode=raw.get("mode", PUBLISHED),
        remote_addr=remote_addr,
        author=raw.get("author"),
        email=raw.get("email"),
        website=raw.get("website"),
        likes=raw.get("likes", 0),
        dislikes=raw.get("dislikes", 0),
        voters=voters,
        notification=int(notification)
        if isinstance(notification, bool)
        else notification,
        wanted_id=wanted_id,
    )


def _json_failure(path: str, error: Exception) -> str:
    """
    Say, in one line, where the JSON is broken.  The fast parser does not
    tell, so the file is read again by ijson's pure-Python parser, which
    counts.
    """
    import ijson

    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    position = None
    try:
        backend = ijson.get_backend("python")
        with open(path, "rb") as f:
            for _ in backend.parse(f):
                pass
    except (ijson.JSONError, ValueError) as again:
        match = re.search(r" at (\d+)$", str(again))
        if match:
            position = int(match.group(1))
    if "premature EOF" in first_line or "Incomplete" in first_line:
        line, column = _line_column(path, None)
        return (
            f"not valid JSON: the file ends in the middle of a value "
            f"(line {line}, column {column}; truncated?)"
        )
    if position is not None:
        line, column = _line_column(path, position)
        return f"not valid JSON: {first_line} (line {line}, column {column})"
    return f"not valid JSON: {first_line}"


def _line_column(path: str, offset: int | None) -> tuple[int, int]:
    """
    Return the line and column (both from 1) of a character offset, or of
    the end of the file.
    """
    line, column, seen = 1, 1, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        while chunk := f.read(65536):
            for char in chunk:
                if offset is not None and seen == offset:
                    return line, column
                seen += 1
                if char == "\n":
                    line, column = line + 1, 1
                else:
                    column += 1
    return line, column


# Copying into the site's database


@dataclass
class ImportSummary:
    format: str
    comments: int = 0
    threads: int = 0
    new_threads: int = 0
    # Why comments were not imported, and how many each time.
    skipped: Counter[str] = field(default_factory=Counter)
    threads_skipped: Counter[str] = field(default_factory=Counter)
    orphans: int = 0
    kept_ids: bool = False
    # Imported comments waiting for moderation that the daemon's purge of
    # stale pending comments would delete at once, and that age in seconds.
    pending_stale: int = 0
    purge_after: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        """
        Describe the import: one summary line, then notes, if any.
        """
        line = (
            f"{'would import' if self.dry_run else 'imported'} "
            f"{_plural(self.comments, 'comment')} into "
            f"{_plural(self.threads, 'thread')} ({self.new_threads} new) "
            f"from a {_FORMAT_NAMES[self.format]} dump"
        )
        total = sum(self.skipped.values())
        if total:
            reasons = ", ".join(
                f"{count} {reason}" for reason, count in self.skipped.most_common()
            )
            line += f"; skipped {_plural(total, 'comment')}: {reasons}"
        else:
            line += "; skipped nothing"
        lines = [line]
        for reason, count in self.threads_skipped.most_common():
            lines.append(f"note: {_plural(count, 'thread')} skipped: {reason}")
        if self.orphans:
            lines.append(
                f"note: {_plural(self.orphans, 'reply', 'replies')} answered a "
                "comment that is not imported; made top-level"
            )
        if self.pending_stale:
            lines.append(
                f"note: {_plural(self.pending_stale, 'imported comment')} "
                "awaiting moderation are older than [moderation] purge-after "
                f"({_duration(self.purge_after)}): the daemon deletes them "
                "unless they are approved first (or purge-after = 0)"
            )
        if self.kept_ids:
            lines.append("note: the database was empty; ids are kept as in the file")
        if self.dry_run:
            lines.append("note: dry run; nothing was written")
        return lines


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return _plural(seconds // size, unit)
    return _plural(seconds, "second")


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _can_keep(conn: sqlite3.Connection, column: str, table: str, where: str) -> bool:
    """
    Tell whether the wanted ids of the rows to create are all given and
    distinct.
    """
    missing, total, distinct = conn.execute(
        f"SELECT count(*) - count({column}), count(*), count(DISTINCT {column}) "
        f"FROM {table} AS c WHERE {where}"
    ).fetchone()
    return total > 0 and missing == 0 and distinct == total


def merge(
    conn: sqlite3.Connection,
    staging_path: str,
    summary: ImportSummary,
    *,
    dry_run: bool,
    now: float | None = None,
) -> None:
    """
    Copy the staged threads and comments that are not already in the
    database into it, in one transaction; fill in C{summary}.

    When the database holds no thread and no comment, the ids given in the
    file are kept (if they are usable); otherwise new rows get the ids
    SQLite would give them, one after the highest.
    """
    run = conn.execute
    run("ATTACH DATABASE ? AS staging", (staging_path,))
    try:
        # The scratch file needs no rollback journal: it is thrown away
        # whatever happens (a journal in memory would hold a copy of every
        # staged row it updates).
        run("PRAGMA staging.journal_mode = OFF")
        run("PRAGMA staging.synchronous = OFF")
        run("BEGIN IMMEDIATE")
        try:
            _merge(conn, summary, time.time() if now is None else now)
        except BaseException:
            run("ROLLBACK")
            raise
        run("ROLLBACK" if dry_run else "COMMIT")
    finally:
        run("DETACH DATABASE staging")


def _merge(conn: sqlite3.Connection, summary: ImportSummary, now: float) -> None:
    run = conn.execute
    empty = not run(
        "SELECT EXISTS (SELECT 1 FROM main.comments) "
        "OR EXISTS (SELECT 1 FROM main.threads)"
    ).fetchone()[0]

    # Threads the database already has.
    run(
        "UPDATE staged_threads AS s SET tid = t.id FROM main.threads AS t "
        "WHERE t.uri = s.uri AND s.skip IS NULL"
    )
    # Comments the database already has: one pass over the comments of
    # those threads, each looked up in the staged ones by its identity.
    present = 0
    existing = conn.cursor()
    existing.execute(
        "SELECT c.id, t.uri, c.created, c.author, c.text FROM main.comments AS c "
        "JOIN main.threads AS t ON t.id = c.tid WHERE c.tid IN "
        "(SELECT tid FROM staged_threads WHERE tid IS NOT NULL)"
    )
    for row in existing:
        present += run(
            "UPDATE staged_comments SET existing = ?1 WHERE seq = ("
            "SELECT seq FROM staged_comments WHERE uri = ?2 AND created = ?3 "
            "AND author IS ?4 AND text = ?5 AND skip IS NULL AND dup_of IS NULL "
            "AND existing IS NULL LIMIT 1)",
            row,
        ).rowcount
    if present:
        # Number what is left without gaps.
        run(
            "UPDATE staged_comments AS s SET ordinal = n.number FROM (SELECT seq, "
            "row_number() OVER (ORDER BY ordinal) AS number FROM staged_comments "
            f"AS c WHERE {_TO_INSERT}) AS n WHERE n.seq = s.seq"
        )

    # New threads: one per uri, where a comment is new or the file asks.
    run(
        "UPDATE staged_threads AS s SET new = 1 WHERE s.skip IS NULL "
        "AND s.tid IS NULL AND s.uri IS NOT NULL AND s.seq = (SELECT min(o.seq) "
        "FROM staged_threads AS o WHERE o.uri = s.uri AND o.skip IS NULL) AND ("
        "EXISTS (SELECT 1 FROM staged_threads AS o WHERE o.uri = s.uri AND o.keep) "
        "OR EXISTS (SELECT 1 FROM staged_comments AS c WHERE c.uri = s.uri "
        f"AND {_TO_INSERT}))"
    )
    keep_thread_ids = empty and _can_keep(conn, "source_tid", "staged_threads", "c.new")
    if keep_thread_ids:
        run("UPDATE staged_threads SET tid = source_tid WHERE new")
    else:
        (base,) = run("SELECT coalesce(max(id), 0) FROM main.threads").fetchone()
        run(
            "UPDATE staged_threads AS s SET tid = ? + n.number FROM (SELECT seq, "
            "row_number() OVER (ORDER BY seq) AS number FROM staged_threads "
            "WHERE new) AS n WHERE n.seq = s.seq",
            (base,),
        )
    run(
        "INSERT INTO main.threads (id, uri, title) "
        "SELECT tid, uri, title FROM staged_threads WHERE new ORDER BY tid"
    )

    # New comments: the ids of the file when the database was empty,
    # else the ids SQLite would give, one after the highest.
    keep_comment_ids = empty and _can_keep(
        conn, "wanted_id", "staged_comments", _TO_INSERT
    )
    (base,) = run("SELECT coalesce(max(id), 0) FROM main.comments").fetchone()

    def new_id(c: str) -> str:
        if keep_comment_ids:
            return f"coalesce({c}.existing, {c}.wanted_id)"
        return f"coalesce({c}.existing, {base:d} + {c}.ordinal)"

    run(
        "INSERT INTO main.comments (tid, id, parent, created, modified, mode, "
        "remote_addr, text, author, email, website, likes, dislikes, voters, "
        f"notification) SELECT t.tid, {new_id('c')}, {new_id('p')}, c.created, "
        "c.modified, c.mode, c.remote_addr, c.text, c.author, c.email, c.website, "
        "c.likes, c.dislikes, c.voters, c.notification FROM staged_comments AS c "
        "JOIN staged_threads AS t ON t.seq = c.thread_seq "
        "LEFT JOIN staged_comments AS p ON p.seq = c.parent_seq "
        f"WHERE {_TO_INSERT} ORDER BY c.ordinal"
    )

    summary.comments, summary.threads, summary.orphans = run(
        "SELECT count(*), count(DISTINCT thread_seq), count(*) FILTER (WHERE orphan) "
        f"FROM staged_comments AS c WHERE {_TO_INSERT}"
    ).fetchone()
    (summary.new_threads,) = run(
        "SELECT count(*) FROM staged_threads WHERE new"
    ).fetchone()
    for reason, count in run(
        "SELECT skip, count(*) FROM staged_comments WHERE skip IS NOT NULL "
        "GROUP BY skip"
    ):
        summary.skipped[reason] += count
    (repeated,) = run(
        "SELECT count(*) FROM staged_comments WHERE skip IS NULL AND dup_of IS NOT NULL"
    ).fetchone()
    if repeated:
        summary.skipped["repeated in the file"] += repeated
    if present:
        summary.skipped["already in the database"] += present
    summary.kept_ids = bool(keep_comment_ids and summary.comments)
    if summary.purge_after > 0:
        (summary.pending_stale,) = run(
            f"SELECT count(*) FROM staged_comments AS c WHERE {_TO_INSERT} "
            f"AND c.mode = {PENDING} AND c.created < ?",
            (now - summary.purge_after,),
        ).fetchone()


class _CountingReader:
    """
    A binary file that reports how much of it has been read.
    """

    def __init__(self, f: IO[bytes], report: Callable[[int], object]) -> None:
        self._f = f
        self._report = report

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._report(len(data))
        return data


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """
    Open a site's existing database for the command line: in autocommit
    mode (we say BEGIN ourselves), waiting for the daemon's writes to finish.

    @raise sqlite3.Error: it cannot be opened (for instance, it does not
        exist).
    """
    mode = "ro" if readonly else "rw"
    # timeout= is SQLite's busy timeout.
    return sqlite3.connect(
        f"file:{quote(os.path.abspath(path))}?mode={mode}",
        uri=True,
        isolation_level=None,
        timeout=BUSY_TIMEOUT,
    )


def import_dump(
    db_path: str,
    dump_path: str,
    *,
    kind: str | None = None,
    empty_id: bool = False,
    dry_run: bool = False,
    legacy_session_key: str | None = None,
    purge_after: int = 0,
    progress: Callable[[int], object] | None = None,
) -> ImportSummary:
    """
    Import the dump at C{dump_path} into the database at C{db_path}
    (created, or upgraded to Isso's current schema, first).

    Nothing is written unless the whole dump could be read.

    @param kind: one of L{FORMATS}, or None to recognise it.
    @param purge_after: the site's C{[moderation] purge-after}, to warn
        about imported pending comments the daemon would delete.
    @param progress: called with the number of bytes read, as they are.
    @raise ImportFailure: the dump is unreadable or broken, or the database
        cannot be written; nothing was imported.
    @raise isso_tx.db.DatabaseError: the database cannot be used.
    """
    if kind is None:
        kind = detect_format(dump_path)
    if kind not in FORMATS:
        raise ImportFailure(f"unknown format {kind!r}")
    # prepare_database checks this too, but only after the whole dump was
    # read, and not at all for a dry run.
    directory = os.path.dirname(os.path.abspath(db_path))
    if not os.path.isdir(directory):
        raise ImportFailure(f"{db_path}: directory {directory} does not exist")

    summary = ImportSummary(format=kind, dry_run=dry_run, purge_after=purge_after)
    with tempfile.TemporaryDirectory(prefix="isso-tx-import-") as scratch:
        staging = Staging(os.path.join(scratch, "staging.db"))
        try:
            _read_dump(dump_path, kind, staging, empty_id=empty_id, progress=progress)
        except BaseException:
            staging.abandon()
            raise
        staging.finish(drop_unreferenced_deleted=kind == "disqus")
        summary.threads_skipped = staging.threads_skipped

        if dry_run:
            # Work on a copy: not even creating or upgrading the database.
            db_path = _scratch_copy(db_path, os.path.join(scratch, "dry-run.db"))
        prepare_database(db_path, legacy_session_key)
        try:
            conn = connect(db_path)
        except sqlite3.Error as e:
            raise ImportFailure(f"{db_path}: {e}") from None
        try:
            merge(conn, staging.path, summary, dry_run=dry_run)
        except sqlite3.Error as e:
            raise ImportFailure(f"{db_path}: {e}") from None
        finally:
            conn.close()
    return summary


def _read_dump(
    path: str,
    kind: str,
    staging: Staging,
    *,
    empty_id: bool,
    progress: Callable[[int], object] | None,
) -> None:
    """
    Parse the dump at C{path} into C{staging}.

    @raise ImportFailure: the dump cannot be read, or is broken; the message
        starts with C{path}.
    """
    import ijson

    try:
        with open(path, "rb") as raw:
            stream: Any = raw if progress is None else _CountingReader(raw, progress)
            if kind == "disqus":
                parse_disqus(stream, staging, empty_id=empty_id)
            elif kind == "wordpress":
                parse_wordpress(stream, staging)
            else:
                parse_generic(stream, staging)
    except OSError as e:
        raise ImportFailure(f"{path}: cannot be read: {e.strerror}") from None
    except ImportFailure as e:
        raise ImportFailure(f"{path}: {e}") from None
    except ElementTree.ParseError as e:
        # expat's message already ends with "line L, column C".
        raise ImportFailure(f"{path}: not well-formed XML: {e}") from None
    except (ijson.JSONError, UnicodeDecodeError) as e:
        raise ImportFailure(f"{path}: {_json_failure(path, e)}") from None


def _scratch_copy(db_path: str, copy_path: str) -> str:
    """
    Copy the database at C{db_path}, if there is one, to C{copy_path};
    return the copy's path.
    """
    if os.path.exists(db_path):
        try:
            source = connect(db_path, readonly=True)
        except sqlite3.Error as e:
            raise ImportFailure(f"{db_path}: {e}") from None
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    return copy_path
