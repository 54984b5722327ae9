"""
What the daemon counts for Prometheus: one registry per daemon, and one
L{SiteMetrics} per site, which the site's parts report to.

Every label value comes from a fixed set in this module or from the
configuration (the site's C{[general] name}): a request can never add a
label value of its own choosing, so a visitor cannot make the metrics
grow.  Values read from the database (comments awaiting moderation, the
outbox) are read when the metrics are scraped, through the site's pool,
never on the reactor's thread.

A daemon without C{[server] metrics-listen} serves no metrics: it then
counts nothing, and does not even import prometheus_client (nearly 1 MiB
of its memory, with the modules it brings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.web.iweb import IRequest

from .store.status import OutboxCounts, status_interaction

T = TypeVar("T")

# The site label of a daemon's only site when it has no [general] name.
DEFAULT_SITE = "default"

# Anything outside these sets is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"})
# What the comments API tells the guard's refusals apart by (see
# isso_tx.guard.GuardRejection.kind).
REFUSAL_REASONS = frozenset(
    {
        "ratelimit",
        "direct-reply",
        "reply-to-self",
        "require-email",
        "require-author",
        "rule",
        "honeypot",
    }
)
# The kinds of outbox rows: mails, and (when configured) webhooks.
OUTBOX_KINDS = ("mail", "webhook")
OUTBOX_STATES = ("waiting", "given_up")
OTHER = "other"

# How long a scrape waits for a site's database before it answers with
# the values read last time.
REFRESH_TIMEOUT = 1.0

# Request latencies, from a cached thread (well under a millisecond) to a
# comment whose page title had to be fetched (seconds).
REQUEST_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
)
# One database transaction, waiting for the pool's thread included.
DATABASE_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 5.0,
)


def one_of(value: str, allowed: frozenset[str] | tuple[str, ...]) -> str:
    """
    Return C{value} if it is one of C{allowed}, else C{"other"}.
    """
    return value if value in allowed else OTHER


class Metrics:
    """
    The daemon's metrics: a registry of its own (not the process-wide
    default, so that tests may build several) and the metric families,
    each labelled by site.
    """

    log = Logger()

    def __init__(self, clock: IReactorTime, served: bool = True) -> None:
        """
        @param served: whether the metrics are served (the daemon has a
            C{[server] metrics-listen} address).  When nobody can read
            them, nothing is counted (counting costs every request, for
            nothing) and there is no registry.
        """
        self.clock = clock
        self.served = served
        self.sites: list[SiteMetrics] = []
        if served:
            self._register()

    def _register(self) -> None:
        # Imported here, only by a daemon that serves its metrics: see the
        # module's docstring.
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = registry = CollectorRegistry()
        self.http_requests = Counter(
            "isso_http_requests",
            "HTTP requests answered, by route (a fixed set of names; unknown "
            "paths are 'other'), method and status.",
            ["site", "route", "method", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "isso_http_request_duration_seconds",
            "Time from a request's arrival at its site to its last byte.",
            ["site", "route"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.comments_created = Counter(
            "isso_comments_created",
            "Comments accepted through the API, by the mode they were stored "
            "in (published or pending).",
            ["site", "mode"],
            registry=registry,
        )
        self.comments_refused = Counter(
            "isso_comments_refused",
            "New comments the guard refused, by the rule that refused them.",
            ["site", "reason"],
            registry=registry,
        )
        self.comments_pending = Gauge(
            "isso_comments_pending",
            "Comments awaiting moderation, as read at the last scrape.",
            ["site"],
            registry=registry,
        )
        self.outbox_messages = Gauge(
            "isso_outbox_messages",
            "Messages in the outbox, by kind, waiting to be sent or given up, "
            "as read at the last scrape.",
            ["site", "kind", "state"],
            registry=registry,
        )
        self.outbox_sent = Counter(
            "isso_outbox_sent",
            "Messages delivered from the outbox by this daemon.",
            ["site", "kind"],
            registry=registry,
        )
        self.outbox_failed = Counter(
            "isso_outbox_failed",
            "Messages this daemon gave up sending (after its last retry, or "
            "refused for good by the other side).",
            ["site", "kind"],
            registry=registry,
        )
        self.database_duration = Histogram(
            "isso_db_call_duration_seconds",
            "Time from asking for a database transaction to its result.",
            ["site"],
            buckets=DATABASE_BUCKETS,
            registry=registry,
        )
        registry.register(_CacheCollector(self))

    def site(self, name: str) -> SiteMetrics:
        """
        Return the metrics of the site named C{name} (C{[general] name}; an
        empty one is labelled C{"default"}).
        """
        metrics = SiteMetrics(self, name or DEFAULT_SITE)
        self.sites.append(metrics)
        return metrics

    def refresh(self) -> Deferred[None]:
        """
        Read what the metrics take from each site's database; the Deferred
        fires once every site answered or was given up on (a site whose
        database is slow keeps the values read last time).
        """
        return DeferredList(
            [site.refresh() for site in self.sites], consumeErrors=True
        ).addCallback(lambda _: None)

    def exposition(self) -> bytes:
        """
        Return every metric in Prometheus' text format.
        """
        from prometheus_client.exposition import generate_latest

        return generate_latest(self.registry)


class SiteMetrics:
    """
    One site's share of the metrics: what its parts call as things happen.
    """

    log = Logger()

    def __init__(self, metrics: Metrics, name: str) -> None:
        self.metrics = metrics
        self.name = name
        self._clock = metrics.clock
        self._database: Any = None
        # The response cache whose counts are reported (see _CacheCollector).
        self.cache: Any = None
        self._by_request: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        if not metrics.served:
            return
        for kind in OUTBOX_KINDS:
            metrics.outbox_sent.labels(name, kind)
            metrics.outbox_failed.labels(name, kind)
        for reason in REFUSAL_REASONS:
            metrics.comments_refused.labels(name, reason)

    # HTTP

    def request_started(self, request: IRequest, route: str) -> None:
        """
        Count C{request}, on C{route} (one of the fixed route names), with
        its status and time once its answer is finished.
        """
        if not self.metrics.served:
            return
        started = self._clock.seconds()
        method = one_of(request.method.decode("ascii", "replace"), METHODS)

        def finished(result: object) -> None:
            counter, histogram = self._request_metrics(route, method, request.code)
            counter.inc()
            histogram.observe(max(0.0, self._clock.seconds() - started))

        request.notifyFinish().addBoth(finished)

    def _request_metrics(self, route: str, method: str, code: int) -> tuple[Any, Any]:
        """
        Return the request counter and latency histogram of one route,
        method and status, looked up once (C{labels} costs more than the
        count itself).
        """
        key = (route, method, code)
        found = self._by_request.get(key)
        if found is None:
            metrics = self.metrics
            found = self._by_request[key] = (
                metrics.http_requests.labels(self.name, route, method, str(int(code))),
                metrics.http_duration.labels(self.name, route),
            )
        return found

    # Comments

    def comment_created(self, mode: str) -> None:
        """
        Count a comment the API stored, C{"published"} or C{"pending"}.
        """
        if not self.metrics.served:
            return
        self.metrics.comments_created.labels(self.name, mode).inc()

    def comment_refused(self, reason: str) -> None:
        """
        Count a comment the guard refused, by the rule's name.
        """
        if not self.metrics.served:
            return
        self.metrics.comments_refused.labels(
            self.name, one_of(reason, REFUSAL_REASONS)
        ).inc()

    # The outbox

    def outbox_sent(self, kind: str) -> None:
        """
        Count a message delivered from the outbox.
        """
        if not self.metrics.served:
            return
        self.metrics.outbox_sent.labels(self.name, one_of(kind, OUTBOX_KINDS)).inc()

    def outbox_failed(self, kind: str) -> None:
        """
        Count a message given up.
        """
        if not self.metrics.served:
            return
        self.metrics.outbox_failed.labels(
            self.name, one_of(kind, OUTBOX_KINDS)
        ).inc()

    # The database

    def time_database(self, database: Any) -> None:
        """
        Measure every call of C{database.run} from now on, and read the
        scrape-time values through it.

        The site's database object (SQLite's pool, another backend's, or a
        test's stand-in) keeps its own type: its C{run} is wrapped on the
        instance, so every part of the site handed it is measured.
        """
        self._database = database
        if not self.metrics.served:
            return
        run = database.run
        histogram = self.metrics.database_duration.labels(self.name)
        clock = self._clock

        def timed_run(interaction: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:
            started = clock.seconds()

            def observe(result: T) -> T:
                histogram.observe(max(0.0, clock.seconds() - started))
                return result

            return run(interaction, *args, **kwargs).addBoth(observe)

        database.run = timed_run

    def refresh(self) -> Deferred[None]:
        """
        Read the comments awaiting moderation and the outbox's counts.
        """
        if self._database is None or not self.metrics.served:
            return succeed(None)
        d = self._database.run(status_interaction)
        d.addTimeout(REFRESH_TIMEOUT, self._clock)
        d.addCallback(self._read)
        d.addErrback(
            lambda f: self.log.failure(
                "While reading the metrics of site {site}", f, site=self.name
            )
        )
        return d

    def _read(self, status: tuple[int, OutboxCounts]) -> None:
        pending, outbox = status
        metrics = self.metrics
        metrics.comments_pending.labels(self.name).set(pending)
        counts = {(kind, state): 0 for kind in OUTBOX_KINDS for state in OUTBOX_STATES}
        for (kind, given_up), count in outbox.items():
            key = (one_of(kind, OUTBOX_KINDS), OUTBOX_STATES[given_up])
            counts[key] = counts.get(key, 0) + count
        for (kind, state), count in counts.items():
            metrics.outbox_messages.labels(self.name, kind, state).set(count)


class _CacheCollector:
    """
    Reports the lookups of each site's response cache, which counts them
    itself (its C{hits} and C{misses}).
    """

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Any]:
        return [self._family()]

    def _family(self) -> Any:
        from prometheus_client.core import CounterMetricFamily

        return CounterMetricFamily(
            "isso_response_cache_requests",
            "Lookups in the response cache of GET /, found (hit) or not (miss).",
            labels=["site", "result"],
        )

    def collect(self) -> Iterator[Any]:
        family = self._family()
        for site in self._metrics.sites:
            if site.cache is not None:
                family.add_metric([site.name, "hit"], site.cache.hits)
                family.add_metric([site.name, "miss"], site.cache.misses)
        yield family
