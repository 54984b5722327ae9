"""
The benchmark still runs: C{bench/api_bench.py --quick} measures every
scenario of the daemon and of the bare Twisted ceiling and prints the
table with its goals.

Slow (about 30 s): it starts the daemon and the ceiling server in child
processes and loads them with wrk for a second per scenario; skipped where
wrk is not installed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys

from twisted.trial.unittest import SkipTest, SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench", "api_bench.py")

SCENARIOS = (
    "GET thread, 5 comments",
    "GET thread, 600 comments",
    "POST /count, 10 uris",
    "GET /feed, 100 entries",
    "GET /latest, 100 entries",
    "GET /js/embed.min.js",
    "GET /js/embed.min.js, gzip",
    "POST /new, one thread",
)

# The scenarios compared with the bare Twisted server.
WITH_CEILING = (
    "GET thread, 5 comments",
    "POST /count, 10 uris",
    "GET /js/embed.min.js",
    "GET /js/embed.min.js, gzip",
)


@functools.cache
def quick_run() -> subprocess.CompletedProcess[str]:
    """
    Run the benchmark's smoke run once for all the tests of this module.
    """
    return subprocess.run(
        [sys.executable, BENCH, "--quick"],
        check=False, capture_output=True, text=True, timeout=600, cwd=ROOT,
    )


class QuickBenchTests(SynchronousTestCase):
    """
    A smoke run of the benchmark, so that the instrument does not rot.
    """

    def setUp(self) -> None:
        if not shutil.which("wrk"):
            raise SkipTest("wrk is not installed (apt-get install wrk, or make bench)")
        result = quick_run()
        if result.returncode:
            self.fail(
                f"api_bench.py --quick failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr[-4000:]}"
            )
        self.output = result.stdout

    def rows(self) -> dict[str, list[str]]:
        """
        Return the cells of the printed table by scenario.
        """
        cells = {}
        for line in self.output.splitlines():
            if line.startswith("| ") and not line.startswith("| scenario"):
                row = [c.strip() for c in line.strip("|").split("|")]
                cells[row[0]] = row
        return cells

    def test_every_scenario(self) -> None:
        """
        The table has a row of figures for every scenario, with requests per
        second, p50, p99 and their ratio, and a goal marked met or not.
        """
        rows = self.rows()
        for scenario in SCENARIOS:
            self.assertIn(scenario, rows, self.output)
            rate, p50, p99, spread = rows[scenario][1:5]
            self.assertRegex(rate, r"^\d[\d,]*$", f"{scenario}: errors or no figure")
            for figure in (p50, p99, spread):
                self.assertRegex(figure, r"^\d+\.\d$")
            self.assertRegex(rows[scenario][-1], r"^(✓|✗|n/a)( (✓|✗|n/a))*$")

    def test_share_of_ceiling(self) -> None:
        """
        The scenarios with a ceiling show the bare Twisted server's rate,
        its p99/p50 and the daemon's share of its rate.
        """
        rows = self.rows()
        for scenario in WITH_CEILING:
            ceiling, spread, share = rows[scenario][5:8]
            self.assertRegex(ceiling, r"^\d[\d,]*$", scenario)
            self.assertRegex(spread, r"^\d+\.\d$", scenario)
            self.assertRegex(share, r"^\d+%$", scenario)

    def test_memory_against_floor(self) -> None:
        """
        The peak RSS row and the floor it is held against are printed.
        """
        rows = self.rows()
        self.assertRegex(rows["peak RSS"][1], r"^\d+\.\d MiB$")
        self.assertRegex(rows["peak RSS"][-2], r"floor \+ 12 MiB = \d+\.\d MiB")
        self.assertIn("import twisted.internet.reactor", self.output)
        self.assertIsNotNone(re.search(r"load average [\d.]+ before", self.output))
        self.assertIsNotNone(re.search(r"goals met: \d+ of \d+", self.output))
