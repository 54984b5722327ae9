"""
The deployment Isso's tutorials describe, driven as its visitors drive it:
two blogs in one daemon (C{twistd -n --pidfile= isso -c blog1.cfg -c
blog2.cfg}) on 127.0.0.1, a real nginx on the same host in front of it
appending each visitor's address to C{X-Forwarded-For}, and no
C{[server] trusted-proxies}.

Visitors must reach nginx from addresses of their own that are not on the
loopback network: a peer on 127.0.0.0/8 is itself trusted as a local proxy
(and every 127.0.0.x is one /24 once anonymised), so loopback visitors
would say nothing about how real ones are told apart.  The tests therefore
run nginx, the daemon and the visitors in a network namespace of their own
whose loopback interface also carries three documentation addresses; making
one needs root (CAP_SYS_ADMIN), and the tests are skipped without it.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from ..paths import short_temp_dir
from .daemons import ROOT, TWISTD, Daemon
from .nginx import Nginx, NginxMissing, free_port, nginx_binary

CLONE_NEWNET = 0x40000000

# Three visitors in three /24 networks (addresses are compared once
# anonymised to their /24), none of them on the loopback network.
ANN = "198.51.100.10"
BOB = "203.0.113.20"
CAROL = "192.0.2.30"
VISITORS = (ANN, BOB, CAROL)

GUIDE_CONFIG = """\
[general]
name = {name}
dbpath = {name}.db
host = http://{name}.example/

[server]
listen = http://127.0.0.1:{port}/

