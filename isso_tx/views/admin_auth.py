"""
Signing in to the admin panel: the password check, the throttle on wrong
passwords, the signed session cookie and the CSRF tokens of its forms.

The session cookie is HttpOnly, C{SameSite=Strict}, scoped to the site's
path, and signed with a salt of its own, so that no other token of the site
(edit cookies, moderation links) passes for it and it passes for none.
"""

from __future__ import annotations

import hashlib
import secrets
from hmac import compare_digest

from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest

from ..db import Database
from ..settings import SAMPLE_ADMIN_PASSWORD
from ..signing import InvalidToken, Signer
from ..store.signins import (
    Throttled,
    login_attempt_interaction,
    login_succeeded_interaction,
    login_wait_interaction,
    revoke_session_interaction,
    session_revoked_interaction,
)
from .http import cookie_header
from .requests import Addressing

COOKIE = "isso-tx-admin"
SESSION_SALT = "isso-tx-admin-session"
SESSION_AGE = 24 * 60 * 60


def password_matches(given: str, expected: str) -> bool:
    """
    Compare a typed password with the configured one in constant time
    (digests first, so that not even the length shows).
    """
    return compare_digest(
        hashlib.sha256(given.encode("utf-8")).digest(),
        hashlib.sha256(expected.encode("utf-8")).digest(),
    )


class LoginThrottle:
    """
    Counts failed sign-ins per client network and refuses more than
    C{limit} within C{window} seconds.

    The failures are kept in the site's database, so that every daemon
    serving it counts them all.
    """

    def __init__(
        self,
        database: Database,
        clock: IReactorTime,
        limit: int = 5,
        window: float = 15 * 60,
    ) -> None:
        self._database = database
        self._clock = clock
        self.limit = limit
        self.window = window

    @staticmethod
    def _seconds(wait: float) -> int:
        return max(1, int(wait + 0.999))

    async def retry_after(self, network: str) -> int | None:
        """
        Return in how many seconds C{network} may try again, or None if it
        may now.
        """
        wait = await self._database.run(
            login_wait_interaction,
            network,
            self._clock.seconds(),
            self.window,
            self.limit,
        )
        return None if wait is None else self._seconds(wait)

    async def attempt(self, network: str) -> int | None:
        """
        Count a sign-in attempt as failed until L{succeeded} says otherwise;
        or, if C{network} may not try now, count nothing and return in how
        many seconds it may.
        """
        try:
            await self._database.run(
                login_attempt_interaction,
                network,
                self._clock.seconds(),
                self.window,
                self.limit,
            )
        except Throttled as e:
            return self._seconds(e.retry_after)
        return None

    async def succeeded(self, network: str) -> None:
        """
        Forget the network's failures, this attempt's included.
        """
        await self._database.run(login_succeeded_interaction, network)


def _cookies_named(request: IRequest, name: str) -> list[str]:
    """
    Return every value sent for cookie C{name}: a browser sends one per
    path it was set for (sites served under nested paths may both have
    one), and only one of them is ours.
    """
    found = []
    for header in request.requestHeaders.getRawHeaders(b"cookie", []):
        for part in header.decode("latin-1").split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                found.append(value.strip().strip('"'))
    return found


class AdminSessions:
    """
    The admin sessions of one site: who is signed in, and the tokens that
    tie the panel's forms to a session.
    """

    def __init__(
        self,
        password: str,
        signer: Signer,
        database: Database,
        addressing: Addressing,
        clock: IReactorTime,
    ) -> None:
        self._password = password
        self._database = database
        self._sessions = signer.salted(SESSION_SALT)
        self._password_tag = signer.digest("admin-password", password)[:32]
        self._addressing = addressing
        self._clock = clock

    def password_usable(self) -> bool:
        """
        Whether sign-in is possible: never with an empty password or Isso's
        sample one.
        """
        return self._password not in ("", SAMPLE_ADMIN_PASSWORD)

    def password_matches(self, given: str) -> bool:
        """
        Whether C{given} is the configured password (in constant time).
        """
        return password_matches(given, self._password)

    def new_session(self) -> str:
        """
        Return the signed value of the cookie of a new session.
        """
        return self._sessions.sign(
            {"sid": secrets.token_urlsafe(18), "pw": self._password_tag}
        )

    def set_cookie(self, request: IRequest, value: str, max_age: int) -> None:
        """
        Send the session cookie (C{""} with C{max_age} 0 removes it).
        """
        request.responseHeaders.addRawHeader(
            b"set-cookie",
            cookie_header(
                COOKIE,
                value,
                max_age=max_age,
                now=self._clock.seconds(),
                secure=self._addressing.secure(request),
                samesite="Strict",
                path=self._addressing.base_path(request) + "/",
                http_only=True,
            ),
        )

    async def session(self, request: IRequest) -> str | None:
        """
        Return the id of the request's valid session, or None.
        """
        if not self.password_usable():
            return None
        for token in _cookies_named(request, COOKIE):
            try:
                value = self._sessions.load(token, SESSION_AGE)
            except InvalidToken:
                continue
            if not isinstance(value, dict):
                continue
            sid, tag = value.get("sid"), value.get("pw")
            if (
                isinstance(sid, str)
                and isinstance(tag, str)
                and compare_digest(tag, self._password_tag)
                and not await self._database.run(session_revoked_interaction, sid)
            ):
                return sid
        return None

    async def revoke(self, sid: str) -> None:
        """
        End session C{sid} before it expires (signing out), for every daemon
        of the site.
        """
        now = self._clock.seconds()
        await self._database.run(
            revoke_session_interaction, sid, now + SESSION_AGE, now
        )

    def csrf_token(self, sid: str) -> str:
        """
        Return the token the forms of session C{sid} carry.
        """
        return self._sessions.digest("admin-csrf", sid)

    def check_csrf(self, sid: str, form: dict[str, list[str]]) -> bool:
        """
        Whether a form carries the token of session C{sid}.
        """
        sent = (form.get("csrf") or [""])[0]
        return compare_digest(sent.encode(), self.csrf_token(sid).encode())
