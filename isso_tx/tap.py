"""
C{twistd isso}: command-line options and the service tree.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.application import service
from twisted.application.internet import StreamServerEndpointService
from twisted.internet.error import CannotListenError
from twisted.logger import Logger, globalLogPublisher, textFileLogObserver
from twisted.python import usage
from twisted.web.iweb import IRequest
from twisted.web.server import Site

from .config import ConfigError, SiteConfig, load_site_config
from .db import DatabaseError
from .site import CommentSite, open_site
from .views.http import LimitedRequest

DEFAULT_CONFIG = "/etc/isso/isso.cfg"

log = Logger()


class Options(usage.Options):
    synopsis = "[--config FILE] [--listen ENDPOINT ...]"
    longdesc = (
        "Serve Isso's comments API from Isso's own configuration file and "
        "database. Without --config, $ISSO_SETTINGS or "
        f"{DEFAULT_CONFIG} is read."
    )

    def __init__(self) -> None:
        super().__init__()
        self["configs"] = []
        self["listen"] = []

    def opt_config(self, path: str) -> None:
        """
        Site configuration file (INI, as Isso's).
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

    def postOptions(self) -> None:
        if not self["configs"]:
            settings = os.environ.get("ISSO_SETTINGS", "")
            self["configs"] = [p for p in settings.split(";") if p] or [DEFAULT_CONFIG]


class StartupError(SystemExit):
    """
    The daemon cannot start; the message says why, in one line.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"isso-tx: {message}")


class IssoWebSite(Site):
    """
    The HTTP factory: bounded request bodies and an access log through
    twisted.logger.
    """

    requestFactory = LimitedRequest
    displayTracebacks = False
    access_log = Logger(namespace="isso_tx.access")

    def log(self, request: IRequest) -> None:
        self.access_log.info(
            '{client} "{method} {uri} {protocol}" {code} {length}',
            client=getattr(request.getClientAddress(), "host", "-"),
            method=request.method.decode("ascii", "replace"),
            uri=request.uri.decode("ascii", "replace"),
            protocol=request.clientproto.decode("ascii", "replace"),
            code=request.code,
            length=request.sentLength or "-",
        )


class Listener(StreamServerEndpointService):
    """
    A listening port whose failure to bind stops start-up with one line.
    """

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            raise StartupError(f"cannot listen on {self.description}: {e.socketError}")
        except Exception as e:
            raise StartupError(f"cannot listen on {self.description}: {e}")
        log.info("Listening on {listen}", listen=self.description)


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
    try:
        return [load_site_config(path) for path in paths]
    except ConfigError as e:
        raise StartupError(str(e))


def makeService(options: Options, reactor: Any = None) -> service.IService:
    if reactor is None:
        from twisted.internet import reactor  # type: ignore[no-redef]
    configs = load_configs(options["configs"])
    if len(configs) > 1:
        raise StartupError("serving several sites in one process is not supported yet")
    config = configs[0]

    top = service.MultiService()
    try:
        site: CommentSite = open_site(config, reactor)
    except (DatabaseError, ValueError) as e:
        raise StartupError(f"{config.path}: {e}")
    site.setServiceParent(top)

    if config.general.log_file:
        globalLogPublisher.addObserver(
            textFileLogObserver(open(config.general.log_file, "a", encoding="utf-8"))
        )

    factory = IssoWebSite(site.resource(), reactor=reactor)
    for description in options["listen"] or config.server.listen:
        _listener(description, factory, reactor).setServiceParent(top)
    return top
