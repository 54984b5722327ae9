"""
The ceiling of the stack: a bare twisted.web server answering fixed bodies.

bench/api_bench.py starts it with the daemon's Python and pinning, and
measures it in the same run, so that each scenario can be given as a share
of what Twisted itself does on this machine.  It answers:

- C{GET /get}: the bytes of C{get.json} (the daemon's answer for the thread
  of 5 comments, so the body has the same size);
- C{POST /count}: reads the request body and answers the bytes of
  C{count.json}; nothing is parsed, as the ceiling does no application work;
- C{GET /js/embed.min.js}: the bytes of C{embed.min.js}, or of
  C{embed.min.js.gz} when the request accepts gzip (compressed beforehand,
  as the daemon does).

    python bench/ceiling.py PORT DIRECTORY

Twisted's default access log is left in place and sent nowhere: the line is
formatted on every request, as in any twisted.web server, but not written.
"""

from __future__ import annotations

import os
import sys

# The daemon can listen with TLS, so pyOpenSSL is loaded in its process;
# load it here too, so that the two are compared with the same libraries in
# memory.
import twisted.internet.ssl  # noqa: F401
from twisted.internet import endpoints, reactor
from twisted.logger import globalLogBeginner
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import Site


class Fixed(Resource):
    """
    Answers every GET (and POST, after reading its body) with one body.
    """

    isLeaf = True

    def __init__(self, content_type: bytes, body: bytes, gzipped: bytes | None = None):
        super().__init__()
        self._content_type = content_type
        self._body = body
        self._gzipped = gzipped

    def render_GET(self, request: IRequest) -> bytes:
        request.setHeader(b"content-type", self._content_type)
        if self._gzipped is not None:
            request.setHeader(b"vary", b"Accept-Encoding")
            if b"gzip" in (request.getHeader(b"accept-encoding") or b""):
                request.setHeader(b"content-encoding", b"gzip")
                return self._gzipped
        return self._body

    def render_POST(self, request: IRequest) -> bytes:
        request.content.read()
        request.setHeader(b"content-type", self._content_type)
        return self._body


def read(directory: str, name: str) -> bytes:
    with open(os.path.join(directory, name), "rb") as f:
        return f.read()


def main() -> None:
    port, directory = int(sys.argv[1]), sys.argv[2]
    json_type = b"application/json"
    root = Resource()
    root.putChild(b"get", Fixed(json_type, read(directory, "get.json")))
    root.putChild(b"count", Fixed(json_type, read(directory, "count.json")))
    js = Resource()
    root.putChild(b"js", js)
    js.putChild(
        b"embed.min.js",
        Fixed(
            b"text/javascript; charset=utf-8",
            read(directory, "embed.min.js"),
            read(directory, "embed.min.js.gz"),
        ),
    )
    globalLogBeginner.beginLoggingTo([], discardBuffer=True, redirectStandardIO=False)
    endpoint = endpoints.serverFromString(reactor, f"tcp:{port}:interface=127.0.0.1")
    endpoint.listen(Site(root))
    reactor.run()


if __name__ == "__main__":
    main()
