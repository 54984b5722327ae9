"""
Several sites in one daemon: each is served under C{/<name>/}, the name
from its C{[general] name}, as Isso's C{isso.dispatch} does.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource, getChildForRequest

from ..addresses import ProxyPolicy
from .http import TEXT_TYPE, error_body
from .requests import move_prefix, prefix_segments


class SiteDispatcher(Resource):
    """
    The root of a daemon serving several sites: moves the first path
    segment, the site's name, out of the path to be routed and hands the
    request to that site.

    Behind a proxy that serves everything below a path and says so in
    C{X-Script-Name}, that prefix comes before the site's name.  It is
    stripped here, once, and the header is then dropped so that the site
    does not strip it again from its own path (Isso's dispatcher does the
    same).  The prefix is believed only when the site it leads to trusts
    the proxy (C{[server] trusted-proxies}): that site's own rules decide
    what its requests may say, as they do for C{X-Forwarded-For}.

    Anything that names no site is a 404 that lists nothing: the names are
    not secret (they are in the embedding pages), but a visitor has no use
    for the list.
    """

    isLeaf = True

    def __init__(
        self, sites: Mapping[str, tuple[ProxyPolicy, IResource]]
    ) -> None:
        """
        @param sites: each site's proxy policy and root resource, by name.
        """
        super().__init__()
        self._sites = {
            name.encode("utf-8"): entry for name, entry in sites.items()
        }

    def _strip_script_name(self, request: IRequest) -> None:
        """
        Move a trusted C{X-Script-Name} prefix from the path to be routed to
        the path already routed, and drop the header.
        """
        headers = request.requestHeaders
        values = headers.getRawHeaders(b"x-script-name")
        if not values:
            return
        try:
            prefix = values[-1].decode("latin-1").split(",")[-1].strip()
            segments = prefix_segments(prefix)
            path = request.postpath
            if not segments or len(path) <= len(segments):
                return
            entry = self._sites.get(path[len(segments)])
            if entry is None:
                return
            proxies, _ = entry
            if proxies.forwarded_header(request, b"x-script-name") is None:
                return
            move_prefix(request, segments)
        finally:
            headers.removeHeader(b"x-script-name")

    def render(self, request: IRequest) -> bytes | int:
        self._strip_script_name(request)
        path = request.postpath
        entry = self._sites.get(path[0]) if path else None
        if entry is None:
            return error_body(request, 404, "no site is served here")
        name = path.pop(0)
        request.prepath.append(name)
        if not path:
            # "/name" is the site's root only with its slash, as for Isso.
            # A relative location keeps whatever prefix the client saw.
            query = request.uri.partition(b"?")[2]
            location = b"./" + quote(name, safe="").encode("ascii") + b"/"
            if query:
                location += b"?" + query
            request.setResponseCode(308)
            request.setHeader(b"location", location)
            request.setHeader(b"content-type", TEXT_TYPE)
            return b""
        _, resource = entry
        return getChildForRequest(resource, request).render(request)
