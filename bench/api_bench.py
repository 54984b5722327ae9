"""
Load figures for the comments API, as a share of what Twisted itself does.

One run measures, with wrk (32 connections, one load-generating thread):

- the daemon, started on a scratch database with Isso's defaults
  (C{notify = stdout}, guard and moderation off), after seeding through the
  API a thread of 5 comments, one of 600 and eight of 2;
- the ceiling: a bare twisted.web server (bench/ceiling.py) answering the
  same bytes as fixed bodies, started with the same Python and the same
  pinning, and measured right after each daemon scenario that has one, so
  that both figures see the same load on the machine;
- the floor of memory: the peak RSS of C{python -c "import
  twisted.internet.reactor"} in this virtualenv.

The servers are pinned to CPU 0 and wrk to CPU 1 (with taskset, on a
machine of at least 2 CPUs).  Each scenario prints requests per second, the
median and 99th-percentile latency, their ratio and the share of the
ceiling (and the ceiling's own p99/p50, which shows how much of the tail
is the machine's), next to the goals of issue 13 with a check mark.

    .venv/bin/python bench/api_bench.py [--duration 8] [--connections 32]
        [--quick] [--isso /tmp/isso-ref/bin/isso] [--large]
        [--profile DIR]

--isso adds Isso 0.14 from a virtualenv of its own: under gunicorn -w2
when gunicorn is installed next to the isso executable, else its own
server.  --large generates a database of 1,000,000 comments over 50,000
threads and a thread of 5,000 comments (bench/large_db.py) and compares
the daemon on it with the figures above.  --profile records each daemon
scenario with py-spy once more, after the measured run, and prints the
frames where the daemon spent its time.
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
from collections import Counter
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
HOST = "http://bench.example"
STATIC = os.path.join(ROOT, "isso_tx", "static", "js")

CONFIG = """\
[general]
dbpath = {dbpath}
host = {host}
latest-enabled = true
[server]
listen = http://127.0.0.1:{port}
[guard]
enabled = false
[markup]
renderer = {renderer}
[rss]
base = https://bench.example/
"""

# The threads of /count: all of them exist.
COUNTED = ["/small/", "/big/"] + [f"/t{i}/" for i in range(3, 11)]

GET = "wrk.headers['Accept'] = 'application/json'\n"
GZIP = "wrk.headers['Accept-Encoding'] = 'gzip'\n"

POST_NEW = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = '{"text": "Comment number ' .. n .. ' with *some* markdown.", "author": "wrk", "email": "wrk@example.org", "title": "Benchmark"}'
  return wrk.format(nil, nil, nil, body)
end
"""

POST_COUNT = f"""\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{json.dumps(COUNTED)}'
"""

REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %f %f %f\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class Scenario:
    """
    One load: a path with a wrk script, the ceiling path it compares with,
    and the goal it has.

    @ivar key: short name, used for the profile files.
    @ivar ceiling: the bare server's path for the same kind of request.
    @ivar share_goal: the least share of the ceiling wanted.
    @ivar cached: whether the answer can come from memory, so that the
        latency goal (p99 at most 3 times p50) applies.
    """

    key: str
    name: str
    path: str
    script: str
    ceiling: str | None = None
    share_goal: float | None = None
    cached: bool = True


SCENARIOS = [
    Scenario("get5", "GET thread, 5 comments", "/?uri=%2Fsmall%2F", GET, "/get", 0.75),
    Scenario("get600", "GET thread, 600 comments", "/?uri=%2Fbig%2F", GET),
    Scenario("count", "POST /count, 10 uris", "/count", POST_COUNT, "/count", 0.60),
    Scenario("feed", "GET /feed, 100 entries", "/feed?uri=%2Fbig%2F", ""),
    Scenario("latest", "GET /latest, 100 entries", "/latest?limit=100", GET),
    Scenario("js", "GET /js/embed.min.js", "/js/embed.min.js", "",
             "/js/embed.min.js", 0.85),
    Scenario("jsgz", "GET /js/embed.min.js, gzip", "/js/embed.min.js", GZIP,
             "/js/embed.min.js", 0.85),
    Scenario("new", "POST /new, one thread", "/new?uri=%2Fposted%2F", POST_NEW,
             cached=False),
]
BY_KEY = {s.key: s for s in SCENARIOS}
# The scenarios repeated on the large database.
LARGE = [BY_KEY["get5"], BY_KEY["count"], BY_KEY["new"]]


