"""
Several C{twistd isso} daemons in child processes, on TCP ports, unix
sockets or a listening socket they inherit as systemd passes it; and a
small load generator that counts every request that did not get its
normal answer.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from twisted.trial.unittest import SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWISTD_ARGS = ["--nodaemon", "--pidfile=", "isso"]
TWISTD = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]
# What systemd does before it runs a socket-activated service: the
# listening socket becomes descriptor 3, and LISTEN_PID, LISTEN_FDS and
# LISTEN_FDNAMES say it is meant for this process.  Run in the child, so that LISTEN_PID is
# its own pid; the first argument is the descriptor to move to 3.
INHERIT = (
    "import os, sys\n"
    "fd = int(sys.argv.pop(1))\n"
    "if fd != 3:\n"
    "    os.dup2(fd, 3)\n"
    "    os.close(fd)\n"
    "os.environ.update(\n"
    "    LISTEN_PID=str(os.getpid()), LISTEN_FDS='1', LISTEN_FDNAMES='isso-tx.socket'\n"
    ")\n"
    "from twisted.scripts.twistd import run\n"
    "run()\n"
)


class UnixHTTPConnection(http.client.HTTPConnection):
    """
    An HTTP connection over a unix socket.
    """

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def connection(address: str, timeout: float = 30) -> http.client.HTTPConnection:
    """
    A new connection to C{address}: C{"unix:/path"} or C{"127.0.0.1:PORT"}.
    """
    if address.startswith("unix:"):
        return UnixHTTPConnection(address[len("unix:"):], timeout)
    host, _, port = address.rpartition(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def request(
    address: str, method: str, path: str, body: dict | None = None, timeout: float = 30
) -> tuple[int, bytes]:
    """
    Send one request on a connection of its own and return the status and
    the body of the answer.
    """
    conn = connection(address, timeout)
    try:
        headers = {"Host": "comments.example", "Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Daemon:
    """
    One daemon, started and stopped (with SIGTERM) as often as a test
    wants, its output kept in C{<name>.log} in C{directory}.
    """

    def __init__(
        self,
        case: SynchronousTestCase,
        directory: str,
        name: str,
        config: str,
        address: str,
        listen: str | None = None,
        inherit: socket.socket | None = None,
    ) -> None:
        """
        @param address: where the daemon answers (see L{connection}).
        @param listen: its C{--listen} endpoint; by default the endpoint of
            C{address}, or C{systemd:...:index=0} with C{inherit}.
        @param inherit: a listening socket passed to the daemon as systemd
            does, kept open here between the daemon's lives.
        """
        self.case = case
        self.directory = directory
        self.name = name
        self.config = config
        self.address = address
        self.inherit = inherit
        if listen is None:
            if inherit is not None:
                domain = "UNIX" if inherit.family == socket.AF_UNIX else "INET"
                listen = f"systemd:domain={domain}:index=0"
            elif address.startswith("unix:"):
                listen = f"unix:{address[len('unix:'):]}:mode=600"
            else:
                listen = f"tcp:{address.rpartition(':')[2]}:interface=127.0.0.1"
        self.listen = listen
        self.process: subprocess.Popen[bytes] | None = None
        self.environ = dict(os.environ, PYTHONPATH=ROOT)
        self.environ.pop("ISSO_SETTINGS", None)
        for variable in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            self.environ.pop(variable, None)
        case.addCleanup(self.kill)

    @property
    def log_path(self) -> str:
        return os.path.join(self.directory, f"{self.name}.log")

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def start(self, *extra: str) -> None:
        """
        Start the daemon and wait until it answers C{GET /info}.
        """
        args = [*TWISTD_ARGS, "--config", self.config, "--listen", self.listen, *extra]
        with open(self.log_path, "a") as log:
            if self.inherit is None:
                command = TWISTD + args
                pass_fds: tuple[int, ...] = ()
            else:
                command = [sys.executable, "-c", INHERIT, str(self.inherit.fileno()), *args]
                pass_fds = (self.inherit.fileno(),)
            self.process = subprocess.Popen(
                command, cwd=self.directory, env=self.environ,
                stdout=log, stderr=subprocess.STDOUT, pass_fds=pass_fds,
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = request(self.address, "GET", "/info", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            assert self.process is not None
            if self.process.poll() is not None:
                self.case.fail(f"daemon {self.name} stopped:\n{self.log()}")
            if time.monotonic() > deadline:
                self.case.fail(f"daemon {self.name} does not answer:\n{self.log()}")
            time.sleep(0.05)

    def terminate(self) -> None:
        """
        Send SIGTERM, as systemd does to stop a service.
        """
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 20) -> int:
        """
        SIGTERM, then wait for the process; return its exit status.
        """
        self.terminate()
        assert self.process is not None
        return self.process.wait(timeout)

    def restart(self) -> None:
        """
        Stop gracefully, check that the daemon exited with status 0, and
        start it again.
        """
        status = self.stop()
        if status != 0:
            self.case.fail(f"daemon {self.name} exited with {status}:\n{self.log()}")
        self.start()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Load:
    """
    A few clients sending C{GET /} and C{POST /new} to one address in a
    loop until L{stop}: what failed, and every comment acknowledged.
    """

    address: str
    uri: str = "/load/"
    clients: int = 4
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)
    gets: int = 0
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(60)

    def _client(self, n: int) -> None:
        sent = 0
        while not self._stopping.is_set():
            sent += 1
            text = f"Comment {sent} of client {n}"
            what = "GET /"
            try:
                status, body = request(self.address, "GET", f"/?uri={self.uri}")
                self._check("GET /", status, 200, body)
                what = "POST /new"
                status, body = request(
                    self.address, "POST", f"/new?uri={self.uri}",
                    {"text": text, "title": "Load"},
                )
                if self._check("POST /new", status, 201, body):
                    with self._lock:
                        self.acknowledged[json.loads(body)["id"]] = text
            except (OSError, http.client.HTTPException) as e:
                with self._lock:
                    self.failures.append(f"client {n}: {what}: {e!r}")

    def _check(self, what: str, status: int, expected: int, body: bytes) -> bool:
        with self._lock:
            if status != expected:
                self.failures.append(f"{what}: {status} {body[:200]!r}")
                return False
            if what == "GET /":
                self.gets += 1
            return True
