"""
The per-comment set of voters, stored in the C{comments.voters} BLOB.

Isso remembers who voted on a comment in a 2048-bit bloom filter filled with
the voters' anonymised addresses.  The layout must match Isso's bit for bit,
or votes cast under Isso would no longer count (and Isso would misread ours).
"""

from __future__ import annotations

import hashlib

FILTER_BYTES = 256
PROBES = 11
# Above this many members the false-positive rate becomes noticeable, so
# Isso refuses further votes on the comment.
MAX_VOTES = 142


def probes(member: str, size_bits: int = FILTER_BYTES * 8) -> list[int]:
    """
    Return the bit positions that represent C{member}.

    The SHA-256 digest, read as one big-endian number, is cut into 11-bit
    slices from its least significant end.
    """
    number = int.from_bytes(hashlib.sha256(member.encode("utf-8")).digest(), "big")
    mask = size_bits - 1
    positions = []
    for _ in range(PROBES):
        positions.append(number & mask)
        number >>= 11
    return positions


class VoterFilter:
    """
    A mutable view of one comment's C{voters} BLOB.
    """

    def __init__(self, blob: bytes | None = None) -> None:
        # A row may hold an empty BLOB (no voters) or one of another size;
        # Isso only ever writes 256 bytes, so anything unusable starts
        # afresh rather than being misread.
        if not blob or len(blob) != FILTER_BYTES:
            blob = bytes(FILTER_BYTES)
        self._bits = bytearray(blob)

    def add(self, member: str) -> None:
        for position in probes(member):
            self._bits[position // 8] |= 1 << (position % 8)

    def __contains__(self, member: str) -> bool:
        return all(
            self._bits[position // 8] & (1 << (position % 8))
            for position in probes(member)
        )

    def to_bytes(self) -> bytes:
        return bytes(self._bits)


def new_voters(author_address: str) -> bytes:
    """
    Return the BLOB of a new comment: its author counts as having voted.
    """
    voters = VoterFilter()
    voters.add(author_address)
    return voters.to_bytes()
