"""
Sending a large body held in memory (a cached thread of hundreds of
comments) a piece at a time.

Written at once, a body is copied into the connection's own buffer until
the client has read it all: a thread of 600 comments (276 KB) read by 32
clients at once is 9 MB of copies, one of 5,000 comments (1.8 MB) is 56 MB.
Written as the connection takes it, each connection holds one piece.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.abstract import FileDescriptor
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer

from ..db import DatabaseUnavailable
from .http import JSON_TYPE, error_body, unavailable_body

# Bodies up to this size are written at once; larger ones by pieces of it.
# A piece is a little larger than a connection's buffer (64 KiB), so that
# one write fills it: the connection pauses the producer after each piece
# and sends that piece as it is.  Pieces of exactly 64 KiB went two to a
# buffer, joined into a copy of 128 KiB per connection (32 connections
# reading a large thread at once held 1.5 MiB more).
PIECE = FileDescriptor.bufferSize + 1024


@implementer(IPushProducer)
class BodyProducer:
    """
    Writes C{body} to C{request} piece by piece while the connection takes
    it: the connection pauses the producer when its buffer is full and
    resumes it once the buffer was sent.  Finishes the request after the
    last piece.
    """

    def __init__(self, request: IRequest, body: bytes) -> None:
        self._request = request
        self._body = body
        self._sent = 0
        self._paused = False
        self._done = False

    def start(self) -> None:
        self._request.registerProducer(self, True)
        self.resumeProducing()

    def resumeProducing(self) -> None:
        self._paused = False
        # Each write may pause the producer (the connection's buffer is full).
        while not self._paused and not self._done and self._sent < len(self._body):
            piece = self._body[self._sent : self._sent + PIECE]
            self._sent += len(piece)
            self._request.write(piece)
        if not self._done and self._sent >= len(self._body):
            self._done = True
            self._request.unregisterProducer()
            self._request.finish()

    def pauseProducing(self) -> None:
        self._paused = True

    def stopProducing(self) -> None:
        # The connection was lost: nothing more to send.
        self._done = True


def send_body(request: IRequest, body: bytes) -> bytes | int:
    """
    Answer C{request} with C{body}: returned, for a resource's render
    method to give back, when it is small; else sent by pieces, and
    C{NOT_DONE_YET} returned.
    """
    if len(body) <= PIECE or request.method == b"HEAD":
        return body
    request.setHeader(b"content-length", b"%d" % len(body))
    BodyProducer(request, body).start()
    return NOT_DONE_YET


def write_body(request: IRequest, body: bytes) -> None:
    """
    Answer C{request}, whose render method returned C{NOT_DONE_YET}
    already, with C{body} (by pieces when it is large), and finish it.
    """
    if send_body(request, body) is NOT_DONE_YET:
        return
    request.write(body)
    request.finish()


def write_json_later(
    request: IRequest,
    reading: Deferred[bytes],
    log: Logger,
    failed: str,
    log_format: str,
    **log_fields: Any,
) -> int:
    """
    Answer C{request} with the JSON body C{reading} fires with, and return
    C{NOT_DONE_YET} for the render method to give back.

    A reader who goes away first cancels the read.  A database out of reach
    answers 503; any other failure is logged (C{log_format} with
    C{log_fields}) and answers 500 with the message C{failed}.
    """

    def respond(body: bytes) -> None:
        request.setHeader(b"content-type", JSON_TYPE)
        write_body(request, body)

    def fail(failure: Any) -> None:
        if failure.check(CancelledError):
            # The reader went away (a reload, say): nobody to answer.
            return
        if failure.check(DatabaseUnavailable):
            request.write(unavailable_body(request))
        else:
            log.failure(log_format, failure, **log_fields)
            request.write(error_body(request, 500, failed))
        request.finish()

    reading.addCallbacks(respond, fail)
    request.notifyFinish().addErrback(lambda _: reading.cancel())
    return NOT_DONE_YET