@dataclass
class Load:
    """
    What wrk reported for one scenario.
    """

    requests: int
    bad_status: int
    socket_errors: int
    rate: float
    p50_ms: float
    p99_ms: float
    body_bytes: int = 0

    @property
    def spread(self) -> float:
        return self.p99_ms / self.p50_ms if self.p50_ms else float("inf")


@dataclass
class Run:
    """
    The figures of one server over the scenarios.
    """

    label: str
    loads: dict[str, Load] = field(default_factory=dict)
    peak_rss_kib: int = 0
    notes: list[str] = field(default_factory=list)
    first_get_ms: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(command: list[str], cpu: int) -> list[str]:
    """
    Return C{command} run on CPU C{cpu} alone, when the machine has two.
    """
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu)] + command
    return command


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def cpu_ticks(pid: int) -> int:
    """
    The CPU time used by process C{pid} and its descendants still running,
    in clock ticks.
    """
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def wait_idle(pid: int, seconds: float = 300) -> bool:
    """
    Wait until process C{pid} (with its children) has used under 5 % of a
    CPU for half a second: the daemon checks the stored renderings of every
    comment when it starts, and a server may still be answering requests of
    the previous scenario that wrk gave up on (gunicorn's workers do), and
    neither should be counted in the next scenario.
    """
    deadline = time.monotonic() + seconds
    ticks = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_ticks(pid)
        if now - ticks <= 0.05 * 0.5 * os.sysconf("SC_CLK_TCK"):
            return True
        ticks = now
    return False


def settle(run: Run, pid: int, before: str, seconds: float = 60) -> None:
    """
    L{wait_idle}, noting in C{run} when the server was still busy when the
    scenario C{before} had to start: its figures then include that work.
    """
    if not wait_idle(pid, seconds):
        run.notes.append(f"still busy after {seconds:.0f} s of waiting before {before}")


def get(url: str, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def post(base: str, path: str, body: object) -> object:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def new_comment(base: str, uri: str, body: dict) -> dict:
    # The page title is given, so that no page is fetched to find it.
    path = "/new?uri=" + urllib.request.quote(uri, safe="")
    return post(base, path, dict(body, title="Benchmark"))  # type: ignore[return-value]


def seed(base: str) -> None:
    """
    Write, through the API, the threads the scenarios read.
    """
    for i in range(5):
        new_comment(base, "/small/", {"text": f"Small thread, comment {i}", "author": "A"})
    parents: list[int] = []
    for i in range(600):
        body: dict[str, object] = {
            "text": f"Comment {i} of a *long* thread, with a [link](https://example.org/{i}).",
            "author": f"Reader {i % 37}",
            "email": f"reader{i % 37}@example.org",
        }
        if i % 3 and parents:
            body["parent"] = parents[-1]
        comment = new_comment(base, "/big/", body)
        if i % 3 == 0:
            parents.append(comment["id"])
    for uri in COUNTED[2:]:
        for i in range(2):
            new_comment(base, uri, {"text": f"Comment {i} on {uri}", "author": "B"})


def first_get_ms(base: str, uri: str) -> float:
    """
    Time one GET of a thread nobody has read yet (the uncached path).
    """
    started = time.perf_counter()
    get(base + "/?uri=" + urllib.request.quote(uri, safe=""), {"Accept": "application/json"})
    return (time.perf_counter() - started) * 1000


def memory_kib(pid: int) -> dict[str, int]:
    """
    A process's peak resident memory (VmHWM) and, at the moment of asking,
    how much of it is its own (RssAnon) and how much is mapped files such as
    shared libraries (RssFile).
    """
    figures = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "RssAnon", "RssFile"):
                figures[name] = int(value.split()[0])
    return figures


