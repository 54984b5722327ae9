"""
A real nginx in front of the daemons under test, as sites deploy it: a
round-robin C{upstream} of several daemons, the proxy headers of the
README, and the retry rule of L{NEXT_UPSTREAM}.

nginx runs as a child process (C{daemon off}), with its configuration,
pid file, logs and temporary files in a short directory of its own under
C{/tmp}, listening on a free port of 127.0.0.1; it is stopped when the
test ends.  Debian's package is installed by C{make test-deps}.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

from twisted.trial.unittest import SynchronousTestCase

from ..paths import short_temp_dir

# What the README recommends: a request that could not reach one daemon
# (connection refused or reset while it restarts) goes to the next.
NEXT_UPSTREAM = "error timeout"


class NginxMissing(Exception):
    """
    nginx is not installed; the message says how to install it.
    """


def nginx_binary() -> str:
    """
    Return the path of nginx, which Debian installs in /usr/sbin (not on
    every user's PATH).

    @raise NginxMissing: when there is none.
    """
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise NginxMissing(
            "nginx is not installed: run `make test-deps` "
            "(scripts/bootstrap nginx installs Debian's package)"
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """
    One nginx process serving http://127.0.0.1:<port>/ from a round-robin
    upstream of C{servers} (each C{"127.0.0.1:PORT"} or C{"unix:/PATH"}).
    """

    def __init__(
        self,
        case: SynchronousTestCase,
        servers: list[str],
        next_upstream: str = NEXT_UPSTREAM,
    ) -> None:
        self.binary = nginx_binary()
        self.directory = short_temp_dir(case)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(self.directory, "nginx.conf")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(self.configuration(servers, next_upstream))
        self.process: subprocess.Popen[bytes] | None = None
        self._case = case

    def configuration(self, servers: list[str], next_upstream: str) -> str:
        """
        The whole nginx.conf: every path inside this instance's directory.
        """
        d = self.directory
        # As root, nginx would run its workers as "nobody", who cannot reach
        # the daemons' sockets in the tests' private directories.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        upstream = "".join(f"        server {s} max_fails=0;\n" for s in servers)
        return f"""\
daemon off;
master_process on;
worker_processes 1;
{user}pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{
    worker_connections 1024;
}}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream isso {{
{upstream}    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://isso;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream {next_upstream};
        }}
    }}
}}
"""

    def start(self) -> None:
        """
        Start nginx and wait until it accepts connections.
        """
        with open(os.path.join(self.directory, "stderr.log"), "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "-p", self.directory, "-c", self.config,
                 "-e", os.path.join(self.directory, "error.log")],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self._case.addCleanup(self.stop)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"nginx did not start:\n{self.errors()[-4000:]}")
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """
        Stop nginx (at once: the test is over) and wait for it.
        """
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def errors(self) -> str:
        """
        What nginx logged, for a failing test's message.
        """
        text = []
        for name in ("stderr.log", "error.log"):
            path = os.path.join(self.directory, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text.append(f.read())
        return "\n".join(text)
