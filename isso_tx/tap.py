"""
C{twistd isso}: command-line options and the service tree.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
from typing import Any

from twisted.application import service
from twisted.application.internet import StreamServerEndpointService
from twisted.internet.defer import Deferred, DeferredList, maybeDeferred
from twisted.internet.endpoints import AdoptedStreamServerEndpoint
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IListeningPort
from twisted.logger import (
    ILogObserver,
    Logger,
    globalLogPublisher,
    textFileLogObserver,
)
from twisted.python import usage
from twisted.python.components import Componentized
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from twisted.web.server import Site

from .addresses import UNKNOWN_ADDRESS
from .config import (
    DEFAULT_CONFIG,
    ConfigError,
    SiteConfig,
    check_sites,
    config_paths,
    load_site_config,
)
from .db import DatabaseError, access_problem
from .dialect import is_postgres_uri
from .draining import DRAIN_TIMEOUT, DrainingChannel, DrainingSite, close_listening
from .listening import listen_problems
from .logs import ACCESS_NAMESPACE, LogLines, PerRequestLogger, twistd_logs_to_stdout
from .metrics import Metrics
from .site import CommentSite, open_site
from .views.dispatch import SiteDispatcher
from .views.http import LimitedRequest
from .views.metrics import MetricsBeside, MetricsResource

log = Logger()
# One line per request, under a namespace of its own so that it can be
# filtered or sent elsewhere.
access_log = PerRequestLogger(namespace=ACCESS_NAMESPACE)


class Options(usage.Options):
    synopsis = "[--config FILE] [--listen ENDPOINT ...] [--drain-timeout SECONDS]"
    longdesc = (
        "Serve Isso's comments API from Isso's own configuration file and "
        "database. Without --config, $ISSO_SETTINGS or "
        f"{DEFAULT_CONFIG} is read."
    )

    def __init__(self) -> None:
        super().__init__()
        self["configs"] = []
        self["listen"] = []
        self["drain-timeout"] = DRAIN_TIMEOUT

    def opt_config(self, path: str) -> None:
        """
        Site configuration file (INI, as Isso's); repeat it to serve several sites.
        """
        self["configs"].append(path)

    opt_c = opt_config

    def opt_listen(self, endpoint: str) -> None:
        """
        Listen on this Twisted endpoint (e.g. tcp:8080:interface=127.0.0.1,
        unix:/run/isso/isso.sock:mode=660, systemd:domain=INET:index=0)
        instead of the configuration's [server] listen. Repeatable.
        """
        self["listen"].append(endpoint)

    def opt_drain_timeout(self, seconds: str) -> None:
        """
        On SIGTERM, wait at most this many seconds for the requests in
        flight before closing their connections (default: 10).
        """
        try:
            value = float(seconds)
        except ValueError:
            value = -1.0
        if not 0 <= value < float("inf"):
            raise usage.UsageError(
                f"--drain-timeout: {seconds!r} is not a number of seconds"
            )
        self["drain-timeout"] = value

    def postOptions(self) -> None:
        self["configs"] = config_paths(self["configs"])


class StartupError(SystemExit):
    """
    The daemon cannot start; the message says why, in one line.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"isso-tx: {message}")


class IssoWebSite(DrainingSite):
    """
    The HTTP factory: bounded request heads and bodies, an access log
    through twisted.logger, and connections that can be drained when the
    daemon stops.
    """

    protocol = DrainingChannel
    requestFactory = LimitedRequest
    displayTracebacks = False
    # The listener logs where it listens, by the configuration's name for
    # the address; the factory's own start and stop lines would say it
    # again with an object's memory address.
    noisy = False

    def log(self, request: IRequest) -> None:
        # Written out here rather than by the log's formatter, which is
        # several times slower with many fields, once per request.
        # The client a site's trusted proxy named, else the peer ("-" on a
        # unix socket without a forwarding header).
        client = getattr(request, "isso_client", None)
        if client in (None, UNKNOWN_ADDRESS):
            client = getattr(request.getClientAddress(), "host", "-")
        method = request.method.decode("ascii", "replace")
        uri = request.uri.decode("ascii", "replace")
        protocol = request.clientproto.decode("ascii", "replace")
        line = (
            f'{client} "{method} {uri} {protocol}" {request.code} '
            f'{request.sentLength or "-"}'
        )
        access_log.info("{request_line}", request_line=line)


class MetricsSite(IssoWebSite):
    """
    The factory of C{[server] metrics-listen}: bounded as the public one,
    without an access log line per scrape.
    """

    def log(self, request: IRequest) -> None:
        pass


