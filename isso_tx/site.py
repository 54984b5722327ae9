"""
One configured site: its database, its settings, and its web resource.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from twisted.application.internet import TimerService
from twisted.application.service import MultiService
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from .addresses import Origins, ProxyPolicy, anonymize
from .settings import SiteConfig
from .db import Database, prepare_database
from .hashing import AuthorHasher
from .mail import Mailer
from .markup import Markup
from .moderation import purge_service
from .notify import MailNotifier, Notifiers, StdoutNotifier
from .rendering import Renderer
from .signing import Signer
from .titles import TitleFetcher
from .views.admin import AdminPanel
from .views.comments import CommentsAPI
from .views.http import cookie_header
from .views.moderation import ModerationPages
from .views.root import SiteResource
from .views.static import StaticResource, load_assets
from .views.thread import ThreadCache

# How often writes by other programs (the command line, Isso) are looked for.
EXTERNAL_WRITES_CHECK = 2.0


def _data_version_interaction(txn: Any) -> int:
    txn.execute("PRAGMA data_version")
    return txn.fetchone()[0]


def mark_site_root(request: IRequest) -> None:
    """
    Remember the path segments a site is served under, before routing
    moves more of them out of C{postpath}.
    """
    request.isso_site_root = list(request.prepath)


def site_root(request: IRequest) -> list[bytes]:
    return getattr(request, "isso_site_root", request.prepath)


class CommentSite(MultiService):
    """
    Everything one site needs to answer requests, and the services that
    keep it running (its database pool and its periodic jobs).

    Build it with L{open_site}, which prepares the database first.
    """

    log = Logger()
    # Where the daemon serves the site: "/", or "/<name>/" among several.
    mount = "/"

    def __init__(self, config: SiteConfig, session_key: str, reactor: Any) -> None:
        super().__init__()
        self.config = config
        self.clock = reactor
        self.database = Database(config.general.dbpath, reactor)
        self.database.setServiceParent(self)
        self.signer = Signer(session_key, reactor)
        self.renderer = Renderer(Markup(config.markup), self.database, reactor)
        self.hasher = AuthorHasher(config.hash, reactor)
        self.origins = Origins(config.general.hosts)
        self.proxies = ProxyPolicy(config.server.trusted_proxies)
        self.titles = TitleFetcher(reactor)
        self.threads = ThreadCache()
        backends: list[Any] = []
        if "stdout" in config.general.notify:
            backends.append(StdoutNotifier(self.signer))
        # Mails leave through a queue of their own (see isso_tx.mail).
        self.mailer: Mailer | None = None
        self.mail_notifier: MailNotifier | None = None
        if "smtp" in config.general.notify or config.general.reply_notifications:
            self.mailer = Mailer(config.smtp, reactor)
            self.mailer.setServiceParent(self)
            self.mail_notifier = MailNotifier(self, self.mailer)
            backends.append(self.mail_notifier)
        self.notifiers = Notifiers(backends)
        self.client_config = self._client_config()
        self._data_version: int | None = None

        watcher = TimerService(EXTERNAL_WRITES_CHECK, self._check_external_writes)
        watcher.clock = reactor
        watcher.setServiceParent(self)
        purger = purge_service(self)
        if purger is not None:
            purger.setServiceParent(self)

    def _client_config(self) -> dict[str, bool]:
        general, guard = self.config.general, self.config.guard
        config = {
            "reply-to-self": guard.reply_to_self,
            "require-email": guard.require_email,
            "require-author": guard.require_author,
            "reply-notifications": general.reply_notifications,
            "gravatar": general.gravatar,
        }
        if general.gravatar:
            config["avatar"] = False
        config["feed"] = bool(self.config.rss.base)
        return config

    def startService(self) -> None:
        super().startService()
        self.log.info(
            "Serving site {name!r} at {mount}: database {path}, websites {hosts}",
            name=self.config.general.name or "(default)",
            mount=self.mount,
            path=self.config.general.dbpath,
            hosts=", ".join(self.config.general.hosts),
        )
        # Not "warning": log observers (trial's among them) take an event
        # with that key for a Python warning and look for its file name.
        for problem in self.config.warnings:
            self.log.warn("{problem}", problem=problem)
        d = Deferred.fromCoroutine(self.renderer.sweep())
        d.addErrback(
            lambda f: self.log.failure("While rendering stored comments", f)
        )

    async def _watch(self) -> None:
        version = await self.database.run(_data_version_interaction)
        if self._data_version is not None and version != self._data_version:
            self.log.info(
                "{path} was changed by another program; dropping cached threads",
                path=self.config.general.dbpath,
            )
            self.threads.clear()
            await self.renderer.sweep()
        self._data_version = version

    def _check_external_writes(self) -> Deferred[None]:
        d = Deferred.fromCoroutine(self._watch())
        d.addErrback(lambda f: self.log.failure("While checking the database", f))
        return d

    # Per-request facts

    def client_network(self, request: IRequest) -> str:
        """
        Return the anonymised network of the requester.
        """
        return anonymize(self.proxies.client_address(request))

    def hash_subject(self, row: dict[str, Any]) -> str:
        return self.hasher.subject(row["email"], row["remote_addr"])

    def strip_script_name(self, request: IRequest) -> None:
        """
        Honour C{X-Script-Name} from a trusted proxy that serves the site
        below a path: the prefix is moved out of the path to be routed.
        """
        prefix = self.proxies.forwarded_header(request, b"x-script-name") or ""
        segments = [s.encode() for s in prefix.strip("/").split("/") if s]
        if segments and request.postpath[: len(segments)] == segments:
            del request.postpath[: len(segments)]
            request.prepath.extend(segments)
        mark_site_root(request)

    def host_url(self, request: IRequest) -> str:
        """
        Return where this server is reached, as the request says: scheme,
        host and the path prefix the site is served under.
        """
        scheme = self.proxies.scheme(request)
        host_header = request.getHeader(b"host")
        if host_header is not None:
            host = host_header.decode("latin-1")
        else:
            address = request.getHost()
            host = getattr(address, "host", "localhost")
            port = getattr(address, "port", None)
            default = 443 if scheme == "https" else 80
            if port and port != default:
                host = f"{host}:{port}"
        prefix = self.proxies.forwarded_header(request, b"x-forwarded-prefix") or ""
        script = "/".join(
            quote(s.decode("utf-8", "replace")) for s in site_root(request)
        )
        root = "/".join(p.strip("/") for p in (prefix, script) if p.strip("/"))
        return f"{scheme}://{host}" + (f"/{root}" if root else "")

    def endpoint(self, request: IRequest) -> str:
        """
        Return the public address of this server, for links in mails and
        logs: C{[server] public-endpoint}, or what the request shows.
        """
        return self.config.server.public_endpoint or self.host_url(request)

    def set_cookie(
        self, request: IRequest, name: str, value: str, max_age: int
    ) -> None:
        """
        Send a cookie for the server's own host, and a copy the embedding
        page's script may set on the website (C{X-Set-Cookie}, prefixed
        C{isso-}), as Isso's client expects.

        Among several sites the server's cookie is for the site's own path,
        so that the sites' comment ids, which overlap, do not share cookies.
        """
        secure = self.endpoint(request).startswith("https://")
        samesite = self.config.server.samesite or ("None" if secure else "Lax")
        path = "/"
        if self.mount != "/":
            path = urlsplit(self.host_url(request)).path.rstrip("/") + "/"
        for header, cookie_name, cookie_path in (
            (b"set-cookie", name, path),
            (b"x-set-cookie", f"isso-{name}", "/"),
        ):
            request.responseHeaders.addRawHeader(
                header,
                cookie_header(
                    cookie_name,
                    value,
                    max_age=max_age,
                    now=self.clock.seconds(),
                    secure=secure,
                    samesite=samesite,
                    path=cookie_path,
                ),
            )

    def resource(self) -> IResource:
        return SiteResource(
            self,
            CommentsAPI(self).app.resource(),
            StaticResource(load_assets()),
            admin=AdminPanel(self).app.resource(),
            mail_links=ModerationPages(self).app.resource(),
        )


def open_site(config: SiteConfig, reactor: Any) -> CommentSite:
    """
    Prepare a site's database (creating or upgrading it) and return the
    site.  Blocks: call it before the reactor runs.

    @raise isso_tx.db.DatabaseError: the database cannot be used.
    """
    session_key = prepare_database(config.general.dbpath, config.general.session_key)
    return CommentSite(config, session_key, reactor)
