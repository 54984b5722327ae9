"""
Comment HTML, rendered once per write and then served from the database.

Markdown and sanitising are CPU work, done in the reactor's thread pool so
that requests keep flowing.  Comments whose stored rendering is missing or
stale (written by Isso, or rendered under other C{[markup]} settings) are
rendered by a sweep at start-up; a request that meets one before the sweep
does renders it on the spot, off the reactor, and stores the result.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any, Protocol

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger

from .db import Database
from .store.renderings import (
    Rendering,
    rendering_source,
    stale_renderings_interaction,
    store_renderings_interaction,
)
from .threads import run_in_thread

# Texts longer than this (in characters) are followed by a garbage
# collection once rendered.
COLLECT_AFTER = 16 * 1024


class Markdown(Protocol):
    fingerprint: str

    def render(self, text: str) -> str: ...


class Renderer:
    """
    Renders comment texts and keeps their stored renderings current.
    """

    log = Logger()
    sweep_batch = 200

    def __init__(
        self, markup: Markdown, database: Database, reactor: IReactorThreads
    ) -> None:
        self._markup = markup
        self._database = database
        self._reactor = reactor
        self.fingerprint = markup.fingerprint
        # What a deleted comment's empty text looks like.
        self.placeholder = self.render_here("")

    def render_here(self, text: str) -> Rendering:
        """
        Render one text in the calling thread; for code already running in
        a thread of its own (a database interaction), never the reactor's.
        """
        rendering = Rendering(
            rendering_source(self.fingerprint, text), self._markup.render(text)
        )
        if len(text) > COLLECT_AFTER:
            # The sanitiser's parse tree is a web of reference cycles, which
            # Python frees only at its next full collection; several long
            # texts' trees would pile up meanwhile, and the memory they took
            # would stay with the process.
            gc.collect()
        return rendering

    def _in_thread(self, texts: dict[int, str]) -> Deferred[dict[int, Rendering]]:
        def render_all() -> dict[int, Rendering]:
            return {key: self.render_here(text) for key, text in texts.items()}

        return run_in_thread(self._reactor, render_all)

    async def render(self, text: str) -> Rendering:
        """
        Render one text off the reactor thread.
        """
        return (await self._in_thread({0: text}))[0]

    async def preview(self, text: str) -> str:
        return (await self.render(text)).html

    async def complete(self, rows: Iterable[dict[str, Any]]) -> None:
        """
        Fill in the C{html} of rows whose stored rendering was stale, and
        store the new renderings.
        """
        stale = {row["id"]: row for row in rows if row["html"] is None}
        if not stale:
            return
        renderings = await self._in_thread(
            {comment_id: row["text"] for comment_id, row in stale.items()}
        )
        for comment_id, rendering in renderings.items():
            stale[comment_id]["html"] = rendering.html
        await self._database.run(store_renderings_interaction, renderings)

    async def sweep(self) -> int:
        """
        Render every comment whose stored rendering is missing or stale, in
        batches; return how many were rendered.
        """
        total = 0
        after = 0
        while True:
            batch, after = await self._database.run(
                stale_renderings_interaction, self.fingerprint, after, self.sweep_batch
            )
            if batch:
                renderings = await self._in_thread(dict(batch))
                await self._database.run(store_renderings_interaction, renderings)
                total += len(renderings)
            if after is None:
                break
        if total:
            self.log.info(
                "Rendered {count} comments for {path}",
                count=total,
                path=self._database.path,
            )
        return total
