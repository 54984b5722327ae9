"""
What the notifiers are told about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CommentEvent:
    """
    A comment that was stored or published, with what links to it need.
    """

    thread: dict[str, Any]
    # The full row: raw text, e-mail, address, mode...
    comment: dict[str, Any]
    # The website the comment was posted from (for links to the page).
    origin: str
    # Where this server is reachable (for moderation links).
    endpoint: str

    @property
    def comment_url(self) -> str:
        return f"{self.origin}{self.thread['uri']}#isso-{self.comment['id']}"
