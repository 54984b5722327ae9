"""
The mails about comments, built as messages: pure functions of the event,
the signer (for links) and the time; sending them is L{isso_tx.mail}'s work.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import quote

from ..signing import Signer
from ..store.rows import PENDING
from .events import CommentEvent
from .links import moderation_link

# Shown as the sender's name when [smtp] from gives none.
SENDER_NAME = "Comment notifications"
# Long thread titles are cut in subjects.
MAX_SUBJECT_TITLE = 120

# What we accept as a commenter's address for reply mails: one plain ASCII
# addr-spec with a dotted domain.  Commenters type anything in the e-mail
# field; a value with spaces, commas or angle brackets is never mailed.
_MAILBOX = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]"
    r"(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def mailbox(stored: str | None) -> str | None:
    """
    Return the address to mail for an e-mail as stored with a comment
    (HTML-escaped), or None if it is not one plain address.
    """
    if not stored:
        return None
    address = html.unescape(stored).strip()
    return address if _MAILBOX.fullmatch(address) else None


def _plain(value: str | None) -> str:
    """
    Author names and websites are stored HTML-escaped; mails are plain text.
    """
    return html.unescape(value) if value else ""


def _subject_title(thread: dict[str, Any]) -> str:
    title = " ".join((thread.get("title") or "").split())
    if len(title) > MAX_SUBJECT_TITLE:
        title = title[: MAX_SUBJECT_TITLE - 1] + "…"
    return title


def unsubscribe_link(
    signer: Signer, endpoint: str, comment_id: int, email: str
) -> str:
    """
    Return the link that stops reply mails to C{email} (as stored) for the
    conversation under comment C{comment_id}.
    """
    key = signer.unsubscribe_key(email)
    return f"{endpoint}/id/{comment_id}/unsubscribe/{quote(email, safe='')}/{key}"


@dataclass(frozen=True)
class Sender:
    """
    Who mails come from: the C{From} header and the envelope address.
    """

    header: Address
    envelope: str

    @classmethod
    def from_config(cls, value: str, fallback: str) -> Sender:
        """
        Read C{[smtp] from}: an address with or without a display name (we
        add ours when it has none).  C{fallback} is used when it is empty.

        @raise ValueError: not an address.
        """
        name, address = parseaddr(value.strip() or fallback)
        if not value.strip():
            # The fallback is an address, not a name for our mails.
            name = ""
        if "@" not in address:
            raise ValueError(f"not an e-mail address: {value!r}")
        local, _, domain = address.rpartition("@")
        header = Address(
            display_name=name or SENDER_NAME, username=local, domain=domain
        )
        return cls(header=header, envelope=address)

    @property
    def domain(self) -> str:
        return self.header.domain or "localhost"


def _message(
    sender: Sender, recipient: str, subject: str, body: str, now: float
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender.header
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(now, localtime=True)
    # The domain is given: without it, make_msgid asks DNS for ours.
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message


def wire(message: EmailMessage) -> bytes:
    # Twisted's SMTP client turns each "\n" into CRLF itself.
    return message.as_bytes(policy=message.policy.clone(linesep="\n"))


def owner_mail(
    event: CommentEvent, signer: Signer, sender: Sender, to: str, now: float
) -> EmailMessage:
    """
    Compose the mail telling the site owner about a new comment, with the
    links that moderate it.
    """
    comment = event.comment
    comment_id = comment["id"]
    title = _subject_title(event.thread)
    pending = comment["mode"] == PENDING
    author = _plain(comment["author"]) or "Someone without a name"
    email = _plain(comment["email"])
    who = f"{author} <{email}>" if email else author
    lines = [
        f'{who} commented on "{title}".' if not pending
        else f'{who} commented on "{title}"; the comment waits for your approval.',
        "",
        comment["text"],
        "",
    ]
    if comment["website"]:
        lines.append(f"Website: {_plain(comment['website'])}")
    lines += [
        f"Address: {comment['remote_addr']}",
        f"On the page: {event.comment_url}",
        "",
        "-- ",
        "Each link below asks you to confirm before it changes anything.",
        "The Delete page can also ban the writer's network or e-mail address.",
    ]
    if pending:
        lines.append(
            "Publish: "
            + moderation_link(signer, event.endpoint, comment_id, "activate")
        )
    lines += [
        "Edit: " + moderation_link(signer, event.endpoint, comment_id, "edit"),
        "Delete: " + moderation_link(signer, event.endpoint, comment_id, "delete"),
    ]
    subject = (
        f"Comment to approve on {title}" if pending else f"New comment on {title}"
    )
    return _message(sender, to, subject, "\n".join(lines) + "\n", now)


def reply_mail(
    event: CommentEvent,
    signer: Signer,
    sender: Sender,
    parent_id: int,
    email: str,
    now: float,
) -> EmailMessage:
    """
    Compose the mail telling a subscribed commenter (C{email}, as stored)
    that someone answered in their conversation.
    """
    comment = event.comment
    title = _subject_title(event.thread)
    author = _plain(comment["author"]) or "Someone"
    unsubscribe = unsubscribe_link(signer, event.endpoint, parent_id, email)
    body = "\n".join(
        [
            f'{author} answered in a conversation you follow on "{title}":',
            "",
            comment["text"],
            "",
            f"Read it on the page: {event.comment_url}",
            "",
            "-- ",
            "You get this mail because you asked to hear about replies to "
            "your comment.",
            f"To stop mails about this conversation: {unsubscribe}",
            "",
        ]
    )
    message = _message(
        sender, mailbox(email) or email, f"New reply on {title}", body, now
    )
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
