"""
Browser test: the links of the owner's mails and of reply mails clicked
through in headless Chromium (C{tests/browser/moderation-links.mjs})
against a site served by this process.
"""

from __future__ import annotations

import json
import sqlite3

from twisted.internet.defer import inlineCallbacks

from isso_tx.notify import moderation_link
from isso_tx.notify.mails import unsubscribe_link

from ..support import SiteTestCase
from .node import missing_browser_tools, run_scenario

FORM = "application/x-www-form-urlencoded"
SUBSCRIBER = "alice+news@example.org"
# Typed into the edit form: two lines, Markdown and characters beyond ASCII.
EDITED = "Published and **edited** by the owner.\nSecond line: « déjà vu » ✓"


class ModerationLinksBrowserTests(SiteTestCase):
    config = (
        "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
        "[moderation]\nenabled = true\n"
        "[general]\nreply-notifications = true\n"
    )
    timeout = 120
    skip = missing_browser_tools()

    def query(self, sql: str) -> dict[int, object]:
        """
        Read C{id, value} rows straight from the database file.
        """
        path = self.site_config.general.dbpath
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return dict(connection.execute(sql).fetchall())
        finally:
            connection.close()

    def flags(self) -> dict[int, object]:
        """
        The reply-notification flag of every comment left with an e-mail
        address.
        """
        return self.query(
            "SELECT id, notification FROM comments WHERE email IS NOT NULL"
        )

    @inlineCallbacks
    def test_links_in_a_browser(self):
        """
        In a real browser the owner opens each link, sees what it would do,
        and confirms: a pending comment is published (and the link then
        says so), edited in the prefilled form, a published one deleted; a
        key for another comment is refused; a subscriber unsubscribes, and
        only the flags of that conversation and address go off.
        """
        uri = "/path/"
        pending = {
            "text": "Please publish me.\nA second line, <kept> as text.",
            "author": "Alice",
            "email": SUBSCRIBER,
        }
        comment = yield self.post_comment(uri, notification=1, **pending)
        doomed_text = "Delete me, please."
        doomed = yield self.post_comment(uri, text=doomed_text, author="Bob")
        own_reply = yield self.post_comment(
            uri, text="Alice again, replying.", email=SUBSCRIBER,
            notification=1, parent=comment["id"],
        )
        other_reply = yield self.post_comment(
            uri, text="Carol follows this too.", email="carol@example.org",
            notification=1, parent=comment["id"],
        )
        for row in (comment, doomed, own_reply, other_reply):
            self.assertEqual(row["mode"], 2)

        def link(comment_id: int, action: str, key_for: int | None = None) -> str:
            url = moderation_link(self.site.signer, self.base, comment_id, action)
            if key_for is None:
                return url
            key = self.site.signer.moderation_key(key_for)
            return url.rsplit("/", 1)[0] + "/" + key

        # The comment to delete is published first, the way a script does.
        response = yield self.client.post(
            link(doomed["id"], "activate")[len(self.base):], content_type=None
        )
        self.assertEqual(response.body, b"Comment has been activated")

        links = {
            "uri": uri,
            "pending": dict(pending, id=comment["id"]),
            "published": {"id": doomed["id"], "text": doomed_text},
            "newText": EDITED,
            "links": {
                "activate": link(comment["id"], "activate"),
                "edit": link(comment["id"], "edit"),
                "delete": link(doomed["id"], "delete"),
                "mismatched": link(comment["id"], "delete", key_for=doomed["id"]),
                "unsubscribe": unsubscribe_link(
                    self.site.signer, self.base, comment["id"], SUBSCRIBER
                ),
            },
        }
        self.assertEqual(
            self.flags(),
            {comment["id"]: 1, own_reply["id"]: 1, other_reply["id"]: 1},
        )
        result = yield run_scenario(
            "moderation-links.mjs",
            "--server",
            self.base,
            env={"ISSO_MODERATION_LINKS": json.dumps(links)},
            timeout=90,
        )
        if result.status != 0:
            self.fail(
                f"moderation-links.mjs exited with {result.status}:\n{result.output}"
            )
        self.assertIn("moderation-links: PASS", result.output)
        # The edit is stored as typed (LF line breaks, not the CRLF browsers
        # send); the deleted comment is gone.
        texts = self.query("SELECT id, text FROM comments")
        self.assertEqual(texts[comment["id"]], EDITED)
        self.assertNotIn(doomed["id"], texts)
        # Unsubscribed from this conversation: the subscriber's comment and
        # reply no longer notify; another reader's reply still does.
        self.assertEqual(
            self.flags(),
            {comment["id"]: 0, own_reply["id"]: 0, other_reply["id"]: 1},
        )
