"""
Several sites in one daemon started the way a site owner starts it:
C{twistd isso} with several configurations, in a child process.
"""

from __future__ import annotations

import json
import os

from twisted.trial.unittest import SynchronousTestCase

from .test_tap import DaemonMixin, free_port

ALPHA_HOST = "http://alpha.example"
BRAVO_HOST = "http://bravo.example"


class DaemonTests(DaemonMixin, SynchronousTestCase):
    def test_two_sites(self):
        """
        C{twistd isso} with two configurations serves both, each under its
        name, logs where, and copies its log to each site's log file.
        """
        port = free_port()
        listen = f"[server]\nlisten = http://127.0.0.1:{port}\n"
        alpha = self.write(
            "alpha.cfg",
            f"[general]\nname = alpha\ndbpath = alpha.db\nhost = {ALPHA_HOST}\n"
            f"log-file = alpha.log\n{listen}",
        )
        bravo = self.write(
            "bravo.cfg",
            f"[general]\nname = bravo\ndbpath = bravo.db\nhost = {BRAVO_HOST}\n"
            f"log-file = bravo.log\n{listen}",
        )
        process = self.start("--config", alpha, "--config", bravo)
        info = json.loads(self.wait_for(f"http://127.0.0.1:{port}/alpha/info", process))
        self.assertEqual(info["origin"], ALPHA_HOST)
        info = json.loads(self.wait_for(f"http://127.0.0.1:{port}/bravo/info", process))
        self.assertEqual(info["origin"], BRAVO_HOST)
        log = self.daemon_log()
        self.assertIn("Serving site 'alpha' at /alpha/", log)
        self.assertIn("Serving site 'bravo' at /bravo/", log)
        self.assertEqual(log.count(f"Listening on tcp:{port}:"), 1, log)
        for name in ("alpha.log", "bravo.log"):
            with open(os.path.join(self.directory, name), encoding="utf-8") as f:
                self.assertIn("Serving site 'alpha' at /alpha/", f.read())

    def test_two_sites_from_environment(self):
        """
        C{ISSO_SETTINGS="a.cfg;b.cfg"} serves both sites too.
        """
        port = free_port()
        listen = f"[server]\nlisten = http://127.0.0.1:{port}\n"
        alpha = self.write(
            "alpha.cfg",
            f"[general]\nname = alpha\ndbpath = alpha.db\nhost = {ALPHA_HOST}\n"
            + listen,
        )
        bravo = self.write(
            "bravo.cfg",
            f"[general]\nname = bravo\ndbpath = bravo.db\nhost = {BRAVO_HOST}\n"
            + listen,
        )
        process = self.start(env=dict(self.environ, ISSO_SETTINGS=f"{alpha};{bravo}"))
        for name in ("alpha", "bravo"):
            self.wait_for(f"http://127.0.0.1:{port}/{name}/info", process)

    def test_refused(self):
        """
        Two sites with one name stop the daemon with one line.
        """
        alpha = self.write("a.cfg", f"[general]\nname = blog\nhost = {ALPHA_HOST}\n")
        again = self.write("b.cfg", f"[general]\nname = blog\nhost = {BRAVO_HOST}\n")
        result = self.run_twistd("-c", alpha, "-c", again)
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(
            result.stderr.strip(),
            f"isso-tx: {again}: [general] name: 'blog' is already the name of {alpha}",
        )
