"""
Scale-out figures (issue 12): PostgreSQL against SQLite, and two daemons
against one, on one machine, measured with wrk in one run.

Two databases are prepared: a SQLite file, and a database on a throw-away
PostgreSQL server (tests/pgcluster.py's cluster, here with fsync on and
C{synchronous_commit = off}: like SQLite's WAL with C{synchronous =
NORMAL}, a commit survives a killed process, not a power cut).  On each,
two daemons of one configuration run, the first pinned to CPU 0, the second
to CPU 1, and a thread of 5 comments is seeded through the API.

What is measured (C{--connections} connections in all, for C{--duration}
seconds each):

1. One daemon, PostgreSQL against SQLite: the first daemon alone, wrk and
   the PostgreSQL server on CPU 1 (so the daemon has its core to itself in
   both cases; PostgreSQL's own work then runs beside wrk, as it would on
   another machine, while SQLite's runs inside the daemon).
   - cached thread GET: C{GET /?uri=/small/}, answered from the response
     cache;
   - uncached thread GET: a thread of 5 comments too, with an C{after}
     parameter that
     differs on every request (7.000000001, 7.000000002, ...: all comments
     are newer), so that the cache never holds the answer and every
     request reads the thread from the database, renders it and keeps it:
     the work of a first read after a write.  Afterwards, a comment
     posted to that thread through each daemon measured drops the
     thousands of answers kept, so that the next figure starts with a
     cache of a normal size;
   - POST /new on one thread.
2. Two daemons on two cores against one daemon on one core, same
   database: uncached GET and POST /new.  The one-daemon figures are those
   of part 1.  For two, each daemon gets half the connections from a wrk
   of its own, and neither wrk nor PostgreSQL is pinned: the machine may
   have only two cores, and then the load generator and the database
   server take their CPU from the daemons.  The CPU they used is printed,
   and so is the ratio of requests per CPU-second of the daemons, which
   says how the second daemon would add up on cores of its own.

    .venv/bin/python bench/scale_bench.py [--duration 6] [--connections 32]
        [--rounds 1] [--pool-size 4] [--quick]

C{--rounds N} measures everything N times, in turn, and keeps each
figure's best: other work on the machine only ever lowers a figure.  The
PostgreSQL server code comes from tests/pgcluster.py (imported from the
tests package, which the bench only reads).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from api_bench import POST_NEW, free_port, post, tree_pids, wait_for  # noqa: E402

from tests.pgcluster import Cluster  # noqa: E402

HOST = "http://bench.example"
BACKENDS = ("sqlite", "postgresql")

CONFIG = """\
[general]
dbpath = {dbpath}
host = {host}
[guard]
enabled = false
[database]
pool-size = {pool_size}
"""

GET = "wrk.headers['Accept'] = 'application/json'\n"

# {run} makes the values of each wrk process its own: a daemon never sees
# one twice, however many runs it served.
UNCACHED_GET = """\
wrk.headers['Accept'] = 'application/json'
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, string.format('/?uri=%%2Funcached%%2F&after={run}.%09d', n))
end
"""

REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %f\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6)))
end
"""


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    path: str
    script: str


CACHED = Scenario("cached", "GET thread (cached)", "/?uri=%2Fsmall%2F", GET)
UNCACHED = Scenario("uncached", "GET thread (uncached)", "/", UNCACHED_GET)
NEW = Scenario("new", "POST /new", "/new?uri=%2Fposted%2F", POST_NEW)


@dataclass
class Figure:
    """
    One measurement: requests per second over all wrk processes, answers
    that were not 2xx, socket errors, and the CPU seconds used meanwhile
    by the daemons measured and by everything else we started (wrk, the
    PostgreSQL server).
    """

    rate: float
    bad: int
    errors: int
    daemon_cpu: float
    other_cpu: float
    seconds: float

    @property
    def per_daemon_cpu(self) -> float:
        """
        Requests answered per CPU-second of the daemons.
        """
        return self.rate * self.seconds / self.daemon_cpu if self.daemon_cpu else 0.0


def two_cpus() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) > 1


def pinned(command: list[str], cpu: int | None) -> list[str]:
    if cpu is None or not two_cpus():
        return command
    return ["taskset", "-c", str(cpu)] + command


def cpu_seconds(pids: list[int]) -> float:
    """
    The CPU time used so far by these processes and their descendants.
    """
    ticks = 0
    for pid in pids:
        for p in tree_pids(pid):
            try:
                with open(f"/proc/{p}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def set_affinity(pid: int, cpus: str) -> None:
    """
    Move a process tree (the PostgreSQL server) to C{cpus}; the processes
    it starts later inherit it.
    """
    if not two_cpus():
        return
    for p in tree_pids(pid):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(p)],
                       capture_output=True, check=False)


