"""
Starting the daemon the way a site owner does: C{twistd -n isso …} in a
child process, with good and bad configurations.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

from twisted.trial.unittest import SynchronousTestCase

from ..paths import short_temp_dir

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The twistd of the environment running the tests.
TWISTD = [
    sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
    "--nodaemon", "--pidfile=", "isso",
]
HOST = "http://example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaemonMixin:
    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.environ = dict(os.environ, PYTHONPATH=ROOT)
        self.environ.pop("ISSO_SETTINGS", None)

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.directory, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def site_config(self, name: str = "site.cfg", extra: str = "") -> str:
        return self.write(
            name,
            f"[general]\ndbpath = comments.db\nhost = {HOST}\n" + extra,
        )

    def run_twistd(self, *args: str, env: dict[str, str] | None = None):
        return subprocess.run(
            TWISTD + list(args), cwd=self.directory, env=env or self.environ,
            capture_output=True, text=True, timeout=60,
        )

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(os.path.join(self.directory, "daemon.log"), "w")
        self.addCleanup(log.close)
        process = subprocess.Popen(
            TWISTD + list(args), cwd=self.directory, env=env or self.environ,
            stdout=log, stderr=subprocess.STDOUT,
        )

        def stop() -> None:
            process.terminate()
            process.wait(20)

        self.addCleanup(stop)
        return process

    def daemon_log(self) -> str:
        with open(os.path.join(self.directory, "daemon.log"), encoding="utf-8") as f:
            return f.read()

    def wait_for(self, url: str, process: subprocess.Popen) -> bytes:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.read()
            except OSError:
                if process.poll() is not None:
                    self.fail(f"the daemon stopped:\n{self.daemon_log()}")
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


class StartupErrorTests(DaemonMixin, SynchronousTestCase):
    def assertOneLine(self, result, expected: str) -> None:
        """
        The daemon stopped with a failure status and said why in one line
        that contains C{expected}, without a traceback.
        """
        output = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, output)
        self.assertNotIn("Traceback", output)
        lines = [line for line in output.splitlines() if "isso-tx:" in line]
        self.assertEqual(len(lines), 1, output)
        self.assertIn(expected, lines[0])

    def test_missing_config(self) -> None:
        result = self.run_twistd("--config", "/nonexistent/isso.cfg")
        self.assertOneLine(result, "isso-tx: /nonexistent/isso.cfg: no such file")
        self.assertEqual(result.stderr.strip(), "isso-tx: /nonexistent/isso.cfg: no such file")

    def test_bad_value(self) -> None:
        path = self.site_config(extra="[guard]\nratelimit = lots\n")
        result = self.run_twistd("-c", path)
        self.assertOneLine(result, f"{path}: [guard] ratelimit: 'lots' is not a whole number")

    def test_port_in_use(self) -> None:
        path = self.site_config()
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = self.run_twistd("-c", path, "--listen", f"tcp:{port}:interface=127.0.0.1")
        self.assertOneLine(result, f"cannot listen on tcp:{port}:interface=127.0.0.1")

    def test_bad_listen_option(self) -> None:
        result = self.run_twistd("-c", self.site_config(), "--listen", "carrier-pigeon:1")
        self.assertOneLine(result, "bad listen address 'carrier-pigeon:1'")

    def test_newer_database(self) -> None:
        path = self.site_config()
        with sqlite3.connect(os.path.join(self.directory, "comments.db")) as db:
            db.execute("PRAGMA user_version = 99")
        result = self.run_twistd("-c", path, "--listen", f"tcp:{free_port()}")
        self.assertOneLine(result, path)
        self.assertIn("newer", result.stdout + result.stderr)

    def test_unreadable_database(self) -> None:
        path = self.site_config()
        with open(os.path.join(self.directory, "comments.db"), "wb") as f:
            f.write(b"this is not a database" * 100)
        result = self.run_twistd("-c", path, "--listen", f"tcp:{free_port()}")
        self.assertOneLine(result, path)


class ServingTests(DaemonMixin, SynchronousTestCase):
    def test_serves_and_logs(self) -> None:
        """
        The daemon logs where it serves what, answers over HTTP and logs
        each request.
        """
        port = free_port()
        path = self.site_config(extra=f"[server]\nlisten = http://127.0.0.1:{port}\n")
        process = self.start("--config", path)
        info = json.loads(self.wait_for(f"http://127.0.0.1:{port}/info", process))
        self.assertEqual(info["origin"], HOST)
        log = self.daemon_log()
        self.assertIn(f"Listening on tcp:{port}:interface=127.0.0.1", log)
        self.assertIn(os.path.join(self.directory, "comments.db"), log)
        self.assertIn(HOST, log)
        self.assertRegex(log, r'"GET /info HTTP/1.1" 200')

    def test_moderation_and_refusals_logged(self) -> None:
        """
        The log says which comment waits for moderation and why a comment
        was refused.
        """
        port = free_port()
        path = self.site_config(
            extra=f"[server]\nlisten = http://127.0.0.1:{port}\n"
            "[moderation]\nenabled = true\n[guard]\nratelimit = 1\n"
        )
        process = self.start("--config", path)
        base = f"http://127.0.0.1:{port}"
        self.wait_for(f"{base}/info", process)
        codes = []
        for text in ("The first comment", "The second comment"):
            request = urllib.request.Request(
                f"{base}/new?uri=/logged/",
                data=json.dumps({"text": text, "title": "Logged"}).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request) as response:
                    codes.append(response.status)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
        self.assertEqual(codes, [202, 403])
        deadline = time.monotonic() + 10
        while "ratelimit exceeded" not in self.daemon_log():
            self.assertLess(time.monotonic(), deadline, self.daemon_log())
            time.sleep(0.1)
        log = self.daemon_log()
        self.assertIn("Comment 1 on /logged/ awaits moderation", log)
        self.assertIn(
            "Refused a comment on /logged/ from 127.0.0.0: "
            "127.0.0.0: ratelimit exceeded (1)", log
        )

    def test_settings_from_environment(self) -> None:
        port = free_port()
        path = self.site_config(extra=f"[server]\nlisten = http://127.0.0.1:{port}\n")
        process = self.start(env=dict(self.environ, ISSO_SETTINGS=path))
        self.wait_for(f"http://127.0.0.1:{port}/info", process)

    def test_unix_socket_and_tcp(self) -> None:
        """
        A site listens on every address given, here a unix socket and a TCP
        port; requests on the socket come from the local proxy, whose
        X-Forwarded-For is believed.
        """
        port = free_port()
        sock = os.path.join(short_temp_dir(self), "isso.sock")
        path = self.site_config(
            extra=f"[server]\nlisten =\n    unix://{sock}\n    http://127.0.0.1:{port}\n"
        )
        process = self.start("--config", path)
        self.wait_for(f"http://127.0.0.1:{port}/info", process)
        body = json.dumps({"text": "Through the socket", "title": "S"}).encode()
        request = (
            b"POST /new?uri=/s/ HTTP/1.1\r\nHost: comments.example\r\n"
            b"Content-Type: application/json\r\nX-Forwarded-For: 203.0.113.9\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(sock)
            s.sendall(request)
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 201 "), answer[-300:])
        with sqlite3.connect(os.path.join(self.directory, "comments.db")) as db:
            self.assertEqual(
                db.execute("SELECT remote_addr FROM comments").fetchall(),
                [("203.0.113.0",)],
            )

    def test_listen_option_overrides(self) -> None:
        port = free_port()
        path = self.site_config(extra="[server]\nlisten = http://127.0.0.1:1\n")
        process = self.start("-c", path, "--listen", f"tcp:{port}:interface=127.0.0.1")
        self.wait_for(f"http://127.0.0.1:{port}/info", process)

    def test_sample_configuration(self) -> None:
        """
        The shipped sample serves the demo page once its database path
        points somewhere writable (as C{make run} does).
        """
        with open(os.path.join(ROOT, "etc", "isso", "isso.cfg"), encoding="utf-8") as f:
            sample = f.read()
        sample = sample.replace(
            "dbpath = /var/lib/isso-tx/comments.db", "dbpath = comments.db"
        )
        path = self.write("isso.cfg", sample)
        port = free_port()
        process = self.start("-c", path, "--listen", f"tcp:{port}:interface=127.0.0.1")
        page = self.wait_for(f"http://127.0.0.1:{port}/demo/", process)
        self.assertIn(b"isso-thread", page)
