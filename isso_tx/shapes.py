"""
How comments look on the wire.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .settings import GeneralConfig

# The columns a client may see, in Isso's order.  Never e-mail, address,
# voters or thread id.
PUBLIC_FIELDS = (
    "id",
    "parent",
    "created",
    "modified",
    "mode",
    "text",
    "author",
    "website",
    "likes",
    "dislikes",
    "notification",
)


def public_comment(row: dict[str, Any], *, plain: bool = False) -> dict[str, Any]:
    """
    Return the client-visible fields of a stored comment.

    C{text} is the stored rendering, or the raw Markdown when C{plain}.
    """
    comment = {key: row[key] for key in PUBLIC_FIELDS}
    if not plain:
        comment["text"] = row["html"]
    return comment


def gravatar_image(template: str, row: dict[str, Any]) -> str:
    """
    Return the gravatar address of a comment's author.
    """
    subject = row["email"] or row["author"] or ""
    return template.replace("{}", hashlib.md5(subject.encode("utf-8")).hexdigest())


def listed_comment(
    row: dict[str, Any],
    author_hash: str,
    general: GeneralConfig,
    *,
    plain: bool = False,
) -> dict[str, Any]:
    """
    Return a comment as threads list it and C{POST /new} answers it: the
    public fields, the author's hash (drawn as an identicon) and, when the
    site shows them, the author's gravatar address.
    """
    comment = public_comment(row, plain=plain)
    comment["hash"] = author_hash
    if general.gravatar:
        comment["gravatar_image"] = gravatar_image(general.gravatar_url, row)
    return comment
