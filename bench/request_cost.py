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

C{POST /new} is not answered synchronously: the pool's thread renders and
stores the comment.  The "new" scenario keeps a few connections busy (one
request in flight on each, as wrk's connections are) until every comment
is acknowledged, and divides the CPU time of the whole process, all its
threads, by the number of comments.  Run under C{taskset -c 1}, one core,
as C{make bench} pins the daemon: the figures are then those of threads
that take turns, and steadier.

    .venv/bin/python bench/request_cost.py [--requests 20000] [--profile KEY]
        [--only KEY,...]

--profile KEY prints cProfile's top functions for one scenario (get5,
count, js, jsgz, new, or bare-get5...); for "new", those of the reactor
thread and then those of the database's thread.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import itertools
import json
import os
import pstats
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "bench")]

# I001: ruff takes ceiling, a module of this folder, for a third-party one.
from twisted.internet import reactor, task  # noqa: E402, I001
from twisted.internet.address import IPv4Address  # noqa: E402
from twisted.internet.defer import Deferred, ensureDeferred  # noqa: E402
from twisted.internet.error import ConnectionDone  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402
from twisted.logger import globalLogBeginner  # noqa: E402
from twisted.web.resource import Resource  # noqa: E402
from twisted.web.server import Site  # noqa: E402

import ceiling  # noqa: E402
from isso_tx.logs import LogLines  # noqa: E402
from isso_tx.site import CommentSite  # noqa: E402
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

    def close(self) -> None:
        """
        Hang up, as a client does: the site's stopService waits for its
        open connections, so one left open keeps the script from ending.
        """
        self.transport.loseConnection()
        self.protocol.connectionLost(ConnectionDone())


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


def new_comment(number: int) -> bytes:
    """
    Return the request of C{api_bench}'s POST /new scenario: comment
    C{number} (so that each text is new) on one thread, with a title.
    """
    body = json.dumps({
        "text": f"Comment number {number} with *some* markdown.",
        "author": "wrk", "email": "wrk@example.org", "title": "Benchmark",
    }).encode()
    return request("POST", "/new?uri=%2Fposted%2F", body=body)


class AnswerTransport(StringTransport):
    """
    An in-memory transport that tells C{answered} about the start of each
    answer written to it (its status line), and keeps nothing.
    """

    def __init__(self, answered, **kwargs) -> None:
        super().__init__(**kwargs)
        self._answered = answered

    def write(self, data: bytes) -> None:
        if data.startswith(b"HTTP/1.1 "):
            self._answered(self, data)

    def writeSequence(self, data) -> None:
        self.write(b"".join(data))


class Posting:
    """
    Connections that each post one comment at a time, the next as soon as
    the answer to the previous one begins, until C{count} are answered.
    """

    def __init__(self, factory: Site, connections: int, count: int,
                 numbers: itertools.count) -> None:
        self.remaining = count
        self.sent = 0
        self.count = count
        self.numbers = numbers
        self.failures: list[bytes] = []
        self.done: Deferred[None] = Deferred()
        self.protocols = {}
        for _ in range(connections):
            transport = AnswerTransport(
                self._answered,
                peerAddress=IPv4Address("TCP", "127.0.0.1", 40000),
                hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
            )
            protocol = factory.buildProtocol(transport.getPeer())
            protocol.makeConnection(transport)
            self.protocols[transport] = protocol

    def _answered(self, transport: AnswerTransport, data: bytes) -> None:
        if not data.startswith(b"HTTP/1.1 201"):
            self.failures.append(data[:300])
        self.remaining -= 1
        if self.remaining == 0:
            reactor.callLater(0, self.done.callback, None)
        else:
            # Sent on the next turn, not from inside the answer's write.
            reactor.callLater(0, self._send, self.protocols[transport])

    def _send(self, protocol) -> None:
        if self.sent < self.count:
            self.sent += 1
            protocol.dataReceived(new_comment(next(self.numbers)))

    async def run(self) -> None:
        for protocol in self.protocols.values():
            self._send(protocol)
        await self.done
        for transport, protocol in self.protocols.items():
            transport.loseConnection()
            protocol.connectionLost(ConnectionDone())
        if self.failures:
            raise RuntimeError(f"not answered with 201: {self.failures[0]!r}")


def in_pool_thread(top, call) -> Deferred:
    """
    Run C{call()} in the database's thread (the site's one connection).
    """
    site = next(s for s in top if isinstance(s, CommentSite))
    return site.database.run(lambda txn: call())


async def timed_new(top, factory: Site, count: int, connections: int,
                    profile: bool) -> tuple[float, float, float]:
    """
    Return the CPU microseconds per comment of C{count} comments posted
    over C{connections} connections: the whole process's (all threads),
    the reactor thread's and the database thread's.
    """
    numbers = itertools.count()
    await Posting(factory, connections, 200, numbers).run()
    # Each thread's own CPU time, so that waiting for the other thread
    # (for the interpreter's lock, or in SQLite's calls) is not counted.
    reactor_profile = cProfile.Profile(time.thread_time) if profile else None
    pool_profile = cProfile.Profile(time.thread_time) if profile else None
    if pool_profile:
        # cProfile profiles the thread that enables it.
        await in_pool_thread(top, pool_profile.enable)
    gc.collect()
    pool_started = await in_pool_thread(top, time.thread_time)
    started = time.process_time()
    reactor_started = time.thread_time()
    if reactor_profile:
        reactor_profile.enable()
    await Posting(factory, connections, count, numbers).run()
    if reactor_profile:
        reactor_profile.disable()
    reactor_spent = time.thread_time() - reactor_started
    spent = time.process_time() - started
    pool_spent = await in_pool_thread(top, time.thread_time) - pool_started
    if pool_profile:
        await in_pool_thread(top, pool_profile.disable)
        for name, profiler in (("reactor", reactor_profile),
                               ("database", pool_profile)):
            print(f"--- {name} thread ---")
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)
    return tuple(t * 1e6 / count for t in (spent, reactor_spent, pool_spent))


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
        only = set(args.only.split(",")) if args.only else None
        for key, data in SCENARIOS.items():
            if only is not None and key not in only:
                continue
            ours = timed(connection, data, args.requests, args.profile == key)
            if key in BARE:
                theirs = timed(bare, BARE[key], args.requests, args.profile == "bare-" + key)
                print(f"{key:10} {ours:11.1f} {theirs:8.1f} {theirs / ours:6.0%}")
            else:
                print(f"{key:10} {ours:11.1f}")
        if only is None or "new" in only:
            # Fewer comments than reads: each costs ten times more.
            ours, in_reactor, in_database = await timed_new(
                top, factory, max(200, args.requests // 10), args.connections,
                args.profile == "new")
            print(f"{'new':10} {ours:11.1f}   (reactor thread {in_reactor:.1f}, "
                  f"database thread {in_database:.1f})")
        connection.close()
        bare.close()
        await top.stopService()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--profile", metavar="KEY")
    parser.add_argument("--only", metavar="KEY,...",
                        help="measure only these scenarios")
    parser.add_argument("--connections", type=int, default=4,
                        help="connections posting at once in the new scenario")
    arguments = parser.parse_args()
    globalLogBeginner.beginLoggingTo(
        # As twistd --nodaemon logs (isso_tx.tap).
        [LogLines(open(os.devnull, "w"), reactor)], redirectStandardIO=False
    )

    def run() -> None:
        d = ensureDeferred(main(arguments))
        d.addErrback(lambda f: f.printTraceback())
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(run)
    reactor.run()
