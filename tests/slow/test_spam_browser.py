"""
Browser test: the owner's spam rules and bans driven in headless Chromium
(C{tests/browser/spam-admin.mjs}) against a site served by this process:
the admin panel's Spam rules page and Ban action, and the delete page of a
moderation mail's link.
"""

from __future__ import annotations

import json
import sqlite3

from twisted.internet.defer import inlineCallbacks

from isso_tx.notify import moderation_link

from ..support import SiteTestCase
from .node import missing_browser_tools, run_scenario

PASSWORD = "browser test password"
MAILED = "mailed@example.org"


class SpamBrowserTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
        f"[admin]\nenabled = true\npassword = {PASSWORD}\n"
    )
    timeout = 240
    skip = missing_browser_tools()

    def rules(self) -> list[tuple[str, str, str]]:
        """
        Read the rules left in the database file: kind, value, action.
        """
        path = self.site_config.general.dbpath
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return connection.execute(
                "SELECT kind, value, action FROM isso_tx_rules ORDER BY id"
            ).fetchall()
        finally:
            connection.close()

    @inlineCallbacks
    def test_rules_and_bans_in_a_browser(self):
        """
        In a real browser the owner is told why a rule cannot be made, adds
        rules whose markup shows as text, sees a holding rule count its
        match, bans a spammer from the panel (whose next comment is then
        refused) and lets the network in again by deleting its rule, and
        bans and unbans an e-mail address from the mail's delete page.
        """
        comment = yield self.post_comment("/mailed/", email=MAILED, text="From a mail")
        link = moderation_link(self.site.signer, self.base, comment["id"], "delete")
        ban = {
            "uri": "/mailed/",
            "id": comment["id"],
            "email": MAILED,
            "link": link[len(self.base):],
        }
        result = yield run_scenario(
            "spam-admin.mjs",
            "--server",
            self.base,
            env={
                "ISSO_ADMIN_PASSWORD": PASSWORD,
                "ISSO_BAN_LINK": json.dumps(ban),
                "ISSO_ASSETS": "server",
            },
            timeout=180,
        )
        if result.status != 0:
            self.fail(f"spam-admin.mjs exited with {result.status}:\n{result.output}")
        self.assertIn("spam-admin: PASS", result.output)
        # Left: the two holding rules and the ban's e-mail rule; the
        # network rule was deleted, and the mail page's ban undone.
        self.assertEqual(
            [(kind, action) for kind, _, action in self.rules()],
            [("words", "hold"), ("words", "hold"), ("email", "refuse")],
        )
