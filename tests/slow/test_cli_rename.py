"""
Tests for C{isso-tx rename-thread} (L{isso_tx.cli.rename}) and the rule by
which a prefix matches (L{isso_tx.store.comments.renamed_uri}).
"""

from __future__ import annotations

import os
import sqlite3

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.store.threads import renamed_uri

from ..commandline import import_threads, isso_tx, write_config

URIS = ["/p", "/p/", "/p/hello/", "/p?page=2", "/posts/hello/", "/pp/"]


def uris(db: str) -> list[str]:
    """
    Every thread's uri, by id.
    """
    conn = sqlite3.connect(db)
    try:
        return [uri for (uri,) in conn.execute("SELECT uri FROM threads ORDER BY id")]
    finally:
        conn.close()


class PrefixTests(SynchronousTestCase):
    """
    rename-thread --prefix, run as a user runs it.
    """

    def setUp(self) -> None:
        directory = os.path.abspath(self.mktemp())
        self.config = write_config(directory, "http://localhost:8181")
        self.db = os.path.join(directory, "comments.db")
        import_threads(self.config, directory, URIS)

    def test_whole_segments(self) -> None:
        """
        --prefix /p /q renames /p and what is below it, and leaves /posts/
        and /pp/ alone.
        """
        result = isso_tx("-c", self.config, "rename-thread", "--prefix", "/p", "/q")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertEqual(
            uris(self.db),
            ["/q", "/q/", "/q/hello/", "/q?page=2", "/posts/hello/", "/pp/"],
        )
        self.assertIn("/p/hello/ renamed to /q/hello/", result.stdout)
        self.assertIn("4 threads moved (0 merged)", result.stdout)

    def test_dry_run(self) -> None:
        """
        --dry-run lists what would be renamed and changes nothing.
        """
        result = isso_tx(
            "-c", self.config, "rename-thread", "--dry-run", "--prefix", "/p/", "/q/"
        )
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertEqual(
            result.stdout.splitlines(),
            [
                "/p/ would be renamed to /q/",
                "/p/hello/ would be renamed to /q/hello/",
                "2 threads would move (0 merged)",
                "dry run; nothing was changed",
            ],
        )
        self.assertEqual(uris(self.db), URIS)

    def test_nothing_below(self) -> None:
        """
        A prefix that matches no whole segment is an error in one line.
        """
        result = isso_tx("-c", self.config, "rename-thread", "--prefix", "/po", "/q")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(
            result.stderr,
            "isso-tx: rename-thread: no thread's uri is '/po' or below it\n",
        )
        self.assertEqual(uris(self.db), URIS)


class RenamedUriTests(SynchronousTestCase):
    """
    What a prefix rename makes of each uri.
    """

    def test_segments(self) -> None:
        """
        A prefix without a trailing slash matches itself, and what follows
        it after a slash or a query; nothing else.
        """
        self.assertEqual(renamed_uri("/p", "/p", "/q"), "/q")
        self.assertEqual(renamed_uri("/p/a/", "/p", "/q"), "/q/a/")
        self.assertEqual(renamed_uri("/p?x=1", "/p", "/q"), "/q?x=1")
        self.assertIsNone(renamed_uri("/posts/hello/", "/p", "/q"))

    def test_slashes(self) -> None:
        """
        A trailing slash on OLD matches only below it, and NEW's trailing
        slash does not double or vanish.
        """
        self.assertIsNone(renamed_uri("/p", "/p/", "/q/"))
        self.assertEqual(renamed_uri("/p/a/", "/p/", "/q"), "/q/a/")
        self.assertEqual(renamed_uri("/p/a/", "/p", "/q/"), "/q/a/")
        self.assertEqual(renamed_uri("/p", "/p", "/q/"), "/q/")

    def test_root(self) -> None:
        """
        Renaming the root prefix moves every thread under the new one.
        """
        self.assertEqual(renamed_uri("/a/", "/", "/blog/"), "/blog/a/")
        self.assertEqual(renamed_uri("/", "/", "/blog/"), "/blog/")
        self.assertEqual(renamed_uri("/blog/a/", "/blog/", "/"), "/a/")
