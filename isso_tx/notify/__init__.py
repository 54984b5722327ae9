"""
Telling the site owner and subscribed commenters what happens to comments:
L{fanout} passes events to the backends, L{mails} builds the mails, and
L{mailnotifier} turns events into mails for L{isso_tx.mail} to deliver;
L{hooks} builds webhook bodies and L{webhooknotifier} queues them for
L{isso_tx.webhooks}.
"""

from .events import CommentEvent
from .fanout import Notifier, Notifiers, StdoutNotifier
from .mailnotifier import MailNotifier
from .mails import (
    Sender,
    mailbox,
    moderation_link,
    owner_mail,
    reply_mail,
    unsubscribe_link,
)
from .webhooknotifier import WebhookNotifier

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
