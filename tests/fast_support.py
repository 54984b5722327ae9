"""
The fast test layer: a real site, answered synchronously, in memory.

A site is put together from a configuration exactly as the daemon does
(L{isso_tx.site.open_site}), with three things swapped for stand-ins that
do their work at once, in the test's own thread:

  - the reactor is a L{MemoryReactorClock} whose thread pool runs each job
    inline, so hashing, Markdown and page parsing finish before the call
    returns, and whose clock only moves when a test calls C{advance};
  - the database is an L{InlineDatabase}: each interaction runs on one
    SQLite connection, in a transaction committed or rolled back as
    adbapi does, and its Deferred has fired by the time C{run} returns;
  - requests travel through the agent of L{treq.testing.StubTreq}, which
    speaks HTTP to the site's resource over an in-memory transport (as a
    plain L{twisted.web.server.Site}: the daemon's body-size limit is the
    slow layer's to test).

A request therefore has its whole answer when it returns, and a test reads
it with C{successResultOf}.  No port is opened and no thread is started.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from http.cookiejar import CookieJar
from typing import Any, TypeVar
from urllib.parse import quote

import treq
from treq.client import HTTPClient
from treq.testing import RequestTraversalAgent
from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.client import readBody
from twisted.web.http_headers import Headers
from twisted.web.resource import IResource

from isso_tx.config import load_site_config
from isso_tx.db import _prepare_connection, prepare_database, transaction_of
from isso_tx.settings import SiteConfig
from isso_tx.site import CommentSite, open_site
from isso_tx.webhooks import BytesBody

from .support import HOST, Response, write_config

T = TypeVar("T")

# Where the test clock starts: a plausible "now" (2025-06-15), so that
# cookie expiry dates and comment times look like real ones.
START = 1_750_000_000.0

# The reader every request comes from unless a test says otherwise; the
# test site trusts the in-memory client (127.0.0.1) as a proxy.
READER = "192.0.2.10"


class InlineThreadPool:
    """
    A thread pool that runs each job at once, in the calling thread.
    """

    def callInThreadWithCallback(
        self, on_result: Callable[[bool, Any], None], f: Callable[..., Any],
        *args: Any, **kwargs: Any,
    ) -> None:
        try:
            result = f(*args, **kwargs)
        except BaseException:  # noqa: BLE001 - handed on, as ThreadPool does
            on_result(False, Failure())
        else:
            on_result(True, result)

    def callInThread(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        f(*args, **kwargs)


class InlineReactor(MemoryReactorClock):
    """
    A reactor for fast tests: a L{Clock} for time, connections recorded
    and never made, and "threads" that run inline.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pool = InlineThreadPool()
        self.advance(START)

    def getThreadPool(self) -> InlineThreadPool:
        return self._pool

    def callInThread(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        f(*args, **kwargs)

    def callFromThread(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        f(*args, **kwargs)


class InlineDatabase(Service):
    """
    A site's database that runs each interaction inline, on one connection,
    as one transaction: committed when the interaction returns, rolled back
    when it raises (as L{twisted.enterprise.adbapi} does).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection = sqlite3.connect(path)
        # The same row factory and pragmas as the daemon's pooled connection.
        _prepare_connection(self._connection)
        # Interactions run so far, for tests that count database trips.
        self.calls = 0
        self._held: list[Deferred[Any]] | None = None

    def run(
        self, interaction: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Deferred[T]:
        self.calls += 1
        cursor = self._connection.cursor()
        try:
            result = transaction_of(interaction)(cursor, *args, **kwargs)
            cursor.close()
            self._connection.commit()
        except BaseException:  # noqa: BLE001 - rolled back and handed on, as adbapi does
            failure = Failure()
            self._connection.rollback()
            return fail(failure)
        if self._held is None:
            return succeed(result)
        # Done, but its answer is still on its way back from the pool.
        late: Deferred[T] = Deferred()
        self._held.append(late)
        self._held = None
        return late.addCallback(lambda _: result)


    def hold_next(self) -> Callable[[], None]:
        """
        Let the next interaction run now but deliver its result only when
        the returned function is called, as a busy pool thread would: other
        requests may be served in between.
        """
        held: list[Deferred[Any]] = []
        self._held = held

        def release() -> None:
            for d in held:
                d.callback(None)

        return release

    def query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        """
        Read the database directly, to check what a request stored.
        """
        return self._connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: Any) -> None:
        """
        Change the database behind the site's back, on a connection of its
        own, as another program (the command line, Isso) would.
        """
        other = sqlite3.connect(self.path)
        try:
            other.execute(sql, params)
            other.commit()
        finally:
            other.close()

    def stopService(self) -> None:
        super().stopService()
        self._connection.close()


_template: list[str] = []


def seed_database(path: str) -> None:
    """
    Put an empty database of the current schema at C{path}, unless a file
    is there already.

    Creating the schema costs tens of milliseconds of disk syncs; it is
    done once per process and copied, and L{open_site} then finds a
    database it has nothing to do to.
    """
    if os.path.exists(path):
        return
    if not _template:
        directory = tempfile.mkdtemp(prefix="isso-tx-fast-")
        atexit.register(shutil.rmtree, directory, True)
        template = os.path.join(directory, "empty.db")
        prepare_database(template)
        _template.append(template)
    shutil.copyfile(_template[0], path)


def build_site(
    config: SiteConfig, reactor: InlineReactor, mount: str = "/"
) -> CommentSite:
    """
    Open and start a site on an L{InlineDatabase}, as the daemon would.
    """
    seed_database(config.general.dbpath)
    site = open_site(config, reactor, InlineDatabase(config.general.dbpath))
    site.mount = mount
    site.startService()
    return site


class Browser:
    """
    A reader's browser: keeps the cookies it is given and sends its
    network as C{X-Forwarded-For}.
    """

    def __init__(
        self,
        testcase: SynchronousTestCase,
        resource: IResource,
        base: str = HOST,
        address: str = READER,
    ) -> None:
        self._testcase = testcase
        # StubTreq's own parts, with a cookie jar the test can look into.
        self.cookies = CookieJar()
        self._agent = RequestTraversalAgent(resource)
        self._http = HTTPClient(
            self._agent,
            cookiejar=self.cookies,
            data_to_body_producer=BytesBody,
        )
        self.base = base
        self.address = address

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        form: dict[str, Any] | None = None,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Deferred[Response]:
        """
        Send one request; the Deferred fires with the whole response, at
        once unless the site waits for something (the clock, say).
        """
        sent = {"X-Forwarded-For": self.address}
        if form is not None:
            raw = _urlencode(form).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type is not None:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        if raw is None and body is not None:
            raw = json.dumps(body).encode()
        d = self._http.request(
            method,
            self.base + path,
            data=raw,
            headers=sent,
            allow_redirects=False,
        )

        async def whole(response: Any) -> Response:
            content = await treq.content(response)
            return Response(response.code, response.headers, content)

        return d.addCallback(lambda r: Deferred.fromCoroutine(whole(r)))

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Response:
        """
        Send one request and return the whole response, which the site must
        have given by the time the call returns.
        """
        return self._testcase.successResultOf(self.send(method, path, body, **kwargs))

    def flush(self) -> None:
        """
        Deliver what the site wrote after its first answer was read: needed
        only when the site waited for something (a page fetch, the clock).
        """
        self._agent.flush()

    def fetch(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> Response:
        """
        Send a request as a bare agent would: no cookies, no decoding of
        compressed bodies, only the headers given.
        """
        sent = Headers({k.encode(): [v.encode()] for k, v in (headers or {}).items()})
        d = self._agent.request(method.encode(), (self.base + path).encode(), sent)
        response = self._testcase.successResultOf(d)
        body = self._testcase.successResultOf(readBody(response))
        return Response(response.code, response.headers, body)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)

    def cookie(self, name: str) -> str | None:
        """
        Return the value of a cookie this browser holds, or None.
        """
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value
        return None

    def forget(self, name: str) -> None:
        """
        Drop one cookie, as a reader clearing it would.
        """
        for cookie in list(self.cookies):
            if cookie.name == name:
                self.cookies.clear(cookie.domain, cookie.path, cookie.name)



def _urlencode(form: dict[str, Any]) -> str:
    parts = []
    for key, value in form.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            parts.append(f"{quote(str(key), safe='')}={quote(str(v), safe='')}")
    return "&".join(parts)


class ViewTestCase(SynchronousTestCase):
    """
    A site built from C{config} (merged over L{write_config}'s base) for
    each test, and a reader's browser on it.
    """

    # Added to the base configuration of write_config.
    config = "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"

    def setUp(self) -> None:
        self.reactor = InlineReactor()
        self.site = self.open(self.config)
        self.resource = self.site.resource()
        self.browser = self.reader()

    def open(self, text: str, name: str = "site", mount: str = "/") -> CommentSite:
        """
        Build and start a site from a configuration text; it is stopped
        when the test ends.
        """
        directory = os.path.join(self.mktemp(), name)
        path = write_config(directory, text)
        site = build_site(load_site_config(path), self.reactor, mount)
        self.addCleanup(site.stopService)
        return site

    @property
    def database(self) -> InlineDatabase:
        database = self.site.database
        assert isinstance(database, InlineDatabase)
        return database

    def reader(self, address: str = READER, base: str = HOST) -> Browser:
        """
        Return another reader's browser, with cookies of its own.
        """
        return Browser(self, self.resource, base, address)

    def advance(self, seconds: float) -> None:
        """
        Let time pass on the site's clock.
        """
        self.reactor.advance(seconds)

    def post_comment(
        self, uri: str = "/path/", browser: Browser | None = None, **fields: Any
    ) -> dict[str, Any]:
        """
        Post a comment that must be accepted; return its JSON.
        """
        body = {"text": "Lorem ipsum ...", "title": "A page"}
        body.update(fields)
        response = (browser or self.browser).post(
            f"/new?uri={quote(uri, safe='/')}", body
        )
        self.assertIn(response.code, (201, 202), response)
        return response.json()

    def thread(self, uri: str = "/path/", query: str = "") -> dict[str, Any]:
        """
        Return the JSON of C{GET /} for a thread, which must answer 200.
        """
        response = self.browser.get(f"/?uri={quote(uri, safe='/')}{query}")
        self.assertEqual(response.code, 200, response)
        return response.json()
