"""
Fast checks, without Node or a browser, of what the embed client says when
a post fails (issue 14): every catalogue has a sentence for each reason, and
the built files the client fetches for them are complete. The browser side
is C{tests/browser/refusal.mjs} (run by L{tests.slow.test_client}).
"""

from __future__ import annotations

import json
import os
import re

from twisted.trial.unittest import SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
I18N = os.path.join(ROOT, "client", "i18n")
BUILT = os.path.join(ROOT, "isso_tx", "static", "js", "i18n")


def read(*parts: str) -> str:
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def feedback_ids() -> list[str]:
    """
    The ids of C{FEEDBACK_IDS} in C{client/i18n/ids.js}, in order.
    """
    block = re.search(r"export const FEEDBACK_IDS = \[(.*?)\];", read(I18N, "ids.js"), re.S)
    assert block is not None
    return re.findall(r'^\s*"([\w-]+)",', block.group(1), re.M)


def bundled_languages() -> set[str]:
    """
    The language codes of C{LANGS} in C{client/i18n/langs.js}.
    """
    block = re.search(r"export const LANGS = \{(.*?)\};", read(I18N, "langs.js"), re.S)
    assert block is not None
    return set(re.findall(r'^\s*"?([\w-]+)"?\s*[:,]', block.group(1), re.M))


def catalogues() -> dict[str, str]:
    """
    Map each catalogue file (bundled or in C{extra/}) to its text.
    """
    found = {}
    for folder in ("", "extra"):
        for name in sorted(os.listdir(os.path.join(I18N, folder))):
            if not name.endswith(".js"):
                continue
            text = read(I18N, folder, name)
            if "export const t = `" in text:
                found[os.path.join(folder, name)] = text
    return found


class FeedbackCatalogueTests(SynchronousTestCase):
    def test_every_catalogue_says_why(self) -> None:
        """
        Every catalogue, bundled or waiting in C{extra/}, has one non-empty
        sentence per reason a post can fail, so no reader sees a message id.
        """
        ids = feedback_ids()
        self.assertEqual(
            ids,
            [f"postbox-error-{why}" for why in
             ("later", "refused", "email", "author", "busy", "denied")],
        )
        files = catalogues()
        self.assertGreaterEqual(len(files), 14)
        for name, text in files.items():
            found = re.search(r"export const e = `(.*?)`;", text, re.S)
            self.assertIsNotNone(found, f"{name} has no export e")
            assert found is not None
            lines = found.group(1).split("\n")
            self.assertEqual(len(lines), len(ids), name)
            for line in lines:
                self.assertTrue(line.strip(), f"{name}: an empty sentence")

    def test_built_messages(self) -> None:
        """
        For each language the client speaks there is a built
        C{js/i18n/<lang>.json} with every reason's sentence, as its
        catalogue words it (German for C{de}).
        """
        ids = feedback_ids()
        languages = bundled_languages()
        self.assertIn("de", languages)
        self.assertIn("pt-BR", languages)
        self.assertEqual(
            {name[: -len(".json")] for name in os.listdir(BUILT) if name.endswith(".json")},
            languages,
        )
        for code in languages:
            messages = json.loads(read(BUILT, code + ".json"))
            self.assertEqual(list(messages), ids, code)
        german = json.loads(read(BUILT, "de.json"))
        self.assertIn(german["postbox-error-later"], read(I18N, "de.js"))
        self.assertNotEqual(
            german["postbox-error-later"],
            json.loads(read(BUILT, "en.json"))["postbox-error-later"],
        )

    def test_client_reads_the_refusal(self) -> None:
        """
        The built client reads C{X-Isso-Refusal} and carries the C{phone}
        honeypot, and fetches the sentences from C{/js/i18n/}.
        """
        embed = read(ROOT, "isso_tx", "static", "js", "embed.min.js")
        self.assertIn('"x-isso-refusal"', embed)
        self.assertIn('name:"phone"', embed)
        self.assertIn('"/js/i18n/"', embed)
