"""
Memory and time of `isso-tx import` on a large WordPress export.

Generates WordPress exports (WXR) of 10,000 and 100,000 comments (about
10 MB and 100 MB: 50 comments a post, a third of them replies, some
pingbacks and unapproved ones), imports each into a fresh database with the
isso-tx command in a child process, imports it again (everything is then
skipped as already present), and prints the child's peak resident memory
(from resource.getrusage) and the time taken.

    .venv/bin/python bench/import_bench.py [--comments 100000] [--keep DIR]

The peak memory stays flat as the dump grows: the dump is streamed into a
scratch SQLite file and copied into the database by SQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.dumps import measured_import, write_wordpress


def run_import(config: str, dump: str) -> tuple[float, int, str]:
    """
    Import C{dump} in a child process; return seconds, peak RSS in KiB and
    the command's summary line.
    """
    started = time.perf_counter()
    result, peak = measured_import(config, dump)
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or peak is None:
        sys.exit(f"import failed: {result.stderr.strip()}")
    return elapsed, peak, result.stdout.splitlines()[0]


def bench(directory: str, comments: int) -> None:
    dump = os.path.join(directory, f"wordpress-{comments}.xml")
    db = os.path.join(directory, f"comments-{comments}.db")
    config = os.path.join(directory, f"site-{comments}.cfg")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"[general]\ndbpath = {db}\nhost = https://generated.example.net/\n")
    with open(dump, "w", encoding="utf-8") as f:
        write_wordpress(f, comments)
    size = os.path.getsize(dump) / 2**20
    print(f"{comments:>7} comments, {size:6.1f} MiB dump")
    for label in ("import", "re-import"):
        elapsed, peak, summary = run_import(config, dump)
        print(
            f"  {label:<9} {elapsed:6.1f} s   peak RSS {peak / 1024:6.1f} MiB   {summary}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--keep", metavar="DIR", help="write the files here, and keep them"
    )
    args = parser.parse_args()
    sizes = sorted({min(10_000, args.comments), args.comments})
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        for comments in sizes:
            bench(args.keep, comments)
    else:
        with tempfile.TemporaryDirectory(prefix="isso-tx-import-bench-") as directory:
            for comments in sizes:
                bench(directory, comments)


if __name__ == "__main__":
    main()
