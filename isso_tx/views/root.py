"""
The front door of a site: CORS on every response, the health check, and
dispatch.
"""

from __future__ import annotations

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from ..addresses import Origins
from ..metrics import SiteMetrics
from .requests import Addressing
from .static import STATIC_PREFIXES

ALLOW_METHODS = b"HEAD, GET, POST, PUT, DELETE"
ALLOW_HEADERS = b"Origin, Referer, Content-Type"
EXPOSE_HEADERS = b"X-Set-Cookie, X-Isso-Refusal, Date"
ADMIN_PREFIXES = (b"login", b"logout", b"admin")
# /id/<id>/<action>/<key...>: the signed links of notification mails.
MAIL_LINK_ACTIONS = (b"activate", b"edit", b"delete", b"unsubscribe")
HEALTH_PATH = [b"health"]
COUNT_PATH = [b"count"]
NEW_PATH = [b"new"]
# The routes of the API with one name each, for the metrics; the rest of
# the names are given in route_name.
_API_ROUTES = {
    (b"new",): "new",
    (b"count",): "count",
    (b"preview",): "preview",
    (b"config",): "config",
    (b"info",): "info",
    (b"latest",): "latest",
    (b"feed",): "feed",
}


def route_name(path: list[bytes]) -> str:
    """
    Name the route a site-relative path leads to, from a fixed set (the
    metrics' label), never from the path itself: anything unknown is
    C{"other"}.
    """
    if path in ([], [b""]):
        return "thread"
    if path == HEALTH_PATH:
        return "health"
    if path[0] in ADMIN_PREFIXES:
        return "admin"
    if path[0] == b"id" and len(path) >= 2 and path[1].isdigit():
        if len(path) == 2:
            return "comment"
        if len(path) == 3 and path[2] in (b"like", b"dislike"):
            return "vote"
        if len(path) >= 4 and path[2] in MAIL_LINK_ACTIONS:
            return "mail-link"
        return "other"
    if path[0] in STATIC_PREFIXES:
        return "static"
    return _API_ROUTES.get(tuple(path), "other")


class SiteResource(Resource):
    """
    Hands each request of a site to the right part: the health check, the
    admin panel and the pages behind mailed links (all without CORS
    headers), or, with the CORS headers and preflight requests answered
    here, the thread reader for C{GET /}, the counts of C{POST /count},
    the new comments of C{POST /new}, the client's files, or the comments
    API.  Each request is counted in the site's metrics.
    """

    isLeaf = True

    def __init__(
        self,
        origins: Origins,
        addressing: Addressing,
        thread: IResource,
        counts: IResource,
        new_comments: IResource,
        api: IResource,
        static: IResource,
        admin: IResource,
        mail_links: IResource,
        health: IResource,
        metrics: SiteMetrics,
    ) -> None:
        super().__init__()
        self._origins = origins
        self._addressing = addressing
        self._api = api
        self._static = static
        self._admin = admin
        self._mail_links = mail_links
        self._thread = thread
        self._counts = counts
        self._new_comments = new_comments
        self._health = health
        self._metrics = metrics

    def render(self, request: IRequest) -> bytes | int:
        self._addressing.strip_script_name(request)
        # Resolved once here, so the access log names the forwarded client.
        self._addressing.proxies.client_address(request)
        path = request.postpath
        self._metrics.request_started(request, route_name(path))
        if path == HEALTH_PATH and request.method in (b"GET", b"HEAD"):
            return self._health.render(request)
        # The admin panel is for the owner's browser only: no CORS headers,
        # so that no website's script may read its pages.
        if path and path[0] in ADMIN_PREFIXES:
            return self._admin.render(request)
        # So are the pages behind the links in mails.
        if len(path) >= 4 and path[0] == b"id" and path[2] in MAIL_LINK_ACTIONS:
            return self._mail_links.render(request)
        request.setHeader(
            b"access-control-allow-origin",
            self._origins.resolve(request).encode("latin-1"),
        )
        request.setHeader(b"access-control-allow-credentials", b"true")
        request.setHeader(b"access-control-allow-methods", ALLOW_METHODS)
        request.setHeader(b"access-control-allow-headers", ALLOW_HEADERS)
        request.setHeader(b"access-control-expose-headers", EXPOSE_HEADERS)
        request.setHeader(b"vary", b"Origin")
        if request.method == b"OPTIONS":
            request.setHeader(b"content-type", b"text/plain")
            return b""
        if path in ([], [b""]) and request.method in (b"GET", b"HEAD"):
            return self._thread.render(request)
        # As hot as the thread, so past Klein's routing too; the API
        # answers other methods with a 405.
        if path == COUNT_PATH and request.method == b"POST":
            return self._counts.render(request)
        # Every comment costs its full price, so it too goes past Klein.
        if path == NEW_PATH and request.method == b"POST":
            return self._new_comments.render(request)
        if path and path[0] in STATIC_PREFIXES and request.method in (b"GET", b"HEAD"):
            return self._static.render(request)
        return self._api.render(request)
