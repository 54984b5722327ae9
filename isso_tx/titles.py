"""
Naming a new thread after the page it belongs to.

When the first comment of a page arrives without a title, the page itself is
fetched from the website and searched for the comment section's
C{data-title}, or failing that for the nearest C{<h1>}.  The section may
also rename the thread with C{data-isso-id}.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from twisted.internet import defer, error
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgent

from . import __version__
from .threads import run_in_thread

UNTITLED = "Untitled."
_HTML = "{http://www.w3.org/1999/xhtml}"
MAX_PAGE = 2 * 1024 * 1024


def _text(element: Element) -> str:
    return "".join(element.itertext()).strip()


def _find_heading(section: Element, parents: dict[Element, Element]) -> str | None:
    """
    Search outwards from the comment section for an C{<h1>}: first among the
    elements before it in each enclosing element, walking down into the
    nearest earlier sibling, then up to the enclosing element.
    """
    visited = {section}
    current: Element | None = section
    while current is not None:
        node = current
        while True:
            descend = None
            for child in node:
                if not isinstance(child.tag, str):
                    continue
                if child.tag == f"{_HTML}h1":
                    return _text(child)
                if child not in visited:
                    descend = child
                    break
            if descend is None:
                break
            visited.add(descend)
            node = descend
        current = parents.get(current)
        if current is not None:
            visited.add(current)
    return None


def page_thread(html: str | bytes, uri: str) -> tuple[str, str]:
    """
    Return the thread uri and title a page announces for its comments.
    """
    # Loaded here, not at start: most comments come with their page's
    # title, and html5lib costs the daemon over a megabyte of memory.
    import html5lib

    document = html5lib.parse(html, treebuilder="etree")
    parents = {child: parent for parent in document.iter() for child in parent}
    section = next(
        (
            element
            for element in document.iter()
            if element.tag in (f"{_HTML}div", f"{_HTML}section")
            and element.get("id") == "isso-thread"
        ),
        None,
    )
    if section is None:
        return uri, UNTITLED
    if section.get("data-isso-id"):
        uri = unquote(section.get("data-isso-id"))
    if section.get("data-title"):
        return uri, unquote(section.get("data-title"))
    return uri, _find_heading(section, parents) or UNTITLED


class TitleFetcher:
    """
    Fetches pages of the website to name their threads.
    """

    log = Logger()
    timeout = 3.0
    max_redirects = 3

    def __init__(self, reactor: Any, agent: IAgent | None = None) -> None:
        """
        @param reactor: the clock for timeouts and the thread pool that
            parses pages (html5lib is slow, pages may be large).
        """
        self._reactor = reactor
        self._given_agent = agent

    @property
    def _agent(self) -> IAgent:
        if self._given_agent is None:
            # Imported when the first page is fetched, not with the daemon:
            # most comments come with their page's title, and the HTTP
            # client's modules weigh a third of a megabyte.
            from twisted.web.client import Agent

            self._given_agent = Agent(self._reactor)
        return self._given_agent

    async def fetch(self, origin: str, uri: str) -> tuple[str, str] | None:
        """
        Return the (uri, title) of the page at C{origin + uri}, or None if
        the page cannot be fetched.

        Only permanent redirects within the website are followed.
        """
        path = uri
        headers = Headers({b"user-agent": [f"isso-tx/{__version__}".encode()]})
        for _ in range(self.max_redirects + 1):
            url = f"{origin}{path}"
            try:
                d = self._agent.request(b"GET", url.encode("utf-8"), headers)
                d.addTimeout(self.timeout, self._reactor)
                response = await d
                if response.code == 301:
                    location = response.headers.getRawHeaders(b"location", [b""])[0]
                    response.deliverBody(_Discard())
                    path = urlsplit(location.decode("latin-1")).path
                    if not path:
                        return None
                    continue
                if response.code != 200:
                    response.deliverBody(_Discard())
                    return None
                # The length is UNKNOWN_LENGTH, not a number, for a page
                # sent in chunks; those are cut off while being read.
                if isinstance(response.length, int) and response.length > MAX_PAGE:
                    response.deliverBody(_Discard())
                    return None
                reader = _LimitedBody(MAX_PAGE)
                response.deliverBody(reader)
                reader.done.addTimeout(self.timeout, self._reactor)
                page = await reader.done
                if page is None:
                    return None
                return await run_in_thread(self._reactor, page_thread, page, uri)
            # addTimeout raises the first, an agent's connection timeout the
            # second.
            except (defer.TimeoutError, error.TimeoutError, CancelledError):
                self.log.info("Timed out fetching {url} for its title", url=url)
                return None
            except Exception as e:
                self.log.info(
                    "Could not fetch {url} for its title: {error}", url=url, error=e
                )
                return None
        return None


class _LimitedBody(Protocol):
    """
    Collects a response body into C{done}, or gives None and stops reading
    once it grows past C{limit} bytes (a page sent without a length may be
    of any size).  Cancelling C{done} (a timeout) hangs up, so that a
    website trickling bytes does not keep the connection open.
    """

    def __init__(self, limit: int) -> None:
        self.done: Deferred[bytes | None] = Deferred(self._hang_up)
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def _hang_up(self, done: Deferred[bytes | None]) -> None:
        if self.transport is not None:
            self.transport.stopProducing()

    def dataReceived(self, data: bytes) -> None:
        if self.done.called:
            return
        self._size += len(data)
        if self._size > self._limit:
            self.transport.stopProducing()
            self.done.callback(None)
            return
        self._chunks.append(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        if self.done.called:
            return
        from twisted.web.client import ResponseDone  # loaded with the agent

        if reason.check(ResponseDone, PotentialDataLoss):
            self.done.callback(b"".join(self._chunks))
        else:
            self.done.errback(reason)


class _Discard:
    """
    A body consumer that throws the body away.
    """

    def makeConnection(self, transport: object) -> None:
        transport.stopProducing()  # type: ignore[attr-defined]

    def dataReceived(self, data: bytes) -> None:
        pass

    def connectionLost(self, reason: object) -> None:
        pass
