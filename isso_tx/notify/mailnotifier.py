"""
Mails about comments: to the site owner for every new comment
(C{notify = smtp}), and to subscribed commenters for replies
(C{reply-notifications = true}).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from ..db import Database
from ..mail import Mailer, OutgoingMail
from ..settings import GeneralConfig, SMTPConfig
from ..signing import Signer
from ..store.recipients import reply_recipients_interaction
from ..store.rows import PUBLISHED
from .events import CommentEvent
from .mails import Sender, mailbox, owner_mail, reply_mail, wire


class MailNotifier:
    """
    Mails the site owner about new comments (C{notify = smtp}) and
    subscribed commenters about replies (C{reply-notifications = true}).

    Composing a mail is quick; storing it in the outbox and sending it
    are the L{Mailer}'s background work.  Finding who to tell about a reply
    takes a query, run in the background too.
    """

    log = Logger()

    def __init__(
        self,
        general: GeneralConfig,
        smtp: SMTPConfig,
        mailer: Mailer,
        signer: Signer,
        database: Database,
        clock: IReactorTime,
    ) -> None:
        self._smtp = smtp
        self._mailer = mailer
        self._signer = signer
        self._database = database
        self._clock = clock
        self._owner_mails = "smtp" in general.notify
        self._reply_mails = general.reply_notifications
        self._to = smtp.to.strip()
        if self._to and "@" not in parseaddr(self._to)[1]:
            self.log.error(
                "[smtp] to: {value!r} is not an e-mail address; the owner gets "
                "no mail",
                value=self._to,
            )
            self._to = ""
        self._lookups: set[Deferred[None]] = set()
        # Mails on their way into the outbox.
        self._storing: set[Deferred[None]] = set()
        self.sender: Sender | None = None
        try:
            self.sender = Sender.from_config(
                smtp.from_, self._to or "isso-tx@localhost"
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
        if self._owner_mails and not self._smtp.to.strip():
            problems.append(
                "[general] notify lists smtp but [smtp] to is empty: the owner "
                "gets no mail about new comments"
            )
        if not self._smtp.from_.strip():
            problems.append(
                "[smtp] from is empty: mails are sent as "
                + (self.sender.envelope if self.sender else "nobody")
            )
        return problems

    def _queue(self, message: EmailMessage, recipient: str, description: str) -> None:
        assert self.sender is not None
        d = self._mailer.send(
            OutgoingMail(
                sender=self.sender.envelope,
                recipient=recipient,
                data=wire(message),
                description=description,
            )
        )
        self._storing.add(d)
        d.addErrback(
            lambda f: self.log.failure(
                "While queueing {description}", f, description=description
            )
        )
        d.addBoth(lambda _: self._storing.discard(d))

    def thread_created(self, thread: dict[str, Any]) -> None:
        pass

    def comment_created(self, event: CommentEvent) -> None:
        if self.sender is None:
            return
        if self._owner_mails and self._to:
            message = owner_mail(
                event, self._signer, self.sender, self._to, self._clock.seconds()
            )
            recipient = parseaddr(self._to)[1]
            self._queue(
                message, recipient, f"the mail about comment {event.comment['id']}"
            )
        if event.comment["mode"] == PUBLISHED:
            self._tell_subscribers(event)

    def comment_edited(self, comment_id: int, comment: dict[str, Any]) -> None:
        pass

    def comment_deleted(self, comment_id: int, comment: dict[str, Any]) -> None:
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
        assert self.sender is not None
        recipients = await self._database.run(
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
                self._signer,
                self.sender,
                event.comment["parent"],
                email,
                self._clock.seconds(),
            )
            self._queue(
                message,
                address,
                f"the reply notification for comment {event.comment['id']}",
            )

    def stored(self) -> Deferred[None]:
        """
        Return a Deferred that fires once every event so far has been
        turned into mails and the mails are in the outbox.
        """
        d = DeferredList(list(self._lookups))
        d.addCallback(lambda _: DeferredList(list(self._storing)))
        d.addCallback(lambda _: None)
        return d

    def settled(self) -> Deferred[None]:
        """
        Return a Deferred that fires once every event so far has been
        turned into mails and the mails have left (or been given up).
        """
        return self.stored().addCallback(lambda _: self._mailer.idle())
