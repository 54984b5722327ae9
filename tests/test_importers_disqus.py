"""
Tests for reading Disqus exports (L{isso_tx.importers.disqus}).
"""

from __future__ import annotations

import io
import os
from functools import partial

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.importers import ImportFailure, Staging
from isso_tx.importers.disqus import parse_disqus, recognises
from isso_tx.store.rows import DELETED

from .staged import stage

HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<disqus xmlns="http://disqus.com" '
    'xmlns:dsq="http://disqus.com/disqus-internals">\n'
)
THREAD = (
    '<thread dsq:id="7"><id>hello</id><link>https://b.example/hello/?utm=x</link>'
    "<title>Hello</title></thread>\n"
)


def post(number: int, *, parent: int | None = None, extra: str = "") -> str:
    """
    A post by Ann in thread 7, dated January the C{number}th.
    """
    return (
        f'<post dsq:id="{number}"><message>Post {number}</message>'
        f"<createdAt>2020-01-0{number}T10:00:00Z</createdAt>"
        "<author><name>Ann</name><email>ann@example.org</email></author>"
        "<ipAddress>192.0.2.7</ipAddress>"
        f'<thread dsq:id="7"/>'
        + (f'<parent dsq:id="{parent}"/>' if parent else "")
        + extra
        + "</post>\n"
    )


class DisqusTests(SynchronousTestCase):
    """
    What of a Disqus export is staged for import.
    """

    def staged(self, text: str, empty_id: bool = False) -> tuple[list, Staging]:
        return stage(
            self.mktemp(),
            partial(parse_disqus, empty_id=empty_id),
            text,
            drop_unreferenced_deleted=True,
        )

    def test_posts(self) -> None:
        """
        Posts join their thread's uri (without the query), keep their
        author, and have their address anonymised.
        """
        rows, _ = self.staged(HEAD + THREAD + post(1) + post(2, parent=1) + "</disqus>")
        self.assertEqual([r["uri"] for r in rows], ["/hello/", "/hello/"])
        self.assertEqual(rows[0]["author"], "Ann")
        self.assertEqual(rows[0]["remote_addr"], "192.0.2.0")
        self.assertEqual(rows[1]["parent_seq"], rows[0]["seq"])

    def test_spam_and_deleted(self) -> None:
        """
        Spam is set aside; a deleted post stays, emptied, only while a reply
        needs it.
        """
        rows, _ = self.staged(
            HEAD
            + THREAD
            + post(1, extra="<isSpam>true</isSpam>")
            + post(2, extra="<isDeleted>true</isDeleted>")
            + post(3, parent=2)
            + post(4, extra="<isDeleted>true</isDeleted>")
            + "</disqus>"
        )
        self.assertEqual(rows[0]["skip"], "spam")
        self.assertEqual((rows[1]["mode"], rows[1]["text"]), (DELETED, ""))
        self.assertIsNone(rows[1]["skip"])
        self.assertEqual(rows[3]["skip"], "deleted without replies")

    def test_empty_id(self) -> None:
        """
        A thread without a Disqus identifier is skipped, and counted, unless
        empty_id is given.
        """
        thread = THREAD.replace("<id>hello</id>", "<id></id>")
        rows, staging = self.staged(HEAD + thread + post(1) + "</disqus>")
        self.assertIn("--empty-id", rows[0]["skip"])
        self.assertEqual(sum(staging.threads_skipped.values()), 1)
        rows, _ = self.staged(HEAD + thread + post(1) + "</disqus>", empty_id=True)
        self.assertIsNone(rows[0]["skip"])

    def test_broken(self) -> None:
        """
        Another document, or a post with a bad date, is refused with a
        message saying which post.
        """
        staging = Staging(os.path.join(os.path.abspath(self.mktemp()) + ".db"))
        self.addCleanup(staging.abandon)
        with self.assertRaises(ImportFailure) as caught:
            parse_disqus(io.BytesIO(b"<rss/>"), staging, empty_id=False)
        self.assertIn(
            "not a Disqus export: the document is a <rss>", str(caught.exception)
        )
        broken = post(1).replace("2020-01-01T10", "yesterday")
        text = HEAD + THREAD + broken + "</disqus>"
        with self.assertRaises(ImportFailure) as caught:
            parse_disqus(io.BytesIO(text.encode()), staging, empty_id=False)
        self.assertIn(
            "post #1 (dsq:id 1): <createdAt> 'yesterday", str(caught.exception)
        )

    def test_recognised(self) -> None:
        """
        A Disqus export is recognised from its first lines.
        """
        self.assertTrue(recognises(HEAD))
        self.assertFalse(recognises("<rss>"))
