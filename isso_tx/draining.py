"""
Stopping without dropping a request.

When the daemon is asked to stop (SIGTERM), its listening sockets close
first, so that new connections go elsewhere (another daemon behind the
load balancer, or the kernel's queue of a socket that systemd keeps);
then every request already received, or still arriving on a connection
that was accepted, is answered before the process exits, up to a bound.
Idle keep-alive connections are closed at once.

L{DrainingSite} keeps the count of its connections; L{close_listening}
closes a listening port without losing a connection the kernel already
completed.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp
from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import Site

from .views.http import BoundedChannel

# How long a stopping daemon waits for its requests in flight, in seconds.
DRAIN_TIMEOUT = 10.0


class DrainingChannel(BoundedChannel):
    """
    An HTTP connection that, once asked to, answers what it has begun to
    receive with C{Connection: close} and then closes.
    """

    _closing = False
    # Requests answered on this connection.
    _answered = 0

    def busy(self) -> bool:
        """
        Whether a request is in flight on this connection: begun, or, on a
        connection just accepted, still on its way.
        """
        return bool(self.requests or self._buffer or not self._answered)

    def close_when_done(self) -> None:
        """
        Close now if the connection is idle between requests; otherwise
        let the requests begun finish, and close after the last answer.
        """
        self._closing = True
        # A keep-alive connection whose client may send another request or
        # not: closing it is what HTTP allows, and clients (nginx among them)
        # retry on another connection.
        if not self.busy():
            self.loseConnection()
            return
        if not self.requests:
            # The first request is still on its way: checkPersistence will
            # see that it is the last.  (A channel that is not persistent
            # before a request has begun drops what it receives.)
            return
        self.persistent = False
        for request in self.requests:
            if not request.startedWriting:
                request.responseHeaders.setRawHeaders(b"connection", [b"close"])

    def checkPersistence(self, request: Any, version: bytes) -> bool:
        if self._closing:
            # A request whose head was still arriving when the daemon began
            # to stop: answered, then the connection closes.
            request.responseHeaders.setRawHeaders(b"connection", [b"close"])
            return False
        return bool(super().checkPersistence(request, version))

    def requestDone(self, request: Any) -> None:
        self._answered += 1
        super().requestDone(request)

    def connectionLost(self, reason: Failure) -> None:
        super().connectionLost(reason)
        site = getattr(self, "site", None)
        if isinstance(site, DrainingSite):
            site.forget(self)


class DrainingSite(Site):
    """
    A site that knows its open connections and can wait for them to finish
    what they have begun (L{drain}).
    """

    protocol = DrainingChannel
    _log = Logger()
    _drained: Deferred[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._channels: set[DrainingChannel] = set()

    def buildProtocol(self, addr: Any) -> DrainingChannel | None:
        channel = super().buildProtocol(addr)
        if channel is not None:
            self._channels.add(channel)
        return channel

    def forget(self, channel: DrainingChannel) -> None:
        """
        A connection has closed.
        """
        self._channels.discard(channel)
        if not self._channels and self._drained is not None:
            drained, self._drained = self._drained, None
            drained.callback(None)

    def drain(self, timeout: float) -> Deferred[None]:
        """
        Close idle connections at once; let the others finish their
        requests, then close; after C{timeout} seconds, abort the rest.

        @return: fires once every connection is closed.
        """
        busy = [c for c in self._channels if c.busy()]
        if busy:
            self._log.info(
                "Stopping: finishing {count} request(s) in flight "
                "(at most {timeout:g} s)",
                count=len(busy),
                timeout=timeout,
            )
        for channel in list(self._channels):
            channel.close_when_done()
        if not self._channels:
            return succeed(None)
        drained: Deferred[None] = Deferred()
        self._drained = drained
        bound = self.reactor.callLater(timeout, self._abort_rest, timeout)

        def in_time(result: None) -> None:
            if bound.active():
                bound.cancel()
            return result

        return drained.addCallback(in_time)

    def _abort_rest(self, timeout: float) -> None:
        self._log.warn(
            "Stopping: closing {count} connection(s) still busy after {timeout:g} s",
            count=len(self._channels),
            timeout=timeout,
        )
        for channel in list(self._channels):
            channel.transport.abortConnection()


def close_listening(port: Any, lent: bool) -> None:
    """
    Stop listening on C{port} (a listening TCP or unix port of the reactor)
    at once.

    @param lent: the socket was handed over by systemd (or another parent),
        which keeps it: only this process's descriptor is closed, so that
        connections keep queueing in the kernel for the next daemon.
        Otherwise the connections the kernel has already completed are
        accepted and served, since closing the socket would reset them
        (and a proxy that had sent a POST on one could not retry it).
    """
    if not isinstance(port, tcp.Port) or not port.connected:
        return
    port.stopReading()
    if lent:
        # Neither shutdown(), which would stop the socket listening in every
        # process that holds it, nor the unlinking of a unix socket's path
        # that Twisted does when it closes a port.
        port.socket.close()
        port.connected = False
        port.factory.doStop()
        return
    accepted = -1
    # Bounded: a flood of new connections cannot keep the daemon here.
    for _ in range(100):
        if port.sessionno == accepted:
            break
        accepted = port.sessionno
        port.numberAccepts = max(port.numberAccepts, port.backlog)
        port.doRead()
    # Closed now rather than at the reactor's next turn, as
    # stopListening() would: a connection completed in between would be
    # reset.
    port.disconnecting = True
    port.connectionLost(Failure(ConnectionDone()))
