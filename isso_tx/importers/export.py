"""
Writing a site's database as Isso's generic JSON, extended with what the
generic importer needs to reproduce the database row for row.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from typing import IO, Any

_COLUMNS = (
    "c.id, c.parent, c.created, c.modified, c.mode, c.remote_addr, c.text, "
    "c.author, c.email, c.website, c.likes, c.dislikes, c.voters, c.notification"
)


def export_comment(row: tuple[Any, ...]) -> dict[str, Any]:
    """
    Describe one comment row in the generic format: Isso's fields first,
    then ours.
    """
    (
        comment_id,
        parent,
        created,
        modified,
        mode,
        remote_addr,
        text,
        author,
        email,
        website,
        likes,
        dislikes,
        voters,
        notification,
    ) = row
    if isinstance(voters, str):
        voters = voters.encode("utf-8")
    return {
        "id": comment_id,
        "text": text,
        "author": author,
        "email": email,
        "website": website,
        "remote_addr": remote_addr,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(created)),
        "created_unix": created,
        "modified": modified,
        "parent": parent,
        "mode": mode,
        "likes": likes,
        "dislikes": dislikes,
        "voters": base64.b64encode(voters or b"").decode("ascii"),
        "notification": notification,
    }


def export_chunks(conn: sqlite3.Connection) -> Iterator[str]:
    """
    Yield the generic JSON of the whole database, piece by piece.  Run it in
    one read transaction, for a consistent snapshot.

    Threads and comments are read in two passes ordered by thread id and
    merged here: comments has no index on its thread, so a join would scan
    it once per thread.
    """
    threads = conn.cursor()
    threads.execute("SELECT id, uri, title FROM threads ORDER BY id")
    comments = conn.cursor()
    comments.execute(
        f"SELECT c.tid, {_COLUMNS} FROM comments AS c ORDER BY c.tid, c.id"
    )
    pending = comments.fetchone()
    yield "["
    for number, (tid, uri, title) in enumerate(threads):
        head = json.dumps({"id": uri, "title": title, "tid": tid}, ensure_ascii=False)
        yield ("" if number == 0 else ",\n") + head[:-1] + ', "comments": ['
        # Comments of no thread (Isso never shows them) are passed over.
        while pending is not None and (
            not isinstance(pending[0], int) or pending[0] < tid
        ):
            pending = comments.fetchone()
        separator = "\n"
        while pending is not None and pending[0] == tid:
            yield separator + json.dumps(
                export_comment(pending[1:]), ensure_ascii=False
            )
            separator = ",\n"
            pending = comments.fetchone()
        yield "]}"
    yield "]\n"


def write_export(conn: sqlite3.Connection, target: IO[str]) -> None:
    """
    Write the generic JSON of the whole database to C{target}.
    """
    for chunk in export_chunks(conn):
        target.write(chunk)
    target.flush()
