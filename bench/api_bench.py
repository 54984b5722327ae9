"""
Load figures for the comments API.

Starts the daemon (pinned to one CPU when taskset is available) on a
scratch database, seeds a 5-comment and a 600-comment thread through the
API, then drives it with wrk from Debian and prints, for each scenario,
requests per second and the 99th-percentile latency, and at the end the
daemon's peak resident memory.

    .venv/bin/python bench/api_bench.py [--duration 10] [--connections 20]
        [--isso /tmp/isso-ref/bin/isso]

With --isso, the same scenarios are run against Isso 0.14 (installed in a
throw-away virtualenv of its own) and printed side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "http://bench.example"

CONFIG = """\
[general]
dbpath = {dbpath}
host = {host}
notify =
[server]
listen = http://127.0.0.1:{port}
[guard]
enabled = false
[markup]
renderer = {renderer}
"""

POST_NEW = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.path = "/new?uri=%2Fposted%2F"
local n = 0
request = function()
  n = n + 1
  local body = '{"text": "Comment number ' .. n .. ' with *some* markdown.", "author": "wrk", "email": "wrk@example.org", "title": "Benchmark"}'
  return wrk.format(nil, nil, nil, body)
end
"""

POST_COUNT = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '["/small/", "/big/", "/posted/", "/none/", "/other/"]'
"""

REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %f %f\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def post(base: str, path: str, body: dict) -> dict:
    # The page title is given, so that no page is fetched to find it.
    body = dict(body, title="Benchmark")
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def seed(base: str) -> None:
    for i in range(5):
        post(
            base,
            "/new?uri=%2Fsmall%2F",
            {"text": f"Small thread, comment {i}", "author": "A"},
        )
    parents: list[int] = []
    for i in range(600):
        body: dict[str, object] = {
            "text": f"Comment {i} of a *long* thread, with a [link](https://example.org/{i}).",
            "author": f"Reader {i % 37}",
            "email": f"reader{i % 37}@example.org",
        }
        if i % 3 and parents:
            body["parent"] = parents[-1]
        comment = post(base, "/new?uri=%2Fbig%2F", body)
        if i % 3 == 0:
            parents.append(comment["id"])


def memory_kib(pid: int) -> dict[str, int]:
    """
    The daemon's peak resident memory (VmHWM) and, at the moment of asking,
    how much of it is its own (RssAnon) and how much is mapped files such as
    shared libraries (RssFile), which other processes share.
    """
    figures = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "RssAnon", "RssFile"):
                figures[name] = int(value.split()[0])
    return figures


def run_wrk(base: str, path: str, script: str, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + REPORT)
    try:
        command = [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "-s",
            f.name,
            base + path,
        ]
        if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1:
            command = ["taskset", "-c", "1"] + command
        output = subprocess.run(
            command, capture_output=True, text=True, check=True
        ).stdout
    finally:
        os.unlink(f.name)
    match = re.search(
        r"^BENCH (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)$", output, re.MULTILINE
    )
    if not match:
        raise RuntimeError(f"wrk said:\n{output}")
    requests, bad_status, socket_errors, rate, p99 = match.groups()
    return {
        "requests": int(requests),
        "bad_status": int(bad_status),
        "socket_errors": int(socket_errors),
        "rate": float(rate),
        "p99_ms": float(p99),
    }


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0"] + command
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )


def measure(
    command: list[str],
    config_text: str,
    directory: str,
    port: int,
    args: argparse.Namespace,
) -> dict:
    dbpath = os.path.join(directory, "comments.db")
    config = os.path.join(directory, "site.cfg")
    with open(config, "w") as f:
        f.write(config_text)
    env = dict(os.environ, ISSO_SETTINGS=config)
    process = start(command + [config], env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/info")
        seed(base)
        results: dict[str, object] = {}
        get = "wrk.headers['Accept'] = 'application/json'\n"
        results["GET small thread (5)"] = run_wrk(base, "/?uri=%2Fsmall%2F", get, args)
        results["GET big thread (600)"] = run_wrk(base, "/?uri=%2Fbig%2F", get, args)
        results["POST /count (5 uris)"] = run_wrk(base, "/count", POST_COUNT, args)
        new = run_wrk(base, "/new", POST_NEW, args)
        with sqlite3.connect(f"file:{dbpath}?mode=ro", uri=True) as db:
            stored = db.execute(
                "SELECT count(*) FROM comments JOIN threads ON threads.id = tid "
                "WHERE threads.uri = '/posted/'"
            ).fetchone()[0]
        new["stored"] = stored
        results["POST /new"] = new
        memory = memory_kib(process.pid)
        results["peak RSS MiB"] = memory["VmHWM"] / 1024
        results["  own (anon) MiB"] = memory["RssAnon"] / 1024
        results["  shared files MiB"] = memory["RssFile"] / 1024
        return results
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--renderer", default="misaka", choices=("misaka", "mistune"))
    parser.add_argument("--isso", help="an isso 0.14 executable to compare with")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is needed (apt-get install wrk)")

    runs = {}
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        text = CONFIG.format(
            dbpath=os.path.join(directory, "comments.db"),
            host=HOST,
            port=port,
            renderer=args.renderer,
        )
        twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
        runs["isso-tx"] = measure(
            [twistd, "--nodaemon", "--pidfile=", "isso", "--config"],
            text,
            directory,
            port,
            args,
        )
    if args.isso:
        with tempfile.TemporaryDirectory() as directory:
            port = free_port()
            text = CONFIG.format(
                dbpath=os.path.join(directory, "comments.db"),
                host=HOST,
                port=port,
                renderer="mistune",
            )
            runs["isso 0.14"] = measure(
                [args.isso, "-c"],
                text,
                directory,
                port,
                args,
            )

    names = list(runs)
    print(f"{'scenario':<24}" + "".join(f"{n:>28}" for n in names))
    for scenario in runs[names[0]]:
        row = f"{scenario:<24}"
        for n in names:
            value = runs[n][scenario]
            if isinstance(value, dict):
                cell = f"{value['rate']:8.0f} req/s p99 {value['p99_ms']:6.1f} ms"
            else:
                cell = f"{value:.1f}"
            row += f"{cell:>28}"
        print(row)
    for n in names:
        new = runs[n]["POST /new"]
        answered = new["requests"] - new["bad_status"]
        print(
            f"{n}: POST /new answered {answered} (non-2xx {new['bad_status']}, "
            f"socket errors {new['socket_errors']}), stored {new['stored']}"
        )


if __name__ == "__main__":
    main()
