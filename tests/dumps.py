"""
Generated comment dumps, for tests and benchmarks that need large ones, and
a way to import them while measuring memory.
"""

from __future__ import annotations

import calendar
import os
import random
import subprocess
import sys
import time
from typing import IO
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs in the child: the command line, then the child's own peak memory.
_MEASURED = """
import resource, sys
from isso_tx.cli import main
code = main(sys.argv[1:])
print("peak-rss-kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""

_WORDS = (
    "wheel", "chain", "brake", "saddle", "gear", "pedal", "tyre", "spoke",
    "frame", "fork", "rim", "valve", "pump", "lever", "cable", "bell", "light",
    "lock", "rack", "bottle", "route", "hill", "rain", "wind", "road", "trail",
)  # fmt: skip


def write_wordpress(
    out: IO[str],
    comments: int,
    *,
    per_post: int = 50,
    words: int = 60,
    seed: int = 1,
) -> None:
    """
    Write a WordPress export (WXR 1.2) with C{comments} comments spread over
    posts of C{per_post} comments each.  About a third of the comments are
    replies (some to replies), one in fifty is a pingback and one in thirty
    is unapproved.
    """
    rng = random.Random(seed)
    out.write(
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
        "<title>Generated</title>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
    )
    start = calendar.timegm((2015, 1, 1, 0, 0, 0, 0, 0, 0))
    comment_id = 0
    post = 0
    while comment_id < comments:
        post += 1
        out.write(
            f"<item>\n<title>Post number {post}</title>\n"
            f"<link>https://generated.example.net/{post // 100}/post-{post}/</link>\n"
            f"<content:encoded><![CDATA[{' '.join(rng.choices(_WORDS, k=200))}]]>"
            "</content:encoded>\n"
            f"<wp:post_id>{post}</wp:post_id>\n"
        )
        first = comment_id + 1
        for _ in range(min(per_post, comments - comment_id)):
            comment_id += 1
            parent = 0
            if comment_id > first and rng.random() < 0.35:
                parent = rng.randrange(first, comment_id)
            kind = "pingback" if rng.random() < 0.02 else "comment"
            approved = "0" if rng.random() < 0.033 else "1"
            created = time.strftime(
                "%Y-%m-%d %H:%M:%S", time.gmtime(start + comment_id * 600)
            )
            text = " ".join(rng.choices(_WORDS, k=words))
            out.write(
                "<wp:comment>\n"
                f"<wp:comment_id>{comment_id}</wp:comment_id>\n"
                f"<wp:comment_author><![CDATA[Rider {comment_id % 997}]]>"
                "</wp:comment_author>\n"
                f"<wp:comment_author_email>rider{comment_id % 997}@example.org"
                "</wp:comment_author_email>\n"
                f"<wp:comment_author_url>https://rider{comment_id % 997}.example.org/"
                "</wp:comment_author_url>\n"
                f"<wp:comment_author_IP>198.51.{comment_id % 256}.{comment_id % 200}"
                "</wp:comment_author_IP>\n"
                f"<wp:comment_date>{created}</wp:comment_date>\n"
                f"<wp:comment_date_gmt>{created}</wp:comment_date_gmt>\n"
                f"<wp:comment_content>{escape(text)}\nsecond line"
                "</wp:comment_content>\n"
                f"<wp:comment_approved>{approved}</wp:comment_approved>\n"
                f"<wp:comment_type>{kind}</wp:comment_type>\n"
                f"<wp:comment_parent>{parent}</wp:comment_parent>\n"
                "</wp:comment>\n"
            )
        out.write("</item>\n")
    out.write("</channel>\n</rss>\n")


def measured_import(
    config: str, dump: str, *, timeout: float | None = None
) -> tuple[subprocess.CompletedProcess[str], int | None]:
    """
    Run C{isso-tx -c CONFIG import --quiet DUMP} in a child process of this
    Python, on this checkout; return the finished process, whose stdout is
    the command's own, and its peak resident memory in KiB (None when it
    did not get that far).
    """
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, "-c", config, "import", "--quiet", dump],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    output, marker, peak = result.stdout.rpartition("peak-rss-kib ")
    if not marker:
        return result, None
    result.stdout = output
    return result, int(peak)
