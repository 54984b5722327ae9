"""
The metrics and the health check of a real daemon (C{twistd -n isso} in a
child process): a scrape after a short load adds up to what was sent, and
C{/health} turns 503 while another program holds the database locked.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from twisted.trial.unittest import SynchronousTestCase

from .test_tap import DaemonMixin, free_port


def fetch(
    url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """
    Send one request (a POST when there is a body); return its status and
    body, whatever the status.
    """
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class MetricsDaemonTests(DaemonMixin, SynchronousTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.port = free_port()
        self.metrics_port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = self.site_config(
            extra=(
                "[server]\n"
                f"listen = http://127.0.0.1:{self.port}\n"
                f"metrics-listen = http://127.0.0.1:{self.metrics_port}\n"
                "trusted-proxies = 127.0.0.1\n"
                "[hash]\nalgorithm = none\n"
            )
        )
        self.process = self.start("-c", config)
        self.wait_for(self.base + "/health", self.process)

    def scrape(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """
        Scrape the metrics address; return each sample's value by name and
        labels.
        """
        status, body = fetch(f"http://127.0.0.1:{self.metrics_port}/metrics")
        self.assertEqual(status, 200)
        samples = {}
        for family in text_string_to_metric_families(body.decode("utf-8")):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return samples

    def test_counters_add_up(self) -> None:
        """
        After 200 requests of several kinds, sent eight at a time, the
        requests, comments and cache lookups counted are those sent.
        """
        post = {"text": "Hello", "title": "A page"}
        jobs: list[tuple[str, str, Any, dict[str, str]]] = []
        jobs += [("thread", "/?uri=/page/", None, {})] * 100
        # Forty readers, each from a network of its own, post once.
        jobs += [
            ("new", "/new?uri=/page/", post, {"X-Forwarded-For": f"10.{i}.0.1"})
            for i in range(40)
        ]
        # One reader posts twenty times: the guard's rate limit (two a
        # minute) refuses all but two.
        jobs += [
            ("new", "/new?uri=/page/", post, {"X-Forwarded-For": "203.0.113.9"})
        ] * 20
        jobs += [("count", "/count", None, {})] * 20
        jobs += [("other", "/%3Cscript%3E%22x%22/", None, {})] * 20
        self.assertEqual(len(jobs), 200)

        def send(job: tuple[str, str, Any, dict[str, str]]) -> tuple[str, str, int]:
            route, path, body, headers = job
            status, _ = fetch(self.base + path, body, headers)
            return route, "POST" if body is not None else "GET", status

        with ThreadPoolExecutor(8) as pool:
            sent = Counter(pool.map(send, jobs))

        self.assertEqual(sent[("new", "POST", 201)], 42)
        self.assertEqual(sent[("new", "POST", 403)], 18)
        samples = self.scrape()
        counted = {
            (labels["route"], labels["method"], int(labels["status"])): value
            for (name, pairs), value in samples.items()
            if name == "isso_http_requests_total"
            for labels in [dict(pairs)]
            if labels["route"] != "health"
        }
        self.assertEqual(counted, {key: float(n) for key, n in sent.items()})
        for (name, pairs), value in samples.items():
            self.assertEqual(dict(pairs)["site"], "default", name)

        def value(name: str, **labels: str) -> float:
            labels["site"] = "default"
            return samples[(name, frozenset(labels.items()))]

        self.assertEqual(
            value("isso_http_request_duration_seconds_count", route="thread"), 100
        )
        self.assertEqual(value("isso_comments_created_total", mode="published"), 42)
        self.assertEqual(value("isso_comments_refused_total", reason="ratelimit"), 18)
        self.assertEqual(value("isso_comments_pending"), 0)
        self.assertEqual(
            value("isso_response_cache_requests_total", result="hit")
            + value("isso_response_cache_requests_total", result="miss"),
            100,
        )
        # At least one transaction per comment posted.
        self.assertGreaterEqual(value("isso_db_call_duration_seconds_count"), 60)
        self.assertEqual(
            value("isso_outbox_messages", kind="mail", state="waiting"), 0
        )
        # Nothing of the paths asked for became a label.
        _, body = fetch(f"http://127.0.0.1:{self.metrics_port}/metrics")
        self.assertNotIn(b"script", body)

    def test_metrics_apart_from_the_site(self) -> None:
        """
        The metrics are not on the public address, and the metrics address
        serves nothing else.
        """
        status, _ = fetch(self.base + "/metrics")
        self.assertEqual(status, 404)
        status, _ = fetch(f"http://127.0.0.1:{self.metrics_port}/")
        self.assertEqual(status, 404)

    def test_health_while_locked(self) -> None:
        """
        C{/health} answers 200, 503 within about a second while another
        program holds the database's write lock, and 200 once it lets go.
        """
        status, body = fetch(self.base + "/health")
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        other = sqlite3.connect(
            os.path.join(self.directory, "comments.db"), isolation_level=None
        )
        self.addCleanup(other.close)
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        status, body = fetch(self.base + "/health")
        took = time.monotonic() - started
        self.assertEqual((status, json.loads(body)), (503, {"status": "unavailable"}))
        self.assertLess(took, 3.0)
        # Reading threads does not need the write lock: the site still reads.
        status, _ = fetch(self.base + "/?uri=/page/")
        self.assertEqual(status, 200)
        other.execute("ROLLBACK")
        status, body = fetch(self.base + "/health")
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        self.assertIn("Health check: the database did not answer", self.daemon_log())
        samples = self.scrape()
        health = {
            dict(pairs)["status"]: value
            for (name, pairs), value in samples.items()
            if name == "isso_http_requests_total" and dict(pairs)["route"] == "health"
        }
        self.assertEqual(health.get("503"), 1)


class MetricsAddressTests(DaemonMixin, SynchronousTestCase):
    def test_busy_metrics_port(self) -> None:
        """
        A metrics address already in use stops start-up with one line
        naming the file and C{[server] metrics-listen}.
        """
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            path = self.site_config(
                extra=(
                    f"[server]\nlisten = http://127.0.0.1:{free_port()}\n"
                    f"metrics-listen = http://127.0.0.1:{port}\n"
                )
            )
            result = self.run_twistd("-c", path)
        output = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, output)
        self.assertNotIn("Traceback", output)
        [line] = [line for line in output.splitlines() if "isso-tx:" in line]
        self.assertIn(f"{path}: [server] metrics-listen", line)
        self.assertFalse(os.path.exists(os.path.join(self.directory, "comments.db")))

    def test_same_address_as_the_site(self) -> None:
        """
        An operator who names the public address for the metrics too gets
        C{/metrics} beside the site there.
        """
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        path = self.site_config(
            extra=f"[server]\nlisten = {base}\nmetrics-listen = {base}\n"
        )
        process = self.start("-c", path)
        self.wait_for(base + "/health", process)
        status, body = fetch(base + "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b'isso_http_requests_total{method="GET",route="health"', body)
        status, _ = fetch(base + "/info")
        self.assertEqual(status, 200)
