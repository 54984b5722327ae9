"""
The daemon's memory: a site loads the modules of the features it uses, not
those of the features its configuration leaves off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from twisted.trial.unittest import SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Builds the daemon's service tree as twistd does, and prints which of the
# modules named on the command line are loaded.
BUILD = """
import json, sys
from isso_tx.tap import Options, makeService
options = Options()
options.parseOptions(["--config", sys.argv[1]])
makeService(options)
print(json.dumps([name for name in sys.argv[2:] if name in sys.modules]))
"""

# The features off by default and a module each one loads.
OPTIONAL = {
    "[server] metrics-listen": "prometheus_client",
    "mail ([general] notify = smtp)": "twisted.mail.smtp",
    "mail messages": "email.headerregistry",
    "webhooks": "isso_tx.webhooks",
    "fetching page titles, webhooks": "twisted.web.client",
    "regular-expression rules": "regex",
    "the admin panel": "isso_tx.views.admin",
    "the admin panel's pages": "isso_tx.views.admin_pages",
    "PostgreSQL": "psycopg",
    "the isso-tx command": "isso_tx.cli",
    "the importers": "isso_tx.importers",
}


class OptionalModulesTests(SynchronousTestCase):
    def loaded(self, general: str = "", server: str = "", more: str = "") -> list[str]:
        """
        Return which modules of L{OPTIONAL} a site loads, its configuration
        given lines of C{[general]} and C{[server]} and C{more} sections.
        """
        directory = self.mktemp()
        os.makedirs(directory)
        path = os.path.join(directory, "isso.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(
                "[general]\n"
                f"dbpath = {os.path.join(os.path.abspath(directory), 'comments.db')}\n"
                "host = https://example.org/\n"
                f"{general}[server]\n"
                f"listen = http://127.0.0.1:0\n{server}{more}"
            )
        output = subprocess.run(
            [sys.executable, "-c", BUILD, path, *OPTIONAL.values()],
            env=dict(os.environ, PYTHONPATH=ROOT),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        loaded: list[str] = json.loads(output)
        return loaded

    def test_default_site(self) -> None:
        """
        A site with Isso's default configuration (notify = stdout, no
        metrics, no admin panel) does not load the modules of the features
        it leaves off, so they take none of the daemon's memory.
        """
        self.assertEqual(self.loaded(), [])

    def test_features_on(self) -> None:
        """
        A site that turns the metrics, mail and the admin panel on loads
        their modules when it starts, not at the first request.
        """
        loaded = self.loaded(
            general="notify = smtp\n",
            server="metrics-listen = http://127.0.0.1:0\n",
            more="[admin]\nenabled = true\npassword = a secret of ours\n",
        )
        for module in (
            "prometheus_client",
            "twisted.mail.smtp",
            "isso_tx.views.admin",
            "isso_tx.views.admin_pages",
        ):
            self.assertIn(module, loaded)
