"""
A real SMTP server for tests: Twisted's ESMTP on a loopback port, plain,
with STARTTLS or with implicit TLS, optionally asking for a password, and
an inbox that keeps what it receives.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import IRealm, Portal
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.endpoints import SSL4ServerEndpoint, TCP4ServerEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.ssl import (
    Certificate,
    PrivateCertificate,
    trustRootFromCertificates,
)
from twisted.mail._cred import LOGINCredentials, PLAINCredentials
from twisted.mail.smtp import (
    ESMTP,
    IMessage,
    IMessageDelivery,
    SMTPFactory,
)
from twisted.trial.unittest import TestCase
from zope.interface import implementer


@dataclass
class Received:
    """
    One message as the server took it.
    """

    sender: str
    recipient: str
    data: bytes
    # Whether the connection it came over was encrypted, and authenticated.
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        message = message_from_bytes(self.data, policy=default)
        assert isinstance(message, EmailMessage)
        return message


@implementer(IMessage)
class _Message:
    def __init__(
        self, inbox: Inbox, sender: str, recipient: str, protocol: Any
    ) -> None:
        self._inbox = inbox
        self._sender = sender
        self._recipient = recipient
        self._protocol = protocol
        self._lines: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:
        self._lines.append(line)

    def eomReceived(self) -> Deferred[bytes]:
        protocol = self._protocol
        self._inbox.deliver(
            Received(
                sender=self._sender,
                recipient=self._recipient,
                # The first line is the Received header the server adds.
                data=b"\n".join(self._lines[1:]) + b"\n",
                tls=bool(protocol.startedTLS or protocol.implicit_tls),
                authenticated=bool(protocol.authenticated),
            )
        )
        return succeed(b"queued")

    def connectionLost(self) -> None:
        self._lines = []


@implementer(IMessageDelivery)
class _Delivery:
    """
    Accepts every message for the inbox, remembering the connection.
    """

    def __init__(self, inbox: Inbox, protocol: Any) -> None:
        self._inbox = inbox
        self._protocol = protocol

    def receivedHeader(self, helo: Any, origin: Any, recipients: Any) -> bytes:
        return b"Received: from a test client"

    def validateFrom(self, helo: Any, origin: Any) -> Any:
        self._sender = str(origin)
        return origin

    def validateTo(self, user: Any) -> Any:
        recipient = str(user.dest)
        return lambda: _Message(self._inbox, self._sender, recipient, self._protocol)


class Inbox:
    """
    What the server received, in order, and a way to wait for more.
    """

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._waiting: list[tuple[int, Deferred[list[Received]]]] = []

    def deliver(self, received: Received) -> None:
        self.messages.append(received)
        for entry in list(self._waiting):
            count, d = entry
            if len(self.messages) >= count:
                self._waiting.remove(entry)
                d.callback(self.messages[:])

    def wait_for(self, count: int) -> Deferred[list[Received]]:
        """
        Fire with the messages once there are C{count} of them.
        """
        if len(self.messages) >= count:
            return succeed(self.messages[:])
        d: Deferred[list[Received]] = Deferred()
        self._waiting.append((count, d))
        return d


class _ServerProtocol(ESMTP):
    implicit_tls = False

    def connectionMade(self) -> None:
        super().connectionMade()
        self.factory.connection_made(self)

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        self.factory.connection_lost(self)

    def _cbAuthenticated(self, login: Any) -> Any:
        result = super()._cbAuthenticated(login)
        # The realm's delivery does not know this connection; this one does.
        self.delivery = _Delivery(self.factory.inbox, self)
        return result


@implementer(IRealm)
class _Realm:
    def __init__(self, factory: MailServerFactory) -> None:
        self._factory = factory

    def requestAvatar(self, avatar_id: Any, mind: Any, *interfaces: Any) -> Any:
        return IMessageDelivery, _Delivery(self._factory.inbox, None), lambda: None


class MailServerFactory(SMTPFactory):
    """
    An ESMTP server that delivers to an L{Inbox}; it keeps track of its
    connections so that a test can wait for them to close.
    """

    protocol = _ServerProtocol
    domain = b"mail.test.invalid"

    def __init__(
        self,
        inbox: Inbox,
        *,
        starttls: Any = None,
        implicit_tls: bool = False,
        credentials: tuple[bytes, bytes] | None = None,
    ) -> None:
        portal = None
        if credentials is not None:
            checker = InMemoryUsernamePasswordDatabaseDontUse()
            checker.addUser(*credentials)
            portal = Portal(_Realm(self), [checker])
        super().__init__(portal)
        self.inbox = inbox
        self._starttls = starttls
        self._implicit_tls = implicit_tls
        self.connections: set[Any] = set()
        self.connection_count = 0
        self._closed_waiters: list[Deferred[None]] = []

    def buildProtocol(self, addr: Any) -> Any:
        protocol = _ServerProtocol(
            chal={b"LOGIN": LOGINCredentials, b"PLAIN": PLAINCredentials},
            contextFactory=self._starttls,
        )
        protocol.factory = self
        protocol.portal = self.portal
        protocol.host = self.domain
        protocol.timeout = 30
        protocol.implicit_tls = self._implicit_tls
        if self.portal is None:
            protocol.delivery = _Delivery(self.inbox, protocol)
        return protocol

    def connection_made(self, protocol: Any) -> None:
        self.connections.add(protocol)
        self.connection_count += 1

    def connection_lost(self, protocol: Any) -> None:
        self.connections.discard(protocol)
        if not self.connections:
            waiters, self._closed_waiters = self._closed_waiters, []
            for d in waiters:
                d.callback(None)

    def all_closed(self) -> Deferred[None]:
        if not self.connections:
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._closed_waiters.append(d)
        return d


@dataclass
class TLSFiles:
    """
    A certificate authority made for one test, and a server certificate
    for C{localhost} signed by it.
    """

    server: PrivateCertificate
    authority: Certificate

    @property
    def trust_root(self) -> Any:
        return trustRootFromCertificates([self.authority])


def make_certificates(hostname: str = "localhost") -> TLSFiles:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "isso-tx test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = leaf.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return TLSFiles(
        server=PrivateCertificate.loadPEM(pem),
        authority=Certificate.loadPEM(ca.public_bytes(serialization.Encoding.PEM)),
    )


@inlineCallbacks
def start_mail_server(
    test: TestCase,
    *,
    security: str = "none",
    tls: TLSFiles | None = None,
    credentials: tuple[bytes, bytes] | None = None,
    port: int = 0,
) -> Any:
    """
    Listen on a loopback port (C{port}, or any free one); stop (after every
    connection closed) when the test ends.  Return the factory, whose
    C{inbox} has the messages and C{port} the port number.
    """
    inbox = Inbox()
    options = tls.server.options() if tls is not None else None
    factory = MailServerFactory(
        inbox,
        starttls=options if security == "starttls" else None,
        implicit_tls=security == "ssl",
        credentials=credentials,
    )
    if security == "ssl":
        assert options is not None
        endpoint = SSL4ServerEndpoint(reactor, port, options, interface="127.0.0.1")
    else:
        endpoint = TCP4ServerEndpoint(reactor, port, interface="127.0.0.1")
    listening = yield endpoint.listen(factory)
    test.addCleanup(factory.all_closed)
    test.addCleanup(listening.stopListening)
    factory.port = listening.getHost().port
    return factory


class _Silent(Protocol):
    """
    Accepts a connection and never says a word (a stuck server).
    """

    def connectionMade(self) -> None:
        self.factory.connections.add(self)

    def connectionLost(self, reason: Any) -> None:
        self.factory.connections.discard(self)
        if not self.factory.connections:
            for d in self.factory.closed:
                d.callback(None)
            self.factory.closed = []


@inlineCallbacks
def start_silent_server(test: TestCase) -> Any:
    """
    Listen on a loopback port with a server that accepts connections and
    never answers.  Return the port number.
    """
    factory = Factory.forProtocol(_Silent)
    factory.connections = set()
    factory.closed = []

    def all_closed() -> Deferred[None]:
        if not factory.connections:
            return succeed(None)
        d: Deferred[None] = Deferred()
        factory.closed.append(d)
        return d

    port = yield TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(factory)
    test.addCleanup(all_closed)
    test.addCleanup(port.stopListening)
    return port.getHost().port


@inlineCallbacks
def closed_port() -> Any:
    """
    Return a loopback port number nothing listens on (a server that is
    down).
    """
    port = yield TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        Factory.forProtocol(Protocol)
    )
    number = port.getHost().port
    yield port.stopListening()
    return number
