"""
The HTTP factory's drain on stop, with in-memory connections and a fake
clock.
"""

from __future__ import annotations

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource

from isso_tx.draining import DrainingChannel, DrainingSite
from isso_tx.tap import Options

GET = b"GET / HTTP/1.1\r\nHost: comments.example\r\n\r\n"


class Answer(Resource):
    """
    Answers every GET with the same text.
    """

    isLeaf = True

    def render_GET(self, request: object) -> bytes:
        return b"answer"


class DrainTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.site = DrainingSite(Answer(), reactor=self.clock)

    def connect(self) -> tuple[DrainingChannel, StringTransport]:
        channel = self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 4321))
        transport = StringTransport()
        channel.makeConnection(transport)
        return channel, transport

    def close_if_asked(self, channel: DrainingChannel, transport: StringTransport) -> None:
        # What the reactor does once a transport has been asked to close.
        if transport.disconnecting:
            channel.connectionLost(Failure(ConnectionDone()))

    def test_idle_connection_closed_at_once(self) -> None:
        """
        A keep-alive connection between requests is closed as soon as the
        daemon stops, and the drain is over.
        """
        channel, transport = self.connect()
        channel.dataReceived(GET)
        self.assertIn(b"answer", transport.value())
        self.assertFalse(transport.disconnecting)
        drained = self.site.drain(10)
        self.close_if_asked(channel, transport)
        self.assertIsNone(self.successResultOf(drained))

    def test_request_arriving_is_answered(self) -> None:
        """
        A request whose head is still arriving when the daemon stops is
        answered, with Connection: close, and then its connection closes.
        """
        channel, transport = self.connect()
        channel.dataReceived(GET[:10])
        drained = self.site.drain(10)
        self.assertNoResult(drained)
        self.assertFalse(transport.disconnecting)
        channel.dataReceived(GET[10:])
        answer = transport.value()
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer)
        self.assertIn(b"connection: close", answer.lower())
        self.assertTrue(transport.disconnecting)
        self.close_if_asked(channel, transport)
        self.assertIsNone(self.successResultOf(drained))

    def test_new_connection_waited_for(self) -> None:
        """
        A connection accepted just before the stop, whose first request has
        not arrived yet, is waited for and its request answered.
        """
        channel, transport = self.connect()
        drained = self.site.drain(10)
        self.assertFalse(transport.disconnecting)
        channel.dataReceived(GET)
        self.assertIn(b"answer", transport.value())
        self.close_if_asked(channel, transport)
        self.assertIsNone(self.successResultOf(drained))

    def test_bounded(self) -> None:
        """
        A request that does not finish within the bound has its connection
        aborted, and the drain is over.
        """
        channel, transport = self.connect()
        channel.dataReceived(GET[:10])
        drained = self.site.drain(2)
        self.clock.advance(1.9)
        self.assertNoResult(drained)
        self.clock.advance(0.2)
        self.assertTrue(transport.disconnecting)
        self.close_if_asked(channel, transport)
        self.assertIsNone(self.successResultOf(drained))

    def test_nothing_open(self) -> None:
        """
        With no connection open, the drain is over at once.
        """
        self.assertIsNone(self.successResultOf(self.site.drain(10)))


class DrainTimeoutOptionTests(SynchronousTestCase):
    def test_default_and_given(self) -> None:
        """
        C{--drain-timeout} sets how long a stopping daemon waits, 10 s unless
        given.
        """
        options = Options()
        options.parseOptions(["--config", "site.cfg"])
        self.assertEqual(options["drain-timeout"], 10)
        options = Options()
        options.parseOptions(["--config", "site.cfg", "--drain-timeout", "2.5"])
        self.assertEqual(options["drain-timeout"], 2.5)

    def test_not_a_number(self) -> None:
        """
        A drain timeout that is not a number of seconds is refused, naming
        the option.
        """
        for value in ("soon", "-1", "inf", "nan"):
            error = self.assertRaises(
                UsageError, Options().parseOptions, ["--drain-timeout", value]
            )
            self.assertIn("--drain-timeout", str(error))
