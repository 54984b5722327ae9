"""
The scratch database a dump is parsed into, one comment at a time, and the
work done on it once the whole dump is read: tying comments to threads and
conversations and noticing repeats, before anything touches the site's
database.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..addresses import UNKNOWN_ADDRESS
from ..bloom import new_voters
from ..store.rows import DELETED, PUBLISHED

# Parent chains are shortened by pointer jumping: each round halves them,
# so this many rounds flatten any chain a real dump contains; what is still
# nested afterwards is a loop, and is cut.
_FLATTEN_ROUNDS = 64


class ImportFailure(Exception):
    """
    The dump cannot be imported; the message says where and why, in one line.
    """


# A staged comment is imported when none of these set it aside.
TO_INSERT = "c.skip IS NULL AND c.dup_of IS NULL AND c.existing IS NULL"


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
        """
        Stage one comment of the dump, with a new voters filter if it has
        none.
        """
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
                f"WHERE c.mode = {DELETED} AND {TO_INSERT} AND NOT EXISTS ("
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
        """
        Close the scratch database without finishing it (the dump broke).
        """
        self._conn.close()

