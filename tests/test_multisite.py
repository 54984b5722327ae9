"""
Several sites in one daemon: the configurations C{twistd isso} refuses to
serve together (what it serves, over HTTP, is in L{tests.slow.test_multisite}).
"""

from __future__ import annotations

import os

from twisted.internet import reactor
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.config import load_site_config
from isso_tx.tap import Listener, Options, StartupError, makeService

from .support import write_config

ALPHA_HOST = "http://alpha.example"
BRAVO_HOST = "http://bravo.example"
LOOPBACK = "tcp:0:interface=127.0.0.1"


def options(*args: str) -> Options:
    parsed = Options()
    parsed.parseOptions(list(args))
    return parsed


class ServiceMixin:
    """
    Starting the service tree of C{twistd isso} in the test's reactor.
    """

    def make_config(self, name: str, text: str) -> str:
        return write_config(os.path.join(self.directory, name), text)

    def start(self, *args: str) -> list[Listener]:
        """
        Build and start the daemon's services from command-line arguments;
        return its listeners, bound.
        """
        top = makeService(options(*args), reactor)
        top.privilegedStartService()
        top.startService()
        self.addCleanup(top.stopService)
        return [s for s in top if isinstance(s, Listener)]



class RefusedTests(ServiceMixin, SynchronousTestCase):
    """
    Configurations that cannot be served together stop the daemon with one
    line naming the file at fault.
    """

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())

    def refused(self, *paths: str) -> str:
        args = [arg for path in paths for arg in ("-c", path)]
        error = self.assertRaises(StartupError, makeService, options(*args), reactor)
        message = str(error)
        self.assertNotIn("\n", message)
        self.assertTrue(message.startswith("isso-tx: "), message)
        return message

    def test_same_name(self):
        """
        Two sites with the same name: the second file is named, and the
        first.
        """
        alpha = self.make_config("one", "[general]\nname = alpha\n")
        again = self.make_config("two", "[general]\nname = alpha\n")
        self.assertEqual(
            self.refused(alpha, again),
            f"isso-tx: {again}: [general] name: 'alpha' is already the name of "
            f"{alpha}",
        )

    def test_no_name(self):
        """
        A site without a name cannot be served with others.
        """
        alpha = self.make_config("alpha", "[general]\nname = alpha\n")
        nameless = self.make_config("nameless", "")
        message = self.refused(alpha, nameless)
        self.assertIn(f"{nameless}: [general] name: a site served with others", message)
        message = self.refused(nameless, alpha)
        self.assertIn(f"{nameless}: [general] name:", message)

    def test_dot_name(self):
        """
        A name that browsers would remove from a URL is refused.
        """
        alpha = self.make_config("alpha", "[general]\nname = alpha\n")
        dots = self.make_config("dots", "[general]\nname = ..\n")
        self.assertIn(f"{dots}: [general] name: '..'", self.refused(alpha, dots))

    def test_same_database(self):
        """
        Two sites cannot share a database, however its path is spelled.
        """
        alpha = self.make_config("alpha", "[general]\nname = alpha\n")
        shared = load_site_config(alpha).general.dbpath
        relative = os.path.relpath(shared, os.path.join(self.directory, "bravo"))
        bravo = self.make_config(
            "bravo", f"[general]\nname = bravo\ndbpath = {relative}\n"
        )
        self.assertEqual(
            self.refused(alpha, bravo),
            f"isso-tx: {bravo}: [general] dbpath: {os.path.realpath(shared)} is "
            f"already the database of {alpha}",
        )
        self.assertFalse(os.path.exists(shared))

    def test_settings_list(self):
        """
        C{ISSO_SETTINGS} names several files separated by semicolons.
        """
        self.patch(os, "environ", {"ISSO_SETTINGS": "a.cfg;;b.cfg"})
        self.assertEqual(options()["configs"], ["a.cfg", "b.cfg"])
