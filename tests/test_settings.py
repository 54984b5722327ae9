"""
The configuration's values (L{isso_tx.settings}): plain frozen records that
any module may import.
"""

from __future__ import annotations

import ast
import os
from dataclasses import FrozenInstanceError, replace

from twisted.trial.unittest import SynchronousTestCase

from isso_tx import settings
from isso_tx.config import load_site_config

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "etc", "isso", "isso.cfg")


class SettingsTests(SynchronousTestCase):
    """
    What the records promise the rest of the package.
    """

    def test_frozen(self) -> None:
        """
        A loaded configuration cannot be changed behind the site's back.
        """
        config = load_site_config(SAMPLE, environ={})
        self.assertRaises(FrozenInstanceError, setattr, config, "path", "x")
        self.assertRaises(FrozenInstanceError, setattr, config.general, "max_age", 1)

    def test_warnings_not_compared(self) -> None:
        """
        Two configurations that differ only in their warnings are the same
        configuration.
        """
        config = load_site_config(SAMPLE, environ={})
        self.assertEqual(replace(config, warnings=("something odd",)), config)
        self.assertNotEqual(
            replace(config, general=replace(config.general, max_age=1)), config
        )

    def test_imports_nothing_of_the_package(self) -> None:
        """
        The settings module imports nothing of isso_tx, so that every
        module can import it without a cycle.
        """
        with open(settings.__file__, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        imported = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                imported.append("." * node.level + (node.module or ""))
            elif isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
        own = [name for name in imported if name.startswith((".", "isso_tx"))]
        self.assertEqual(own, [])
        self.assertIn("dataclasses", imported)
