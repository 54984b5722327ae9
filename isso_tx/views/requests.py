"""
What a request says about where it comes from and where the site is
reached: the path prefix a proxy serves the site under, the site's public
address, the requester's network, and the cookies sent back.

Plain functions of the request and of what the site trusts, gathered for
one site by L{Addressing}, which the views are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from twisted.web.iweb import IRequest

from ..addresses import ProxyPolicy, anonymize
from .http import cookie_header


def prefix_segments(prefix: str) -> list[bytes]:
    """
    Split a path prefix (C{X-Script-Name}'s value) into path segments.
    """
    return [s.encode("latin-1") for s in prefix.strip("/").split("/") if s]


def move_prefix(request: IRequest, segments: list[bytes]) -> bool:
    """
    Move C{segments} from the path still to be routed to the path already
    routed, if the request's path starts with them; say whether it did.
    """
    if not segments or request.postpath[: len(segments)] != segments:
        return False
    del request.postpath[: len(segments)]
    request.prepath.extend(segments)
    return True


def mark_site_root(request: IRequest) -> None:
    """
    Remember the path segments a site is served under, before routing
    moves more of them out of C{postpath}.
    """
    request.isso_site_root = list(request.prepath)


def site_root(request: IRequest) -> list[bytes]:
    """
    Return the path segments the site is served under (see
    L{mark_site_root}).
    """
    return getattr(request, "isso_site_root", request.prepath)


def strip_script_name(request: IRequest, proxies: ProxyPolicy) -> None:
    """
    Honour C{X-Script-Name} from a trusted proxy that serves the site
    below a path: the prefix is moved out of the path to be routed.
    """
    prefix = proxies.forwarded_header(request, b"x-script-name") or ""
    move_prefix(request, prefix_segments(prefix))
    mark_site_root(request)


def host_url(request: IRequest, proxies: ProxyPolicy) -> str:
    """
    Return where this server is reached, as the request says: scheme,
    host and the path prefix the site is served under.
    """
    scheme = proxies.scheme(request)
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
    prefix = proxies.forwarded_header(request, b"x-forwarded-prefix") or ""
    script = "/".join(quote(s.decode("utf-8", "replace")) for s in site_root(request))
    root = "/".join(p.strip("/") for p in (prefix, script) if p.strip("/"))
    return f"{scheme}://{host}" + (f"/{root}" if root else "")


def client_network(request: IRequest, proxies: ProxyPolicy) -> str:
    """
    Return the anonymised network of the requester.
    """
    return anonymize(proxies.client_address(request))


@dataclass(frozen=True)
class Addressing:
    """
    How one site reads its requests: which proxies it trusts, the address
    it is published at, and the rules for the cookies it sends.
    """

    proxies: ProxyPolicy
    # [server] public-endpoint: "" when the request says it.
    public_endpoint: str = ""
    # [server] samesite: "" to decide per request.
    samesite: str = ""
    # Served among several sites, under /<name>/: cookies then stay on the
    # site's own path, as the sites' comment ids overlap.
    shared: bool = False

    def strip_script_name(self, request: IRequest) -> None:
        strip_script_name(request, self.proxies)

    def host_url(self, request: IRequest) -> str:
        return host_url(request, self.proxies)

    def client_network(self, request: IRequest) -> str:
        return client_network(request, self.proxies)

    def endpoint(self, request: IRequest) -> str:
        """
        Return the public address of this server, for links in mails and
        logs: C{[server] public-endpoint}, or what the request shows.
        """
        return self.public_endpoint or self.host_url(request)

    def secure(self, request: IRequest) -> bool:
        """
        Whether the site is reached over https, so that its cookies may be
        marked C{Secure}.
        """
        return self.endpoint(request).startswith("https://")

    def base_path(self, request: IRequest) -> str:
        """
        Return the path the site is served under, as the browser sees it
        (no trailing slash).
        """
        return site_path(self.host_url(request))

    def set_cookies(
        self,
        request: IRequest,
        name: str,
        value: str,
        max_age: int,
        now: float,
        endpoint: str | None = None,
    ) -> None:
        """
        Send a cookie for the server's own host, and a copy the embedding
        page's script may set on the website (C{X-Set-Cookie}, prefixed
        C{isso-}), as Isso's client expects.

        @param endpoint: the request's L{endpoint}, when the caller has
            worked it out already (it is read from several headers).
        """
        secure = (endpoint or self.endpoint(request)).startswith("https://")
        samesite = self.samesite or ("None" if secure else "Lax")
        path = self.base_path(request) + "/" if self.shared else "/"
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
                    now=now,
                    secure=secure,
                    samesite=samesite,
                    path=cookie_path,
                ),
            )


def site_path(url: str) -> str:
    """
    Return the path of a site's address, without its trailing slash.
    """
    return urlsplit(url).path.rstrip("/")
