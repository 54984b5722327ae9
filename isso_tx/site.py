"""
One configured site: its database, its settings, and its web resource.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from .addresses import Origins, ProxyPolicy
from .caches import ResponseCache
from .changes import (
    ChangeFeed,
    Changes,
    DatabaseChangeFeed,
    Freshness,
    SQLiteChangeFeed,
)
from .db import Database, prepare_database
from .dialect import is_postgres_uri
from .hashing import AuthorHasher
from .markup import Markup
from .metrics import Metrics, SiteMetrics
from .moderation import Moderation
from .notify import Notifier, Notifiers, StdoutNotifier
from .rendering import Renderer
from .settings import SiteConfig
from .signing import Signer
from .titles import TitleFetcher
from .views.comments import CommentsAPI
from .views.counts import CountResource
from .views.health import HealthCheck, HealthResource
from .views.requests import Addressing
from .views.root import SiteResource
from .views.static import StaticResource, load_assets
from .views.thread import ThreadResource

if TYPE_CHECKING:
    from .mail import Mailer
    from .notify.mailnotifier import MailNotifier
    from .notify.webhooknotifier import WebhookNotifier
    from .webhooks import WebhookSender


class CommentSite(MultiService):
    """
    One site put together: every part it is made of, built here and handed
    to the parts that use it, and the services that keep it running (its
    database pool, its mail queue and its periodic jobs).

    Build it with L{open_site}, which prepares the database first.
    """

    log = Logger()
    # Where the daemon serves the site: "/", or "/<name>/" among several.
    mount = "/"

    def __init__(
        self,
        config: SiteConfig,
        session_key: str,
        reactor: Any,
        database: Database | None = None,
        metrics: SiteMetrics | None = None,
    ) -> None:
        """
        @param database: the site's database service; by default a pool on
            C{[general] dbpath}.  The fast tests pass one that runs each
            interaction at once, in the calling thread.
        @param metrics: where the site is counted; by default in a registry
            of its own.
        """
        super().__init__()
        self.config = config
        self.clock = reactor
        if database is None:
            database = _open_database(config, reactor)
        self.database = database
        # What other processes commit to the database.  A service before
        # the database's, so that it stops after the database's pool closed.
        self.changes: ChangeFeed
        if is_postgres_uri(config.general.dbpath):
            self.changes = DatabaseChangeFeed(database)
        else:
            self.changes = SQLiteChangeFeed(database)
            self.changes.setServiceParent(self)
        self.database.setServiceParent(self)
        if metrics is None:
            metrics = Metrics(reactor).site(config.general.name)
        self.metrics = metrics
        self.metrics.time_database(self.database)
        self.health = HealthCheck(
            self.database, reactor, sqlite=not is_postgres_uri(config.general.dbpath)
        )
        self.signer = Signer(session_key, reactor)
        self.renderer = Renderer(Markup(config.markup), self.database, reactor)
        self.hasher = AuthorHasher(config.hash, reactor)
        self.origins = Origins(config.general.hosts)
        self.proxies = ProxyPolicy(config.server.trusted_proxies)
        self.titles = TitleFetcher(reactor)
        self.responses = ResponseCache()
        self.metrics.cache = self.responses
        self.freshness = Freshness(self.changes, self._forget)
        backends: list[Notifier] = []
        if "stdout" in config.general.notify:
            backends.append(StdoutNotifier(self.signer))
        # Mails leave through the outbox in the database (see isso_tx.mail).
        # Their modules (twisted.mail, email's header parser) are imported
        # only by a site that sends mail, and so are the webhooks' (an HTTP
        # client): most sites send neither, and they weigh about 1.5 MiB.
        self.mailer: Mailer | None = None
        self.mail_notifier: MailNotifier | None = None
        if "smtp" in config.general.notify or config.general.reply_notifications:
            from .mail import Mailer
            from .notify.mailnotifier import MailNotifier

            self.mailer = Mailer(
                config.smtp, reactor, self.database, metrics=self.metrics
            )
            self.mailer.setServiceParent(self)
            self.mail_notifier = MailNotifier(
                config.general,
                config.smtp,
                self.mailer,
                self.signer,
                self.database,
                reactor,
            )
            backends.append(self.mail_notifier)
        # Webhooks leave through the outbox too (see isso_tx.webhooks).
        self.webhooks: WebhookSender | None = None
        self.webhook_notifier: WebhookNotifier | None = None
        if config.webhooks:
            from .notify.webhooknotifier import WebhookNotifier
            from .webhooks import WebhookSender

            self.webhooks = WebhookSender(
                config.webhooks, reactor, self.database, metrics=self.metrics
            )
            self.webhooks.setServiceParent(self)
            self.webhook_notifier = WebhookNotifier(
                config.general.name,
                config.webhooks,
                self.webhooks,
                self.signer,
                self.database,
                self.renderer,
                public_endpoint=config.server.public_endpoint,
                website=config.general.hosts[0],
            )
            backends.append(self.webhook_notifier)
        self.notifiers = Notifiers(backends)
        self.moderation = Moderation(
            self.database,
            self.renderer,
            self.responses,
            self.notifiers,
            reactor,
            config.moderation.purge_after,
        )
        self.client_config = self._client_config()

        purger = self.moderation.purge_service()
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
            path=self.database.path,
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

    def _forget(self, changes: Changes) -> None:
        """
        Drop the cached answers that changes committed by any process made
        stale (this daemon's own writes dropped theirs already).
        """
        if changes.everything:
            self.responses.clear()
        elif changes.uris:
            self.responses.invalidate(*changes.uris)

    def addressing(self) -> Addressing:
        """
        Return how this site reads its requests, as served now (alone at
        C{/}, or under C{/<name>/} among several).
        """
        return Addressing(
            self.proxies,
            public_endpoint=self.config.server.public_endpoint,
            samesite=self.config.server.samesite,
            shared=self.mount != "/",
        )

    def resource(self) -> IResource:
        """
        Return the site's web resource, each view given what it uses.
        """
        config = self.config
        addressing = self.addressing()
        thread = ThreadResource(
            config.general,
            self.database,
            self.renderer,
            self.hasher,
            self.responses,
            self.freshness,
            self.client_config,
        )
        counts = CountResource(self.database, self.responses, self.freshness)
        api = CommentsAPI(
            config,
            self.database,
            self.renderer,
            self.hasher,
            self.signer,
            self.titles,
            self.origins,
            addressing,
            self.responses,
            self.freshness,
            counts,
            self.notifiers,
            self.clock,
            self.client_config,
            self.metrics,
        )
        admin: IResource
        if config.admin.enabled:
            admin = self._admin_resource(addressing)
        else:
            # A disabled panel only says so, to the rare visitor of
            # /admin/: its modules and templates (half a megabyte) are
            # loaded at the first such request (about 13 ms, once), not
            # with the daemon.
            admin = _BuiltOnFirstRequest(lambda: self._admin_resource(addressing))
        # The pages behind the links the owner is sent (stdout or mail) are
        # built at the first click on one (about 6 ms, once), and so is
        # their module (0.2 MiB of the daemon).
        mail_links = _BuiltOnFirstRequest(
            lambda: self._mail_links_resource(addressing)
        )
        return SiteResource(
            self.origins,
            addressing,
            thread,
            counts,
            api.new_comments,
            api.app.resource(),
            StaticResource(load_assets()),
            admin=admin,
            mail_links=mail_links,
            health=HealthResource(self.health),
            metrics=self.metrics,
        )

    def _admin_resource(self, addressing: Addressing) -> IResource:
        from .views.admin import AdminPanel
        from .views.admin_auth import AdminSessions

        config = self.config
        sessions = AdminSessions(
            config.admin.password, self.signer, self.database, addressing, self.clock
        )
        admin = AdminPanel(
            config.admin,
            config.general.name,
            sessions,
            self.moderation,
            self.database,
            self.renderer,
            self.origins,
            addressing,
            self.clock,
        )
        resource: IResource = admin.app.resource()
        return resource

    def _mail_links_resource(self, addressing: Addressing) -> IResource:
        from .views.moderation import ModerationPages

        pages = ModerationPages(
            self.moderation, self.signer, self.database, self.origins, addressing
        )
        resource: IResource = pages.app.resource()
        return resource


class _BuiltOnFirstRequest(Resource):
    """
    Renders every request with a resource built by C{build} when the first
    request comes.
    """

    isLeaf = True

    def __init__(self, build: Callable[[], IResource]) -> None:
        super().__init__()
        self._build = build
        self._built: IResource | None = None

    def render(self, request: IRequest) -> Any:
        if self._built is None:
            self._built = self._build()
        return self._built.render(request)


def open_site(
    config: SiteConfig,
    reactor: Any,
    database: Database | None = None,
    metrics: SiteMetrics | None = None,
) -> CommentSite:
    """
    Prepare a site's database (creating or upgrading it) and return the
    site.  Blocks: call it before the reactor runs.

    @param database: passed on to L{CommentSite}, and so is C{metrics}.
    @raise isso_tx.db.DatabaseError: the database cannot be used.
    """
    general = config.general
    if is_postgres_uri(general.dbpath):
        from .pg import prepare_postgres

        session_key = prepare_postgres(general.dbpath, general.session_key)
    else:
        session_key = prepare_database(general.dbpath, general.session_key)
    return CommentSite(config, session_key, reactor, database, metrics)


def _open_database(config: SiteConfig, reactor: Any) -> Database:
    """
    Return the pool of the site's database: a SQLite file, or a PostgreSQL
    server when C{[general] dbpath} is a URI.
    """
    if is_postgres_uri(config.general.dbpath):
        # The driver is loaded only by sites that use it.
        from .pg import PostgresDatabase

        return PostgresDatabase(config.general.dbpath, reactor, config.database)
    return Database(config.general.dbpath, reactor)
