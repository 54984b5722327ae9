"""
Where the daemon's memory goes, measured cheaply (no wrk, a few seconds).

Starts C{twistd isso} on a scratch database with the configuration of
bench/api_bench.py (C{notify = stdout}, guard and moderation off), seeds it
through the API as that benchmark does, then sends each kind of request of
its scenarios (threads, counts, feed, latest, the client's files, and
C{POST /new}) over several keep-alive connections at once, and prints the
daemon's memory from /proc/<pid>/status after each step: the peak (VmHWM),
the resident size now (VmRSS), and how much of that is the process's own
(RssAnon) and mapped files such as shared libraries (RssFile).

    .venv/bin/python bench/memory_cost.py [--requests 400] [--posts 1000]
        [--connections 16] [--imports] [--tracemalloc 25]

--imports traces the daemon's imports, then imports them again one at a
time in a fresh interpreter that has imported the reactor, and prints the
growth of VmRSS of the biggest (by package, and by module of isso_tx).  --tracemalloc N runs the daemon under
tracemalloc and prints the N source lines that hold the most memory at the
end, and the N files.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

from api_bench import (  # noqa: E402
    COUNTED,
    ROOT,
    floor_kib,
    free_port,
    seed,
    show_log_end,
    start,
    stop,
    twistd_command,
    wait_for,
    write_config,
)

FIGURES = ("VmHWM", "VmRSS", "RssAnon", "RssFile", "Threads")

# The requests of bench/api_bench.py's scenarios: method, path, headers, body.
JSON = {"Accept": "application/json"}
REQUESTS = [
    ("GET", "/?uri=%2Fsmall%2F", JSON, None),
    ("GET", "/?uri=%2Fbig%2F", JSON, None),
    ("POST", "/count", {"Content-Type": "application/json"}, json.dumps(COUNTED)),
    ("GET", "/feed?uri=%2Fbig%2F", {}, None),
    ("GET", "/latest?limit=100", JSON, None),
    ("GET", "/js/embed.min.js", {}, None),
    ("GET", "/js/embed.min.js", {"Accept-Encoding": "gzip"}, None),
]

# --imports: the daemon's imports are traced (PYTHONPROFILEIMPORTTIME), and
# then imported again in a fresh interpreter that has imported the reactor
# (the floor), with each module's own growth of VmRSS counted as it is
# created and run (without the modules it imports), by top-level package
# and, for isso_tx, by module.
IMPORTER = """
import importlib, json, sys
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
import twisted.internet.reactor
own, nested = {}, [0]
def counted(name, step):
    def run(*args):
        before = rss()
        nested.append(0)
        try:
            return step(*args)
        finally:
            grown = rss() - before
            key = name if name.startswith("isso_tx") else name.split(".")[0]
            kib, count = own.get(key, (0, 0))
            own[key] = (kib + grown - nested.pop(), count + (step.__name__ == "exec_module"))
            nested[-1] += grown
    return run
class Counting:
    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is None:
                    continue
                if spec.loader is not None:
                    loader = spec.loader
                    class Counted:
                        create_module = staticmethod(counted(name, loader.create_module))
                        exec_module = staticmethod(counted(name, loader.exec_module))
                        def __getattr__(self, attribute):
                            return getattr(loader, attribute)
                    spec.loader = Counted()
                return spec
sys.meta_path.insert(0, Counting())
for name in json.load(sys.stdin):
    if name not in sys.modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass
print(json.dumps(own))
"""

# Runs twistd as its script does, under tracemalloc.  SIGUSR2 writes the
# biggest holders of memory to the file named by $MEMORY_COST_OUT, and
# what grew most since the previous signal.
TRACED = """
import os, signal, sys, tracemalloc
tracemalloc.start(1)
taken = []
def dump(signum, frame):
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)])
    count = int(os.environ["MEMORY_COST_TOP"])
    out = os.environ["MEMORY_COST_OUT"]
    with open(out + ".part", "w") as f:
        stats = snapshot.statistics("lineno")
        f.write(f"{sum(s.size for s in stats) / 2**20:.1f} MiB traced; the biggest:\\n")
        for s in stats[:count]:
            f.write(f"  {s.size / 1024:8.0f} KiB {s.count:7d}  {s.traceback[0]}\\n")
        if taken:
            f.write("grown since the daemon started:\\n")
            for s in snapshot.compare_to(taken[0], "lineno")[:count]:
                f.write(f"  {s.size_diff / 1024:+8.0f} KiB {s.count_diff:+7d}  {s.traceback[0]}\\n")
    taken.append(snapshot)
    os.rename(out + ".part", out)
