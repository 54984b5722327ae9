"""
Tests for reading WordPress exports (L{isso_tx.importers.wordpress}).
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.importers.wordpress import parse_wordpress, recognises
from isso_tx.store.rows import PENDING, PUBLISHED

from .staged import stage

HEAD = (
    '<?xml version="1.0"?>\n<rss version="2.0" '
    'xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
)


def comment(number: int, approved: str = "1", kind: str = "", parent: int = 0) -> str:
    """
    A two-line comment by Bo, of May the C{number}th.
    """
    return (
        f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
        "<wp:comment_author>Bo</wp:comment_author>"
        f"<wp:comment_date_gmt>2021-05-0{number} 09:00:00</wp:comment_date_gmt>"
        "<wp:comment_content>line one\nline two\n\nnext</wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{kind}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
    )


def item(*comments: str) -> str:
    """
    A post holding C{comments}.
    """
    return (
        "<item><title>Tyres</title><link>https://b.example/tyres/?p=3</link>"
        + "".join(comments)
        + "</item>\n"
    )


class WordPressTests(SynchronousTestCase):
    """
    What of a WordPress export is staged for import.
    """

    def staged(self, *items: str) -> list[dict]:
        rows, _ = stage(
            self.mktemp(), parse_wordpress, HEAD + "".join(items) + "</channel></rss>"
        )
        return rows

    def test_comments(self) -> None:
        """
        Approved comments are published and unapproved ones wait; the post's
        link with its query is the thread; single line breaks are kept.
        """
        rows = self.staged(item(comment(1), comment(2, approved="0", parent=1)))
        self.assertEqual([r["mode"] for r in rows], [PUBLISHED, PENDING])
        self.assertEqual(rows[0]["uri"], "/tyres/?p=3")
        self.assertEqual(rows[0]["text"], "line one  \nline two\n\nnext")
        self.assertEqual(rows[1]["parent_seq"], rows[0]["seq"])

    def test_skipped(self) -> None:
        """
        Spam, trash and pingbacks are set aside with their reason; a reply
        to one of them becomes a top-level comment.
        """
        rows = self.staged(
            item(
                comment(1, approved="spam"),
                comment(2, approved="trash"),
                comment(3, kind="pingback"),
                comment(4, parent=1),
            )
        )
        self.assertEqual(
            [r["skip"] for r in rows], ["spam", "trash", "pingback", None]
        )
        self.assertEqual((rows[3]["parent_seq"], rows[3]["orphan"]), (None, 1))

    def test_recognised(self) -> None:
        """
        A WordPress export is recognised by its namespace.
        """
        self.assertTrue(recognises(HEAD))
        self.assertFalse(recognises('<disqus xmlns="http://disqus.com">'))
