"""
The signed links that moderate one comment, as the stdout notifier, the
mails and the webhooks give them to the site owner.
"""

from __future__ import annotations

from ..signing import Signer


def moderation_link(
    signer: Signer, endpoint: str, comment_id: int, action: str
) -> str:
    key = signer.moderation_key(comment_id)
    return f"{endpoint}/id/{comment_id}/{action}/{key}"
