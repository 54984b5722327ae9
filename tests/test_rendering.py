"""
Comment HTML (L{isso_tx.rendering}): rendered off the reactor thread, tied
to the text and the rendering settings, and rendered again when stale.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.rendering import Renderer
from isso_tx.store.renderings import Rendering, rendering_source

from .syncdb import SynchronousDatabase
from .threadless import ThreadlessReactor


class Shouting:
    """
    A Markdown stand-in whose HTML is easy to predict, and which remembers
    what it was asked to render.
    """

    def __init__(self, fingerprint: str = "shouting-1") -> None:
        self.fingerprint = fingerprint
        self.rendered: list[str] = []

    def render(self, text: str) -> str:
        self.rendered.append(text)
        return f"<p>{text.upper()}</p>"


class RendererTestCase(SynchronousTestCase):
    """
    A renderer over a database of its own and a reactor whose thread pool
    the test runs.
    """

    def setUp(self) -> None:
        self.reactor = ThreadlessReactor()
        self.database = SynchronousDatabase(self.mktemp())
        self.addCleanup(self.database.close)

    def renderer(self, markup: Shouting | None = None) -> Renderer:
        return Renderer(markup or Shouting(), self.database, self.reactor)

    def result(self, coroutine: Any) -> Any:
        """
        Run a coroutine of the renderer, doing the pool's work, and return
        what it gives.
        """
        d = Deferred.fromCoroutine(coroutine)
        self.reactor.run_work()
        return self.successResultOf(d)

    def stored(self) -> list[tuple[int, str, str]]:
        return self.database.execute(
            "SELECT id, source, html FROM isso_tx_rendered ORDER BY id"
        )


class RenderTests(RendererTestCase):
    """
    Rendering one text.
    """

    def test_render_here(self) -> None:
        """
        A text rendered in the calling thread comes with the digest of the
        settings and the text it was made from.
        """
        markup = Shouting()
        renderer = self.renderer(markup)
        self.assertEqual(renderer.fingerprint, "shouting-1")
        self.assertEqual(
            renderer.render_here("hi"),
            Rendering(rendering_source("shouting-1", "hi"), "<p>HI</p>"),
        )
        self.assertEqual(markup.rendered, ["", "hi"])

    def test_source_follows_settings_and_text(self) -> None:
        """
        Another text, or the same text under other settings, has another
        source digest.
        """
        first = self.renderer().render_here("hi")
        self.assertNotEqual(self.renderer().render_here("ho").source, first.source)
        other = self.renderer(Shouting("shouting-2")).render_here("hi")
        self.assertEqual(other.html, first.html)
        self.assertNotEqual(other.source, first.source)

    def test_placeholder(self) -> None:
        """
        A deleted comment's placeholder is the rendering of the empty text,
        made once when the renderer is built.
        """
        markup = Shouting()
        renderer = self.renderer(markup)
        self.assertEqual(
            renderer.placeholder,
            Rendering(rendering_source("shouting-1", ""), "<p></p>"),
        )
        self.assertEqual(markup.rendered, [""])

    def test_render_off_the_reactor(self) -> None:
        """
        A text is rendered in the thread pool: nothing is rendered until the
        pool runs, then the rendering arrives.
        """
        markup = Shouting()
        renderer = self.renderer(markup)
        d = Deferred.fromCoroutine(renderer.render("hi"))
        self.assertNoResult(d)
        self.assertEqual(markup.rendered, [""])
        self.assertEqual(self.reactor.run_work(), 1)
        self.assertEqual(self.successResultOf(d), renderer.render_here("hi"))

    def test_preview(self) -> None:
        """
        A preview is only the HTML, rendered in the thread pool, and stores
        nothing.
        """
        renderer = self.renderer()
        self.assertEqual(self.result(renderer.preview("*hi*")), "<p>*HI*</p>")
        self.assertEqual(self.database.runs, [])

    def test_markup_error(self) -> None:
        """
        A renderer that fails fails the render, in the caller's Deferred.
        """

        class Broken(Shouting):
            def render(self, text: str) -> str:
                if text:
                    raise ValueError("cannot render")
                return ""

        d = Deferred.fromCoroutine(self.renderer(Broken()).render("hi"))
        self.reactor.run_work()
        self.failureResultOf(d, ValueError)


class CompleteTests(RendererTestCase):
    """
    Filling in the stale renderings of rows a request read.
    """

    def test_stale_rows_filled_and_stored(self) -> None:
        """
        Rows without HTML get it, rendered in the pool, and their renderings
        are stored; rows with HTML are left as they are.
        """
        for comment_id, text in ((1, "one"), (2, "two"), (3, "three")):
            self.database.add_comment(comment_id, text)
        renderer = self.renderer()
        rows = [
            {"id": 1, "text": "one", "html": None},
            {"id": 2, "text": "two", "html": "<p>kept</p>"},
            {"id": 3, "text": "three", "html": None},
        ]
        d = Deferred.fromCoroutine(renderer.complete(rows))
        self.assertNoResult(d)
        self.assertEqual(rows[0]["html"], None)
        self.reactor.run_work()
        self.successResultOf(d)
        self.assertEqual(
            [row["html"] for row in rows], ["<p>ONE</p>", "<p>kept</p>", "<p>THREE</p>"]
        )
        self.assertEqual(
            self.stored(),
            [
                (1, rendering_source("shouting-1", "one"), "<p>ONE</p>"),
                (3, rendering_source("shouting-1", "three"), "<p>THREE</p>"),
            ],
        )

    def test_nothing_stale(self) -> None:
        """
        Rows that all have their HTML cost no rendering and no write.
        """
        rows = [{"id": 1, "text": "one", "html": "<p>x</p>"}]
        d = Deferred.fromCoroutine(self.renderer().complete(rows))
        self.successResultOf(d)
        self.assertEqual(self.reactor.work, [])
        self.assertEqual(self.database.runs, [])
        self.assertEqual(self.result(self.renderer().complete([])), None)

    def test_deleted_meanwhile(self) -> None:
        """
        The rendering of a comment deleted while it was being rendered is
        not stored.
        """
        self.database.add_comment(1, "one")
        rows = [{"id": 1, "text": "one", "html": None}]
        d = Deferred.fromCoroutine(self.renderer().complete(rows))
        self.database.execute("DELETE FROM comments WHERE id = 1")
        self.reactor.run_work()
        self.successResultOf(d)
        self.assertEqual(rows[0]["html"], "<p>ONE</p>")
        self.assertEqual(self.stored(), [])


class SweepTests(RendererTestCase):
    """
    Rendering, at start-up, every comment whose stored rendering is missing
    or stale.
    """

    def setUp(self) -> None:
        super().setUp()
        self.events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)

    def sweep(self, renderer: Renderer) -> int:
        return self.result(renderer.sweep())

    def test_missing_renderings(self) -> None:
        """
        Comments written by Isso are all rendered, in batches, and the
        count is logged with the database's path.
        """
        for comment_id in range(1, 6):
            self.database.add_comment(comment_id, f"text {comment_id}")
        renderer = self.renderer()
        renderer.sweep_batch = 2
        self.assertEqual(self.sweep(renderer), 5)
        self.assertEqual(
            [(comment_id, html) for comment_id, _, html in self.stored()],
            [(i, f"<p>TEXT {i}</p>") for i in range(1, 6)],
        )
        self.assertEqual(
            self.database.runs,
            ["stale_renderings_interaction", "store_renderings_interaction"] * 3,
        )
        [event] = [e for e in self.events if e.get("count") is not None]
        self.assertEqual((event["count"], event["path"]), (5, self.database.path))

    def test_batch_boundary(self) -> None:
        """
        A number of comments that fills the last batch exactly is swept
        whole, with one more look that finds nothing.
        """
        for comment_id in range(1, 5):
            self.database.add_comment(comment_id, f"text {comment_id}")
        renderer = self.renderer()
        renderer.sweep_batch = 2
        self.assertEqual(self.sweep(renderer), 4)
        self.assertEqual(len(self.stored()), 4)
        self.assertEqual(self.database.runs[-1], "stale_renderings_interaction")

    def test_current_renderings_kept(self) -> None:
        """
        A second sweep under the same settings renders nothing and logs
        nothing.
        """
        self.database.add_comment(1, "one")
        self.assertEqual(self.sweep(self.renderer()), 1)
        markup = Shouting()
        self.assertEqual(self.sweep(self.renderer(markup)), 0)
        self.assertEqual(markup.rendered, [""])
        self.assertEqual(len([e for e in self.events if e.get("count") is not None]), 1)

    def test_stale_renderings(self) -> None:
        """
        Comments rendered under other settings, or edited since by another
        program, are rendered again; the others are not.
        """
        for comment_id, text in ((1, "one"), (2, "two"), (3, "three")):
            self.database.add_comment(comment_id, text)
        self.assertEqual(self.sweep(self.renderer(Shouting("old"))), 3)
        self.database.execute("UPDATE comments SET text = 'TWO!' WHERE id = 2")
        self.assertEqual(self.sweep(self.renderer(Shouting("old"))), 1)
        self.assertEqual(self.stored()[1][2], "<p>TWO!</p>")
        markup = Shouting("new")
        self.assertEqual(self.sweep(self.renderer(markup)), 3)
        self.assertEqual(sorted(markup.rendered), ["", "TWO!", "one", "three"])
        self.assertEqual(
            [source for _, source, _ in self.stored()],
            [rendering_source("new", text) for text in ("one", "TWO!", "three")],
        )

    def test_empty_database(self) -> None:
        """
        A database without comments sweeps to nothing, without a log line.
        """
        d = Deferred.fromCoroutine(self.renderer().sweep())
        self.assertEqual(self.successResultOf(d), 0)
        self.assertEqual(self.reactor.work, [])
        self.assertEqual([e for e in self.events if e.get("count") is not None], [])