signal.signal(signal.SIGUSR2, dump)
from twisted.scripts.twistd import run
sys.argv = ["twistd"] + sys.argv[1:]
run()
"""


def traced(pid: int, out: str) -> str:
    """
    Signal the daemon under tracemalloc to write its figures; return them.
    """
    os.kill(pid, signal.SIGUSR2)
    while not os.path.exists(out):
        time.sleep(0.1)
    with open(out) as f:
        text = f.read()
    os.unlink(out)
    return text


def memory(pid: int) -> dict[str, int]:
    """
    Return the figures of L{FIGURES} for process C{pid} (KiB, and threads).
    """
    figures = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in FIGURES:
                figures[name] = int(value.split()[0])
    return figures


def show(step: str, pid: int) -> dict[str, int]:
    figures = memory(pid)
    print(
        f"{step:<28}"
        + "".join(f" {n} {figures[n] / 1024:5.1f}" for n in FIGURES[:-1])
        + f"  threads {figures['Threads']}",
        flush=True,
    )
    return figures


def load(port: int, requests: list[tuple], connections: int) -> int:
    """
    Send C{requests} over C{connections} keep-alive connections at once;
    return how many were not answered with 2xx.
    """

    def send(share: list[tuple]) -> int:
        bad = 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for method, path, headers, body in share:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            bad += response.status >= 300
        connection.close()
        return bad

    shares = [requests[i::connections] for i in range(connections)]
    with ThreadPoolExecutor(connections) as pool:
        return sum(pool.map(send, shares))


def new_comments(count: int) -> list[tuple]:
    headers = {"Content-Type": "application/json"}
    return [
        ("POST", "/new?uri=%2Fposted%2F", headers, json.dumps({
            "text": f"Comment number {n} with *some* markdown.", "author": "wrk",
            "email": "wrk@example.org", "title": "Benchmark",
        }))
        for n in range(count)
    ]


def measure(args: argparse.Namespace, directory: str) -> None:
    port = free_port()
    config = write_config(directory, port, args.renderer)
    env = dict(os.environ)
    if args.tracemalloc:
        out = os.path.join(directory, "tracemalloc.txt")
        env.update(MEMORY_COST_OUT=out, MEMORY_COST_TOP=str(args.tracemalloc))
        command = [sys.executable, "-c", TRACED] + twistd_command(config)[1:]
    else:
        command = twistd_command(config)
    if args.imports:
        env["PYTHONPROFILEIMPORTTIME"] = "1"
    log = os.path.join(directory, "daemon.log")
    daemon = start(command, log, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/info", daemon)
        pid = daemon.pid
        show("started", pid)
        if args.tracemalloc:
            traced(pid, out)
        seed(base)
        show("seeded (621 POST /new)", pid)
        for method, path, headers, body in REQUESTS:
            bad = load(port, [(method, path, headers, body)] * args.requests,
                       args.connections)
            name = f"{method} {path.split('?')[0]}{' gzip' if 'Accept-Encoding' in headers else ''}"
            show(f"{name}{f' ({bad} bad)' if bad else ''}", pid)
        bad = load(port, new_comments(args.posts), args.connections)
        figures = show(f"{args.posts} POST /new{f' ({bad} bad)' if bad else ''}", pid)
        floor, _ = floor_kib()
        print(
            f"peak {figures['VmHWM'] / 1024:.1f} MiB; floor {floor / 1024:.1f} MiB; "
            f"peak - floor = {(figures['VmHWM'] - floor) / 1024:.1f} MiB (goal 12)"
        )
        if args.tracemalloc:
            print(traced(pid, out))
        if args.imports:
            imports(log)
    except BaseException:
        show_log_end(log)
        raise
    finally:
        stop(daemon)


def imports(log: str, count: int = 30) -> None:
    """
    Print the memory each of the imports the daemon wrote in C{log} takes.
    """
    with open(log, errors="replace") as f:
        order = [line.split("|")[-1].strip() for line in f
                 if line.startswith("import time:") and not line.endswith("package\n")]
    env = dict(os.environ, PYTHONPATH=ROOT)
    output = subprocess.run(
        [sys.executable, "-c", IMPORTER], input=json.dumps(order), env=env,
        capture_output=True, text=True, check=True,
    ).stdout
    growth = json.loads(output)
    total = sum(kib for kib, _ in growth.values())
    ours = sum(kib for name, (kib, _) in growth.items() if name.startswith("isso_tx"))
    print(f"\nimports beyond the floor: {total / 1024:.1f} MiB of VmRSS, "
          f"{ours / 1024:.1f} MiB of them isso_tx's own modules; the biggest:")
    for name, (kib, modules) in sorted(growth.items(), key=lambda g: -g[1][0])[:count]:
        print(f"  {kib / 1024:5.2f} MiB {modules:4d} modules  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400,
                        help="requests of each kind but POST /new")
    parser.add_argument("--posts", type=int, default=1000, help="POST /new at the end")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--renderer", default="misaka", choices=("misaka", "mistune"))
    parser.add_argument("--imports", action="store_true",
                        help="also print the memory of each group of imports")
    parser.add_argument("--tracemalloc", type=int, metavar="N", default=0,
                        help="print the N biggest holders of memory at the end")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isso-tx-memory-") as directory:
        measure(args, directory)


if __name__ == "__main__":
    main()
