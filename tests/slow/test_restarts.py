"""
Restarts lose nothing: a daemon stopped with SIGTERM finishes what it has
begun, a rolling restart of two daemons behind nginx and the restart of a
socket-activated daemon fail no request and lose no comment.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time

from twisted.trial.unittest import SynchronousTestCase

from ..paths import short_temp_dir
from .daemons import Daemon, Load, request
from .nginx import Nginx, free_port

# How long the load runs at least, in seconds.
LOAD_SECONDS = 3.0


def held_post(port: int, text: str) -> tuple[socket.socket, bytes]:
    """
    Open a connection to the daemon and send a comment's request head and
    the first half of its body; return the socket and the rest of the body.
    """
    body = json.dumps({"text": text, "title": "Held"}).encode()
    head = (
        b"POST /new?uri=/held/ HTTP/1.1\r\nHost: comments.example\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    half = len(body) // 2
    conn.sendall(head + body[:half])
    return conn, body[half:]


def read_answer(conn: socket.socket) -> bytes:
    answer = b""
    while chunk := conn.recv(65536):
        answer += chunk
    return answer


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


class RestartMixin:
    """
    A site's configuration shared by every daemon of a test, on one SQLite
    file, with the guard off (the load comes from one address).
    """

    def setUp(self) -> None:
        self.directory = short_temp_dir(self)
        self.database = os.path.join(self.directory, "comments.db")
        self.config = os.path.join(self.directory, "site.cfg")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(
                f"[general]\ndbpath = {self.database}\nhost = http://example.org\n"
                "[guard]\nenabled = false\n"
            )

    def daemon(self, name: str, address: str, **kwargs) -> Daemon:
        return Daemon(self, self.directory, name, self.config, address, **kwargs)

    def stored(self) -> dict[int, str]:
        with sqlite3.connect(self.database) as db:
            return dict(db.execute("SELECT id, text FROM comments").fetchall())

    def assertNothingLost(self, load: Load) -> None:
        """
        Every request got its normal answer, and every comment acknowledged
        is in the database.
        """
        self.assertEqual(load.failures, [])
        self.assertGreater(len(load.acknowledged), 10)
        self.assertGreater(load.gets, 10)
        stored = self.stored()
        missing = {i: t for i, t in load.acknowledged.items() if stored.get(i) != t}
        self.assertEqual(missing, {})


class GracefulStopTests(RestartMixin, SynchronousTestCase):
    def test_request_in_flight_finishes(self) -> None:
        """
        A comment whose body is still arriving when the daemon gets SIGTERM
        is stored and answered as usual; idle connections are closed and new
        ones refused at once, and the daemon then exits with status 0.
        """
        port = free_port()
        daemon = self.daemon("d", f"127.0.0.1:{port}")
        daemon.start()
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.sendall(b"GET /info HTTP/1.1\r\nHost: comments.example\r\n\r\n")
        self.assertTrue(idle.recv(65536).startswith(b"HTTP/1.1 200 "))
        conn, rest = held_post(port, "Sent while the daemon stops")
        time.sleep(0.3)
        daemon.terminate()
        stopping = time.monotonic()
        while not refused(port):
            self.assertLess(time.monotonic() - stopping, 5, daemon.log())
            time.sleep(0.05)
        # The idle keep-alive connection was closed without waiting.
        self.assertEqual(read_answer(idle), b"")
        idle.close()
        self.assertIsNone(daemon.process.poll())
        conn.sendall(rest)
        answer = read_answer(conn)
        conn.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 201 "), answer)
        self.assertIn(b"connection: close", answer.lower())
        self.assertEqual(daemon.process.wait(10), 0)
        self.assertLess(time.monotonic() - stopping, 10)
        self.assertIn("Sent while the daemon stops", self.stored().values())
        log = daemon.log()
        # The comment, and perhaps the connection of the first probe above.
        self.assertRegex(log, r"Stopping: finishing [12] request\(s\) in flight")
        self.assertNotIn("Traceback", log)

    def test_bounded(self) -> None:
        """
        A request that never finishes arriving keeps a stopping daemon no
        longer than --drain-timeout: its connection is closed and the daemon
        exits with status 0.
        """
        port = free_port()
        daemon = self.daemon("d", f"127.0.0.1:{port}")
        daemon.start("--drain-timeout", "1")
        conn, _ = held_post(port, "Never finished")
        time.sleep(0.3)
        daemon.terminate()
        stopping = time.monotonic()
        self.assertEqual(daemon.process.wait(10), 0)
        self.assertLess(time.monotonic() - stopping, 5)
        self.assertGreater(time.monotonic() - stopping, 0.9)
        try:
            self.assertEqual(read_answer(conn), b"")
        except ConnectionResetError:
            pass
        conn.close()
        self.assertEqual(self.stored(), {})
        self.assertIn("still busy after 1 s", daemon.log())


class RollingRestartTests(RestartMixin, SynchronousTestCase):
    def rolling_restart(self, addresses: list[str]) -> None:
        """
        Two daemons on one database behind nginx; restart each in turn
        while clients send requests through nginx.
        """
        daemons = [
            self.daemon(f"d{n}", address) for n, address in enumerate(addresses, 1)
        ]
        for daemon in daemons:
            daemon.start()
        nginx = Nginx(self, addresses)
        nginx.start()
        front = f"127.0.0.1:{nginx.port}"
        status, _ = request(front, "POST", "/new?uri=/load/", {"text": "First", "title": "Load"})
        self.assertEqual(status, 201, nginx.errors()[-4000:])
        load = Load(front)
        started = time.monotonic()
        load.start()
        try:
            time.sleep(0.5)
            for daemon in daemons:
                daemon.restart()
                time.sleep(0.3)
            time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
        finally:
            load.stop()
        self.assertNothingLost(load)
        # nginx did meet a stopped daemon, and passed the request on.
        errors = nginx.errors()
        self.assertTrue("while connecting to upstream" in errors, errors[-4000:])
        for daemon in daemons:
            self.assertNotIn("Traceback", daemon.log())

    def test_rolling_restart_tcp(self) -> None:
        """
        Restarting two daemons on TCP ports one after the other, behind
        nginx, fails no request and loses no comment.
        """
        self.rolling_restart([f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"])

    def test_rolling_restart_unix_socket(self) -> None:
        """
        The same with one of the daemons on a unix socket.
        """
        sock = os.path.join(self.directory, "d2.sock")
        self.rolling_restart([f"127.0.0.1:{free_port()}", f"unix:{sock}"])


class SocketActivationTests(RestartMixin, SynchronousTestCase):
    def restart_on_kept_socket(self, listening: socket.socket, address: str) -> None:
        """
        A daemon serving a socket that this test keeps, as systemd does, is
        stopped and started again while clients send requests to the socket.
        """
        listening.listen(128)
        daemon = self.daemon("a", address, inherit=listening)
        daemon.start()
        status, _ = request(address, "POST", "/new?uri=/load/", {"text": "First", "title": "Load"})
        self.assertEqual(status, 201)
        load = Load(address)
        started = time.monotonic()
        load.start()
        try:
            time.sleep(0.5)
            daemon.restart()
            time.sleep(max(0.5, LOAD_SECONDS - (time.monotonic() - started)))
        finally:
            load.stop()
        self.assertNothingLost(load)
        self.assertNotIn("Traceback", daemon.log())

    def test_restart_inet(self) -> None:
        """
        Restarting a socket-activated daemon on a TCP socket fails no
        request: clients wait in the socket's queue meanwhile.
        """
        listening = socket.socket()
        self.addCleanup(listening.close)
        listening.bind(("127.0.0.1", 0))
        self.restart_on_kept_socket(listening, f"127.0.0.1:{listening.getsockname()[1]}")

    def test_restart_unix(self) -> None:
        """
        The same on a unix socket, whose path outlives the daemon.
        """
        path = os.path.join(self.directory, "activated.sock")
        listening = socket.socket(socket.AF_UNIX)
        self.addCleanup(listening.close)
        listening.bind(path)
        self.restart_on_kept_socket(listening, f"unix:{path}")
        self.assertTrue(os.path.exists(path))