def wait_idle(pids: list[int], seconds: float = 60) -> None:
    """
    Wait until these processes use under 5 % of a CPU for half a second
    (a daemon may still answer requests wrk gave up on).
    """
    deadline = time.monotonic() + seconds
    used = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pids)
        if now - used <= 0.05 * 0.5:
            return
        used = now


class Daemon:
    """
    One C{twistd isso} on a port, pinned to one CPU.
    """

    def __init__(self, config: str, cpu: int, log: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                pinned([twistd, "--nodaemon", "--pidfile=", "isso", "--config", config,
                        "--listen", f"tcp:{self.port}:interface=127.0.0.1"], cpu),
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        wait_for(self.base + "/info", self.process)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_runs = itertools.count(1)


def start_wrk(url: str, script: str, connections: int, seconds: float,
              cpu: int | None) -> tuple[subprocess.Popen, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script.replace("{run}", str(next(_runs))) + REPORT)
    command = pinned(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                      "-s", f.name, url], cpu)
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True), f.name


def measure(daemons: list[Daemon], scenario: Scenario, args: argparse.Namespace,
            others: list[int], wrk_cpu: int | None) -> Figure:
    """
    Load C{daemons} at once, C{args.connections} connections shared among
    them, one wrk each.
    """
    wait_idle([d.process.pid for d in daemons] + others)
    daemon_pids = [d.process.pid for d in daemons]
    daemon_before = cpu_seconds(daemon_pids)
    other_before = cpu_seconds(others)
    # wrk's CPU: what the children reaped meanwhile used.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    runs = [
        start_wrk(d.base + scenario.path, scenario.script,
                  args.connections // len(daemons), args.duration, wrk_cpu)
        for d in daemons
    ]
    outputs = []
    for process, script in runs:
        outputs.append(process.communicate()[0])
        os.unlink(script)
    seconds = time.monotonic() - started
    if scenario is UNCACHED:
        for daemon in daemons:
            post(daemon.base, "/new?uri=%2Funcached%2F",
                 {"text": "Drop the answers kept", "author": "A", "title": "Benchmark"})
    daemon_cpu = cpu_seconds(daemon_pids) - daemon_before
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_used = (reaped.ru_utime - children.ru_utime) + (reaped.ru_stime - children.ru_stime)
    other_cpu = cpu_seconds(others) - other_before + wrk_used
    rate = bad = errors = 0
    for output in outputs:
        match = re.search(r"^BENCH (\d+) (\d+) (\d+) ([\d.]+)$", output, re.MULTILINE)
        if not match:
            raise RuntimeError(f"wrk said:\n{output}")
        rate += float(match.group(4))
        bad += int(match.group(2))
        errors += int(match.group(3))
    return Figure(rate, bad, errors, daemon_cpu, other_cpu, seconds)


def progress(message: str) -> None:
    print(f"  {message} ...", file=sys.stderr, flush=True)


def seed(base: str) -> None:
    for uri in ("%2Fsmall%2F", "%2Funcached%2F"):
        for i in range(5):
            post(base, f"/new?uri={uri}",
                 {"text": f"Comment {i}", "author": "A", "title": "Benchmark"})
    # The thread the POSTs go to exists beforehand.
    post(base, "/new?uri=%2Fposted%2F",
         {"text": "First", "author": "A", "title": "Benchmark"})


def best(figures: list[Figure]) -> Figure:
    return max(figures, key=lambda f: f.rate)


