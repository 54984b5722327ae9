"""
Running a real isso-tx site on a loopback port for feature tests.
"""

from __future__ import annotations

import json
import os
import sqlite3
from http.cookiejar import CookieJar
from types import ModuleType
from typing import Any
from urllib.parse import quote

import treq
from treq.client import HTTPClient
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import serverFromString
from twisted.trial.unittest import TestCase
from twisted.web.client import Agent, HTTPConnectionPool

from isso_tx.config import SiteConfig, load_site_config
from isso_tx.site import CommentSite, open_site
from isso_tx.tap import IssoWebSite

from .pgcluster import fresh_database

HOST = "http://example.org"


def write_config(directory: str, text: str) -> str:
    """
    Write a site configuration; C{text} is merged over a minimal base that
    names the website, keeps the database in C{directory}, turns
    notifications off and trusts 127.0.0.1 as a proxy (so a test client can
    pose as any reader with X-Forwarded-For).
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "isso.cfg")
    base = (
        "[general]\n"
        f"dbpath = {os.path.join(os.path.abspath(directory), 'comments.db')}\n"
        f"host = {HOST}\n"
        "notify =\n"
        "[server]\n"
        "trusted-proxies = 127.0.0.1\n"
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(_merge(base, text))
    return path


def _merge(base: str, extra: str) -> str:
    """
    Combine two INI texts, later keys winning, so that tests can override
    the base without writing a section twice.
    """
    sections: dict[str, dict[str, str]] = {}
    order: list[str] = []
    for text in (base, extra):
        section = None
        key = None
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if line[0].isspace() and key is not None:
                # A continuation line of a list value.
                sections[section][key] += "\n    " + stripped
                continue
            if stripped.startswith("["):
                section = stripped[1:-1]
                if section not in sections:
                    sections[section] = {}
                    order.append(section)
                continue
            key, _, value = stripped.partition("=")
            key = key.strip()
            assert section is not None, line
            sections[section][key] = value.strip()
    return "".join(
        f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in sections[name].items())
        for name in order
    )


class Response:
    """
    A finished HTTP response: status, headers and the whole body.
    """

    def __init__(self, code: int, headers: Any, body: bytes) -> None:
        self.code = code
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name)
        return values[0] if values else None

    def headers_named(self, name: str) -> list[str]:
        return self.headers.getRawHeaders(name, [])

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.code} {self.body[:200]!r}>"


class Client:
    """
    A reader's browser: it keeps the server's cookies and comes from one
    network (sent as X-Forwarded-For, which the test site trusts from
    127.0.0.1).
    """

    def __init__(self, base: str, address: str = "192.0.2.10") -> None:
        self.base = base
        self.address = address
        self.cookies = CookieJar()
        self._pool = HTTPConnectionPool(reactor, persistent=False)
        self._http = HTTPClient(Agent(reactor, pool=self._pool), cookiejar=self.cookies)

    @inlineCallbacks
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = {"X-Forwarded-For": self.address}
        if content_type is not None:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None
        )
        response = yield self._http.request(
            method, self.base + path, data=data, headers=sent, allow_redirects=False
        )
        content = yield treq.content(response)
        return Response(response.code, response.headers, content)

    def get(self, path: str, **kwargs: Any) -> Deferred[Response]:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Deferred[Response]:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Deferred[Response]:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Deferred[Response]:
        return self.request("DELETE", path, **kwargs)

    def forget(self, name: str) -> None:
        """
        Drop one cookie, as a reader clearing it would.
        """
        for cookie in list(self.cookies):
            if cookie.name == name:
                self.cookies.clear(cookie.domain, cookie.path, cookie.name)


class SiteTestCase(TestCase):
    """
    Starts a site from a configuration for each test, on a loopback port.
    """

    # Added to the base configuration of write_config.
    config = "[guard]\nenabled = false\n[hash]\nalgorithm = none\n"
    # Where the site keeps its comments: "sqlite" (a file in the test's
    # folder) or "postgresql" (a fresh database of tests/pgcluster.py).
    backend = "sqlite"

    def setUp(self) -> Deferred[None]:
        directory = self.mktemp()
        config = self.config
        if self.backend == "postgresql":
            config = _merge(config, f"[general]\ndbpath = {fresh_database(self)}\n")
        self.config_path = write_config(directory, config)
        return self.start_site(load_site_config(self.config_path))

    @inlineCallbacks
    def start_site(self, config: SiteConfig) -> Any:
        self.site_config = config
        self.site: CommentSite = open_site(config, reactor)
        self.site.startService()
        self.addCleanup(self.site.stopService)
        factory = IssoWebSite(self.site.resource(), reactor=reactor)
        endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1")
        self.port = yield endpoint.listen(factory)
        self.addCleanup(self.port.stopListening)
        self.base = f"http://127.0.0.1:{self.port.getHost().port}"
        self.client = self.reader()

    def connect_database(self) -> Any:
        """
        Open the site's database beside the daemon, as another program
        would: a DB-API connection taking C{?} placeholders, whichever the
        backend; closed when the test ends.
        """
        dbpath = self.site_config.general.dbpath
        if self.backend == "postgresql":
            import psycopg

            from isso_tx.pg import TranslatingCursor

            conn: Any = psycopg.connect(
                dbpath, autocommit=True, cursor_factory=TranslatingCursor
            )
        else:
            conn = sqlite3.connect(dbpath)
        self.addCleanup(conn.close)
        return conn

    def reader(self, address: str = "192.0.2.10") -> Client:
        return Client(self.base, address)

    @inlineCallbacks
    def post_comment(
        self, uri: str = "/path/", client: Client | None = None, **fields: Any
    ) -> Any:
        """
        Post a comment that must be accepted; return its JSON.
        """
        body = {"text": "Lorem ipsum ...", "title": "A page"}
        body.update(fields)
        response = yield (client or self.client).post(
            f"/new?uri={quote(uri, safe='/')}", body
        )
        self.assertIn(response.code, (201, 202), response)
        return response.json()


class DatabaseMixin:
    """
    Looking at, and ageing, what the site stored, the way another program
    sharing the database file would.
    """

    def db(self) -> Any:
        return self.connect_database()

    def age(self, seconds: float, where: str = "1 = 1", *params: Any) -> None:
        """
        Move the creation time of some comments C{seconds} into the past.
        """
        conn = self.db()
        conn.execute(
            f"UPDATE comments SET created = created - ? WHERE {where}",
            (seconds, *params),
        )
        conn.commit()

    def stored(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.db().execute(sql, params).fetchall()


def on_postgresql(
    namespace: dict[str, Any], *modules: ModuleType, base: type = SiteTestCase
) -> None:
    """
    Put into C{namespace} (a test module's globals) a copy of each
    subclass of C{base} in C{modules} that runs its tests on PostgreSQL:
    C{base} reads a class attribute C{backend}, "sqlite" unless it says
    "postgresql".

    Only the new classes are added, so the originals still run once, on
    SQLite, from their own modules.  A class with a true C{sqlite_only}
    attribute is left out.
    """
    for module in modules:
        for name, value in sorted(vars(module).items()):
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value.__module__ == module.__name__
                and not getattr(value, "sqlite_only", False)
            ):
                variant = f"{name}OnPostgreSQL"
                namespace[variant] = type(
                    variant,
                    (value,),
                    {
                        "backend": "postgresql",
                        "__module__": namespace["__name__"],
                        "__doc__": f"{value.__doc__ or name} (on PostgreSQL)",
                    },
                )