def tree_pids(pid: int) -> list[int]:
    """
    Return C{pid} and its descendants (gunicorn's workers, or the daemon
    below taskset, which execs it and keeps its pid).
    """
    pids = [pid]
    for p in pids:
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def tree_peak_kib(pid: int) -> int:
    return sum(memory_kib(p).get("VmHWM", 0) for p in tree_pids(pid))


def run_wrk(url: str, script: str, args: argparse.Namespace) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + REPORT)
    try:
        command = pinned(
            ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s",
             "--timeout", "10s", "-s", f.name, url],
            1,
        )
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    match = re.search(
        r"^BENCH (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$", output, re.MULTILINE
    )
    if not match:
        raise RuntimeError(f"wrk said:\n{output}")
    requests, bad, errors, rate, p50, p99 = match.groups()
    return Load(int(requests), int(bad), int(errors), float(rate), float(p50), float(p99))


def start(command: list[str], log_path: str, env: dict[str, str] | None = None
          ) -> subprocess.Popen:
    """
    Start a server on CPU 0, its output (the stdout notifier's lines, the
    access log) going to C{log_path}.
    """
    env = dict(os.environ if env is None else env)
    # The code measured is the code of this tree.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (ROOT, env.get("PYTHONPATH")) if p
    )
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            pinned(command, 0), env=env, stdout=log, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_config(directory: str, port: int, renderer: str) -> str:
    path = os.path.join(directory, "site.cfg")
    with open(path, "w") as f:
        f.write(CONFIG.format(
            dbpath=os.path.join(directory, "comments.db"), host=HOST, port=port,
            renderer=renderer,
        ))
    return path


def show_log_end(log: str) -> None:
    """
    Write the end of a daemon's log to standard error, for a run that
    failed.
    """
    with open(log, errors="replace") as f:
        sys.stderr.write("daemon log (end):\n" + f.read()[-3000:])


def twistd_command(config: str) -> list[str]:
    twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
    return [twistd, "--nodaemon", "--pidfile=", "isso", "--config", config]


def stored_posts(directory: str) -> int:
    with sqlite3.connect(f"file:{directory}/comments.db?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT count(*) FROM comments JOIN threads ON threads.id = tid "
            "WHERE threads.uri = '/posted/'"
        ).fetchone()[0]


def check_answers(base: str) -> None:
    """
    Fail before measuring when a scenario's path is not answered with 2xx:
    fast errors would look like good figures.
    """
    for scenario in SCENARIOS:
        if scenario.key in ("new", "count"):
            continue
        get(base + scenario.path)


def measure_daemon(args: argparse.Namespace, directory: str, ceiling: bool
                   ) -> tuple[Run, Run | None]:
    """
    Measure the daemon over every scenario, and (with C{ceiling}) the bare
    Twisted server right after each scenario that has a ceiling.
    """
    port = free_port()
    config = write_config(directory, port, args.renderer)
    log = os.path.join(directory, "daemon.log")
    daemon = start(twistd_command(config), log)
    base = f"http://127.0.0.1:{port}"
    run = Run("isso-tx")
    bare = Run("bare Twisted") if ceiling else None
    bare_process = None
    try:
        wait_for(base + "/info", daemon)
        seed(base)
        run.first_get_ms["/big/ (600)"] = first_get_ms(base, "/big/")
        check_answers(base)
        if bare is not None:
            bodies = os.path.join(directory, "ceiling")
            os.mkdir(bodies)
            with open(os.path.join(bodies, "get.json"), "wb") as f:
                f.write(get(base + "/?uri=%2Fsmall%2F"))
            with open(os.path.join(bodies, "count.json"), "wb") as f:
                f.write(json.dumps(post(base, "/count", COUNTED)).encode())
            for name in ("embed.min.js", "embed.min.js.gz"):
                shutil.copy(os.path.join(STATIC, name), bodies)
            bare_port = free_port()
            bare_process = start(
                [sys.executable, os.path.join(BENCH, "ceiling.py"), str(bare_port), bodies],
                os.path.join(directory, "ceiling.log"),
            )
            wait_for(f"http://127.0.0.1:{bare_port}/get", bare_process)
        for scenario in SCENARIOS:
            progress(f"isso-tx: {scenario.name}")
            settle(run, daemon.pid, scenario.name)
            run.loads[scenario.key] = run_wrk(base + scenario.path, scenario.script, args)
            if bare is not None and bare_process is not None and scenario.ceiling:
                progress(f"bare Twisted: {scenario.name}")
                settle(bare, bare_process.pid, scenario.name)
                bare.loads[scenario.key] = run_wrk(
                    f"http://127.0.0.1:{bare_port}{scenario.ceiling}", scenario.script, args
                )
        new = run.loads["new"]
        stored = stored_posts(directory)
        run.notes.append(
            f"POST /new: {new.requests - new.bad_status} answered 2xx, "
            f"{new.bad_status} not, {new.socket_errors} socket errors; {stored} stored"
        )
        memory = memory_kib(daemon.pid)
        run.peak_rss_kib = memory["VmHWM"]
        run.notes.append(
            f"daemon memory at the end: {memory['RssAnon'] / 1024:.1f} MiB own (anon), "
            f"{memory['RssFile'] / 1024:.1f} MiB mapped files"
        )
        if bare is not None and bare_process is not None:
            bare.peak_rss_kib = memory_kib(bare_process.pid)["VmHWM"]
        if args.profile:
            profile_daemon(args, base, daemon.pid, SCENARIOS)
        return run, bare
    except BaseException:
        show_log_end(log)
        raise
    finally:
        if bare_process is not None:
            stop(bare_process)
        stop(daemon)


