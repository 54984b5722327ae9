"""
The client's files: C{/js/}, C{/css/}, C{/img/} and the C{/demo/} page.

They are small and few, so they are read into memory at start-up with their
ETags.  A file built with a C{.gz} sibling is sent compressed to browsers
that accept gzip.  Embedding pages name the files without a version, so
browsers keep them for a day and may use a stale copy for a week while they
revalidate in the background.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from email.utils import formatdate
from importlib import resources
from importlib.resources.abc import Traversable

from twisted.web.iweb import IRequest
from twisted.web.resource import Resource

from .http import error_body

CACHE_CONTROL = b"public, max-age=86400, stale-while-revalidate=604800"
STATIC_PREFIXES = (b"js", b"css", b"img", b"demo")

_TYPES = {
    ".js": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".html": b"text/html; charset=utf-8",
    ".svg": b"image/svg+xml",
    ".map": b"application/json",
    ".json": b"application/json",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    etag: bytes
    content_type: bytes


def _walk(folder: Traversable, prefix: str = "") -> dict[str, Traversable]:
    found = {}
    for entry in folder.iterdir():
        name = f"{prefix}/{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, name))
        else:
            found[name] = entry
    return found


def load_assets(folder: Traversable | None = None) -> dict[bytes, Asset]:
    """
    Read the built client files, keyed by their URL path (C{b"/js/embed.min.js"}).
    """
    if folder is None:
        folder = resources.files("isso_tx").joinpath("static")
    if not folder.is_dir():
        return {}
    files = _walk(folder)
    assets = {}
    for name, entry in files.items():
        if name.endswith(".gz"):
            continue
        body = entry.read_bytes()
        gz = files.get(name + ".gz")
        extension = name[name.rfind(".") :]
        content_type = _TYPES.get(extension) or (
            (mimetypes.guess_type(name)[0] or "application/octet-stream").encode()
        )
        assets[name.encode()] = Asset(
            body=body,
            gzipped=gz.read_bytes() if gz is not None else None,
            etag=b'"' + hashlib.sha1(body).hexdigest()[:20].encode() + b'"',
            content_type=content_type,
        )
    return assets


class StaticResource(Resource):
    """
    Serves L{load_assets} files; C{/demo/} is the demo page's index.
    """

    isLeaf = True

    def __init__(self, assets: dict[bytes, Asset]) -> None:
        super().__init__()
        self._assets = assets
        self._last_modified = formatdate(usegmt=True).encode()

    def render_GET(self, request: IRequest) -> bytes:
        path = b"/" + b"/".join(request.postpath)
        if path == b"/demo":
            # Relative links of the page only work below the slash.
            request.setResponseCode(308)
            request.setHeader(b"location", b"demo/")
            return b""
        if path.endswith(b"/"):
            path += b"index.html"
        asset = self._assets.get(path)
        if asset is None:
            return error_body(request, 404, "no such file")
        request.setHeader(b"content-type", asset.content_type)
        request.setHeader(b"cache-control", CACHE_CONTROL)
        request.setHeader(b"etag", asset.etag)
        request.setHeader(b"last-modified", self._last_modified)
        request.setHeader(b"vary", b"Origin, Accept-Encoding")
        if request.setETag(asset.etag):
            return b""
        accepted = request.getHeader(b"accept-encoding") or b""
        if asset.gzipped is not None and b"gzip" in accepted.lower():
            request.setHeader(b"content-encoding", b"gzip")
            return asset.gzipped
        return asset.body
