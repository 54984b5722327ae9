"""
Tests for L{isso_tx.signing}: tokens interchangeable with Isso's.
"""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.signing import InvalidToken, Signer

KEY = "0123456789abcdef0123456789abcdef0123456789abcdef"


def signer_at(now: float) -> tuple[Signer, Clock]:
    clock = Clock()
    clock.advance(now)
    return Signer(KEY, clock), clock


class VectorTests(SynchronousTestCase):
    def test_isso_vectors(self) -> None:
        """
        Cookies, moderation keys, unsubscribe keys and admin sessions are
        byte-identical to the ones Isso issues.
        """
        signer, _ = signer_at(1700000000)
        self.assertEqual(signer.sign(1), "MQ.ZVPxAA.XpQ3t0cCY6kNv5nF58lqSzFnyGA")
        self.assertEqual(
            signer.edit_token(1, "f7ff9e8b7bb2e09b70935a5d785e0cc5d9d0abf0"),
            "WzEsImY3ZmY5ZThiN2JiMmUwOWI3MDkzNWE1ZDc4NWUwY2M1ZDlkMGFiZjAiXQ."
            "ZVPxAA.qbN4AYJS6Z_FCflziQs_uvHfR14",
        )
        self.assertEqual(
            signer.unsubscribe_key("alice@example.org"),
            "WyJ1bnN1YnNjcmliZSIsImFsaWNlQGV4YW1wbGUub3JnIl0.ZVPxAA."
            "j0nGlejo7YyQcmB-uDINLjfcmJ0",
        )
        self.assertEqual(
            signer.sign({"logged": True}),
            "eyJsb2dnZWQiOnRydWV9.ZVPxAA.bg7b8-ujctEIjiL578KdPTEvIGM",
        )

    def test_isso_tokens_load(self) -> None:
        """
        A reader's cookie issued by Isso is accepted within its max age.
        """
        signer, clock = signer_at(1700000000 + 899)
        token = (
            "WzEsImY3ZmY5ZThiN2JiMmUwOWI3MDkzNWE1ZDc4NWUwY2M1ZDlkMGFiZjAiXQ."
            "ZVPxAA.qbN4AYJS6Z_FCflziQs_uvHfR14"
        )
        self.assertEqual(
            signer.load_edit_token(token, 900),
            (1, "f7ff9e8b7bb2e09b70935a5d785e0cc5d9d0abf0"),
        )
        clock.advance(2)
        self.assertRaises(InvalidToken, signer.load_edit_token, token, 900)


class ShapeTests(SynchronousTestCase):
    def test_kinds_do_not_mix(self) -> None:
        """
        A moderation key is no edit cookie, and an edit cookie is no
        moderation or unsubscribe key.
        """
        signer, _ = signer_at(1700000000)
        moderation = signer.moderation_key(3)
        edit = signer.edit_token(3, "ab")
        self.assertEqual(signer.load_moderation_key(moderation), 3)
        self.assertRaises(InvalidToken, signer.load_edit_token, moderation, 900)
        self.assertRaises(InvalidToken, signer.load_moderation_key, edit)
        self.assertRaises(InvalidToken, signer.load_unsubscribe_key, edit)
        self.assertRaises(
            InvalidToken, signer.load_unsubscribe_key, signer.sign(["unsubscribe"])
        )

    def test_forged_and_future(self) -> None:
        """
        Tampered tokens, garbage and tokens dated in the future are refused.
        """
        signer, clock = signer_at(1700000000)
        token = signer.moderation_key(3)
        self.assertRaises(InvalidToken, signer.load_moderation_key, token[:-2] + "xx")
        self.assertRaises(InvalidToken, signer.load_moderation_key, "garbage")
        self.assertRaises(InvalidToken, signer.load_moderation_key, "")
        clock.advance(-100)
        self.assertRaises(InvalidToken, signer.load_moderation_key, token)
        other = Signer("another key", clock)
        self.assertRaises(InvalidToken, other.load_moderation_key, token)
