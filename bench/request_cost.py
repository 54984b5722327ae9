"""
The CPU cost of one request, measured inside one process, without sockets.

bench/api_bench.py measures what a client sees, on a machine that other
work shares; this measures where the daemon's own time goes.  It builds the
daemon's HTTP factory from a configuration (as C{twistd isso} does, with
the log written as under twistd --nodaemon, to /dev/null), seeds it through the
API, and then feeds requests to one keep-alive connection over an
in-memory transport: for answers that come from memory (a cached thread,
counts, the client's files) the whole request is handled synchronously, so
the time per request is what the reactor thread spends on it.  The bare
Twisted server of bench/ceiling.py is measured the same way.

    .venv/bin/python bench/request_cost.py [--requests 20000] [--profile KEY]

--profile KEY prints cProfile's top functions for one scenario (get5,
count, js, jsgz, or bare-get5...).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "bench")]

from twisted.internet import reactor, task  # noqa: E402
from twisted.internet.address import IPv4Address  # noqa: E402
from twisted.internet.defer import ensureDeferred  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402
from twisted.logger import globalLogBeginner  # noqa: E402
from twisted.web.resource import Resource  # noqa: E402
from twisted.web.server import Site  # noqa: E402

import ceiling  # noqa: E402
from isso_tx.logs import LogLines  # noqa: E402
from isso_tx.tap import Options, makeService  # noqa: E402

CONFIG = """\
[general]
dbpath = {directory}/comments.db
host = http://bench.example
latest-enabled = true
[server]
listen = tcp:0:interface=127.0.0.1
[guard]
enabled = false
[rss]
base = https://bench.example/
"""

COUNTED = json.dumps(["/small/"] + [f"/t{i}/" for i in range(9)]).encode()


def request(method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: bench.example"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


SCENARIOS = {
    "get5": request("GET", "/?uri=%2Fsmall%2F", {"Accept": "application/json"}),
    "count": request("POST", "/count", body=COUNTED),
    "js": request("GET", "/js/embed.min.js"),
    "jsgz": request("GET", "/js/embed.min.js", {"Accept-Encoding": "gzip"}),
    "feed": request("GET", "/feed?uri=%2Fsmall%2F"),
    "latest": request("GET", "/latest?limit=100", {"Accept": "application/json"}),
}
BARE = {
    "get5": request("GET", "/get", {"Accept": "application/json"}),
    "count": request("POST", "/count", body=COUNTED),
    "js": request("GET", "/js/embed.min.js"),
    "jsgz": request("GET", "/js/embed.min.js", {"Accept-Encoding": "gzip"}),
}


class Connection:
    """
    One keep-alive connection to a factory, over an in-memory transport.
    """

    def __init__(self, factory: Site) -> None:
        self.transport = StringTransport(
            peerAddress=IPv4Address("TCP", "127.0.0.1", 40000),
            hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
        )
        self.protocol = factory.buildProtocol(self.transport.getPeer())
        self.protocol.makeConnection(self.transport)

    def send(self, data: bytes) -> bytes:
        self.protocol.dataReceived(data)
        answer = self.transport.value()
        self.transport.clear()
        return answer


def timed(connection: Connection, data: bytes, count: int,
          profile: bool) -> float:
    """
    Return the CPU microseconds per request of C{count} requests.
    """
    answer = connection.send(data)
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"not answered at once with 200: {answer[:300]!r}")
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    started = time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(count):
        connection.send(data)
    if profiler:
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
    return (time.process_time() - started) * 1e6 / count


async def seed(connection: Connection) -> None:
    def post(uri: str, text: str) -> None:
        body = json.dumps({"text": text, "author": "A", "title": "T"}).encode()
        connection.send(request("POST", f"/new?uri={uri}", body=body))

    for i in range(5):
        post("%2Fsmall%2F", f"Comment {i} with *markdown*")
    for i in range(9):
        post(f"%2Ft{i}%2F", "one")
    # Let the pool's thread store them and the answers go out.
    await task.deferLater(reactor, 1.0, lambda: None)
    for data in SCENARIOS.values():
        connection.send(data)
    await task.deferLater(reactor, 0.5, lambda: None)


def bare_site(directory: str, bodies: dict[str, bytes]) -> Site:
    for name, body in bodies.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(body)
    root = Resource()
    root.putChild(b"get", ceiling.Fixed(b"application/json", bodies["get.json"]))
    root.putChild(b"count", ceiling.Fixed(b"application/json", bodies["count.json"]))
    js = Resource()
    root.putChild(b"js", js)
    js.putChild(b"embed.min.js", ceiling.Fixed(
        b"text/javascript; charset=utf-8", bodies["embed.min.js"],
        bodies["embed.min.js.gz"]))
    site = Site(root)
    site.startFactory()
    return site


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = os.path.join(directory, "site.cfg")
        with open(config, "w") as f:
            f.write(CONFIG.format(directory=directory))
        options = Options()
        options.parseOptions(["--config", config])
        top = makeService(options, reactor)
        top.startService()
        factory = top.webs[0]
        connection = Connection(factory)
        await seed(connection)
        static = os.path.join(ROOT, "isso_tx", "static", "js")
        bodies = {
            "get.json": connection.send(SCENARIOS["get5"]).split(b"\r\n\r\n", 1)[1],
            "count.json": b"[5, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
        }
        for name in ("embed.min.js", "embed.min.js.gz"):
            with open(os.path.join(static, name), "rb") as f:
                bodies[name] = f.read()
        bare = Connection(bare_site(directory, bodies))
        print(f"{'scenario':10} {'isso-tx µs':>11} {'bare µs':>8} {'share':>6}")
        for key, data in SCENARIOS.items():
            ours = timed(connection, data, args.requests, args.profile == key)
            if key in BARE:
                theirs = timed(bare, BARE[key], args.requests, args.profile == "bare-" + key)
                print(f"{key:10} {ours:11.1f} {theirs:8.1f} {theirs / ours:6.0%}")
            else:
                print(f"{key:10} {ours:11.1f}")
        await top.stopService()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--profile", metavar="KEY")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo(
        [LogLines(open(os.devnull, "w"))], redirectStandardIO=False
    )

    def run() -> None:
        d = ensureDeferred(main(arguments))
        d.addErrback(lambda f: f.printTraceback())
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(run)
    reactor.run()
