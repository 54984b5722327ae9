"""
The metrics and the health check on an in-memory site: each metric moves
as a reader's or the owner's action happens, no label value is taken from
a request, and C{GET /health} says whether the database answers.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any
from urllib.parse import quote

from prometheus_client.parser import text_string_to_metric_families
from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.test.requesthelper import DummyRequest

from isso_tx.config import ConfigError, load_site_config
from isso_tx.metrics import Metrics
from isso_tx.views.health import HealthCheck
from isso_tx.views.metrics import MetricsBeside, MetricsResource
from isso_tx.views.root import route_name

from .fast_support import ViewTestCase
from .support import HOST, write_config
from .test_outbox import OutboxTestCase, Recorder


class SiteMetricsTestCase(ViewTestCase):
    """
    A site whose metrics a test reads as Prometheus would scrape them.
    """

    def value(self, name: str, **labels: str) -> float:
        """
        Return a sample's value after a refresh of the database-read
        values; 0 when the sample does not exist.
        """
        metrics = self.site.metrics.metrics
        self.successResultOf(metrics.refresh())
        labels.setdefault("site", "default")
        found = metrics.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found

    def exposition(self) -> str:
        metrics = self.site.metrics.metrics
        self.successResultOf(metrics.refresh())
        return metrics.exposition().decode("utf-8")


class RequestMetricsTests(SiteMetricsTestCase):
    def test_requests_counted_by_route_method_status(self) -> None:
        """
        Each answered request adds one to its route, method and status.
        """
        self.thread()
        self.browser.get("/?uri=/path/")
        self.browser.get("/count")
        self.browser.post("/count", ["/path/"])
        self.assertEqual(
            self.value(
                "isso_http_requests_total", route="thread", method="GET", status="200"
            ),
            2,
        )
        self.assertEqual(
            self.value(
                "isso_http_requests_total", route="count", method="GET", status="405"
            ),
            1,
        )
        self.assertEqual(
            self.value(
                "isso_http_requests_total", route="count", method="POST", status="200"
            ),
            1,
        )

    def test_duration_of_a_slow_request(self) -> None:
        """
        A request that waits for the database is timed from its arrival to
        its answer.
        """
        release = self.database.hold_next()
        d = self.browser.send("GET", "/?uri=/path/")
        self.advance(0.3)
        release()
        self.browser.flush()
        self.assertEqual(self.successResultOf(d).code, 200)
        self.assertEqual(
            self.value("isso_http_request_duration_seconds_count", route="thread"), 1
        )
        self.assertAlmostEqual(
            self.value("isso_http_request_duration_seconds_sum", route="thread"), 0.3
        )
        self.assertEqual(
            self.value(
                "isso_http_request_duration_seconds_bucket", route="thread", le="0.25"
            ),
            0,
        )
        self.assertEqual(
            self.value(
                "isso_http_request_duration_seconds_bucket", route="thread", le="0.5"
            ),
            1,
        )

    def test_path_is_never_a_label(self) -> None:
        """
        A request to a made-up path full of markup and quotes is counted as
        route "other", and nothing of its path shows in the metrics.
        """
        path = '/<script>alert("x")</script>\\"}\nevil{a="b"}'
        response = self.browser.get("/" + quote(path, safe=""))
        self.assertEqual(response.code, 404)
        self.browser.request("BREW", "/coffee")
        text = self.exposition()
        self.assertEqual(
            self.value(
                "isso_http_requests_total", route="other", method="GET", status="404"
            ),
            1,
        )
        self.assertEqual(
            self.value(
                "isso_http_requests_total", route="other", method="other",
                status="404",
            ),
            1,
        )
        for fragment in ("script", "alert", "evil", "BREW", "coffee"):
            self.assertNotIn(fragment, text)
        routes = {
            sample.labels["route"]
            for family in text_string_to_metric_families(text)
            if family.name == "isso_http_requests"
            for sample in family.samples
        }
        self.assertEqual(routes, {"other"})

    def test_database_calls_timed(self) -> None:
        """
        Every database transaction a request makes is counted and timed.
        """
        before = self.value("isso_db_call_duration_seconds_count")
        calls = self.database.calls
        self.thread()
        after = self.value("isso_db_call_duration_seconds_count")
        # The thread's page (and what it took), and the read of the
        # scrape-time values.
        self.assertEqual(after - before, self.database.calls - calls)
        self.assertGreaterEqual(after - before, 2)

    def test_cache_hits_and_misses(self) -> None:
        """
        The first read of a thread misses the response cache, the second
        hits it, and a new comment makes the next read miss again.
        """
        self.thread()
        self.thread()
        self.assertEqual(self.value("isso_response_cache_requests_total",
                                    result="miss"), 1)
        self.assertEqual(self.value("isso_response_cache_requests_total",
                                    result="hit"), 1)
        self.post_comment()
        self.thread()
        self.assertEqual(self.value("isso_response_cache_requests_total",
                                    result="miss"), 2)
        # Each read is one lookup, whether or not the cache had to be
        # brought up to date first.
        self.database.execute("UPDATE comments SET text = 'changed'")
        self.thread()
        self.thread("/other/")
        self.thread("/path/", "&limit=1")
        self.assertEqual(
            self.value("isso_response_cache_requests_total", result="miss")
            + self.value("isso_response_cache_requests_total", result="hit"),
            6,
        )


class RouteNameTests(SynchronousTestCase):
    def test_names(self) -> None:
        """
        Each route of a site has one fixed name; anything else is "other".
        """
        cases = {
            "": "thread",
            "health": "health",
            "new": "new",
            "id/12": "comment",
            "id/12/like": "vote",
            "id/12/dislike": "vote",
            "id/12/activate/key": "mail-link",
            "id/12/unsubscribe/e/key": "mail-link",
            "id/x": "other",
            "id/12/share": "other",
            "count": "count",
            "preview": "preview",
            "config": "config",
            "info": "info",
            "latest": "latest",
            "feed": "feed",
            "js/embed.min.js": "static",
            "demo/": "static",
            "admin": "admin",
            "login": "admin",
            "logout": "admin",
            "new/more": "other",
            "wp-login.php": "other",
        }
        for path, name in cases.items():
            segments = [s.encode() for s in path.split("/")] if path else []
            self.assertEqual(route_name(segments), name, path)


class CommentMetricsTests(SiteMetricsTestCase):
    config = (
        "[guard]\nenabled = true\nratelimit = 2\nrequire-email = true\n"
        "[hash]\nalgorithm = none\n"
    )

    def test_created_and_refused(self) -> None:
        """
        Accepted comments count as published; refused ones by the rule
        that refused them.
        """
        self.post_comment(email="a@example.org")
        response = self.browser.post("/new?uri=/path/", {"text": "no mail"})
        self.assertEqual(response.code, 403)
        self.post_comment(email="a@example.org")
        response = self.browser.post(
            "/new?uri=/path/", {"text": "third", "email": "a@example.org"}
        )
        self.assertEqual(response.code, 403)
        self.assertEqual(
            self.value("isso_comments_created_total", mode="published"), 2
        )
        self.assertEqual(self.value("isso_comments_created_total", mode="pending"), 0)
        self.assertEqual(
            self.value("isso_comments_refused_total", reason="require-email"), 1
        )
        self.assertEqual(
            self.value("isso_comments_refused_total", reason="ratelimit"), 1
        )
        # Every reason is there from the start, so a rate is never missing.
        self.assertEqual(
            self.value("isso_comments_refused_total", reason="direct-reply"), 0
        )


class PendingMetricsTests(SiteMetricsTestCase):
    config = (
        "[guard]\nenabled = false\n[moderation]\nenabled = true\n"
        "[hash]\nalgorithm = none\n"
    )

    def test_pending_follows_the_database(self) -> None:
        """
        A comment awaiting moderation counts as pending until the owner
        publishes it, also when another program does.
        """
        first = self.post_comment()
        self.post_comment()
        self.assertEqual(self.value("isso_comments_created_total", mode="pending"), 2)
        self.assertEqual(self.value("isso_comments_pending"), 2)
        self.successResultOf(
            Deferred.fromCoroutine(
                self.site.moderation.activate_comment(
                    first["id"], origin=HOST, endpoint=HOST
                )
            )
        )
        self.assertEqual(self.value("isso_comments_pending"), 1)
        self.database.execute("UPDATE comments SET mode = 1")
        self.assertEqual(self.value("isso_comments_pending"), 0)

    def test_slow_database_keeps_last_values(self) -> None:
        """
        A scrape while the database does not answer gives up after a second
        and shows the values read last time.
        """
        self.post_comment()
        self.assertEqual(self.value("isso_comments_pending"), 1)
        metrics = self.site.metrics.metrics
        self.database.hold_next()
        d = metrics.refresh()
        self.assertNoResult(d)
        self.advance(1.0)
        self.successResultOf(d)
        self.assertEqual(
            metrics.registry.get_sample_value(
                "isso_comments_pending", {"site": "default"}
            ),
            1,
        )
        self.flushLoggedErrors()


class MailRecorder(Recorder):
    """
    A courier of mails whose attempts wait for the test.
    """

    kind = "mail"


class OutboxMetricsTests(OutboxTestCase):
    def test_sent_failed_and_waiting(self) -> None:
        """
        Messages delivered and given up are counted per kind, and those in
        the outbox are read from it at each scrape.
        """
        metrics = Metrics(self.reactor)
        site = metrics.site("blog")
        site.time_database(self.database)

        courier = MailRecorder(
            self.database, self.reactor, claimer="one", metrics=site, retry_delays=()
        )
        courier.startService()
        self.addCleanup(courier.stopService)
        self.enqueue(courier, "a", "b", "c")

        def sample(name: str, **labels: str) -> float:
            self.successResultOf(metrics.refresh())
            found = metrics.registry.get_sample_value(
                name, dict(labels, site="blog")
            )
            return 0.0 if found is None else found

        self.assertEqual(
            sample("isso_outbox_messages", kind="mail", state="waiting"), 3
        )
        courier.attempts[0][1].callback(None)
        courier.attempts[1][1].errback(PermissionError("refused"))
        self.assertEqual(
            sample("isso_outbox_messages", kind="mail", state="waiting"), 1
        )
        self.assertEqual(
            sample("isso_outbox_messages", kind="mail", state="given_up"), 1
        )
        self.assertEqual(
            sample("isso_outbox_messages", kind="webhook", state="waiting"), 0
        )
        self.assertEqual(sample("isso_outbox_sent_total", kind="mail"), 1)
        self.assertEqual(sample("isso_outbox_failed_total", kind="mail"), 1)
        self.assertEqual(sample("isso_outbox_sent_total", kind="webhook"), 0)
        self.flushLoggedErrors(PermissionError)


class SiteNameTests(SynchronousTestCase):
    def test_name_escaped(self) -> None:
        """
        A site name with quotes, backslashes and a line break is written
        escaped, and reads back as it was.
        """
        name = 'a "quoted"\\ site\nname'
        metrics = Metrics(MemoryReactorClock())
        metrics.site(name).comment_created("published")
        text = metrics.exposition().decode("utf-8")
        self.assertIn(
            'isso_comments_created_total{mode="published",'
            'site="a \\"quoted\\"\\\\ site\\nname"} 1.0',
            text,
        )
        [family] = [
            f for f in text_string_to_metric_families(text)
            if f.name == "isso_comments_created"
        ]
        self.assertEqual(family.samples[0].labels["site"], name)

    def test_registries_apart(self) -> None:
        """
        Two daemons' metrics (two tests) do not count into each other.
        """
        one, two = Metrics(MemoryReactorClock()), Metrics(MemoryReactorClock())
        one.site("s").comment_created("published")
        self.assertIsNone(
            two.registry.get_sample_value(
                "isso_comments_created_total", {"site": "s", "mode": "published"}
            )
        )


class UnservedTests(SynchronousTestCase):
    def test_not_timed(self) -> None:
        """
        A daemon that serves no metrics (no C{[server] metrics-listen})
        neither times its requests nor wraps its database calls, and counts
        nothing.
        """
        metrics = Metrics(MemoryReactorClock(), served=False)
        site = metrics.site("s")
        request = DummyRequest([b""])
        site.request_started(request, "thread")
        request.finish()
        site.comment_created("published")
        site.comment_refused("rule")
        site.outbox_sent("mail")
        site.outbox_failed("webhook")
        self.successResultOf(metrics.refresh())

        class Database:
            def run(self, *args: Any) -> None:
                pass

        database = Database()
        site.time_database(database)
        self.assertNotIn("run", vars(database))
        # Nothing was counted: there is not even a registry to count in.
        self.assertFalse(hasattr(metrics, "registry"))
        served = Metrics(MemoryReactorClock()).site("s")
        served.time_database(database)
        self.assertIn("run", vars(database))


class EndpointTests(SiteMetricsTestCase):
    def test_scrape(self) -> None:
        """
        C{GET /metrics} answers the text format, with the database's values
        read for this scrape; other paths are 404.
        """
        self.post_comment()
        client = StubTreq(MetricsResource(self.site.metrics.metrics))
        response = self.successResultOf(client.get("http://metrics/metrics"))
        self.assertEqual(response.code, 200)
        self.assertEqual(
            response.headers.getRawHeaders("content-type"),
            ["text/plain; version=1.0.0; charset=utf-8"],
        )
        body = self.successResultOf(response.text())
        self.assertIn('isso_comments_pending{site="default"} 0.0', body)
        self.assertIn(
            'isso_comments_created_total{mode="published",site="default"} 1.0', body
        )
        response = self.successResultOf(client.get("http://metrics/"))
        self.assertEqual(response.code, 404)

    def test_beside_the_site(self) -> None:
        """
        On an address named both public and for metrics, C{/metrics} is the
        metrics and every other path the site.
        """
        both = MetricsBeside(MetricsResource(self.site.metrics.metrics), self.resource)
        client = StubTreq(both)
        response = self.successResultOf(client.get("http://example.org/metrics"))
        self.assertIn(b"isso_http_requests", self.successResultOf(response.content()))
        response = self.successResultOf(client.get("http://example.org/info"))
        self.assertEqual(response.code, 200)


class HealthTests(SiteMetricsTestCase):
    def test_ok(self) -> None:
        """
        A site whose database answers is healthy; the answer has no CORS
        headers and fills no cache.
        """
        response = self.browser.get("/health", headers={"Origin": "http://example.org"})
        self.assertEqual(response.code, 200)
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertIsNone(response.headers.getRawHeaders("access-control-allow-origin"))
        self.assertEqual(response.headers.getRawHeaders("cache-control"), ["no-store"])
        self.assertEqual(
            self.value("isso_response_cache_requests_total", result="miss"), 0
        )
        self.assertEqual(
            self.value(
                "isso_http_requests_total", route="health", method="GET", status="200"
            ),
            1,
        )

    def test_stuck_database(self) -> None:
        """
        A database that has not answered within a second makes the site
        unavailable, saying nothing more.
        """
        release = self.database.hold_next()
        d = self.browser.send("GET", "/health")
        self.assertNoResult(d)
        self.advance(1.0)
        self.browser.flush()
        response = self.successResultOf(d)
        self.assertEqual(response.code, 503)
        self.assertEqual(response.json(), {"status": "unavailable"})
        release()

    def test_one_probe_at_a_time(self) -> None:
        """
        Checks asked while a probe is on its way wait for that probe rather
        than queue more work for the database.
        """
        release = self.database.hold_next()
        calls = self.database.calls
        first = self.browser.send("GET", "/health")
        second = self.browser.send("GET", "/health")
        self.assertEqual(self.database.calls, calls + 1)
        release()
        self.browser.flush()
        self.assertEqual(self.successResultOf(first).code, 200)
        self.assertEqual(self.successResultOf(second).code, 200)

    def test_locked_database(self) -> None:
        """
        A database another program holds locked is unhealthy, and healthy
        again once it lets go.
        """
        check = HealthCheck(self.database, self.reactor, timeout=0.05)
        other = sqlite3.connect(self.database.path, isolation_level=None)
        self.addCleanup(other.close)
        other.execute("BEGIN EXCLUSIVE")
        self.assertFalse(self.successResultOf(check.check()))
        # A server database's probe only reads, which no lock stops.
        reading = HealthCheck(self.database, self.reactor, timeout=0.05, sqlite=False)
        self.assertTrue(self.successResultOf(reading.check()))
        other.execute("ROLLBACK")
        self.assertTrue(self.successResultOf(check.check()))
        # The probe leaves the pool's connection as it found it.
        [row] = self.database.query("PRAGMA busy_timeout")
        self.assertEqual(row[0], 5000)


class ConfigTests(SynchronousTestCase):
    def config(self, text: str) -> Any:
        return load_site_config(write_config(os.path.abspath(self.mktemp()), text))

    def test_metrics_listen(self) -> None:
        """
        C{[server] metrics-listen} takes the addresses C{listen} takes, and
        is off by default.
        """
        self.assertEqual(self.config("").server.metrics_listen, ())
        config = self.config(
            "[server]\nmetrics-listen =\n    http://127.0.0.1:9108\n"
            "    unix:///run/isso-tx/metrics.sock\n"
        )
        self.assertEqual(
            config.server.metrics_listen,
            ("tcp:9108:interface=127.0.0.1", "unix:/run/isso-tx/metrics.sock:mode=660"),
        )

    def test_bad_metrics_listen(self) -> None:
        """
        A metrics address that is none stops start-up naming the key.
        """
        error = self.assertRaises(
            ConfigError, self.config, "[server]\nmetrics-listen = https://x:1\n"
        )
        self.assertIn("[server] metrics-listen", str(error))


class CourierWiringTests(ViewTestCase):
    config = (
        "[general]\nnotify = smtp\n"
        "[webhook.chat]\nurl = https://hooks.example.org/x\nformat = slack\n"
        "[hash]\nalgorithm = none\n"
    )

    def test_couriers_count_into_the_site(self) -> None:
        """
        Mails and webhooks delivered or given up are counted in their site's
        metrics.
        """
        assert self.site.mailer is not None and self.site.webhooks is not None
        self.assertIs(self.site.mailer.metrics, self.site.metrics)
        self.assertIs(self.site.webhooks.metrics, self.site.metrics)
        self.site.webhooks.metrics.outbox_sent(self.site.webhooks.kind)
        self.assertEqual(
            self.site.metrics.metrics.registry.get_sample_value(
                "isso_outbox_sent_total", {"site": "default", "kind": "webhook"}
            ),
            1,
        )