def check(value: float, goal: float) -> str:
    return "yes" if value >= goal else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pool-size", type=int, default=4,
                        help="[database] pool-size of the PostgreSQL daemons")
    parser.add_argument("--quick", action="store_true", help="2 s per figure")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    if args.quick:
        args.duration = 2
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `scripts/bootstrap bench` (Debian's wrk package)")
    load_before = os.getloadavg()[0]
    directory = tempfile.mkdtemp(prefix="scale-bench-", dir="/tmp")
    progress("starting PostgreSQL")
    cluster = Cluster(settings="-c synchronous_commit=off")
    daemons: dict[str, list[Daemon]] = {}
    try:
        uris = {
            "sqlite": os.path.join(directory, "comments.db"),
            "postgresql": cluster.uri(cluster.create_database()),
        }
        for backend in BACKENDS:
            config = os.path.join(directory, f"{backend}.cfg")
            with open(config, "w") as f:
                f.write(CONFIG.format(dbpath=uris[backend], host=HOST,
                                      pool_size=args.pool_size))
            progress(f"{backend}: starting two daemons")
            first = Daemon(config, 0, os.path.join(directory, f"{backend}-0.log"))
            seed(first.base)
            second = Daemon(config, 1, os.path.join(directory, f"{backend}-1.log"))
            daemons[backend] = [first, second]
        pg = cluster.server_pid()
        others = {"sqlite": [], "postgresql": [pg]}
        results: dict[tuple[str, str, int], list[Figure]] = {}
        for round in range(args.rounds):
            for scenario in (CACHED, UNCACHED, NEW):
                for backend in BACKENDS:
                    progress(f"round {round + 1}: {backend}, one daemon: {scenario.name}")
                    set_affinity(pg, "1")
                    figure = measure(daemons[backend][:1], scenario, args,
                                     others[backend], 1)
                    results.setdefault((backend, scenario.key, 1), []).append(figure)
                    if scenario is CACHED:
                        continue
                    progress(f"round {round + 1}: {backend}, two daemons: {scenario.name}")
                    set_affinity(pg, "0-1")
                    figure = measure(daemons[backend], scenario, args,
                                     others[backend], None)
                    results.setdefault((backend, scenario.key, 2), []).append(figure)
        report({key: best(figures) for key, figures in results.items()}, args)
        print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
              "(other work on the machine lowers the figures, not the ratios of one "
              "round as much)")
        stored = stored_posts(uris)
        print(f"\nPOST /new rows stored: SQLite {stored['sqlite']}, "
              f"PostgreSQL {stored['postgresql']}")
    finally:
        for pair in daemons.values():
            for daemon in pair:
                daemon.stop()
        cluster.remove()
        if args.keep:
            print(f"scratch folder kept: {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def stored_posts(uris: dict[str, str]) -> dict[str, int]:
    query = ("SELECT count(*) FROM comments JOIN threads ON threads.id = tid "
             "WHERE threads.uri = '/posted/'")
    import psycopg

    with psycopg.connect(uris["postgresql"]) as conn:
        pg = conn.execute(query).fetchone()[0]
    with sqlite3.connect(f"file:{uris['sqlite']}?mode=ro", uri=True) as db:
        lite = db.execute(query).fetchone()[0]
    return {"sqlite": lite, "postgresql": pg}


def report(figures: dict[tuple[str, str, int], Figure], args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    print(f"\nScale-out figures: {cores} CPUs, {args.connections} connections, "
          f"{args.duration:g} s per figure, best of {args.rounds} round(s); "
          f"PostgreSQL pool-size {args.pool_size}")
    print("\n1. One daemon on CPU 0 (wrk and the PostgreSQL server on CPU 1)\n")
    print(f"{'':24}{'SQLite req/s':>14}{'PostgreSQL':>12}{'PG/SQLite':>11}{'goal':>7}{'met':>5}")
    goals = {"cached": 0.90, "uncached": None, "new": 0.60}
    for scenario in (CACHED, UNCACHED, NEW):
        lite = figures[("sqlite", scenario.key, 1)]
        pg = figures[("postgresql", scenario.key, 1)]
        ratio = pg.rate / lite.rate if lite.rate else 0.0
        goal = goals[scenario.key]
        print(f"{scenario.name:24}{lite.rate:14.0f}{pg.rate:12.0f}{ratio:10.0%} "
              f"{'' if goal is None else f'{goal:.0%}':>6}"
              f"{'' if goal is None else check(ratio, goal):>5}")
    print("\n2. Two daemons (CPU 0 and CPU 1; wrk and PostgreSQL unpinned) "
          "against one daemon on CPU 0\n")
    print(f"{'':34}{'one req/s':>10}{'two req/s':>10}{'2/1':>7}{'goal':>6}{'met':>5}"
          f"{'per daemon-CPU-s 1 → 2':>24}{'other CPU (two)':>17}{'cores free':>12}")
    for backend, goal in (("sqlite", 1.4), ("postgresql", 1.6)):
        for scenario in (UNCACHED, NEW):
            one = figures[(backend, scenario.key, 1)]
            two = figures[(backend, scenario.key, 2)]
            ratio = two.rate / one.rate if one.rate else 0.0
            name = f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'}: {scenario.name}"
            efficiency = f"{one.per_daemon_cpu:.0f} → {two.per_daemon_cpu:.0f}"
            other = f"{two.other_cpu / two.seconds:.0%} of a CPU"
            free = (2 * two.per_daemon_cpu / one.per_daemon_cpu
                    if one.per_daemon_cpu else 0.0)
            print(f"{name:34}{one.rate:10.0f}{two.rate:10.0f}{ratio:6.2f}×{goal:5.1f}×"
                  f"{check(ratio, goal):>5}{efficiency:>24}{other:>17}{free:11.2f}×")
    print("\n'other CPU' is what wrk and the PostgreSQL server used meanwhile, on the "
          "same cores as the daemons;\n'per daemon-CPU-s' is requests per CPU-second "
          "the daemons used (equal figures: the second daemon adds its core's worth);\n"
          "'cores free' extrapolates: 2 × that ratio, what two daemons would give "
          "against one if each had a core\nof its own and the load generator and the "
          "database ran elsewhere (not measured here).")
    bad = [(k, f) for k, f in figures.items() if f.bad or f.errors]
    for (backend, key, n), figure in bad:
        print(f"note: {backend} {key} x{n}: {figure.bad} answers not 2xx, "
              f"{figure.errors} socket errors")


if __name__ == "__main__":
    main()
