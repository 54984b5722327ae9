"""
Two daemons (C{twistd -n isso}, same configuration) serving one database (a
SQLite file here; tests/slow/test_postgres_daemons.py runs them again on
PostgreSQL), as behind a load balancer: a write acknowledged by one is in the very next
answer of the other, and nothing a user sees depends on which one answers.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import threading
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from twisted.trial.unittest import SynchronousTestCase

from ..pgcluster import fresh_database
from .test_tap import HOST, ROOT, TWISTD, free_port

# How often each kind of write is tried, alternating the daemons.
ROUNDS = 20
PASSWORD = "correct horse battery staple"


class Daemon:
    """
    One running daemon, and an HTTP client of it (as seen through a
    trusted proxy on the loopback network, which names the reader in
    X-Forwarded-For).
    """

    def __init__(self, case: SynchronousTestCase, directory: str, name: str) -> None:
        self.port = free_port()
        self.log_path = os.path.join(directory, f"{name}.log")
        log = open(self.log_path, "w")
        case.addCleanup(log.close)
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
        env.pop("ISSO_SETTINGS", None)
        self.process = subprocess.Popen(
            TWISTD + ["-c", "site.cfg", "--listen", f"tcp:{self.port}:interface=127.0.0.1"],
            cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT,
        )

        def stop() -> None:
            self.process.terminate()
            self.process.wait(20)

        case.addCleanup(stop)

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8") as f:
            return f.read()

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                self.request("GET", "/info")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the daemon did not start:\n{self.log()}")
                time.sleep(0.1)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        reader: str = "198.51.100.1",
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"X-Forwarded-For": reader, "Origin": HOST}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, data, headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def thread(self, uri: str) -> list[dict[str, Any]]:
        """
        Return the published comments of a thread, replies included.
        """
        code, _, body = self.request("GET", f"/?uri={uri}")
        if code == 404:
            return []
        assert code == 200, (code, body)
        comments = []
        for comment in json.loads(body)["replies"]:
            comments.append(comment)
            comments.extend(comment.get("replies", []))
        return comments

    def new_comment(self, uri: str, text: str) -> tuple[int, dict[str, str]]:
        """
        Write a comment; return its id and its author's edit cookie.
        """
        code, headers, body = self.request(
            "POST", f"/new?uri={uri}", {"text": text, "author": "Ann", "title": "A page"}
        )
        assert code in (201, 202), (code, body)
        cookie = SimpleCookie(headers["Set-Cookie"])
        return json.loads(body)["id"], {k: m.value for k, m in cookie.items()}


class TwoDaemons(SynchronousTestCase):
    """
    Two daemons of one configuration on one database.
    """

    extra = ""
    # The [general] section's settings beyond the database and the host.
    general = ""
    # The [guard] section's settings.
    guard = "enabled = false\n"
    # Where the site keeps its comments: "sqlite" (a file in the test's
    # folder) or "postgresql" (a fresh database of tests/pgcluster.py).
    backend = "sqlite"

    def setUp(self) -> None:
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        dbpath = fresh_database(self) if self.backend == "postgresql" else "comments.db"
        with open(os.path.join(self.directory, "site.cfg"), "w") as f:
            f.write(
                f"[general]\ndbpath = {dbpath}\nhost = {HOST}\nnotify = stdout\n"
                f"{self.general}"
                f"[guard]\n{self.guard}"
                f"[admin]\nenabled = true\npassword = {PASSWORD}\n" + self.extra
            )
        # The first creates the database; the second opens it as it is.
        first = Daemon(self, self.directory, "first")
        first.wait_until_serving()
        second = Daemon(self, self.directory, "second")
        second.wait_until_serving()
        self.daemons = (first, second)

    def pairs(self):
        """
        Yield (writer, reader) ROUNDS times, alternating the daemons.
        """
        for i in range(ROUNDS):
            yield i, self.daemons[i % 2], self.daemons[1 - i % 2]

    def at_once(self, send: Any, count: int) -> list[Any]:
        """
        Call C{send(daemon, n)} for n in range(count) from as many threads,
        released together, alternating the daemons; return the results in
        order of n.
        """
        results: list[Any] = [None] * count
        start = threading.Barrier(count)

        def run(n: int) -> None:
            start.wait()
            results[n] = send(self.daemons[n % 2], n)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def sign_in(self, daemon: Daemon, reader: str = "198.51.100.9") -> dict[str, str]:
        code, headers, body = daemon.request(
            "POST", "/login/", form={"password": PASSWORD}, reader=reader
        )
        self.assertEqual(code, 302, body)
        cookie = SimpleCookie(headers["Set-Cookie"])
        return {"isso-tx-admin": cookie["isso-tx-admin"].value}

    def csrf(self, daemon: Daemon, session: dict[str, str]) -> str:
        code, _, body = daemon.request("GET", "/admin/?mode=2", cookies=session)
        self.assertEqual(code, 200)
        return re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()


class ReadYourWritesTests(TwoDaemons):
    """
    Readers' writes, each read back at once from the other daemon, whose
    answer for the thread was cached just before.
    """

    def test_new_comment(self) -> None:
        """
        A new comment is in the other daemon's next answer, every time.
        """
        seen = 0
        for i, writer, reader in self.pairs():
            reader.thread("/new/")
            comment_id, _ = writer.new_comment("/new/", f"comment {i}")
            seen += comment_id in [c["id"] for c in reader.thread("/new/")]
        self.assertEqual(seen, ROUNDS)

    def test_edit(self) -> None:
        """
        An edit, made with the edit cookie the other daemon gave, is in the
        other daemon's next answer, every time.
        """
        comment_id, cookies = self.daemons[0].new_comment("/edit/", "first")
        seen = 0
        for i, writer, reader in self.pairs():
            reader.thread("/edit/")
            code, _, body = writer.request(
                "PUT", f"/id/{comment_id}", {"text": f"edit {i}"}, cookies=cookies
            )
            self.assertEqual(code, 200, body)
            [comment] = reader.thread("/edit/")
            seen += comment["text"] == f"<p>edit {i}</p>"
        self.assertEqual(seen, ROUNDS)

    def test_delete(self) -> None:
        """
        A deleted comment is gone from the other daemon's next answer,
        every time.
        """
        made = [
            self.daemons[i % 2].new_comment("/delete/", f"comment {i}")
            for i in range(ROUNDS)
        ]
        gone = 0
        for i, writer, reader in self.pairs():
            reader.thread("/delete/")
            comment_id, cookies = made[i]
            code, _, body = writer.request("DELETE", f"/id/{comment_id}", cookies=cookies)
            self.assertEqual(code, 200, body)
            gone += comment_id not in [c["id"] for c in reader.thread("/delete/")]
        self.assertEqual(gone, ROUNDS)

    def test_vote(self) -> None:
        """
        A vote is counted in the other daemon's next answer, every time; a
        second vote from the same network, on the other daemon, is not.
        """
        comment_id, _ = self.daemons[0].new_comment("/vote/", "like me")
        seen = 0
        for i, writer, reader in self.pairs():
            reader.thread("/vote/")
            code, _, body = writer.request(
                "POST", f"/id/{comment_id}/like", reader=f"203.0.{i + 1}.7"
            )
            self.assertEqual((code, json.loads(body)["likes"]), (200, i + 1))
            [comment] = reader.thread("/vote/")
            seen += comment["likes"] == i + 1
        self.assertEqual(seen, ROUNDS)
        _, _, body = self.daemons[1].request(
            "POST", f"/id/{comment_id}/like", reader="203.0.1.7"
        )
        self.assertEqual(json.loads(body)["likes"], ROUNDS)


class CachedReadsTests(TwoDaemons):
    """
    Counts, feeds and the latest comments, which each daemon answers from
    memory, read back at once from the other daemon after a write.
    """

    general = "latest-enabled = true\n"
    extra = f"[rss]\nbase = {HOST}\n"

    def read(self, daemon: Daemon, uri: str) -> tuple[int, int, list[int]]:
        """
        Return a thread's count, the number of entries of its feed and the
        ids of the latest comments, as C{daemon} answers them.
        """
        code, _, counts = daemon.request("POST", "/count", [uri])
        self.assertEqual(code, 200, counts)
        code, _, feed = daemon.request("GET", f"/feed?uri={uri}")
        self.assertEqual(code, 200, feed)
        code, _, latest = daemon.request("GET", "/latest?limit=100")
        self.assertEqual(code, 200, latest)
        return (
            json.loads(counts)[0],
            feed.count(b"<entry>"),
            [c["id"] for c in json.loads(latest)],
        )

    def test_new_comment(self) -> None:
        """
        A new comment is in the other daemon's next count, feed and latest
        comments, every time.
        """
        seen = 0
        for i, writer, reader in self.pairs():
            self.read(reader, "/counted/")
            comment_id, _ = writer.new_comment("/counted/", f"comment {i}")
            count, entries, latest = self.read(reader, "/counted/")
            seen += (count, entries, latest[-1]) == (i + 1, i + 1, comment_id)
        self.assertEqual(seen, ROUNDS)

    def test_delete(self) -> None:
        """
        A deleted comment is gone from the other daemon's next count, feed
        and latest comments, every time.
        """
        made = [
            self.daemons[i % 2].new_comment("/uncounted/", f"comment {i}")
            for i in range(ROUNDS)
        ]
        gone = 0
        for i, writer, reader in self.pairs():
            self.read(reader, "/uncounted/")
            comment_id, cookies = made[i]
            code, _, body = writer.request("DELETE", f"/id/{comment_id}", cookies=cookies)
            self.assertEqual(code, 200, body)
            count, entries, latest = self.read(reader, "/uncounted/")
            gone += (count, entries) == (ROUNDS - i - 1,) * 2 and comment_id not in latest
        self.assertEqual(gone, ROUNDS)


class ModerationTests(TwoDaemons):
    """
    Publishing comments that waited for approval, from a mail's link or
    the admin panel of either daemon.
    """

    extra = "[moderation]\nenabled = true\n"

    def activation_path(self, daemon: Daemon, comment_id: int) -> str:
        """
        Return the path of the activation link C{daemon} logged for a new
        comment (its notifier prints what a mail would hold).
        """
        pattern = re.compile(rf"Activate comment {comment_id}: (\S+)")
        deadline = time.monotonic() + 10
        while (found := pattern.search(daemon.log())) is None:
            self.assertLess(time.monotonic(), deadline, daemon.log())
            time.sleep(0.02)
        return urlsplit(found.group(1)).path

    def test_mail_link(self) -> None:
        """
        A comment published through the link one daemon made is in the
        other daemon's next answer, every time.
        """
        seen = 0
        for i, writer, reader in self.pairs():
            comment_id, _ = reader.new_comment("/mail/", f"pending {i}")
            path = self.activation_path(reader, comment_id)
            self.assertNotIn(comment_id, [c["id"] for c in reader.thread("/mail/")])
            code, _, body = writer.request("POST", path)
            self.assertEqual(code, 200, body)
            seen += comment_id in [c["id"] for c in reader.thread("/mail/")]
        self.assertEqual(seen, ROUNDS)

    def test_admin_approve(self) -> None:
        """
        A comment approved in one daemon's admin panel (signed in on the
        other) is in the other daemon's next answer, every time.
        """
        session = self.sign_in(self.daemons[0])
        seen = 0
        for i, writer, reader in self.pairs():
            comment_id, _ = reader.new_comment("/approve/", f"pending {i}")
            reader.thread("/approve/")
            code, _, body = writer.request(
                "POST",
                "/admin/action",
                form={
                    "csrf": self.csrf(writer, session),
                    "action": "activate",
                    "id": str(comment_id),
                },
                cookies=session,
            )
            self.assertEqual(code, 303, body)
            seen += comment_id in [c["id"] for c in reader.thread("/approve/")]
        self.assertEqual(seen, ROUNDS)


class AdminTests(TwoDaemons):
    """
    The owner's sign-in, whichever daemon answers.
    """

    def test_sign_out_everywhere(self) -> None:
        """
        A session opened on one daemon opens the panel on the other, and
        once signed out on one, neither accepts it.
        """
        first, second = self.daemons
        session = self.sign_in(first)
        self.assertEqual(second.request("GET", "/admin/", cookies=session)[0], 200)
        code, headers, _ = second.request(
            "POST", "/logout/", form={"csrf": self.csrf(second, session)},
            cookies=session,
        )
        self.assertEqual((code, headers["Location"]), (303, "/login/?bye=1"))
        for daemon in self.daemons:
            code, headers, _ = daemon.request("GET", "/admin/", cookies=session)
            self.assertEqual((code, headers["Location"]), (302, "/login/"))

    def test_throttle_counts_both(self) -> None:
        """
        Five wrong passwords from one network, spread over both daemons,
        close sign-in from that network on both, even with the right one.
        """
        for i in range(5):
            code, _, _ = self.daemons[i % 2].request(
                "POST", "/login/", form={"password": "guess"}, reader="203.0.113.5"
            )
            self.assertEqual(code, 403)
        for daemon in self.daemons:
            code, headers, _ = daemon.request(
                "POST", "/login/", form={"password": PASSWORD}, reader="203.0.113.6"
            )
            self.assertEqual(code, 429)
            # Fifteen minutes from the first failure, a moment ago.
            self.assertIn(headers["Retry-After"], ("899", "900"))
        self.sign_in(self.daemons[1], reader="198.51.100.77")

    def test_throttle_counts_simultaneous(self) -> None:
        """
        Of twelve wrong passwords sent at once from one network to both
        daemons, five are answered as wrong and the rest refused for now.
        """
        for round in range(3):
            reader = f"198.18.{round + 20}.5"
            codes = self.at_once(
                lambda daemon, n: daemon.request(
                    "POST", "/login/", form={"password": "guess"}, reader=reader
                )[0],
                12,
            )
            self.assertEqual(sorted(codes), [403] * 5 + [429] * 7)


class GuardTests(TwoDaemons):
    """
    The spam guard's limits, whichever daemon a post lands on.
    """

    guard = "enabled = true\nratelimit = 3\ndirect-reply = 100\n"

    def test_ratelimit_simultaneous(self) -> None:
        """
        Of ten comments posted at once from one network to both daemons,
        only as many as the rate limit allows are accepted.
        """
        for round in range(3):
            reader = f"198.18.{round + 40}.5"
            codes = self.at_once(
                lambda daemon, n: daemon.request(
                    "POST", f"/new?uri=/guard/{round}/",
                    {"text": f"comment {n}", "title": "A page"}, reader=reader,
                )[0],
                10,
            )
            self.assertEqual(sorted(codes), [201] * 3 + [403] * 7)


class SpamRulesTests(TwoDaemons):
    """
    The owner's spam rules, added and deleted in one daemon's admin panel,
    obeyed by the other from the next post on.
    """

    def rules_form(self, daemon: Daemon, session: dict[str, str], **form: str) -> str:
        """
        Post the rules page's form to C{daemon}; return where it leads.
        """
        code, _, page = daemon.request("GET", "/admin/rules", cookies=session)
        self.assertEqual(code, 200)
        csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        code, headers, body = daemon.request(
            "POST", "/admin/rules", form={"csrf": csrf, **form}, cookies=session
        )
        self.assertEqual(code, 303, body)
        return headers["Location"]

    def test_rule_at_once(self) -> None:
        """
        Every time, a rule added on one daemon refuses the very next post
        on the other (403, X-Isso-Refusal: rule), and once deleted on that
        one lets the next post on the first in.
        """
        session = self.sign_in(self.daemons[0])
        obeyed = 0
        for i, writer, reader in self.pairs():
            network = f"203.0.{i + 1}.0"
            where = self.rules_form(
                writer, session, action="add", kind="network", value=network,
                rule_action="refuse", note="",
            )
            rule_id = re.search(r"id=(\d+)", where).group(1)
            code, headers, _ = reader.request(
                "POST", f"/new?uri=/rules/{i}/", {"text": "spam", "title": "t"},
                reader=f"203.0.{i + 1}.9",
            )
            refused = (code, headers["X-Isso-Refusal"]) == (403, "rule")
            self.rules_form(reader, session, action="delete", id=rule_id)
            code, _, _ = writer.request(
                "POST", f"/new?uri=/rules/{i}/", {"text": "ham!", "title": "t"},
                reader=f"203.0.{i + 1}.9",
            )
            obeyed += refused and code == 201
        self.assertEqual(obeyed, ROUNDS)

    def test_held_edit_at_once(self) -> None:
        """
        Every time, a comment edited on one daemon into what a holding rule
        matches is gone from the other daemon's next thread and count,
        though both were cached just before.
        """
        session = self.sign_in(self.daemons[0])
        self.rules_form(
            self.daemons[0], session, action="add", kind="words", value="casino",
            rule_action="hold", note="",
        )
        hidden = 0
        for i, writer, reader in self.pairs():
            uri = f"/held/{i}/"
            comment_id, cookies = writer.new_comment(uri, "A fair remark")
            self.assertEqual([c["id"] for c in reader.thread(uri)], [comment_id])
            reader.request("POST", "/count", [uri])
            code, _, body = writer.request(
                "PUT", f"/id/{comment_id}", {"text": f"casino {i}"}, cookies=cookies
            )
            self.assertEqual((code, json.loads(body)["mode"]), (200, 2))
            _, _, counts = reader.request("POST", "/count", [uri])
            hidden += reader.thread(uri) == [] and json.loads(counts) == [0]
        self.assertEqual(hidden, ROUNDS)
