"""
Tests for what the dump readers share (L{isso_tx.importers.reading}).
"""

from __future__ import annotations

from xml.etree import ElementTree

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.importers import ImportFailure
from isso_tx.importers.reading import (
    DATE,
    ISO_DATE,
    expect_root,
    is_int,
    is_number,
    thread_uri,
    utc_time,
)


class ReadingTests(SynchronousTestCase):
    """
    Dates, uris and JSON kinds, as the three formats read them.
    """

    def test_dates(self) -> None:
        """
        Both date forms are read as UTC; anything else is refused.
        """
        self.assertEqual(utc_time("2020-01-31 12:00:00", DATE), 1580472000.0)
        self.assertEqual(utc_time(" 2020-01-31T12:00:00Z ", ISO_DATE), 1580472000.0)
        for bad in ("2020-01-31", "2020-13-01 00:00:00"):
            self.assertRaises(ValueError, utc_time, bad, DATE)

    def test_uri(self) -> None:
        """
        A thread's uri is the link's path, with its query when asked.
        """
        self.assertEqual(thread_uri("https://b.example/x/?p=1", False), "/x/")
        self.assertEqual(thread_uri("https://b.example/x/?p=1", True), "/x/?p=1")
        self.assertEqual(thread_uri("https://b.example", False), "/")

    def test_kinds(self) -> None:
        """
        true and false are neither whole numbers nor numbers.
        """
        self.assertTrue(is_int(3))
        self.assertFalse(is_int(True))
        self.assertFalse(is_int(3.0))
        self.assertTrue(is_number(3.5))
        self.assertFalse(is_number(False))

    def test_root(self) -> None:
        """
        A document of another kind is named in the failure.
        """
        with self.assertRaises(ImportFailure) as caught:
            expect_root(ElementTree.Element("html"), "rss", "a WordPress export")
        self.assertEqual(
            str(caught.exception), "not a WordPress export: the document is a <html>"
        )
