"""
What the site owner's pages share: the admin panel and the pages behind
the links of notification mails.

Their templates are read once, when the server starts, and their headers
keep them private: each page carries a key or a session token that
authorises changes, so it stays out of caches, Referer headers and frames.
"""

from __future__ import annotations

from importlib import resources

from twisted.python.filepath import FilePath
from twisted.web.iweb import IRequest
from twisted.web.template import XMLFile

from .http import HTML_TYPE

PRIVATE_HEADERS = {
    b"content-type": HTML_TYPE,
    b"cache-control": b"no-store",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
}


def template(name: str) -> XMLFile:
    """
    Return the loader of C{isso_tx/templates/<name>}, the file already
    read and parsed, so that no request waits on the disk for it.
    """
    folder = resources.files("isso_tx") / "templates"
    loader = XMLFile(FilePath(str(folder / name)))
    loader.load()
    return loader


def content_security_policy(*sources: str) -> bytes:
    """
    Return a policy that loads nothing but C{sources} (directives such as
    C{"style-src 'self'"}), lets forms post only to this server, and
    forbids framing the page.
    """
    directives = (
        "default-src 'none'",
        *sources,
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
    return "; ".join(directives).encode()


def owner_page(request: IRequest, code: int, policy: bytes) -> None:
    """
    Answer C{request} with an owner's HTML page: status C{code}, the
    private headers and the content security C{policy}.
    """
    request.setResponseCode(code)
    for name, value in PRIVATE_HEADERS.items():
        request.setHeader(name, value)
    request.setHeader(b"content-security-policy", policy)
