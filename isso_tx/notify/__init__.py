"""
Telling the site owner and subscribed commenters what happens to comments:
L{fanout} passes events to the backends, L{mails} builds the mails, and
L{mailnotifier} turns events into mails for L{isso_tx.mail} to deliver.
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

__all__ = [
    "CommentEvent",
    "MailNotifier",
    "Notifier",
    "Notifiers",
    "Sender",
    "StdoutNotifier",
    "mailbox",
    "moderation_link",
    "owner_mail",
    "reply_mail",
    "unsubscribe_link",
]
