"""
The scale-out benchmark still runs: C{bench/scale_bench.py --duration 1}
measures one daemon on PostgreSQL and on SQLite, and two against one, and
prints both tables with their goals.

Slow (about 30 s): it starts a PostgreSQL server and four daemons and loads
them with wrk for a second per figure; skipped where wrk or PostgreSQL is
not installed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from ..pgcluster import installed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench", "scale_bench.py")


@functools.cache
def smoke_run() -> subprocess.CompletedProcess[str]:
    """
    Run the benchmark once, briefly, for all the tests of this module.
    """
    return subprocess.run(
        [sys.executable, BENCH, "--duration", "1"],
        check=False, capture_output=True, text=True, timeout=600, cwd=ROOT,
    )


class ScaleBenchTests(SynchronousTestCase):
    """
    A smoke run of the scale-out benchmark, so that the instrument does not
    rot.
    """

    def setUp(self) -> None:
        if not shutil.which("wrk"):
            raise SkipTest("wrk is not installed (make bench-scale installs it)")
        if not installed():
            raise SkipTest("PostgreSQL is not installed (make bench-scale installs it)")
        result = smoke_run()
        if result.returncode:
            self.fail(
                f"scale_bench.py failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr[-4000:]}"
            )
        self.output = result.stdout

    def test_postgresql_against_sqlite(self) -> None:
        """
        Each request of the first table has a rate on SQLite and on
        PostgreSQL and their ratio; two have a goal, marked met or not.
        """
        for name in ("GET thread (cached)", "GET thread (uncached)", "POST /new"):
            row = re.search(
                rf"^{re.escape(name)} +(\d+) +(\d+) +(\d+)%(.*)$", self.output, re.M
            )
            self.assertIsNotNone(row, f"{name}:\n{self.output}")
            self.assertGreater(int(row.group(1)), 0)
            self.assertGreater(int(row.group(2)), 0)
            if name != "GET thread (uncached)":
                self.assertRegex(row.group(4), r"^ +\d+% +(yes|NO)$")

    def test_two_daemons_against_one(self) -> None:
        """
        Each backend and request of the second table has the rates of one
        daemon and of two, their ratio against the goal, and the CPU the
        load generator and the database took; no request failed.
        """
        for backend in ("SQLite", "PostgreSQL"):
            for name in ("GET thread (uncached)", "POST /new"):
                self.assertRegex(
                    self.output,
                    rf"(?m)^{backend}: {re.escape(name)} +\d+ +\d+ +\d+\.\d\d× +"
                    r"\d\.\d× +(yes|NO) +\d+ → \d+ +\d+% of a CPU +\d+\.\d\d×$",
                )
        self.assertNotIn("note:", self.output)
        stored = re.search(r"rows stored: SQLite (\d+), PostgreSQL (\d+)", self.output)
        self.assertIsNotNone(stored, self.output)
        self.assertGreater(min(int(stored.group(1)), int(stored.group(2))), 0)
