"""
Telling the site owner (and subscribed commenters) what happens.

The comments API reports events to a L{Notifiers} fan-out; each backend
named in C{[general] notify} receives them.  Backends must return quickly:
anything slow (mail) is their own background work, never the request's.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from twisted.enterprise.adbapi import Transaction
from twisted.internet.defer import Deferred, DeferredList
from twisted.logger import Logger

from .mail import Mailer, OutgoingMail
from .signing import Signer
from .store import PENDING, PUBLISHED

if TYPE_CHECKING:
    from .site import CommentSite


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


class Notifier(Protocol):
    def thread_created(self, thread: dict[str, Any]) -> None: ...

    def comment_created(self, event: CommentEvent) -> None: ...

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None: ...

    def comment_deleted(self, comment_id: int) -> None: ...

    def comment_activated(self, event: CommentEvent) -> None: ...


class Notifiers:
    """
    Passes each event to every backend; a failing backend is logged and
    never disturbs the request or the other backends.
    """

    log = Logger()

    def __init__(self, backends: list[Notifier]) -> None:
        self.backends = backends

    def _each(self, method: str, *args: Any) -> None:
        for backend in self.backends:
            try:
                getattr(backend, method)(*args)
            except Exception:
                self.log.failure(
                    "Notifier {backend} failed on {event}",
                    backend=type(backend).__name__,
                    event=method,
                )

    def thread_created(self, thread: dict[str, Any]) -> None:
        self._each("thread_created", thread)

    def comment_created(self, event: CommentEvent) -> None:
        self._each("comment_created", event)

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        self._each("comment_edited", comment_id, comment)

    def comment_deleted(self, comment_id: int) -> None:
        self._each("comment_deleted", comment_id)

    def comment_activated(self, event: CommentEvent) -> None:
        self._each("comment_activated", event)


def moderation_link(
    signer: Signer, endpoint: str, comment_id: int, action: str
) -> str:
    key = signer.moderation_key(comment_id)
    return f"{endpoint}/id/{comment_id}/{action}/{key}"


class StdoutNotifier:
    """
    Logs every event, with the links to moderate new comments.
    """

    log = Logger()

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def thread_created(self, thread: dict[str, Any]) -> None:
        self.log.info(
            "New thread {id}: {title} ({uri})",
            id=thread["id"],
            title=thread["title"],
            uri=thread["uri"],
        )

    def comment_created(self, event: CommentEvent) -> None:
        comment = event.comment
        public = {
            key: comment[key]
            for key in ("id", "parent", "mode", "author", "website", "text")
        }
        self.log.info(
            "Comment {id} created: {comment}",
            id=comment["id"],
            comment=json.dumps(public),
        )
        self.log.info("Link to comment {id}: {url}", id=comment["id"],
                      url=event.comment_url)
        if comment["mode"] == PENDING:
            self.log.info(
                "Activate comment {id}: {url}",
                id=comment["id"],
                url=moderation_link(
                    self._signer, event.endpoint, comment["id"], "activate"
                ),
            )
        self.log.info(
            "Delete comment {id}: {url}",
            id=comment["id"],
            url=moderation_link(self._signer, event.endpoint, comment["id"], "delete"),
        )

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        self.log.info(
            "Comment {id} edited: {comment}",
            id=comment_id,
            comment=json.dumps(comment),
        )

    def comment_deleted(self, comment_id: int) -> None:
        self.log.info("Comment {id} deleted", id=comment_id)

    def comment_activated(self, event: CommentEvent) -> None:
        self.log.info(
            "Comment {id} activated: {url}",
            id=event.comment["id"],
            url=event.comment_url,
        )


# Mail

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


def _subscribed(value: Any) -> bool:
    """
    Isso stores the C{notification} flag as the client sent it.
    """
    return bool(value) and str(value).strip().lower() not in ("0", "false")


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


def _wire(message: EmailMessage) -> bytes:
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


def reply_recipients_interaction(
    txn: Transaction, comment: dict[str, Any]
) -> list[str]:
    """
    Return the stored e-mails to tell about C{comment}, a reply that has
    just been published: the author of the comment it answers, and those of
    the published answers beside it, if they asked for notifications.
    Never the reply's own author, and each address once.
    """
    parent = comment["parent"]
    if parent is None:
        return []
    txn.execute(
        "SELECT id, email, notification FROM comments WHERE id = ?", (parent,)
    )
    candidates = list(txn.fetchall())
    txn.execute(
        "SELECT id, email, notification FROM comments "
        "WHERE tid = ? AND parent = ? AND mode = ? ORDER BY id",
        (comment["tid"], parent, PUBLISHED),
    )
    candidates += txn.fetchall()
    own = (comment["email"] or "").strip().lower()
    seen: set[str] = set()
    recipients = []
    for row in candidates:
        email = row["email"]
        if row["id"] == comment["id"] or not email or not _subscribed(
            row["notification"]
        ):
            continue
        key = email.strip().lower()
        if key == own or key in seen:
            continue
        seen.add(key)
        recipients.append(email)
    return recipients


class MailNotifier:
    """
    Mails the site owner about new comments (C{notify = smtp}) and
    subscribed commenters about replies (C{reply-notifications = true}).

    Composing a mail is quick; sending is the L{Mailer}'s background work.
    Finding who to tell about a reply takes a query, run in the background
    too.
    """

    log = Logger()

    def __init__(self, site: CommentSite, mailer: Mailer) -> None:
        self._site = site
        self._mailer = mailer
        config = site.config
        self._owner_mails = "smtp" in config.general.notify
        self._reply_mails = config.general.reply_notifications
        self._to = config.smtp.to.strip()
        if self._to and "@" not in parseaddr(self._to)[1]:
            self.log.error(
                "[smtp] to: {value!r} is not an e-mail address; the owner gets "
                "no mail",
                value=self._to,
            )
            self._to = ""
        self._lookups: set[Deferred[None]] = set()
        self.sender: Sender | None = None
        try:
            self.sender = Sender.from_config(
                config.smtp.from_, self._to or "isso-tx@localhost"
            )
        except ValueError as e:
            self.log.error("[smtp] from: {problem}; no mail is sent", problem=str(e))
        for problem in self._problems():
            self.log.warn("{problem}", problem=problem)

    def _problems(self) -> list[str]:
        """
        Return what keeps some mails from being sent, or sent as wanted.
        """
        problems = []
        if self._owner_mails and not self._site.config.smtp.to.strip():
            problems.append(
                "[general] notify lists smtp but [smtp] to is empty: the owner "
                "gets no mail about new comments"
            )
        if not self._site.config.smtp.from_.strip():
            problems.append(
                "[smtp] from is empty: mails are sent as "
                + (self.sender.envelope if self.sender else "nobody")
            )
        return problems

    def _queue(self, message: EmailMessage, recipient: str, description: str) -> None:
        assert self.sender is not None
        self._mailer.send(
            OutgoingMail(
                sender=self.sender.envelope,
                recipient=recipient,
                data=_wire(message),
                description=description,
            )
        )

    def thread_created(self, thread: dict[str, Any]) -> None:
        pass

    def comment_created(self, event: CommentEvent) -> None:
        if self.sender is None:
            return
        if self._owner_mails and self._to:
            site = self._site
            message = owner_mail(
                event, site.signer, self.sender, self._to, site.clock.seconds()
            )
            recipient = parseaddr(self._to)[1]
            self._queue(
                message, recipient, f"the mail about comment {event.comment['id']}"
            )
        if event.comment["mode"] == PUBLISHED:
            self._tell_subscribers(event)

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        pass

    def comment_deleted(self, comment_id: int) -> None:
        pass

    def comment_activated(self, event: CommentEvent) -> None:
        if self.sender is not None:
            self._tell_subscribers(event)

    def _tell_subscribers(self, event: CommentEvent) -> None:
        if not self._reply_mails or event.comment["parent"] is None:
            return
        d = Deferred.fromCoroutine(self._mail_subscribers(event))
        self._lookups.add(d)

        def done(result: object) -> None:
            self._lookups.discard(d)

        d.addErrback(
            lambda f: self.log.failure(
                "While finding who to tell about comment {id}",
                f,
                id=event.comment["id"],
            )
        )
        d.addBoth(done)

    async def _mail_subscribers(self, event: CommentEvent) -> None:
        site = self._site
        assert self.sender is not None
        recipients = await site.database.run(
            reply_recipients_interaction, event.comment
        )
        for email in recipients:
            address = mailbox(email)
            if address is None:
                self.log.info(
                    "Not mailing a reply notification to {email!r}: not an "
                    "address we send to",
                    email=email,
                )
                continue
            message = reply_mail(
                event,
                site.signer,
                self.sender,
                event.comment["parent"],
                email,
                site.clock.seconds(),
            )
            self._queue(
                message,
                address,
                f"the reply notification for comment {event.comment['id']}",
            )

    def settled(self) -> Deferred[None]:
        """
        Return a Deferred that fires once every event so far has been
        turned into mails and the mails have left (or been given up).
        """
        d = DeferredList(list(self._lookups))
        d.addCallback(lambda _: self._mailer.idle())
        return d
