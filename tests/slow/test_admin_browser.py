"""
Browser test: the admin panel driven in headless Chromium
(C{tests/browser/admin.mjs}) against a site served by this process.
"""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from ..support import SiteTestCase
from .node import missing_browser_tools, run_scenario

PASSWORD = "browser test password"


class AdminBrowserTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
        f"[admin]\nenabled = true\npassword = {PASSWORD}\n"
    )
    timeout = 240
    skip = missing_browser_tools()

    @inlineCallbacks
    def test_moderate_in_the_panel(self):
        """
        In a real browser the owner is refused with a wrong password, signs
        in, approves a comment and sees it on the thread, edits it,
        bulk-deletes the rest of the queue and signs out.
        """
        result = yield run_scenario(
            "admin.mjs",
            "--server",
            self.base,
            env={"ISSO_ADMIN_PASSWORD": PASSWORD, "ISSO_ASSETS": "server"},
            timeout=180,
        )
        if result.status != 0:
            self.fail(f"admin.mjs exited with {result.status}:\n{result.output}")
        self.assertIn("admin: PASS", result.output)