class Listener(StreamServerEndpointService):
    """
    A listening port whose failure to bind stops start-up with one line.
    """

    # The listening port, once bound.
    port: IListeningPort | None = None

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise StartupError(f"cannot listen on {self.description}: {e.socketError}")
        except Exception as e:
            raise StartupError(f"cannot listen on {self.description}: {e}")
        self._waitingForPort.addCallback(self._bound)
        log.info("Listening on {listen}", listen=self.description)

    def _bound(self, port: IListeningPort) -> IListeningPort:
        self.port = port
        return port

    def stopService(self) -> Deferred[None] | None:
        if self.port is not None:
            # A socket passed in by systemd stays with systemd, which queues
            # new connections for the next daemon.
            lent = isinstance(self.endpoint, AdoptedStreamServerEndpoint)
            close_listening(self.port, lent)
        return super().stopService()


class Daemon(service.MultiService):
    """
    The daemon's service tree, which stops in order: its listeners first
    (new connections go elsewhere), then the requests in flight on the
    HTTP factories C{webs} are finished (at most C{drain_timeout}
    seconds), then the sites stop (their databases close once the last
    write is done).
    """

    # The observer twistd is to log with, when it has one of ours to use
    # (see setServiceParent).
    log_observer: ILogObserver | None = None

    def __init__(
        self, webs: list[DrainingSite], drain_timeout: float, reactor: Any
    ) -> None:
        super().__init__()
        self.webs = webs
        self.drain_timeout = drain_timeout
        self.reactor = reactor

    def startService(self) -> None:
        # What was built before the daemon starts (modules, configuration,
        # sites) lives as long as the daemon: kept out of the collector's
        # sight, so that its full collections, which hold up every request
        # in flight, only walk what was allocated since.  The garbage of
        # the start is collected first, so that none of it is kept.
        gc.collect()
        gc.freeze()
        super().startService()

    def setServiceParent(self, parent: Any) -> None:
        # twistd makes the application and hands it here before it starts
        # logging, and logs with the application's ILogObserver component
        # when it has one.
        if self.log_observer is not None and isinstance(parent, Componentized):
            parent.setComponent(ILogObserver, self.log_observer)
        super().setServiceParent(parent)

    def stopService(self) -> Deferred[Any]:
        service.Service.stopService(self)
        listeners = [s for s in self if isinstance(s, Listener)]
        others = [s for s in reversed(list(self)) if not isinstance(s, Listener)]
        stopped = DeferredList([maybeDeferred(s.stopService) for s in listeners])
        stopped.addCallback(
            lambda _: DeferredList([web.drain(self.drain_timeout) for web in self.webs])
        )
        stopped.addCallback(self._drained)
        stopped.addCallback(
            lambda _: DeferredList([maybeDeferred(s.stopService) for s in others])
        )
        return stopped

    def _drained(self, result: object) -> None:
        # twistd ends a process stopped by SIGTERM by raising the signal
        # again, so that it reports having been killed; a daemon that has
        # stopped as asked, having finished its work, exits with status 0.
        if getattr(self.reactor, "_exitSignal", None) == signal.SIGTERM:
            self.reactor._exitSignal = None


def _listener(description: str, factory: Site, reactor: Any) -> Listener:
    from twisted.internet import endpoints

    try:
        endpoint = endpoints.serverFromString(reactor, description)
    except (ValueError, TypeError, KeyError) as e:
        raise StartupError(f"bad listen address {description!r}: {e}")
    listener = Listener(endpoint, factory)
    listener.description = description
    # Bind while twistd starts the application, so that failure is fatal.
    listener._raiseSynchronously = True
    return listener


def load_configs(paths: list[str]) -> list[SiteConfig]:
    """
    Read every site's configuration; with several, check that they can be
    served side by side.

    @raise StartupError: naming the file of the first problem.
    """
    try:
        configs = [load_site_config(path) for path in paths]
        if len(configs) > 1:
            check_sites(configs)
    except ConfigError as e:
        raise StartupError(str(e))
    return configs


def open_sites(
    configs: list[SiteConfig], reactor: Any, metrics: Metrics | None = None
) -> list[CommentSite]:
    """
    Open each site's database; several sites are mounted under their names,
    each counted in C{metrics} (by default, a registry of their own).

    @raise StartupError: naming the file whose database cannot be used.
    """
    # Every site's database is checked before any is created, so that a
    # problem with the second leaves no new file behind for the first.
    for config in configs:
        if is_postgres_uri(config.general.dbpath):
            continue
        problem = access_problem(config.general.dbpath)
        if problem is not None:
            raise StartupError(f"{config.path}: [general] dbpath: {problem}")
    if metrics is None:
        metrics = Metrics(reactor)
    sites = []
    for config in configs:
        try:
            site: CommentSite = open_site(
                config, reactor, metrics=metrics.site(config.general.name)
            )
        except DatabaseError as e:
            raise StartupError(f"{config.path}: [general] dbpath: {e}")
        except ValueError as e:
            raise StartupError(f"{config.path}: {e}")
        if len(configs) > 1:
            site.mount = f"/{config.general.name}/"
        sites.append(site)
    return sites


