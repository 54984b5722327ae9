"""
Running the Node.js browser scenarios of C{tests/browser/} from trial.

The scenarios drive Debian's Chromium with playwright-core; both are
installed by C{scripts/bootstrap browser} (C{make test}).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(ROOT, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_browser_tools() -> str | None:
    """
    Say what is missing to run the scenarios, or C{None} when nothing is.
    """
    if shutil.which("node") is None:
        return "node is not installed (run: scripts/bootstrap browser)"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (run: scripts/bootstrap browser)"
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core")):
        return "playwright-core is not installed (run: scripts/bootstrap browser)"
    return None


@dataclass(frozen=True)
class ScenarioResult:
    status: int
    output: str


class _Collector(ProcessProtocol):
    def __init__(self, done: Deferred[ScenarioResult]) -> None:
        self.done = done
        self.output = bytearray()

    def outReceived(self, data: bytes) -> None:
        self.output += data

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        status = getattr(reason.value, "exitCode", None)
        if status is None:
            status = -1
        self.done.callback(
            ScenarioResult(status, self.output.decode("utf-8", "replace"))
        )


def run_scenario(
    script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> Deferred[ScenarioResult]:
    """
    Run C{tests/browser/<script>} with Node, without blocking the reactor
    (the server under test runs in this process), and collect its output.
    A scenario still running after C{timeout} seconds is killed.
    """
    done: Deferred[ScenarioResult] = Deferred()
    environment = dict(os.environ, **(env or {}))
    process = reactor.spawnProcess(
        _Collector(done),
        shutil.which("node") or "node",
        ["node", os.path.join(SCENARIOS, script), *args],
        env=environment,
        path=ROOT,
    )
    killer = reactor.callLater(timeout, process.signalProcess, "KILL")

    def stop_killer(result: ScenarioResult) -> ScenarioResult:
        if killer.active():
            killer.cancel()
        return result

    return done.addBoth(stop_killer)
