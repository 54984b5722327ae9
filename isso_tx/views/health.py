"""
C{GET /health}: whether the site can serve, for a load balancer or a
service manager's watchdog.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ..db import Database
from ..store.status import locking_probe_interaction, probe_interaction
from .http import json_body

# How long the database has to answer.
HEALTH_TIMEOUT = 1.0

HEALTHY = {"status": "ok"}
UNHEALTHY = {"status": "unavailable"}


class HealthCheck:
    """
    Probes the site's database on behalf of any number of askers: while one
    probe runs, later askers wait for it rather than queue another behind
    it in the pool.

    On SQLite the probe also takes the write lock (and lets go), so that a
    database another program keeps locked, where no comment can be stored,
    is unhealthy; a PostgreSQL server takes care of its own locks, and the
    probe only reads.
    """

    log = Logger()

    def __init__(
        self,
        database: Database,
        clock: IReactorTime,
        timeout: float = HEALTH_TIMEOUT,
        *,
        sqlite: bool = True,
    ) -> None:
        self._database = database
        self._clock = clock
        self._timeout = timeout
        self._probe: Callable[[Any], None] = (
            partial(locking_probe_interaction, wait=timeout)
            if sqlite
            else probe_interaction
        )
        self._waiting: list[Deferred[bool]] | None = None

    def check(self) -> Deferred[bool]:
        """
        Return a Deferred that fires with whether the database answered
        within the timeout (counted from this call).
        """
        answer: Deferred[bool] = Deferred()
        timer = self._clock.callLater(self._timeout, answer.callback, False)

        def settled(healthy: bool) -> bool:
            if timer.active():
                timer.cancel()
            return healthy

        answer.addCallback(settled)
        if self._waiting is not None:
            self._waiting.append(answer)
            return answer
        self._waiting = [answer]
        probe = self._database.run(self._probe)
        probe.addCallbacks(lambda _: self._done(True), self._failed)
        return answer

    def _failed(self, failure: Failure) -> None:
        self.log.warn(
            "Health check: the database did not answer: {error}",
            error=failure.getErrorMessage(),
        )
        self._done(False)

    def _done(self, healthy: bool) -> None:
        waiting, self._waiting = self._waiting or [], None
        for answer in waiting:
            if not answer.called:
                answer.callback(healthy)


class HealthResource(Resource):
    """
    Answers 200 C{{"status": "ok"}} when the database can be read and
    written within a second, else 503 C{{"status": "unavailable"}}; never
    why (that is in the daemon's log).
    """

    isLeaf = True

    def __init__(self, check: HealthCheck) -> None:
        super().__init__()
        self._check = check

    def render_GET(self, request: IRequest) -> int:
        request.setHeader(b"cache-control", b"no-store")
        gone: list[Failure] = []
        request.notifyFinish().addErrback(gone.append)

        def answer(healthy: bool) -> None:
            if gone:
                return
            body = json_body(request, HEALTHY if healthy else UNHEALTHY,
                             200 if healthy else 503)
            request.write(body)
            request.finish()

        self._check.check().addCallback(answer)
        return NOT_DONE_YET

    render_HEAD = render_GET
