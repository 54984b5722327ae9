"""
HTTP plumbing shared by every view: errors, JSON, cookies, limits on
request lines, headers and bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from html import escape
from http import HTTPStatus
from typing import Any

from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel, datetimeToString
from twisted.web.iweb import IRequest
from twisted.web.server import Request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.http import parse_accept_header
from werkzeug.routing import IntegerConverter

from ..db import DatabaseUnavailable

# Isso's limit on request bodies.
MAX_BODY = 256 * 1024

JSON_TYPE = b"application/json"
HTML_TYPE = b"text/html; charset=utf-8"
TEXT_TYPE = b"text/plain; charset=utf-8"


class HTTPError(Exception):
    """
    A request cannot be served; C{message} tells the client why.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


class BadRequest(HTTPError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class Forbidden(HTTPError):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class NotFound(HTTPError):
    def __init__(self, message: str = "not found") -> None:
        super().__init__(404, message)


def wants_json(request: IRequest) -> bool:
    """
    Whether the client's C{Accept} header prefers JSON over HTML.
    """
    header = request.getHeader(b"accept")
    if not header:
        return False
    accept = parse_accept_header(header.decode("latin-1"))
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def error_body(request: IRequest, code: int, message: str) -> bytes:
    """
    Set the status and content type of an error response and return its
    body: JSON for clients that ask for it, else a small HTML page.
    """
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = "Error"
    request.setResponseCode(code)
    if wants_json(request):
        request.setHeader(b"content-type", JSON_TYPE)
        return json.dumps({"message": f"{code} {reason}: {message}"}).encode()
    request.setHeader(b"content-type", HTML_TYPE)
    return (
        "<!doctype html>\n<html lang=en>\n"
        f"<title>{code} {escape(reason)}</title>\n"
        f"<h1>{escape(reason)}</h1>\n<p>{escape(message)}</p>\n"
    ).encode()


# Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER = 5


def unavailable_body(request: IRequest) -> bytes:
    """
    Answer a request that found the database unreachable: a 503 asking the
    client to try again in a few seconds.
    """
    request.setHeader(b"retry-after", b"%d" % RETRY_AFTER)
    return error_body(
        request, 503, "the comments cannot be reached just now; try again shortly"
    )


def json_body(request: IRequest, value: Any, code: int = 200) -> bytes:
    request.setResponseCode(code)
    request.setHeader(b"content-type", JSON_TYPE)
    return json.dumps(value).encode("ascii")


def query_arg(request: IRequest, name: str) -> str | None:
    """
    Return the first value of a query parameter, or None when absent.
    """
    values = request.args.get(name.encode())
    return values[0].decode("utf-8", "replace") if values else None


def read_json(request: IRequest) -> Any:
    """
    Parse the request body as JSON, whatever its content type says.
    """
    raw = request.content.read() if request.content is not None else b""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("Unable to read JSON request: the body is not valid JSON")
    if b"\\u" in raw:
        # JSON may spell half of a surrogate pair on its own (backslash-u D800),
        # which no UTF-8 text (and so no stored comment) can hold.
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(
                "Unable to read JSON request: the body has an unpaired surrogate"
            )
    return value


def check_csrf(request: IRequest) -> None:
    """
    Refuse form posts from other sites: a mutating API call must come with
    no content type or a JSON one, which a plain HTML form cannot send.
    """
    content_type = request.getHeader(b"content-type")
    if content_type and not content_type.lower().startswith(JSON_TYPE):
        raise Forbidden("CSRF: the request must be sent as application/json")


def cookie_header(
    name: str,
    value: str,
    *,
    max_age: int,
    now: float,
    secure: bool,
    samesite: str,
    path: str = "/",
    http_only: bool = False,
) -> bytes:
    """
    Build a C{Set-Cookie} value with the attributes Isso sends, in its order;
    C{HttpOnly} keeps a cookie from every script.
    """
    expires = datetimeToString(now + max_age).decode() if max_age > 0 else (
        "Thu, 01 Jan 1970 00:00:00 GMT"
    )
    parts = [f"{name}={value}", f"Expires={expires}", f"Max-Age={max_age}"]
    if secure:
        parts.append("Secure")
    parts.append(f"Path={path}")
    if http_only:
        parts.append("HttpOnly")
    parts.append(f"SameSite={samesite}")
    return "; ".join(parts).encode("latin-1")


class LimitedRequest(Request):
    """
    A request that refuses bodies larger than L{MAX_BODY} without reading
    them into memory or onto disk.

    Twisted would spool a large body to a temporary file before any
    resource sees it; instead the connection is answered with C{413} and
    closed as soon as the body is known to be too large.
    """

    max_body = MAX_BODY
    # The client's address as the site's trusted proxies name it, once a
    # site has worked it out (see ProxyPolicy.client_address); the access
    # log shows it rather than the proxy's.
    isso_client: str | None = None
    _refused = False
    _received = 0
    _log = Logger()

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > self.max_body:
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._received += len(data)
        if self._received > self.max_body:
            self._refuse()
            return
        super().handleContentChunk(data)

    def process(self) -> None:
        # Routing encodes the host name with IDNA, which fails on an empty
        # or overlong label (a 10 KB Host header, say); refused here, once,
        # rather than as an error in every resource that routes.
        if not valid_host(self.getRequestHostname()):
            self._log.info("Refused a request with an unusable Host header")
            body = error_body(self, 400, "the Host header is not a host name")
            self.setHeader(b"content-length", b"%d" % len(body))
            self.write(body)
            self.finish()
            return
        super().process()

    def processingFailed(self, reason: Failure) -> Any:
        # The one place where a lost database becomes a 503, whichever view
        # was asking; anything else stays a 500.
        if reason.check(DatabaseUnavailable):
            self._log.info("Database unavailable: {reason}", reason=reason.value)
            body = unavailable_body(self)
            self.setHeader(b"content-length", b"%d" % len(body))
            self.write(body)
            self.finish()
            return reason
        return super().processingFailed(reason)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self._refused:
            return
        # Twisted reads the content type of every POST with the email
        # package, which costs more than the rest of a comment's handling,
        # and answers a malformed multipart body with a bare 400.  Only the
        # HTML forms of the moderation and admin pages need their fields
        # parsed, and browsers send those URL-encoded.
        content_type = self.requestHeaders.getRawHeaders(b"content-type", [b""])[0]
        self._parsePOSTFormSubmission = content_type.lower().startswith(
            b"application/x-www-form-urlencoded"
        )
        super().requestReceived(command, path, version)

    def _refuse(self) -> None:
        self._refused = True
        body = json.dumps(
            {"message": f"413 Request Entity Too Large: the body exceeds "
             f"{self.max_body} bytes"}
        ).encode()
        self.channel.transport.write(
            b"HTTP/1.1 413 Request Entity Too Large\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n"
            b"Connection: close\r\n\r\n" + body
        )
        self.channel.loseConnection()
        self._log.info("Refused a request body larger than {limit} bytes",
                       limit=self.max_body)


# A daemon is asked for a handful of host names; the IDNA codec costs 2 % of
# answering a static file, so each name's verdict is kept.
@lru_cache(maxsize=64)
def valid_host(name: bytes) -> bool:
    """
    Whether a request's host name (without port) is one a URL can hold.
    """
    try:
        name.decode("utf-8").lower().encode("idna")
    except UnicodeError:
        return False
    return True


class BoundedChannel(HTTPChannel):
    """
    An HTTP connection that answers every malformed or oversized request
    head at once, with a status that says what was wrong, and closes.

    Twisted answers most malformed heads with a bare 400 already; what it
    leaves is a line longer than C{MAX_LENGTH}, which it drops without a
    word, and lines ending in a bare LF, which it waits for until the
    client gives up, since it only splits lines on CRLF.
    """

    def lineLengthExceeded(self, line: bytes) -> None:
        if getattr(self, "_command", None) is None:
            self._refuse(414, b"URI Too Long", "the request line is too long")
        else:
            self._refuse(
                431,
                b"Request Header Fields Too Large",
                "a header line is too long",
            )

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        # Whatever is left in line mode is an unfinished line, so a line
        # feed in it came without its carriage return.
        if (
            self.line_mode
            and not self.paused
            and not self.transport.disconnecting
            and b"\n" in self._buffer
        ):
            self._buffer = b""
            self._refuse(400, b"Bad Request", "lines must end in CRLF")

    def _refuse(self, code: int, reason: bytes, message: str) -> None:
        body = json.dumps(
            {"message": f"{code} {reason.decode()}: {message}"}
        ).encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\n" % (code, reason)
            + b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n" % len(body)
            + b"Connection: close\r\n\r\n"
            + body
        )
        self.loseConnection()


