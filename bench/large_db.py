"""
A large database for bench/api_bench.py --large, written directly with
sqlite3 in the schema the daemon creates.

Comments are many but their texts few: each text is a template with the
comment's number in it, rendered once and the number substituted in the
HTML, so that the stored renderings (C{isso_tx_rendered}) are what the
daemon itself would have stored and no GET has to render.  Everything goes
in with executemany in one transaction.

    python bench/large_db.py CONFIG [--threads 50000] [--comments 1000000]
        [--huge 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The code measured is the code of this tree, as for the daemon.
sys.path.insert(0, ROOT)

from isso_tx.bloom import new_voters
from isso_tx.config import load_site_config
from isso_tx.db import prepare_database
from isso_tx.markup import Markup
from isso_tx.store.renderings import rendering_source

# The number stands where NUMBER is; Markdown leaves a run of digits alone,
# so substituting it in the rendered template gives the text's own HTML
# (checked on a sample below).
TEMPLATES = (
    "Comment NUMBER, with *some* markdown and a [link](https://example.org/NUMBER).",
    "A plain reply, number NUMBER.\n\nIt has two paragraphs.",
    "Number NUMBER: `code`, **bold** and a list:\n\n- one\n- two",
)
HUGE_URI = "/huge/"


class Texts:
    """
    Comment texts by number, with their HTML and rendering source.
    """

    def __init__(self, markup: Markup) -> None:
        self._markup = markup
        self._fingerprint = markup.fingerprint
        self._html = [markup.render(t) for t in TEMPLATES]

    def text(self, number: int) -> str:
        return TEMPLATES[number % len(TEMPLATES)].replace("NUMBER", str(number))

    def rendered(self, number: int) -> tuple[str, str, str]:
        """
        Return the text of comment C{number}, its rendering source and HTML.
        """
        text = self.text(number)
        html = self._html[number % len(TEMPLATES)].replace("NUMBER", str(number))
        return text, rendering_source(self._fingerprint, text), html

    def check(self, numbers: range) -> None:
        """
        Fail unless substituting gives what rendering each text gives.
        """
        for number in numbers:
            text, _, html = self.rendered(number)
            if self._markup.render(text) != html:
                raise AssertionError(f"template rendering differs for {text!r}")


def comment_rows(
    texts: Texts, voters: bytes, plan: list[tuple[int, int]], first_id: int
) -> Iterator[tuple[tuple, tuple]]:
    """
    Yield (comment row, rendering row) pairs for C{plan}, a list of
    (thread id, comments in it); a third of the comments reply to the
    comment before them, as on a lively page.
    """
    number = first_id
    created = time.time() - 365 * 86400
    for tid, count in plan:
        previous = None
        for i in range(count):
            text, source, html = texts.rendered(number)
            parent = previous if i % 3 == 2 else None
            created += 0.01
            yield (
                (tid, number, parent, created, None, 1, "127.0.0.0", text,
                 f"Reader {number % 997}", None, None, 0, 0, voters, 0),
                (number, source, html),
            )
            previous = number
            number += 1


def insert(conn: sqlite3.Connection, pairs: list[tuple[tuple, tuple]]) -> int:
    """
    Write a batch of comments and their renderings; return how many.
    """
    conn.executemany(
        "INSERT INTO comments (tid, id, parent, created, modified, mode, "
        "remote_addr, text, author, email, website, likes, dislikes, voters, "
        "notification) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [comment for comment, _ in pairs],
    )
    conn.executemany(
        "INSERT INTO isso_tx_rendered (id, source, html) VALUES (?, ?, ?)",
        [rendering for _, rendering in pairs],
    )
    return len(pairs)


def generate(config_path: str, threads: int, comments: int, huge: int) -> dict:
    """
    Fill the (new) database of the site at C{config_path}: C{threads}
    threads holding C{comments} comments in all, one of them (C{/huge/})
    holding C{huge}; return how long it took and what was written.
    """
    started = time.monotonic()
    config = load_site_config(config_path)
    prepare_database(config.general.dbpath)
    markup = Markup(config.markup)
    texts = Texts(markup)
    texts.check(range(1, 200))
    others = threads - 1
    rest = comments - huge
    plan = [(1, huge)] + [
        (tid, rest // others + (1 if i < rest % others else 0))
        for i, tid in enumerate(range(2, threads + 1))
    ]
    voters = new_voters("127.0.0.0")
    conn = sqlite3.connect(config.general.dbpath, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
            [(1, HUGE_URI, "A huge thread")]
            + [(tid, f"/large/{tid}/", f"Page {tid}") for tid in range(2, threads + 1)],
        )
        written = 0
        pending: list[tuple[tuple, tuple]] = []
        for pair in comment_rows(texts, voters, plan, 1):
            pending.append(pair)
            if len(pending) == 20_000:
                written += insert(conn, pending)
                pending = []
        written += insert(conn, pending)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return {
        "threads": threads,
        "comments": written,
        "seconds": time.monotonic() - started,
        "bytes": os.path.getsize(config.general.dbpath),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--threads", type=int, default=50_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--huge", type=int, default=5_000)
    args = parser.parse_args()
    print(json.dumps(generate(args.config, args.threads, args.comments, args.huge)))


if __name__ == "__main__":
    main()
