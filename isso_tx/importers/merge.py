"""
Copying what a finished staging database holds into the site's database,
in one transaction, mostly in set-based SQL so that the write lock is held
briefly.

A comment is already present, and is skipped, when the site's database
holds a comment of the same thread (uri) with the same C{created} time,
author and text.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

from ..store.rows import PENDING
from .staging import TO_INSERT


@dataclass
class ImportSummary:
    """
    What an import did, or would do: counts to report to the user.
    """

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
            f"AS c WHERE {TO_INSERT}) AS n WHERE n.seq = s.seq"
        )

    # New threads: one per uri, where a comment is new or the file asks.
    run(
        "UPDATE staged_threads AS s SET new = 1 WHERE s.skip IS NULL "
        "AND s.tid IS NULL AND s.uri IS NOT NULL AND s.seq = (SELECT min(o.seq) "
        "FROM staged_threads AS o WHERE o.uri = s.uri AND o.skip IS NULL) AND ("
        "EXISTS (SELECT 1 FROM staged_threads AS o WHERE o.uri = s.uri AND o.keep) "
        "OR EXISTS (SELECT 1 FROM staged_comments AS c WHERE c.uri = s.uri "
        f"AND {TO_INSERT}))"
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
        conn, "wanted_id", "staged_comments", TO_INSERT
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
        f"WHERE {TO_INSERT} ORDER BY c.ordinal"
    )

    summary.comments, summary.threads, summary.orphans = run(
        "SELECT count(*), count(DISTINCT thread_seq), count(*) FILTER (WHERE orphan) "
        f"FROM staged_comments AS c WHERE {TO_INSERT}"
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
            f"SELECT count(*) FROM staged_comments AS c WHERE {TO_INSERT} "
            f"AND c.mode = {PENDING} AND c.created < ?",
            (now - summary.purge_after,),
        ).fetchone()

