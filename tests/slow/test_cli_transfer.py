"""
Tests for the texts of C{isso-tx import}, C{export} and C{backup}
(L{isso_tx.cli.transfer}, L{isso_tx.cli.backup}): counts agree with their
number.
"""

from __future__ import annotations

import json
import os
from collections import Counter

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.cli.transfer import duration, summary_lines
from isso_tx.importers import ImportSummary

from ..commandline import isso_tx, write_config


class OneOfEachTests(SynchronousTestCase):
    """
    A site of one thread holding one comment, awaiting moderation for years.
    """

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        self.config = write_config(self.directory, "http://localhost:8181")
        self.dump = os.path.join(self.directory, "one.json")
        with open(self.dump, "w", encoding="utf-8") as f:
            json.dump(
                [
                    {
                        "id": "/only/",
                        "comments": [
                            {
                                "id": 1,
                                "text": "Is this on?",
                                "created": "2015-06-01 10:00:00",
                                "mode": 2,
                            }
                        ],
                    }
                ],
                f,
            )

    def test_singular(self) -> None:
        """
        Importing, exporting and backing up one comment say "1 comment" and
        "1 thread", and the note on a stale pending comment speaks of it in
        the singular.
        """
        result = isso_tx("-c", self.config, "import", self.dump)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertIn("imported 1 comment into 1 thread (1 new)", result.stdout)
        self.assertIn(
            "note: 1 imported comment awaiting moderation is older than "
            "[moderation] purge-after (30 days): the daemon deletes it unless "
            "it is approved first",
            result.stdout,
        )
        result = isso_tx("-c", self.config, "export", os.path.join(self.directory, "x"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("exported 1 comment in 1 thread to ", result.stderr)
        backup = os.path.join(self.directory, "backup.db")
        result = isso_tx("-c", self.config, "backup", backup)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("1 thread, 1 comment; integrity check ok", result.stdout)
        result = isso_tx("-c", self.config, "check")
        self.assertIn("1 thread, 1 comment)", result.stdout)


class SummaryLinesTests(SynchronousTestCase):
    """
    The summary printed after an import.
    """

    def test_plural(self) -> None:
        """
        Several comments and threads are counted in the plural, replies as
        "replies", and stale pending comments are "them".
        """
        summary = ImportSummary(
            format="wordpress",
            comments=3,
            threads=2,
            new_threads=2,
            skipped=Counter({"spam": 2}),
            orphans=2,
            pending_stale=2,
            purge_after=86400,
        )
        lines = summary_lines(summary)
        self.assertEqual(
            lines[0],
            "imported 3 comments into 2 threads (2 new) from a WordPress dump; "
            "skipped 2 comments: 2 spam",
        )
        self.assertIn("note: 2 replies answered a comment", lines[1])
        self.assertIn("2 imported comments awaiting moderation are older", lines[2])
        self.assertIn("(1 day): the daemon deletes them unless they are", lines[2])

    def test_dry_run(self) -> None:
        """
        A dry run says what would be imported, and that nothing was written.
        """
        lines = summary_lines(ImportSummary(format="generic", dry_run=True))
        self.assertEqual(
            lines,
            [
                "would import 0 comments into 0 threads (0 new) from a generic "
                "JSON dump; skipped nothing",
                "note: dry run; nothing was written",
            ],
        )

    def test_duration(self) -> None:
        """
        Durations are said in their largest whole unit.
        """
        self.assertEqual(duration(86400 * 30), "30 days")
        self.assertEqual(duration(3600), "1 hour")
        self.assertEqual(duration(59), "59 seconds")
