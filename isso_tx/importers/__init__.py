"""
Importing comment dumps (Disqus, WordPress, and Isso's generic JSON) into an
Isso database.

An import runs in two stages, so that a broken dump never touches the
database and the daemon is never locked out for long:

 1. The dump is parsed as a stream (L{disqus}, L{wordpress},
    L{generic}) into a scratch SQLite file, one comment at a time; the
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

import os
import sqlite3
import tempfile
from collections.abc import Callable
from typing import IO, Any
from urllib.parse import quote
from xml.etree import ElementTree

from ..db import prepare_database
from . import disqus, generic, wordpress
from .export import export_chunks, export_comment, write_export
from .merge import ImportSummary, merge
from .staging import Comment, ImportFailure, Staging

__all__ = [
    "BUSY_TIMEOUT",
    "FORMATS",
    "FORMAT_NAMES",
    "Comment",
    "ImportFailure",
    "ImportSummary",
    "Staging",
    "connect",
    "detect_format",
    "export_chunks",
    "export_comment",
    "import_dump",
    "write_export",
]

# What each format is called in messages.
FORMAT_NAMES = {
    "disqus": "Disqus",
    "wordpress": "WordPress",
    "generic": "generic JSON",
}
FORMATS = tuple(FORMAT_NAMES)

# How long to wait for the daemon (or Isso) to finish a write.
BUSY_TIMEOUT = 30.0

# The module that reads each format, in the order they are recognised.
_READERS = {"disqus": disqus, "wordpress": wordpress, "generic": generic}

# Enough of a file to tell the formats apart.
_PEEK = 8192

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
    for kind, reader in _READERS.items():
        if reader.recognises(text):
            return kind
    raise ImportFailure(
        f"{path}: not a Disqus or WordPress export, nor a JSON list of "
        "threads; give the format with -t"
    )


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
                disqus.parse_disqus(stream, staging, empty_id=empty_id)
            elif kind == "wordpress":
                wordpress.parse_wordpress(stream, staging)
            else:
                generic.parse_generic(stream, staging)
    except OSError as e:
        raise ImportFailure(f"{path}: cannot be read: {e.strerror}") from None
    except ImportFailure as e:
        raise ImportFailure(f"{path}: {e}") from None
    except ElementTree.ParseError as e:
        # expat's message already ends with "line L, column C".
        raise ImportFailure(f"{path}: not well-formed XML: {e}") from None
    except (ijson.JSONError, UnicodeDecodeError) as e:
        raise ImportFailure(f"{path}: {generic.json_failure(path, e)}") from None


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
