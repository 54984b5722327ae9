"""
Telling the site owner and subscribed commenters what happens to comments:
L{fanout} passes events to the backends, L{mails} builds the mails, and
L{mailnotifier} turns events into mails for L{isso_tx.mail} to deliver;
L{hooks} builds webhook bodies and L{webhooknotifier} queues them for
L{isso_tx.webhooks}.

Only what every site uses is imported here.  The mail and webhook parts
are imported from their own modules by a site that sends them: a site that
sends neither (the default, C{notify = stdout}) is spared the modules they
bring (twisted.mail, email's header parser, twisted.web's HTTP client),
about 1.5 MiB of the daemon's memory.
"""

from .events import CommentEvent
from .fanout import Notifier, Notifiers, StdoutNotifier
from .links import moderation_link

__all__ = [
    "CommentEvent",
    "Notifier",
    "Notifiers",
    "StdoutNotifier",
    "moderation_link",
]