def measure_isso(args: argparse.Namespace, directory: str) -> Run:
    """
    Measure Isso 0.14 on the same scenarios (no ceiling).
    """
    port = free_port()
    config = write_config(directory, port, "mistune")
    gunicorn = os.path.join(os.path.dirname(args.isso), "gunicorn")
    if os.path.exists(gunicorn):
        label = "Isso 0.14 (gunicorn -w2)"
        command = [gunicorn, "-w2", "-b", f"127.0.0.1:{port}", "isso.run"]
    else:
        label = "Isso 0.14 (its own server)"
        command = [args.isso, "-c", config, "run"]
    process = start(command, os.path.join(directory, "isso.log"),
                    dict(os.environ, ISSO_SETTINGS=config))
    base = f"http://127.0.0.1:{port}"
    run = Run(label)
    try:
        wait_for(base + "/info", process)
        seed(base)
        run.first_get_ms["/big/ (600)"] = first_get_ms(base, "/big/")
        for scenario in SCENARIOS:
            progress(f"{label}: {scenario.name}")
            settle(run, process.pid, scenario.name, 120)
            run.loads[scenario.key] = run_wrk(base + scenario.path, scenario.script, args)
        run.peak_rss_kib = tree_peak_kib(process.pid)
        new = run.loads["new"]
        run.notes.append(
            f"POST /new: {new.requests - new.bad_status} answered 2xx, "
            f"{new.bad_status} not; {stored_posts(directory)} stored"
        )
        return run
    finally:
        stop(process)


def measure_large(args: argparse.Namespace, directory: str) -> tuple[Run, dict]:
    """
    Measure the daemon on a generated database of 1,000,000 comments.
    """
    port = free_port()
    config = write_config(directory, port, args.renderer)
    progress("generating the large database")
    generated = subprocess.run(
        [sys.executable, os.path.join(BENCH, "large_db.py"), config,
         "--threads", str(args.large_threads), "--comments", str(args.large_comments),
         "--huge", "5000"],
        check=True, capture_output=True, text=True,
    ).stdout
    facts = json.loads(generated.strip().splitlines()[-1])
    log = os.path.join(directory, "daemon.log")
    daemon = start(twistd_command(config), log)
    base = f"http://127.0.0.1:{port}"
    run = Run("isso-tx, large")
    try:
        wait_for(base + "/info", daemon)
        settle(run, daemon.pid, "seeding", 300)
        progress("seeding the large database")
        seed(base)
        settle(run, daemon.pid, "the first GETs", 300)
        run.first_get_ms["/huge/ (5,000)"] = first_get_ms(base, "/huge/")
        run.first_get_ms["/huge/ (5,000), again"] = first_get_ms(base, "/huge/")
        run.first_get_ms["/big/ (600)"] = first_get_ms(base, "/big/")
        for scenario in LARGE:
            key = scenario.key
            progress(f"isso-tx, large database: {scenario.name}")
            settle(run, daemon.pid, scenario.name, 120)
            run.loads[key] = run_wrk(base + scenario.path, scenario.script, args)
        run.peak_rss_kib = memory_kib(daemon.pid)["VmHWM"]
        if args.profile:
            profile_daemon(args, base, daemon.pid, LARGE, "large database, ")
        return run, facts
    except BaseException:
        show_log_end(log)
        raise
    finally:
        stop(daemon)


