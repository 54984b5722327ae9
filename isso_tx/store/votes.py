"""
Votes on comments: one per network, counted in a Bloom filter per comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from twisted.enterprise.adbapi import Transaction

from ..bloom import MAX_VOTES, VoterFilter
from ..db import serialised


@dataclass(frozen=True)
class VoteResult:
    """
    A comment's votes after a vote, and the thread to refresh.
    """

    uri: str
    likes: int
    dislikes: int
    # Why the vote did not count, when it did not.
    refused: str | None = None


@serialised
def vote_interaction(
    txn: Transaction, comment_id: int, address: str, upvote: bool
) -> VoteResult | None:
    """
    Count one vote from C{address}, unless that network already voted (or
    wrote the comment).  Return None if the comment does not exist.
    """
    txn.execute(
        "SELECT c.likes, c.dislikes, c.voters, t.uri FROM comments c "
        "LEFT JOIN threads t ON t.id = c.tid WHERE c.id = ?",
        (comment_id,),
    )
    row = txn.fetchone()
    if row is None:
        return None
    likes, dislikes = row["likes"] or 0, row["dislikes"] or 0
    kind = "Upvote" if upvote else "Downvote"
    if likes + dislikes >= MAX_VOTES:
        return VoteResult(
            row["uri"],
            likes,
            dislikes,
            f'{kind} denied due to a "likes + dislikes" total too high '
            f"({likes + dislikes} >= {MAX_VOTES})",
        )
    voters = VoterFilter(row["voters"])
    if address in voters:
        return VoteResult(
            row["uri"],
            likes,
            dislikes,
            f"{kind} denied because a vote has already been registered for "
            f"this remote address: {address}",
        )
    voters.add(address)
    column = "likes" if upvote else "dislikes"
    txn.execute(
        f"UPDATE comments SET {column} = coalesce({column}, 0) + 1, voters = ? "
        "WHERE id = ?",
        (voters.to_bytes(), comment_id),
    )
    if upvote:
        likes += 1
    else:
        dislikes += 1
    return VoteResult(row["uri"], likes, dislikes)
