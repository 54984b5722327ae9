"""
The embed client of issue 5: the committed build in C{isso_tx/static} is
what the sources build to, C{embed.min.js} stays small, and the browser
scenarios of C{tests/browser/} pass in headless Chromium against our own
daemon, with the files it serves.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import serverFromString
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.resource import NoResource

from isso_tx.config import load_site_config
from isso_tx.site import open_site
from isso_tx.tap import IssoWebSite

from ..support import write_config
from .node import ROOT, missing_browser_tools, run_scenario

STATIC = os.path.join(ROOT, "isso_tx", "static")

# The issue's budget for the gzipped embed.min.js (Isso 0.14's own client is
# about 20 KB gzipped).
EMBED_GZIP_LIMIT = 12 * 1024

# Playwright colours parts of its messages.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

# Seconds one scenario (one Chromium) may take before it is killed.
SCENARIO_TIMEOUT = 150


def static_files(directory: str) -> dict[str, str]:
    """
    Map the relative path (with forward slashes) of every file under
    C{directory} to its full path.
    """
    files = {}
    for parent, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(parent, name)
            files[os.path.relpath(path, directory).replace(os.sep, "/")] = path
    return files


def read(path: str) -> bytes:
    """
    Return the content of a file.
    """
    with open(path, "rb") as f:
        return f.read()


class BuildTests(TestCase):
    """
    The built files committed in C{isso_tx/static}, which C{pip install}
    and the Debian package ship without Node.js.
    """

    timeout = 120

    @inlineCallbacks
    def test_build_is_fresh(self) -> Any:
        """
        A fresh C{npm run build} gives the committed files byte for byte, so what
        is served is what the sources in C{client/} say.
        """
        npm = shutil.which("npm") or "npm"
        out = os.path.abspath(self.mktemp())
        stdout, stderr, code = yield getProcessOutputAndValue(
            npm,
            ["run", "--silent", "build", "--", "--out", out],
            env=dict(os.environ),
            path=ROOT,
        )
        if code != 0:
            self.fail(
                f"npm run build failed (exit {code}):\n"
                + (stdout + stderr).decode("utf-8", "replace")
            )
        # Other files in isso_tx/static (the admin pages' assets) are not
        # built from client/, so only the build's own files are compared.
        # The .gz bytes depend on Node's zlib: test_gzip_copies_match checks
        # their content.
        committed = static_files(STATIC)
        problems = []
        for rel, path in sorted(static_files(out).items()):
            if rel not in committed:
                problems.append(f"isso_tx/static/{rel} is missing")
            elif not rel.endswith(".gz") and read(path) != read(committed[rel]):
                problems.append(f"isso_tx/static/{rel} differs from a fresh build")
        if problems:
            self.fail(
                "The committed client build is stale; run `npm run build` and "
                "commit isso_tx/static:\n  " + "\n  ".join(problems)
            )

    test_build_is_fresh.skip = missing_browser_tools()  # type: ignore[attr-defined]

    def test_gzip_copies_match(self) -> None:
        """
        Every committed C{.gz} copy decompresses to its sibling, so a browser
        accepting gzip gets the same file as one that does not.
        """
        files = static_files(STATIC)
        problems = []
        for rel in sorted(files):
            if not rel.endswith(".gz"):
                continue
            plain = rel[: -len(".gz")]
            if plain not in files:
                problems.append(f"isso_tx/static/{rel} has no plain sibling")
            elif gzip.decompress(read(files[rel])) != read(files[plain]):
                problems.append(f"isso_tx/static/{rel} does not decompress to {plain}")
        if problems:
            self.fail(
                "The committed client build is stale; run `npm run build` and "
                "commit isso_tx/static:\n  " + "\n  ".join(problems)
            )


class SizeTests(SynchronousTestCase):
    def test_embed_fits_the_budget(self) -> None:
        """
        C{embed.min.js} is at most 12 KiB gzipped, well under Isso's own
        client (about 20 KB), whether compressed here or as committed.
        """
        path = os.path.join(STATIC, "js", "embed.min.js")
        sizes = {
            "gzip -9": len(gzip.compress(read(path), compresslevel=9, mtime=0)),
            "committed .gz": os.path.getsize(path + ".gz"),
        }
        for how, size in sizes.items():
            self.assertLessEqual(
                size,
                EMBED_GZIP_LIMIT,
                f"embed.min.js is {size} bytes gzipped ({how}); the limit is "
                f"{EMBED_GZIP_LIMIT}",
            )


class BrowserScenarioTests(TestCase):
    """
    Each test runs one scenario of C{tests/browser/} in headless Chromium
    against sites served by this process, with the client files our server
    serves (C{--assets server}). Most pages live on a second origin that the
    site lists as a C{[general] host}, so the cross-origin path (CORS,
    cookies, C{X-Set-Cookie}) is what they exercise.
    """

    timeout = SCENARIO_TIMEOUT + 30
    skip = missing_browser_tools()

    # Added to write_config's base (which trusts 127.0.0.1 as a proxy, so
    # votes.mjs can pose as several readers with X-Forwarded-For).
    normal = "[guard]\nenabled = false\n"
    moderated = "[guard]\nenabled = false\n[moderation]\nenabled = true\n"
    # refusal.mjs needs the guard, with limits it reaches quickly.
    guarded = "[guard]\nenabled = true\nratelimit = 2\nmax-links = 1\n"

    @inlineCallbacks
    def reserve_origin(self) -> Any:
        """
        Hold a free loopback port and return its origin, for test pages that
        Playwright serves itself: nothing else can answer there meanwhile.
        """
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(Factory.forProtocol(Protocol))
        self.addCleanup(port.stopListening)
        return f"http://127.0.0.1:{port.getHost().port}"

    @inlineCallbacks
    def start_site(self, extra: str, page_origin: str) -> Any:
        """
        Serve a fresh site on a loopback port whose C{[general] host} lists
        its own origin and C{page_origin}; return its base URL.
        """
        factory = IssoWebSite(NoResource(), reactor=reactor)
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        port = yield endpoint.listen(factory)
        self.addCleanup(port.stopListening)
        base = f"http://127.0.0.1:{port.getHost().port}"
        path = write_config(
            self.mktemp(), f"[general]\nhost = {base}\n    {page_origin}\n" + extra
        )
        site = open_site(load_site_config(path), reactor)
        site.startService()
        self.addCleanup(site.stopService)
        # The configuration needs the port, so the site's resource goes in
        # once the port is known; no request comes before the scenario runs.
        factory.resource = site.resource()
        return base

    @inlineCallbacks
    def scenario(
        self,
        name: str,
        *,
        moderation: bool = False,
        cross_origin: bool = True,
        config: str | None = None,
    ) -> Any:
        """
        Run C{tests/browser/<name>.mjs} against a new site and fail with its
        output unless it passes.

        @param config: the site's extra configuration, instead of the one
            chosen by C{moderation}.
        """
        page_origin = yield self.reserve_origin()
        if config is None:
            config = self.moderated if moderation else self.normal
        base = yield self.start_site(config, page_origin)
        args = ["--server", base, "--assets", "server"]
        if cross_origin:
            args += ["--page-origin", page_origin]
        result = yield run_scenario(name + ".mjs", *args, timeout=SCENARIO_TIMEOUT)
        if result.status != 0:
            self.fail(
                f"browser scenario {name} failed (exit {result.status}):\n"
                + ANSI_ESCAPE.sub("", result.output)
            )

    def test_thread(self) -> Deferred[None]:
        """
        A reader loads a thread, previews, posts, replies, edits and deletes
        comments (with and without replies) from another website.
        """
        return self.scenario("thread")

    def test_votes(self) -> Deferred[None]:
        """
        Readers at different addresses vote; repeated and own votes are
        refused and vote levels are shown.
        """
        return self.scenario("votes")

    def test_counter(self) -> Deferred[None]:
        """
        Links to C{#isso-thread} show their thread's comment count, with
        C{embed.min.js} and with C{count.min.js} alone.
        """
        return self.scenario("counter")

    def test_i18n(self) -> Deferred[None]:
        """
        The widget speaks the language of C{data-isso-lang} or the browser,
        with plural forms and per-page text overrides.
        """
        return self.scenario("i18n")

    def test_keyboard(self) -> Deferred[None]:
        """
        A reader posts, replies, edits and deletes with the keyboard only.
        """
        return self.scenario("keyboard")

    def test_xss(self) -> Deferred[None]:
        """
        Script payloads in text, author and website stay inert text.
        """
        return self.scenario("xss")

    def test_hidden(self) -> Deferred[None]:
        """
        Long threads show "N Hidden" loaders that load the rest; here on the
        server's own origin.
        """
        return self.scenario("hidden", cross_origin=False)

    def test_deeplink(self) -> Deferred[None]:
        """
        A C{#isso-<id>} link scrolls to its comment and marks it; here on
        the server's own origin.
        """
        return self.scenario("deeplink", cross_origin=False)

    def test_options(self) -> Deferred[None]:
        """
        The C{data-isso-*} options (avatars, votes, CSS, sorting, page
        author) and C{window.Isso} work.
        """
        return self.scenario("options")

    def test_demo(self) -> Deferred[None]:
        """
        The server's C{/demo/} page shows its count and takes a comment.
        """
        return self.scenario("demo", cross_origin=False)

    def test_moderation(self) -> Deferred[None]:
        """
        On a moderated site, a new comment shows "Comment in queue for
        moderation." and is announced to screen readers.
        """
        return self.scenario("moderation", moderation=True)

    def test_refusal(self) -> Deferred[None]:
        """
        Our postbox's hidden honeypot is never sent by a reader; a bot that
        fills it is refused and nothing is stored; a refused or failed post
        says why in one sentence in the page's language (German for the
        rate limit, a generic one without X-Isso-Refusal, "busy" for a 503
        or no answer) and keeps the typed text; a comment edited past the
        link limit says it waits for moderation.
        """
        return self.scenario("refusal", config=self.guarded)