class CommentIdConverter(IntegerConverter):
    """
    C{<id:name>} in a route: a comment id, digits only and small enough
    for SQLite, so that a huge number is a plain 404.
    """

    # 18 digits always fit SQLite's 64-bit integers.  The length is in the
    # pattern rather than a maximum value, so that a longer number matches
    # no route at all instead of confusing the method check.
    regex = r"\d{1,18}"


def comment_routes(app: Klein) -> Klein:
    """
    Teach a Klein app the C{<id:…>} converter.
    """
    app.url_map.converters["id"] = CommentIdConverter
    return app


def listed_methods(view: Any, allowed: list[str]) -> str | None:
    """
    The C{Allow} header of a 405: the methods the route takes.
    """
    return ", ".join(allowed)


def route_errors(
    app: Klein,
    not_found: Callable[[Any, IRequest], Any],
    wrong_method: Callable[[Any, IRequest, list[str]], Any],
    allow: Callable[[Any, list[str]], str | None] = listed_methods,
) -> None:
    """
    Answer, in C{app}, a path that no route matches with C{not_found(view,
    request)} (a 404) and a method its route does not take with
    C{wrong_method(view, request, allowed)} (a 405), C{view} being the
    object whose routes C{app} holds and C{allowed} the route's methods,
    sorted.

    @param allow: gives the 405's C{Allow} header from the same arguments;
        None sends no header.
    """
    # Klein's own answers are bare HTML pages that no view of this server
    # wants to send.

    @app.handle_errors(RouteNotFound)
    def no_route(view: Any, request: IRequest, failure: Failure) -> Any:
        return not_found(view, request)

    @app.handle_errors(MethodNotAllowed)
    def method_not_allowed(view: Any, request: IRequest, failure: Failure) -> Any:
        allowed = sorted(failure.value.valid_methods or [])
        header = allow(view, allowed)
        if header is not None:
            request.setHeader(b"allow", header.encode())
        return wrong_method(view, request, allowed)
