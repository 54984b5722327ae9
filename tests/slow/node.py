"""
Running the Node.js browser scenarios of C{tests/browser/} from trial.

The scenarios drive Debian's Chromium with playwright-core; both are
installed by C{make test-deps} (C{scripts/bootstrap browser}).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = os.path.join(ROOT, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_browser_tools() -> str | None:
    """
    Say what is missing to run the browser scenarios and to build the
    client (Node, npm, Chromium, the npm packages), and how to install it;
    C{None} when nothing is. The tests needing them are skipped with this
    reason, and L{tests.slow.test_setup} fails once with it.
    """
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not os.path.exists(CHROMIUM):
        missing.append(CHROMIUM)
    for package in ("playwright-core", "esbuild"):
        if not os.path.isdir(os.path.join(ROOT, "node_modules", package)):
            missing.append(f"node_modules/{package}")
    if not missing:
        return None
    return f"not installed: {', '.join(missing)} (install with: make test-deps)"


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
