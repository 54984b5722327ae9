"""
Who is asking, and on behalf of which website.

The client address decides rate limits and vote deduplication, so it is only
taken from C{X-Forwarded-For} when the peer is a trusted proxy (by default
one on the same host: the loopback network or a unix socket); it is then
anonymised before anything stores or compares it.  The origin is
the configured website a request comes from, used for CORS and for links.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.logger import Logger
from twisted.web.iweb import IRequest

UNKNOWN_ADDRESS = "0.0.0.0"

# The longest text an IP address can be written as (an IPv6 address with an
# embedded IPv4 one and a zone); anything longer is not an address, and is
# kept out of the caches below, which a client could otherwise fill with
# header-sized keys.
MAX_ADDRESS_TEXT = 64

# Who may set X-Forwarded-For when [server] trusted-proxies is not given: a
# proxy on the same host, which only local programs can be.
LOCAL_PROXIES = ("127.0.0.0/8", "::1/128")

# How many peer networks the warning about an untrusted X-Forwarded-For is
# remembered for; beyond that it is no longer given.
WARNED_NETWORKS = 256


def anonymize(address: str) -> str:
    """
    Reduce an address to its network: an IPv4 /24 or an IPv6 /48, written the
    way Isso stores it.  Anything unparsable becomes C{0.0.0.0}.
    """
    if len(address) > MAX_ADDRESS_TEXT:
        return UNKNOWN_ADDRESS
    return _anonymize(address)


@lru_cache(maxsize=4096)
def _anonymize(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return ".".join(str(ip).split(".")[:3] + ["0"])
    groups = ip.exploded.split(":")
    return ":".join(groups[:3] + ["0000"] * 5)


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


VERDICT_CACHE_SIZE = 4096


class ProxyPolicy:
    """
    Decides which address a request really comes from.

    C{X-Forwarded-For} is honoured only when the connection comes from one
    of the trusted proxies (addresses or networks; by default the loopback
    network) or over a unix socket, which only local processes allowed by
    the file's permissions can reach.  The header is then read from its
    end, skipping further trusted proxies, so that what a client wrote in it
    before the proxy appended its address is never believed.
    """

    log = Logger()

    def __init__(self, trusted: tuple[str, ...]) -> None:
        self._verdicts: dict[str, bool] = {}
        self._warned: set[str] = set()
        self._networks = []
        for entry in trusted or LOCAL_PROXIES:
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or network: {entry!r}")

    def _trusted(self, value: str) -> bool:
        # Asked several times for every request, mostly about the same few
        # proxies; parsing an address each time is not cheap.
        known = self._verdicts.get(value)
        if known is not None:
            return known
        if len(value) > MAX_ADDRESS_TEXT:
            return False
        ip = _parse_ip(value)
        if ip is None:
            verdict = False
        else:
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            verdict = any(ip in network for network in self._networks)
        if len(self._verdicts) >= VERDICT_CACHE_SIZE:
            self._verdicts.clear()
        self._verdicts[value] = verdict
        return verdict

    def _peer(self, request: IRequest) -> tuple[str, bool]:
        """
        Return the connection's address and whether it is a trusted proxy.
        """
        peer = request.getClientAddress()
        if isinstance(peer, (IPv4Address, IPv6Address)):
            return peer.host, self._trusted(peer.host)
        return UNKNOWN_ADDRESS, True

    def forwarded_header(self, request: IRequest, name: bytes) -> str | None:
        """
        Return the last value of a header a trusted proxy adds, or None when
        the peer is not trusted to set it.
        """
        values = request.requestHeaders.getRawHeaders(name)
        if not values:
            return None
        _, trusted = self._peer(request)
        if not trusted:
            return None
        return values[-1].decode("latin-1").split(",")[-1].strip() or None

    def scheme(self, request: IRequest) -> str:
        """
        Return the scheme the client used, as a trusted proxy reports it.
        """
        forwarded = self.forwarded_header(request, b"x-forwarded-proto")
        if forwarded in ("http", "https"):
            return forwarded
        return "https" if request.isSecure() else "http"

    def client_address(self, request: IRequest) -> str:
        """
        Return the client's address as text (not yet anonymised), and note
        it on the request (as C{isso_client}) for the access log.
        """
        address = self._client_address(request)
        request.isso_client = address
        return address

    def _client_address(self, request: IRequest) -> str:
        address, behind_proxy = self._peer(request)
        forwarded = request.requestHeaders.getRawHeaders(b"x-forwarded-for", [])
        if not behind_proxy:
            if forwarded:
                self._warn_untrusted(address)
            return address
        hops = [
            hop.strip()
            for header in forwarded
            for hop in header.decode("latin-1").split(",")
            if hop.strip()
        ]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else address

    def _warn_untrusted(self, peer: str) -> None:
        """
        Say, once per network, that a peer sent X-Forwarded-For without
        being trusted to: a proxy in a container or on another host whose
        every visitor would otherwise count as one.
        """
        network = anonymize(peer)
        if network in self._warned or len(self._warned) >= WARNED_NETWORKS:
            return
        self._warned.add(network)
        self.log.warn(  # noqa: G010 (twisted.logger spells it warn)
            "Ignoring X-Forwarded-For from {peer}, which is not a trusted proxy; "
            "if it is your proxy, list it in [server] trusted-proxies",
            peer=peer,
        )


@dataclass(frozen=True)
class Origin:
    """
    A website as (scheme, hostname, port), compared exactly.
    """

    scheme: str
    hostname: str
    port: int

    @classmethod
    def parse(cls, value: str) -> Origin | None:
        value = value.strip()
        if "://" not in value:
            value = "http://" + value
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        if port is None:
            port = 443 if scheme == "https" else 80
        # urlsplit lower-cases the hostname; the comparison is therefore
        # case-insensitive, as host names are.
        return cls(scheme, parts.hostname, port)

    def __str__(self) -> str:
        host = self.hostname
        if ":" in host:
            host = f"[{host}]"
        default = 443 if self.scheme == "https" else 80
        if self.port != default:
            host = f"{host}:{self.port}"
        return f"{self.scheme}://{host}"


class Origins:
    """
    The websites a site serves, from its C{[general] host} lines.
    """

    def __init__(self, hosts: tuple[str, ...]) -> None:
        self._origins = []
        for host in hosts:
            origin = Origin.parse(host)
            if origin is None:
                raise ValueError(f"not a website address: {host!r}")
            self._origins.append(origin)
        self._strings = {origin: str(origin) for origin in self._origins}
        self.default = self._strings[self._origins[0]] if self._origins else (
            "http://invalid.local"
        )

    def resolve(self, request: IRequest) -> str:
        """
        Return the configured website the request comes from: the one its
        C{Origin} (or C{Referer}) names, else the first configured one.
        """
        headers = request.requestHeaders
        value = headers.getRawHeaders(b"origin", [None])[0] or headers.getRawHeaders(
            b"referer", [None]
        )[0]
        if value:
            origin = Origin.parse(value.decode("latin-1"))
            if origin is not None and origin in self._strings:
                return self._strings[origin]
        return self.default
