"""
C{GET /metrics}: the daemon's metrics in Prometheus' text format, served
on C{[server] metrics-listen}.
"""

from __future__ import annotations

from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from ..metrics import Metrics
from .http import error_body

METRICS_PATH = b"metrics"


class MetricsResource(Resource):
    """
    Answers C{GET /metrics} once every site's database values are read
    (or given up on), and 404 for any other path.
    """

    isLeaf = True

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self._metrics = metrics

    def render_GET(self, request: IRequest) -> bytes | int:
        if request.postpath != [METRICS_PATH]:
            return error_body(request, 404, "the metrics are at /metrics")
        gone: list[Failure] = []
        request.notifyFinish().addErrback(gone.append)

        def answer(_: object) -> None:
            # Imported with the metrics, only when they are served (see
            # isso_tx.metrics).
            from prometheus_client.exposition import CONTENT_TYPE_LATEST

            if gone:
                return
            request.setHeader(b"content-type", CONTENT_TYPE_LATEST.encode("ascii"))
            request.setHeader(b"cache-control", b"no-store")
            request.write(self._metrics.exposition())
            request.finish()

        self._metrics.refresh().addCallback(answer)
        return NOT_DONE_YET


class MetricsBeside(Resource):
    """
    A public site that also answers C{/metrics}, for an operator who named
    the same address in C{[server] listen} and C{metrics-listen}.
    """

    isLeaf = True

    def __init__(self, metrics: IResource, site: IResource) -> None:
        super().__init__()
        self._metrics = metrics
        self._site = site

    def render(self, request: IRequest) -> bytes | int:
        if request.postpath == [METRICS_PATH]:
            return self._metrics.render(request)
        return self._site.render(request)
