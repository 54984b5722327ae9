"""
What the slow layer needs besides Python, checked once: when it is
missing, this is the one failure to read, and the tests that need it are
skipped with the same reason.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from .node import missing_browser_tools


class BrowserSetupTests(SynchronousTestCase):
    def test_browser_tools_installed(self) -> None:
        """
        Chromium, Node, npm and the npm packages of the browser tests are
        installed; if not, one line names what is missing and the command
        that installs it.
        """
        missing = missing_browser_tools()
        if missing is not None:
            self.fail(f"browser tests skipped: {missing}")
