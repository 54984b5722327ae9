"""
Trying listening addresses before the daemon commits to anything.

Both C{twistd isso} (before it opens a database) and C{isso-tx check} bind
each address the way the daemon would and release it at once, so that a
busy port or a socket path that cannot be created is reported in one line
naming where the address came from.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterable

from twisted.internet import endpoints
from twisted.internet.abstract import isIPv6Address
from twisted.internet.protocol import Factory
from twisted.python.lockfile import FilesystemLock


class _Recorder:
    """
    Stands for the reactor where an endpoint listens, and records what it
    was asked instead.  (Twisted's MemoryReactor would do, but its module
    loads trial, doctest and pdb into every daemon.)
    """

    def __init__(self) -> None:
        self.tcp: list[tuple[int, str]] = []
        self.unix: list[tuple[str, bool]] = []

    def listenTCP(
        self, port: int, factory: Factory, backlog: int = 50, interface: str = ""
    ) -> None:
        self.tcp.append((port, interface))

    def listenUNIX(
        self,
        address: str,
        factory: Factory,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: int = 0,
    ) -> None:
        self.unix.append((address, bool(wantPID)))


def listen_problems(addresses: Iterable[tuple[str, str]]) -> list[str]:
    """
    Try each endpoint once, in order, and describe each one that cannot be
    listened on.

    @param addresses: pairs of where an endpoint was given (for instance
        C{"/etc/isso/isso.cfg: [server] listen"} or C{"--listen"}) and the
        endpoint description.
    @return: one line per failure, starting with where it was given.
    """
    problems = []
    tried: set[str] = set()
    for where, description in addresses:
        if description in tried:
            continue
        tried.add(description)
        reason = listen_problem(description)
        if reason is not None:
            problems.append(f"{where}: cannot listen on {description}: {reason}")
    return problems


def listen_problem(description: str) -> str | None:
    """
    Bind the TCP or unix socket address of the endpoint C{description} as
    the daemon would, and release it at once; return why that failed, or
    None.  Other kinds of endpoint (systemd:, ssl:...) are not tried.
    """
    if description.partition(":")[0] not in ("tcp", "tcp6", "unix"):
        return None
    # Twisted's own reading of the endpoint, recorded instead of listened.
    recorder = _Recorder()
    try:
        endpoints.serverFromString(recorder, description).listen(Factory())
    except (ValueError, TypeError, KeyError) as e:
        return f"not an endpoint Twisted reads: {e}"
    if recorder.tcp:
        port, interface = recorder.tcp[0]
        family = socket.AF_INET6 if isIPv6Address(interface) else socket.AF_INET
        return _bind_problem(family, (interface, port))
    path, want_pid = recorder.unix[0]
    if not want_pid:
        return _bind_problem(socket.AF_UNIX, path)
    # The daemon holds a lock beside its socket, and replaces a socket left
    # by a process that died holding the lock.
    lock = FilesystemLock(path + ".lock")
    try:
        if not lock.lock():
            return f"{path}.lock is held by a running process"
    except OSError as e:
        return f"{path}.lock: {e.strerror}"
    try:
        if not lock.clean and os.path.exists(path):
            return None
        return _bind_problem(socket.AF_UNIX, path)
    finally:
        lock.unlock()


def _bind_problem(family: socket.AddressFamily, address: object) -> str | None:
    """
    Bind and listen on C{address}, then close the socket (removing the file
    of a unix socket that was bound); return why that failed, or None.
    """
    bound = False
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            if family != socket.AF_UNIX:
                # As Twisted does: a port whose last connections are still
                # closing can be listened on again.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(address)
            bound = True
            s.listen(1)
    except OSError as e:
        return e.strerror or str(e)
    finally:
        if bound and family == socket.AF_UNIX:
            with contextlib.suppress(OSError):
                os.unlink(address)  # type: ignore[arg-type]
    return None