FLOOR = (
    "import twisted.internet.reactor, resource, importlib.util;"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " importlib.util.find_spec('OpenSSL') is not None)"
)


def floor_kib() -> tuple[int, bool]:
    """
    The peak RSS of a Python that imports the reactor, in this virtualenv,
    and whether pyOpenSSL is installed in it.
    """
    output = subprocess.run(
        pinned([sys.executable, "-c", FLOOR], 0),
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return int(output[0]), output[1] == "True"


# Profiles


def profile_daemon(args: argparse.Namespace, base: str, pid: int,
                   scenarios: list[Scenario], title: str = "") -> None:
    """
    Load the daemon once more per scenario with py-spy attached, keep the
    collapsed stacks in the profile directory, and print the top frames.
    """
    py_spy = shutil.which("py-spy") or os.path.join(
        os.path.dirname(sys.executable), "py-spy"
    )
    os.makedirs(args.profile, exist_ok=True)
    for scenario in scenarios:
        name = title + scenario.name
        prefix = "large-" if title else ""
        out = os.path.join(args.profile, f"{prefix}{scenario.key}.txt")
        progress(f"profiling: {name}")
        wait_idle(pid, 120)
        recorder = subprocess.Popen(
            pinned([py_spy, "record", "--nonblocking", "--format", "raw", "--rate", "250",
                    "--duration", str(args.duration), "--pid", str(pid), "--output", out], 1),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(0.5)
        run_wrk(base + scenario.path, scenario.script, args)
        _, err = recorder.communicate()
        if recorder.returncode:
            print(f"py-spy failed on {name}: {err.strip()}")
            continue
        print(top_frames(name, out))


def _frame(raw: str) -> str:
    """
    Shorten a py-spy frame, C{name (path:line)}, to C{name (file.py)}.
    """
    match = re.match(r"^(.*) \((.*?):\d+\)$", raw)
    if not match:
        return raw
    name, path = match.groups()
    for marker in ("site-packages/", ROOT + "/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


# Frames every stack goes through, whatever the request: the reactor's loop,
# twistd, the thread pool's hand-over, the interpreter's start.
PLUMBING = (
    "twisted/internet/base.py", "twisted/internet/epollreactor.py",
    "twisted/internet/posixbase.py", "twisted/scripts/", "twisted/application/app.py",
    "twisted/python/log.py", "twisted/python/context.py", "twisted/python/threadpool.py",
    "twisted/_threads/", "threading.py", "runpy.py", "twistd", "<frozen",
)


def top_frames(name: str, collapsed: str, count: int = 8) -> str:
    """
    Summarise collapsed stacks: the functions with the most samples of their
    own, and those most often on the stack (with their callees).
    """
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with open(collapsed) as f:
        for line in f:
            stack, _, samples = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(samples)
            frames = [_frame(fr) for fr in stack.split(";")]
            total += n
            own[frames[-1]] += n
            for fr in set(frames):
                inclusive[fr] += n
    lines = [f"\n### {name}: {total} samples of the daemon's threads"]
    lines.append("own time (doPoll and Condition.wait are waits, which py-spy "
                 "--nonblocking cannot always tell from work):")
    lines += [f"  {100 * n / total:5.1f} %  {fr}" for fr, n in own.most_common(count)]
    lines.append("on the stack (without the reactor's and the thread pool's own frames):")
    shown = [(fr, n) for fr, n in inclusive.most_common()
             if not any(f"({path}" in fr for path in PLUMBING)]
    lines += [f"  {100 * n / total:5.1f} %  {fr}" for fr, n in shown[:count]]
    return "\n".join(lines)


# The report


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("✓" if ok else "✗")


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for j, row in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if j == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def rate(load: Load | None) -> str:
    if load is None:
        return "—"
    text = f"{load.rate:,.0f}"
    if load.bad_status or load.socket_errors:
        text += f" ({load.bad_status + load.socket_errors} errors)"
    return text


def report(runs: dict[str, Run | None], floor: int, floor_tls: bool,
           large: tuple[Run, dict] | None, args: argparse.Namespace,
           load_before: tuple[float, ...]) -> None:
    ours, bare, isso = runs["ours"], runs["bare"], runs["isso"]
    assert ours is not None and bare is not None
    load_after = os.getloadavg()
    print()
    print(
        f"isso-tx benchmark: wrk -t1 -c{args.connections}, {args.duration} s per scenario, "
        f"servers on CPU 0, wrk on CPU 1, {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"(1 min; the machine is shared, figures move with it)"
    )
    print()
    header = ["scenario", "isso-tx req/s", "p50 ms", "p99 ms", "p99/p50",
              "bare Twisted", "bare p99/p50", "share of ceiling"]
    if isso:
        header += [isso.label, "isso-tx / Isso"]
    header += ["goal", "met"]
    rows = [header]
    oks: list[bool] = []
    big = ours.loads["get600"].rate
    for scenario in SCENARIOS:
        load = ours.loads[scenario.key]
        ceiling = bare.loads.get(scenario.key)
        share = load.rate / ceiling.rate if ceiling else None
        goals: list[tuple[str, bool | None]] = []
        if scenario.share_goal is not None:
            goals.append((f"≥ {scenario.share_goal:.0%} of ceiling",
                          share is not None and share >= scenario.share_goal))
        if scenario.key in ("feed", "latest"):
            goals.append(("≥ GET 600", load.rate >= big))
        if scenario.key == "new":
            if isso:
                goals.append(("≥ 10× Isso", load.rate >= 10 * isso.loads["new"].rate))
            else:
                goals.append(("≥ 10× Isso (needs --isso)", None))
        if scenario.cached:
            goals.append(("p99 ≤ 3× p50", load.spread <= 3))
        if load.bad_status or load.socket_errors:
            goals.append(("no errors", False))
        decided = [ok for _, ok in goals if ok is not None]
        oks += decided
        row = [
            scenario.name, rate(load), f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}",
            f"{load.spread:.1f}", rate(ceiling),
            f"{ceiling.spread:.1f}" if ceiling else "—",
            f"{share:.0%}" if share is not None else "—",
        ]
        if isso:
            theirs = isso.loads[scenario.key]
            row += [rate(theirs), f"{load.rate / theirs.rate:.1f}×" if theirs.rate else "—"]
        row += ["; ".join(g for g, _ in goals),
                " ".join(mark(ok) for _, ok in goals)]
        rows.append(row)
    target = floor + 12 * 1024
    rss_ok = ours.peak_rss_kib <= target
    oks.append(rss_ok)
    row = ["peak RSS", f"{ours.peak_rss_kib / 1024:.1f} MiB", "", "", "",
           f"{bare.peak_rss_kib / 1024:.1f} MiB", "", ""]
    if isso:
        row += [f"{isso.peak_rss_kib / 1024:.1f} MiB", ""]
    row += [f"≤ floor + 12 MiB = {target / 1024:.1f} MiB", mark(rss_ok)]
    rows.append(row)
    print(table(rows))
    print()
    print(
        f"floor: python -c 'import twisted.internet.reactor' peaks at "
        f"{floor / 1024:.1f} MiB in this virtualenv (pyOpenSSL "
        f"{'installed' if floor_tls else 'NOT installed'}); target floor + 12 MiB = "
        f"{target / 1024:.1f} MiB."
    )
    print("The bare Twisted ceiling answers the daemon's own bodies as fixed bytes "
          "(bench/ceiling.py), measured right after each daemon scenario.")
    for name, ms in ours.first_get_ms.items():
        print(f"isso-tx: first (uncached) GET of {name}: {ms:.1f} ms")
    for note in ours.notes:
        print(f"isso-tx: {note}")
    for note in bare.notes:
        print(f"bare Twisted: {note}")
    if isso:
        for name, ms in isso.first_get_ms.items():
            print(f"{isso.label}: first GET of {name}: {ms:.1f} ms")
        for note in isso.notes:
            print(f"{isso.label}: {note}")
    if large:
        oks += report_large(ours, *large)
    print()
    met = sum(oks)
    print(f"goals met: {met} of {len(oks)}")


def report_large(ours: Run, run: Run, facts: dict) -> list[bool]:
    print()
    print(
        f"Large database: {facts['comments']:,} comments over {facts['threads']:,} threads "
        f"(one of 5,000 comments), plus the seeded threads; {facts['bytes'] / 2**20:,.0f} MiB, "
        f"generated in {facts['seconds']:.0f} s."
    )
    print()
    rows = [["scenario", "small db req/s", "large db req/s", "large / small",
             "p99 ms (large)", "goal", "met"]]
    oks = []
    for key in (s.key for s in LARGE):
        small, big = ours.loads[key], run.loads[key]
        ratio = big.rate / small.rate if small.rate else 0
        ok = ratio >= 0.8 and not (big.bad_status or big.socket_errors)
        oks.append(ok)
        rows.append([BY_KEY[key].name, rate(small), rate(big), f"{ratio:.2f}",
                     f"{big.p99_ms:.1f}", "within 20 %", mark(ok)])
    rows.append(["peak RSS", f"{ours.peak_rss_kib / 1024:.1f} MiB",
                 f"{run.peak_rss_kib / 1024:.1f} MiB", "", "", "", ""])
    print(table(rows))
    print()
    small_first = ours.first_get_ms["/big/ (600)"]
    huge_first = run.first_get_ms["/huge/ (5,000)"]
    print(f"first (uncached) GET, small database, 600 comments: {small_first:.1f} ms "
          f"({1000 * small_first / 600:.1f} µs per comment)")
    for name, ms in run.first_get_ms.items():
        print(f"large database, GET of {name}: {ms:.1f} ms")
    for note in run.notes:
        print(f"isso-tx, large database: {note}")
    print(f"the uncached GET of 5,000 comments costs {1000 * huge_first / 5000:.1f} µs "
          f"per comment ({huge_first / small_first:.1f}× the 600-comment thread's time "
          f"for {5000 / 600:.1f}× the comments)")
    return oks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true",
                        help="1 s per scenario: a smoke run, not figures")
    parser.add_argument("--renderer", default="misaka", choices=("misaka", "mistune"))
    parser.add_argument("--isso", help="an Isso 0.14 executable to compare with")
    parser.add_argument("--large", action="store_true",
                        help="also measure a generated database of 1,000,000 comments")
    parser.add_argument("--large-comments", type=int, default=1_000_000,
                        help=argparse.SUPPRESS)
    parser.add_argument("--large-threads", type=int, default=50_000,
                        help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="DIR",
                        help="record each daemon scenario with py-spy into DIR")
    args = parser.parse_args()
    if args.quick:
        args.duration = 1
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is needed (apt-get install wrk, or make bench)")

    load_before = os.getloadavg()
    floor, floor_tls = floor_kib()
    with tempfile.TemporaryDirectory(prefix="isso-tx-bench-") as directory:
        ours, bare = measure_daemon(args, directory, ceiling=True)
    isso = None
    if args.isso:
        with tempfile.TemporaryDirectory(prefix="isso-tx-bench-") as directory:
            isso = measure_isso(args, directory)
    large = None
    if args.large:
        with tempfile.TemporaryDirectory(prefix="isso-tx-bench-") as directory:
            large = measure_large(args, directory)
    report({"ours": ours, "bare": bare, "isso": isso}, floor, floor_tls, large, args,
           load_before)


if __name__ == "__main__":
    main()
