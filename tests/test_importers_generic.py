"""
Tests for reading Isso's generic JSON (L{isso_tx.importers.generic}).
"""

from __future__ import annotations

import base64

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.importers import ImportFailure
from isso_tx.importers.generic import generic_comment, parse_generic, recognises

from .staged import stage


class GenericCommentTests(SynchronousTestCase):
    """
    One comment of a generic dump, checked field by field.
    """

    def test_fields(self) -> None:
        """
        Isso's fields and isso-tx's extra ones are read; a numeric id is the
        id to keep, and the exact Unix time wins over the date.
        """
        comment = generic_comment(
            {
                "id": "12",
                "text": "Hi",
                "created": "2020-01-31 12:00:00",
                "created_unix": 1580472000.5,
                "parent": 3,
                "voters": base64.b64encode(b"\x01\x02").decode(),
                "notification": True,
            },
            "1",
            "thread #1, comment #1",
        )
        self.assertEqual(comment.wanted_id, 12)
        self.assertEqual(comment.created, 1580472000.5)
        self.assertEqual(comment.source_parent, "3")
        self.assertEqual(comment.voters, b"\x01\x02")
        self.assertEqual(comment.notification, 1)

    def test_wrong_types(self) -> None:
        """
        A field of the wrong kind is refused with a message naming where
        and which field.
        """
        where = "thread #2 (/x/), comment #4"
        for raw, part in [
            ({"created": "2020-01-31 12:00:00"}, '"text" must be a string'),
            ({"text": "a"}, '"created" is missing'),
            ({"text": "a", "created": "31/01/2020"}, "'created' must be a date"),
            ({"text": "a", "created": 0, "likes": True}, "'likes' must be a whole"),
            ({"text": "a", "created": 0, "voters": "!!"}, "not valid base64"),
        ]:
            with self.assertRaises(ImportFailure) as caught:
                generic_comment(raw, "2", where)
            self.assertEqual(str(caught.exception).split(": ")[0], where)
            self.assertIn(part, str(caught.exception))


class ParseGenericTests(SynchronousTestCase):
    """
    A whole generic dump.
    """

    def test_threads(self) -> None:
        """
        Each thread's comments are staged under its uri, replies under the
        comment they answer.
        """
        rows, _ = stage(
            self.mktemp(),
            parse_generic,
            '[{"id": "/a/", "comments": [{"id": 1, "text": "x", "created": 0}, '
            '{"id": 2, "text": "y", "created": 1, "parent": 1}]}]',
        )
        self.assertEqual([r["uri"] for r in rows], ["/a/", "/a/"])
        self.assertEqual(rows[1]["parent_seq"], rows[0]["seq"])

    def test_not_a_list(self) -> None:
        """
        A file that is not a list of thread objects is refused, saying what
        it is instead.
        """
        with self.assertRaises(ImportFailure) as caught:
            stage(self.mktemp(), parse_generic, '{"id": "/a/"}')
        self.assertIn(
            "must be a JSON list of threads, not an object", str(caught.exception)
        )
        with self.assertRaises(ImportFailure) as caught:
            stage(self.mktemp(), parse_generic, "[3]")
        self.assertIn(
            "thread #1: must be an object, not a number", str(caught.exception)
        )

    def test_recognised(self) -> None:
        """
        A JSON list of objects (or an empty list) is recognised.
        """
        self.assertTrue(recognises('\ufeff  [ {"id": "/"}]'))
        self.assertTrue(recognises("[]"))
        self.assertFalse(recognises('{"id": "/"}'))
