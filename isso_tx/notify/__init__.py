"""
Telling the site owner and subscribed commenters what happens to comments:
L{fanout} passes events to the backends, L{mails} builds the mails, and
L{mailnotifier} turns events into mails for L{isso_tx.mail} to deliver;
L{hooks} builds webhook bodies and L{webhooknotifier} queues them for
L{isso_tx.webhooks}.

The mail and webhook parts are imported when first asked for: a site
that sends neither (the default, C{notify = stdout}) is spared the
modules they bring (twisted.mail, email's header parser, twisted.web's
HTTP client), about 1.5 MiB of the daemon's memory.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .events import CommentEvent
from .fanout import Notifier, Notifiers, StdoutNotifier
from .links import moderation_link

# The names imported when first asked for, and their modules.
_LAZY = {
    "MailNotifier": ".mailnotifier",
    "Sender": ".mails",
    "mailbox": ".mails",
    "owner_mail": ".mails",
    "reply_mail": ".mails",
    "unsubscribe_link": ".mails",
    "WebhookNotifier": ".webhooknotifier",
}

__all__ = [
    "CommentEvent",
    "MailNotifier",
    "Notifier",
    "Notifiers",
    "Sender",
    "StdoutNotifier",
    "WebhookNotifier",
    "mailbox",
    "moderation_link",
    "owner_mail",
    "reply_mail",
    "unsubscribe_link",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
