"""
Noticing what other processes committed to a site's database, so that no
cached answer outlives a change acknowledged elsewhere.

Several daemons may serve one database behind a load balancer, and the
C{isso-tx} command or Isso itself may write it too.  Each daemon keeps
finished answers in memory (L{isso_tx.caches}); before it answers from
them, it asks its L{ChangeFeed} whether anything may have been committed
since it last looked.  That question is asked on every cached request, so
it must cost no database round trip; only when the answer is yes does the
daemon ask the database which threads changed, and drop those.

L{Freshness} does the asking for the views, one query at a time however
many requests wait.  A backend supplies the feed: L{SQLiteChangeFeed}
here; another backend (PostgreSQL) brings its own with the same two
methods.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from .db import Database, DatabaseUnavailable
from .store.changes import changes_since_interaction


@dataclass(frozen=True)
class Changes:
    """
    What changed since a feed last looked: the uris of the threads, or
    C{everything} when the feed cannot tell (it had not looked before).
    """

    uris: frozenset[str] = frozenset()
    everything: bool = False


class ChangeFeed(Protocol):
    """
    A database's commits, as far as cached answers care.
    """

    def maybe_changed(self) -> bool:
        """
        Whether any process may have committed since the last call of
        L{changes} began.

        It must never say False after a commit it has not reported (a
        stale answer would be served); saying True without cause only costs
        a call of L{changes}.  Called before every cached answer, so it
        must not wait on the database.
        """

    def changes(self) -> Deferred[Changes]:
        """
        Return what changed since the previous call, including at least
        every commit acknowledged before this call.
        """


# The WAL-index header at the start of a database's -shm file: SQLite
# writes it twice (48 bytes each) at every commit, bumping a change counter
# in it, and readers compare it with the copy they saw last (that is how
# PRAGMA data_version works).  Its first field is the format's version.
_HEADER_SIZE = 2 * 48
_WAL_INDEX_VERSION = 3007000


class SQLiteChangeFeed(Service):
    """
    The change feed of an SQLite database in WAL mode.

    "Something was committed" is read from the WAL-index header in the
    C{-shm} file, mapped into memory: every process that writes the file
    updates it before its commit returns, and comparing 96 bytes costs well
    under a microsecond.  Which threads changed is read from
    C{isso_tx_changes}, which triggers keep for every writer.

    The map is opened once the pool's connection has opened the database
    (so the file exists and SQLite holds it), and closed only when the
    service stops, after the pool: closing any descriptor of a file drops
    the POSIX locks this process holds on it, SQLite's included.  Without a
    usable map (a database not in WAL mode), every check goes to the
    database.
    """

    log = Logger()

    def __init__(self, database: Database) -> None:
        self._database = database
        self._shm_path = database.path + "-shm"
        self._descriptor: int | None = None
        self._map: mmap.mmap | None = None
        self._inode: int | None = None
        # Maps of a file that held no WAL index, kept open (see _check_map).
        self._unusable: list[mmap.mmap] = []
        # The header as read just before the last query of the change log,
        # and the newest change number that query saw.
        self._seen: bytes | None = None
        self._newest: int | None = None

    def _header(self) -> bytes | None:
        if self._map is None:
            return None
        return self._map[:_HEADER_SIZE]

    def maybe_changed(self) -> bool:
        header = self._header()
        return header is None or header != self._seen

    def changes(self) -> Deferred[Changes]:
        return Deferred.fromCoroutine(self._changes())

    async def _changes(self) -> Changes:
        mapped = self._map is not None
        changes = await self._read_log()
        if not mapped and self._map is not None:
            # Just mapped: read again, this time after a look at the header,
            # so that the next requests can trust it.
            more = await self._read_log()
            changes = Changes(changes.uris | more.uris, changes.everything)
        return changes

    async def _read_log(self) -> Changes:
        # The header is read before the log: a commit that lands in between
        # is then both in the log and, again, in the next header.
        header = self._header()
        known = self._newest is not None
        self._newest, uris = await self._database.run(
            changes_since_interaction, self._newest
        )
        self._seen = header
        self._check_map()
        if not known:
            return Changes(everything=True)
        return Changes(frozenset(uris))

    def _check_map(self) -> None:
        """
        Map the -shm file if it is not mapped yet, or again if it is no
        longer the file SQLite uses.

        Neither the descriptor nor the map (which holds a copy of it) of
        the file SQLite uses is closed before the service stops, even when
        the file turns out to hold no WAL index: closing either would drop
        SQLite's locks on it.
        """
        try:
            inode: int | None = os.stat(self._shm_path).st_ino
        except OSError:
            inode = None
        if inode != self._inode:
            # A different file, or none: the old one is no longer SQLite's.
            self._unmap()
            self._seen = None
            if inode is None:
                return
            try:
                self._descriptor = os.open(self._shm_path, os.O_RDONLY)
            except OSError:
                return
            self._inode = inode
        if self._map is not None or self._unusable or self._descriptor is None:
            return
        try:
            mapped = mmap.mmap(self._descriptor, _HEADER_SIZE, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            # Shorter than a header: not (yet) a WAL index.
            return
        self._seen = None
        (version,) = struct.unpack_from("=I", mapped, 0)
        if version == _WAL_INDEX_VERSION:
            self._map = mapped
        else:
            self._unusable.append(mapped)
            self.log.info(
                "{path} holds no WAL index; every cached answer will be "
                "checked against the database",
                path=self._shm_path,
            )

    def _unmap(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        for mapped in self._unusable:
            mapped.close()
        self._unusable.clear()
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        self._inode = None

    def stopService(self) -> None:
        super().stopService()
        self._unmap()
        self._seen = None


class DatabaseChangeFeed:
    """
    The change feed of a database that has no cheap signal of commits
    (PostgreSQL, whose server may be on another machine): every check asks
    the change log.  L{Freshness} lets one question answer all the requests
    that arrived while it was asked, and the database reads it in one round
    trip (L{Database.read}).

    PostgreSQL's notifications (the triggers send one on channel
    C{isso_tx_changes} at every change) cannot replace the question: a
    notification reaches a listening daemon some time after the commit,
    while the writer's answer may reach the reader, and the reader's next
    request this daemon, sooner; a daemon that trusted "no notification
    yet" would then serve the answer from before the write, which
    read-your-writes across daemons forbids.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._newest: int | None = None

    def maybe_changed(self) -> bool:
        return True

    def changes(self) -> Deferred[Changes]:
        return Deferred.fromCoroutine(self._changes())

    async def _changes(self) -> Changes:
        known = self._newest is not None
        self._newest, uris = await self._database.read(
            changes_since_interaction, self._newest
        )
        if not known:
            return Changes(everything=True)
        return Changes(frozenset(uris))


