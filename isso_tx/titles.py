"""
Naming a new thread after the page it belongs to.

When the first comment of a page arrives without a title, the page itself is
fetched from the website and searched for the comment section's
C{data-title}, or failing that for the nearest C{<h1>}.  The section may
also rename the thread with C{data-isso-id}.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

import html5lib
from twisted.internet.defer import CancelledError
from twisted.internet.error import TimeoutError
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.web.client import Agent, readBody
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgent

from . import __version__

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

    def __init__(self, reactor: IReactorTime, agent: IAgent | None = None) -> None:
        self._reactor = reactor
        self._agent = agent if agent is not None else Agent(reactor)

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
                if response.length is not None and response.length > MAX_PAGE:
                    response.deliverBody(_Discard())
                    return None
                body = readBody(response)
                body.addTimeout(self.timeout, self._reactor)
                return page_thread(await body, uri)
            except (TimeoutError, CancelledError):
                self.log.info("Timed out fetching {url} for its title", url=url)
                return None
            except Exception as e:
                self.log.info(
                    "Could not fetch {url} for its title: {error}", url=url, error=e
                )
                return None
        return None


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