[guard]
enabled = true
ratelimit = 2
"""


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def enter_private_network(case: SynchronousTestCase) -> None:
    """
    Move the calling thread (and so every process it starts from now on)
    into a new network namespace whose loopback interface is up and also
    carries the addresses of L{VISITORS}; move it back when C{case} ends.

    @raise SkipTest: when this process may not make a network namespace.
    """
    if os.geteuid() != 0:
        raise SkipTest("needs root to give visitors addresses of their own (a network namespace)")
    try:
        nginx_binary()
    except NginxMissing as e:
        raise SkipTest(str(e))
    libc = _libc()
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    case.addCleanup(os.close, home)
    if libc.unshare(CLONE_NEWNET) != 0:
        raise SkipTest(f"cannot make a network namespace: {os.strerror(ctypes.get_errno())}")

    def leave() -> None:
        if libc.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "cannot return to the host's network")

    case.addCleanup(leave)
    commands = [["ip", "link", "set", "lo", "up"]]
    commands += [["ip", "addr", "add", f"{a}/32", "dev", "lo"] for a in VISITORS]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)


@dataclass
class Answer:
    """
    What a visitor got back from nginx.
    """

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """
        The body, read as JSON.
        """
        return json.loads(self.body)

    def cookies(self) -> list[str]:
        """
        Every C{Set-Cookie} value, in order.
        """
        return self.headers.get_all("Set-Cookie") or []


class Visitor:
    """
    A browser at C{address}, talking to nginx on 127.0.0.1:C{port}.
    """

    def __init__(self, address: str, port: int) -> None:
        self.address = address
        self.port = port

    def ask(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """
        Send one request on a connection of its own, from this visitor's
        address, and return the answer.
        """
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            sent = {"Host": "comments.example", "Accept": "application/json",
                    "Connection": "close", **(headers or {})}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()

    def comment(
        self,
        blog: str | None,
        text: str,
        uri: str = "/post/",
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> Answer:
        """
        Post a comment on C{uri} of C{blog} (None: the only site), as the
        embedded client does: with the page's title.
        """
        base = f"/{blog}" if blog else ""
        body = {"text": text, "title": "A post", **fields}
        return self.ask("POST", f"{base}/new?uri={uri}", body, headers)


class GuideDeploymentTests(SynchronousTestCase):
    """
    Two blogs in one daemon behind nginx, set up as Isso's guides show.
    """

    def setUp(self) -> None:
        enter_private_network(self)
        self.directory = short_temp_dir(self)
        self.port = free_port()
        for name in ("blog1", "blog2"):
            with open(os.path.join(self.directory, f"{name}.cfg"), "w") as f:
                f.write(GUIDE_CONFIG.format(name=name, port=self.port))
        self.start_daemon()
        self.nginx = Nginx(self, [f"127.0.0.1:{self.port}"])
        self.nginx.start()
        self.ann, self.bob, self.carol = (Visitor(a, self.nginx.port) for a in VISITORS)

    def start_daemon(self) -> None:
        """
        Start the daemon with the guide's command line and wait until both
        blogs answer.
        """
        environ = dict(os.environ, PYTHONPATH=ROOT)
        environ.pop("ISSO_SETTINGS", None)
        self.log_path = os.path.join(self.directory, "isso.log")
        with open(self.log_path, "wb") as log:
            self.daemon = subprocess.Popen(
                [*TWISTD, "-n", "--pidfile=", "isso", "-c", "blog1.cfg", "-c", "blog2.cfg"],
                cwd=self.directory, env=environ, stdout=log, stderr=subprocess.STDOUT,
            )
        self.addCleanup(self.stop_daemon)
        deadline = time.monotonic() + 30
        for blog in ("blog1", "blog2"):
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("GET", f"/{blog}/info")
                    if conn.getresponse().status == 200:
                        conn.close()
                        break
                    conn.close()
                except OSError:
                    pass
                if self.daemon.poll() is not None or time.monotonic() > deadline:
                    self.fail(f"the daemon does not answer:\n{self.daemon_log()}")
                time.sleep(0.05)

    def stop_daemon(self) -> None:
        """
        Stop the daemon as systemd would (SIGTERM), killing it if it hangs.
        """
        if self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(20)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait(10)

    def daemon_log(self) -> str:
        """
        What the daemon has written so far, access log included.
        """
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def posted(self, answer: Answer) -> dict[str, Any]:
        """
        The comment a 201 answer carries; fails the test with the answer
        and the daemon's log otherwise.
        """
        if answer.status != 201:
            self.fail(f"{answer.status} {answer.body!r}\n{self.daemon_log()}")
        return answer.json()

    def stored_addresses(self, blog: str) -> dict[str, str]:
        """
        Each comment's text and the (anonymised) address it was stored with.
        """
        with sqlite3.connect(os.path.join(self.directory, f"{blog}.db")) as db:
            return dict(db.execute("SELECT text, remote_addr FROM comments"))

    def test_second_visitor_upvote_counts(self) -> None:
        """
        Another visitor's upvote of a comment is counted, while its author's
        own upvote is not.
        """
        first = self.posted(self.ann.comment("blog1", "Ann's comment"))
        like = f"/blog1/id/{first['id']}/like"
        own = self.ann.ask("POST", like).json()
        self.assertEqual((own["likes"], own["dislikes"]), (0, 0))
        self.assertIn("already been registered for this remote address: 198.51.100.0",
                      own["message"])
        for n, voter in enumerate((self.bob, self.carol), start=1):
            vote = voter.ask("POST", like)
            self.assertEqual((vote.status, vote.json()), (200, {"likes": n, "dislikes": 0}))
        again = self.bob.ask("POST", like).json()
        self.assertEqual((again["likes"], again["dislikes"]), (2, 0))
        self.assertIn("203.0.113.0", again["message"])

    def test_reply_from_another_visitor(self) -> None:
        """
        Another visitor may reply at once to a fresh comment; only its
        author is told the edit time frame is still open.
        """
        first = self.posted(self.ann.comment("blog1", "Ann asks"))
        own = self.ann.comment("blog1", "Ann answers herself", parent=first["id"])
        self.assertEqual(own.status, 403, own.body)
        self.assertIn("edit time frame is still open", own.json()["message"])
        reply = self.posted(self.bob.comment("blog1", "Bob answers", parent=first["id"]))
        self.assertEqual(reply["parent"], first["id"])

    def test_rate_limit_per_visitor(self) -> None:
        """
        A visitor who has posted twice in a minute is refused, while another
        visitor can still post.
        """
        for n in (1, 2):
            self.posted(self.ann.comment("blog1", f"Ann's comment {n}"))
        third = self.ann.comment("blog1", "Ann's comment 3")
        self.assertEqual(third.status, 403, third.body)
        self.assertIn("198.51.100.0: ratelimit exceeded", third.json()["message"])
        for n in (1, 2):
            self.posted(self.bob.comment("blog1", f"Bob's comment {n}"))
        self.assertEqual(self.bob.comment("blog1", "Bob's comment 3").status, 403)

    def test_forged_header_does_not_change_the_visitor(self) -> None:
        """
        A visitor who sends another visitor's address in X-Forwarded-For is
        still counted as themself: their comments use up their own rate
        limit, not the other visitor's, and their vote counts as theirs.
        """
        forged = {"X-Forwarded-For": BOB}
        first = self.posted(self.bob.comment("blog1", "Bob's comment"))
        for n in (1, 2):
            self.posted(self.ann.comment("blog1", f"Ann as Bob {n}", headers=forged))
        third = self.ann.comment("blog1", "Ann as Bob 3", headers=forged)
        self.assertEqual(third.status, 403, third.body)
        self.assertIn("198.51.100.0: ratelimit exceeded", third.json()["message"])
        # Bob has used one of his two comments, whatever Ann claimed.
        self.posted(self.bob.comment("blog1", "Bob's second comment"))
        self.assertEqual(
            self.stored_addresses("blog1"),
            {"Bob's comment": "203.0.113.0", "Bob's second comment": "203.0.113.0",
             "Ann as Bob 1": "198.51.100.0", "Ann as Bob 2": "198.51.100.0"},
        )
        vote = self.ann.ask("POST", f"/blog1/id/{first['id']}/like", headers=forged)
        self.assertEqual(vote.json(), {"likes": 1, "dislikes": 0})

    def test_access_log_names_visitors(self) -> None:
        """
        The daemon's access log shows each visitor's own address, even one
        who forged X-Forwarded-For, and never nginx's.
        """
        self.posted(self.ann.comment("blog1", "Ann's comment"))
        self.assertEqual(self.bob.ask("GET", "/blog1/?uri=/post/").status, 200)
        self.assertEqual(
            self.carol.ask("GET", "/blog2/config", headers={"X-Forwarded-For": ANN}).status,
            200,
        )
        # The access line is written once the answer is sent; give the
        # daemon a moment to flush it.
        expected = [
            f'{ANN} "POST /blog1/new?uri=/post/ HTTP/1.0" 201',
            f'{BOB} "GET /blog1/?uri=/post/ HTTP/1.0" 200',
            f'{CAROL} "GET /blog2/config HTTP/1.0" 200',
        ]
        deadline = time.monotonic() + 5
        while not all(line in self.daemon_log() for line in expected):
            if time.monotonic() > deadline:
                self.fail(f"expected {expected} in:\n{self.daemon_log()}")
            time.sleep(0.05)
        # nginx forwards in HTTP/1.0; the start-up probes came directly.
        access = [line for line in self.daemon_log().splitlines() if 'HTTP/1.0"' in line]
        self.assertEqual(len(access), 3, access)
        self.assertFalse([line for line in access if '127.0.0.1 "' in line], access)

    def test_both_blogs_with_their_own_cookies(self) -> None:
        """
        Both blogs answer through nginx under /blog1/ and /blog2/, each
        with its own comments and edit cookies for its own path.
        """
        one = self.ann.comment("blog1", "On the first blog")
        two = self.ann.comment("blog2", "On the second blog")
        self.assertEqual((self.posted(one)["id"], self.posted(two)["id"]), (1, 1))
        (cookie1,) = one.cookies()
        (cookie2,) = two.cookies()
        self.assertIn("Path=/blog1/", cookie1)
        self.assertIn("Path=/blog2/", cookie2)
        # nginx said the visitor came over http: no Secure attribute.
        self.assertNotIn("Secure", cookie1)
        for blog, text in (("blog1", "On the first blog"), ("blog2", "On the second blog")):
            listed = self.bob.ask("GET", f"/{blog}/?uri=/post/").json()
            self.assertEqual([c["text"] for c in listed["replies"]], [f"<p>{text}</p>"])
        # Each blog keeps its own rate limit: Ann may post once more on each.
        self.posted(self.ann.comment("blog1", "Second on the first blog"))
        self.posted(self.ann.comment("blog2", "Second on the second blog"))
        # The browser sends blog1's cookie back to /blog1/ only; there it
        # lets Ann edit, and at blog2's comment of the same id it would not.
        sent = {"Cookie": cookie1.split(";")[0]}
        edit = self.ann.ask("PUT", "/blog1/id/1", {"text": "Edited on the first blog"},
                            headers=sent)
        self.assertEqual(edit.status, 200, edit.body)
        self.assertEqual(edit.json()["text"], "<p>Edited on the first blog</p>")
        wrong = self.ann.ask("PUT", "/blog2/id/1", {"text": "Not mine"}, headers=sent)
        self.assertEqual(wrong.status, 403, wrong.body)


class UntrustedProxyTests(SynchronousTestCase):
    """
    nginx in front of a daemon whose trusted-proxies names another host.
    """

    def test_one_warning_naming_trusted_proxies(self) -> None:
        """
        The owner sees one warning naming C{[server] trusted-proxies} however
        many requests nginx forwards, and the visitors count as nginx.
        """
        try:
            nginx_binary()
        except NginxMissing as e:
            raise SkipTest(str(e))
        directory = short_temp_dir(self)
        config = os.path.join(directory, "blog.cfg")
        with open(config, "w") as f:
            f.write(
                "[general]\ndbpath = blog.db\nhost = http://blog.example/\n"
                "[server]\ntrusted-proxies = 10.9.9.9\n"
                "[guard]\nenabled = true\nratelimit = 2\n"
            )
        port = free_port()
        daemon = Daemon(self, directory, "isso", config, f"127.0.0.1:{port}")
        daemon.start()
        nginx = Nginx(self, [f"127.0.0.1:{port}"])
        nginx.start()
        visitor = Visitor("127.0.0.1", nginx.port)
        statuses = []
        for n in range(4):
            statuses.append(visitor.comment(None, f"Comment {n}").status)
            statuses.append(visitor.ask("GET", "/?uri=/post/").status)
            statuses.append(visitor.ask("GET", "/config",
                                        headers={"X-Forwarded-For": ANN}).status)
        # Every comment counted as nginx's: the third is refused.
        self.assertEqual(statuses[::3], [201, 201, 403, 403])
        self.assertEqual(set(statuses) - {201, 403}, {200})
        log = daemon.log()
        warnings = [line for line in log.splitlines() if "X-Forwarded-For" in line]
        self.assertEqual(len(warnings), 1, log)
        self.assertIn("127.0.0.1", warnings[0])
        self.assertIn("[server] trusted-proxies", warnings[0])
