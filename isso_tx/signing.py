"""
Signed tokens: edit cookies, moderation and unsubscribe links, admin sessions.

They are itsdangerous C{URLSafeTimedSerializer} tokens under the database's
C{session-key}, with the library's default salt, exactly as Isso makes them,
so cookies and links issued by Isso stay valid after the switch.  Isso uses
one key for every kind of token; we keep that for compatibility but check
the shape of what a token carries, so that one kind is never accepted where
another is expected.  Tokens that Isso never made (the admin panel's
sessions) get a salt of their own from L{Signer.salted}.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from twisted.internet.interfaces import IReactorTime

# Moderation and unsubscribe links are meant to work for as long as the key
# stays the same; Isso checks them against this age.
NEVER = 2**32


class InvalidToken(Exception):
    """
    A token is forged, expired, or not of the expected kind.
    """


class Signer:
    """
    Makes and checks tokens, reading the time from an injected clock.
    """

    def __init__(
        self, secret: str, clock: IReactorTime, salt: str | None = None
    ) -> None:
        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.seconds())

        self._secret = secret
        self._clock = clock
        extra = {} if salt is None else {"salt": salt}
        self._serializer = URLSafeTimedSerializer(
            secret, signer=ClockedSigner, **extra
        )
        # The serializer would derive the signing key again for every token;
        # one signer made once signs and checks the same tokens.
        self._signer = self._serializer.make_signer()

    def salted(self, salt: str) -> Signer:
        """
        Return a signer under the same key whose tokens are valid only for
        C{salt}: a token of one purpose never passes for another.
        """
        return Signer(self._secret, self._clock, salt)

    def digest(self, purpose: str, value: str) -> str:
        """
        Return a keyed digest of C{value} for one C{purpose} (hex).
        """
        message = f"{purpose}\0{value}".encode()
        return hmac.new(
            self._secret.encode("utf-8"), message, hashlib.sha256
        ).hexdigest()

    def sign(self, value: Any) -> str:
        payload = self._serializer.dump_payload(value)
        return self._signer.sign(payload).decode("ascii")

    def load(self, token: str, max_age: int) -> Any:
        """
        Return what C{token} carries.

        @raise InvalidToken: forged, malformed, too old, or from the future.
        """
        try:
            payload = self._signer.unsign(token, max_age=max_age)
            return self._serializer.load_payload(payload)
        except (BadData, ValueError, TypeError) as e:
            raise InvalidToken(str(e)) from e

    # The token kinds.  Each loader checks the shape as well as the
    # signature.

    def edit_token(self, comment_id: int, text_digest: str) -> str:
        return self.sign([comment_id, text_digest])

    def load_edit_token(self, token: str, max_age: int) -> tuple[int, str]:
        value = self.load(token, max_age)
        if (
            isinstance(value, list)
            and len(value) == 2
            and type(value[0]) is int
            and isinstance(value[1], str)
        ):
            return value[0], value[1]
        raise InvalidToken("not an edit token")

    def moderation_key(self, comment_id: int) -> str:
        return self.sign(comment_id)

    def load_moderation_key(self, token: str) -> int:
        value = self.load(token, NEVER)
        if type(value) is int:
            return value
        raise InvalidToken("not a moderation key")

    def unsubscribe_key(self, email: str) -> str:
        return self.sign(["unsubscribe", email])

    def load_unsubscribe_key(self, token: str) -> str:
        value = self.load(token, NEVER)
        if (
            isinstance(value, list)
            and len(value) == 2
            and value[0] == "unsubscribe"
            and isinstance(value[1], str)
        ):
            return value[1]
        raise InvalidToken("not an unsubscribe key")