def root_resource(sites: list[CommentSite]) -> IResource:
    """
    Return what the daemon serves: the only site at C{/}, or each of
    several under C{/<name>/}.
    """
    if len(sites) == 1:
        return sites[0].resource()
    return SiteDispatcher(
        {site.config.general.name: (site.proxies, site.resource()) for site in sites}
    )


def listen_addresses(options: Options, configs: list[SiteConfig]) -> list[str]:
    """
    Return the endpoints to listen on: C{--listen}'s, else every site's
    C{[server] listen}, each endpoint once.
    """
    if options["listen"]:
        return list(options["listen"])
    addresses: list[str] = []
    for config in configs:
        addresses += [a for a in config.server.listen if a not in addresses]
    return addresses


def metrics_addresses(configs: list[SiteConfig]) -> list[str]:
    """
    Return the endpoints the metrics are served on: every site's
    C{[server] metrics-listen}, each endpoint once.
    """
    addresses: list[str] = []
    for config in configs:
        addresses += [a for a in config.server.metrics_listen if a not in addresses]
    return addresses


def check_listen_addresses(options: Options, configs: list[SiteConfig]) -> None:
    """
    Bind each address the daemon will listen on and release it at once.

    @raise StartupError: naming C{--listen}, or the file and its
        C{[server] listen}, of the first address that cannot be listened on.
    """
    if options["listen"]:
        given = [("--listen", description) for description in options["listen"]]
    else:
        given = [
            (f"{config.path}: [server] listen", description)
            for config in configs
            for description in config.server.listen
        ]
    public = listen_addresses(options, configs)
    given += [
        (f"{config.path}: [server] metrics-listen", description)
        for config in configs
        for description in config.server.metrics_listen
        if description not in public
    ]
    problems = listen_problems(given)
    if problems:
        raise StartupError(problems[0])


def log_to_files(configs: list[SiteConfig]) -> None:
    """
    Copy the log to every file a site names in C{[general] log-file}.

    There is one log for the whole daemon, so each of those files gets
    every site's lines; a file named by several sites is written once.
    """
    opened: set[str] = set()
    for config in configs:
        path = config.general.log_file
        if not path or os.path.abspath(path) in opened:
            continue
        opened.add(os.path.abspath(path))
        try:
            f = open(path, "a", encoding="utf-8")
        except OSError as e:
            raise StartupError(
                f"{config.path}: [general] log-file: cannot open {path}: {e.strerror}"
            )
        globalLogPublisher.addObserver(textFileLogObserver(f))


# glibc's mallopt parameter for the most malloc arenas.
M_ARENA_MAX = -8


def one_malloc_arena() -> None:
    """
    Have every thread allocate from glibc's one main malloc arena.

    By default each thread that allocates gets an arena of its own (up to 8
    per CPU), and what is freed in one is reused by that thread only: the
    database's thread and each pool thread that renders Markdown kept
    memory of their own (0.6 to 0.8 MiB of the daemon's peak in
    bench/memory_cost.py, with 3 to 5 threads; more with more threads).
    Python allocates holding its interpreter lock, so the threads hardly
    ever wait for the one arena.
    Must run before any thread starts; does nothing on another C library.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, 1)


def makeService(options: Options, reactor: Any = None) -> service.IService:
    if reactor is None:
        from twisted.internet import reactor  # type: ignore[no-redef]
    one_malloc_arena()
    configs = load_configs(options["configs"])
    # Before anything is created (log files, databases), so that a busy
    # port leaves nothing behind and is said in one line; the listeners
    # bind for real later, once twistd starts the application.
    check_listen_addresses(options, configs)

    log_to_files(configs)

    private = metrics_addresses(configs)
    metrics = Metrics(reactor, served=bool(private))
    sites = open_sites(configs, reactor, metrics)
    root = root_resource(sites)
    scrape = MetricsResource(metrics)
    factory = IssoWebSite(root, reactor=reactor)
    # Where the operator named an address for both, the metrics are served
    # beside the site there, and only there.
    beside = IssoWebSite(MetricsBeside(scrape, root), reactor=reactor)
    top = Daemon([factory, beside], options["drain-timeout"], reactor)
    # twistd's options are the parent of the plugin's.
    if twistd_logs_to_stdout(getattr(options, "parent", None)):
        top.log_observer = LogLines(sys.stdout, reactor)
    for site in sites:
        site.setServiceParent(top)

    public = listen_addresses(options, configs)
    for description in public:
        serving = beside if description in private else factory
        _listener(description, serving, reactor).setServiceParent(top)
    scrapes = MetricsSite(scrape, reactor=reactor)
    for description in private:
        if description not in public:
            _listener(description, scrapes, reactor).setServiceParent(top)
    return top
