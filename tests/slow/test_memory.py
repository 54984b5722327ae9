"""
A real daemon fed a burst of malformed and oversized requests keeps its
memory: its resident size ends within a few megabytes of where it started.

Slow (about 15 s): it starts C{twistd} in a child process and measures it
through C{/proc}.
"""

from __future__ import annotations

import json
import os
import random
import socket

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from .test_tap import DaemonMixin, free_port

# What the burst may leave behind.
BOUND = 10 * 2**20

# Rounds of the mix below; each round is one request of every kind.
ROUNDS = 37


def resident(pid: int) -> int:
    """
    Return a process's resident memory in bytes.
    """
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def request(method: bytes, path: bytes, body: bytes = b"", *headers: bytes) -> bytes:
    """
    Build a raw request that closes its connection.
    """
    lines = [b"%s %s HTTP/1.1" % (method, path), b"Host: example.org",
             b"Connection: close", b"Content-Type: application/json",
             b"Content-Length: %d" % len(body), *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def malformed(rng: random.Random) -> list[bytes]:
    """
    Return one request of every kind of the burst, with made-up parts
    drawn from C{rng} so that no cache sees the same key twice.
    """
    tag = b"%d" % rng.randrange(10**12)
    long_text = json.dumps({"text": "*a* " * 1000 + "word " * 12000}).encode()
    return [
        request(b"POST", b"/new?uri=/p" + tag, json.dumps({"text": "x" * 70000}).encode()),
        request(b"POST", b"/new?uri=/p", b"[" * 5000 + b"]" * 5000),
        request(b"GET", b"/?uri=/" + tag * 1000),
        request(b"GET", b"/config", b"", b"X-Forwarded-For: " + tag * 1200),
        request(b"GET", b"/config", b"").replace(b"example.org", tag * 800),
        b"GET /" + tag * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        request(b"POST", b"/preview", json.dumps({"text": "word " * 45000}).encode()),
        request(b"POST", b"/count", json.dumps(
            [f"/{n}{tag.decode()}" for n in range(5000)]).encode()),
        request(b"POST", b"/new?uri=/p",
                b'{"text": "ok text", "title": "t", "notification": 99999999999999999999}'),
        request(b"GET", b"/feed?uri=/" + tag * 800),
        request(b"POST", b"/new?uri=/p", b"x" * 300000),
        request(b"POST", b"/preview", long_text),
    ]


def send(port: int, data: bytes) -> bytes:
    """
    Send raw bytes and return the answer, read until the server closes.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


class MalformedBurstTests(DaemonMixin, SynchronousTestCase):
    def test_memory_comes_back(self):
        """
        After a burst of 444 malformed, oversized and long requests, the
        daemon's resident memory is within 10 MB of what it was before.
        """
        if not os.path.exists(f"/proc/{os.getpid()}/statm"):
            raise SkipTest("needs /proc to measure the daemon's memory")
        port = free_port()
        config = self.site_config(extra=(
            f"latest-enabled = true\n[server]\nlisten = http://127.0.0.1:{port}\n"
            "[guard]\nenabled = false\n[rss]\nbase = https://example.org/\n"
        ))
        process = self.start("--config", config)
        self.wait_for(f"http://127.0.0.1:{port}/info", process)
        rng = random.Random(5)
        before = resident(process.pid)
        codes: dict[bytes, int] = {}
        for _ in range(ROUNDS):
            for data in malformed(rng):
                answer = send(port, data)
                codes[answer[9:12]] = codes.get(answer[9:12], 0) + 1
        after = resident(process.pid)
        self.assertNotIn(b"500", codes, codes)
        self.assertNotIn(b"", codes, codes)
        self.assertLess(
            after - before, BOUND,
            f"grew from {before / 2**20:.1f} MB to {after / 2**20:.1f} MB",
        )