class Freshness:
    """
    Keeps a site's cached answers in step with its database.

    L{check} is called before a cached answer is given: it returns None
    when nothing was committed since the cache was last brought up to date,
    else a Deferred that fires once the changed threads were handed to
    C{forget}.  One query of the feed runs at a time; requests that arrive
    while one runs wait for the next, which starts after they looked.

    @param forget: called with the L{Changes} found, to drop what they
        make stale.
    """

    log = Logger()

    def __init__(self, feed: ChangeFeed, forget: Callable[[Changes], None]) -> None:
        self._feed = feed
        self._forget = forget
        self._running = False
        self._current: list[Deferred[None]] = []
        self._queued: list[Deferred[None]] = []

    def check(self) -> Deferred[None] | None:
        """
        Return None if the cached answers are current, else a Deferred that
        fires when they are.
        """
        if not self._feed.maybe_changed():
            return None
        waiter: Deferred[None] = Deferred()
        if self._running:
            self._queued.append(waiter)
        else:
            self._current.append(waiter)
            self._run()
        return waiter

    def _run(self) -> None:
        self._running = True
        d = self._feed.changes()
        d.addCallbacks(self._found, self._failed)

    def _found(self, changes: Changes) -> None:
        self._forget(changes)
        self._next()

    def _failed(self, failure: Failure) -> None:
        # Nothing is known about what changed: drop everything, so that the
        # waiting requests read the database (and fail there, if they must).
        if failure.check(DatabaseUnavailable):
            self.log.warn(
                "Cannot read the database's changes: {error}",
                error=failure.getErrorMessage(),
            )
        else:
            self.log.failure("While reading the database's changes", failure)
        self._forget(Changes(everything=True))
        self._next()

    def _next(self) -> None:
        done, self._current = self._current, []
        self._running = False
        if self._queued:
            self._current, self._queued = self._queued, []
            self._run()
        for waiter in done:
            # A waiter whose reader went away was cancelled already.
            if not waiter.called:
                waiter.callback(None)
