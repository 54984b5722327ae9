"""
The spam guard: limits on how much one network may post, the site owner's
rules, the link limit and the honeypot.

The limits are Isso's (C{[guard]} section), checked in the same transaction
that stores the comment, so two simultaneous posts cannot both slip under a
limit.  Where Isso can be bypassed we close the gap: a comment that ends up
top-level (C{parent} 0, or a parent that does not exist) counts against the
direct-reply limit like any other top-level comment.

The owner's rules (L{isso_tx.store.rules}, managed in the admin panel) are
read by that same transaction, so every daemon of a site obeys a new rule
from its commit on.  A rule refuses or holds a comment whose network (as
stored: anonymised), e-mail, author name, website domain (or a subdomain)
or text (words, or a regular expression) matches; a writer's edit is
checked the same way, and against the link limit
(L{isso_tx.store.comments.edit_comment_interaction}).  Regular expressions
run on the C{regex} module with a time limit: Python's C{re} cannot be
interrupted and holds the interpreter's lock while it backtracks, so a
catastrophic pattern would stall every request of the daemon, and a thread
with a deadline could not stop it.  A comment that the regular expressions
cannot decide in time is held for moderation rather than published.

The rules, the honeypot and the link limit are ours; the rules and the
honeypot apply even with C{[guard] enabled = false} (the rules are the
owner's explicit wish, and no person fills the honeypot).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from twisted.enterprise.adbapi import Transaction

from .addresses import UNKNOWN_ADDRESS, anonymize
from .dialect import POSTGRESQL
from .settings import GuardConfig
from .store.rules import (
    ACTIONS,
    KINDS,
    Rule,
    rule_matched_interaction,
    rules_interaction,
)

RATE_WINDOW = 60

# The first key of the PostgreSQL advisory locks that keep one network's
# posts in turn (the second is a hash of the network).  Two-key locks never
# meet the one-key lock of serialised interactions.
NETWORK_LOCK = 0x15508


class GuardRejection(Exception):
    """
    The guard refused a new comment; the message says why, and C{kind}
    names the rule (one of a fixed set, for the metrics).
    """

    def __init__(
        self,
        reason: str,
        kind: str,
        *,
        detail: str | None = None,
        rule_id: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        # What the log says (the owner's rule that matched); the client is
        # told only the reason.
        self.detail = detail or reason
        # The owner's rule that refused the comment, whose match is counted
        # once the refusing transaction is rolled back.
        self.rule_id = rule_id


@dataclass(frozen=True)
class Submission:
    """
    What the guard needs to know about a comment about to be stored.
    """

    uri: str
    thread_id: int | None
    address: str
    # The comment being answered, as the client named it, when it exists in
    # the same thread; None when the new comment will be top-level.
    replied_to: int | None
    author: str | None
    email: str | None
    # As stored: author, e-mail and website HTML-escaped, the text as typed.
    website: str | None = None
    text: str = ""


def check_guard(
    txn: Transaction,
    config: GuardConfig,
    submission: Submission,
    now: float,
    edit_window: int,
) -> None:
    """
    Raise L{GuardRejection} if the comment breaks a rule.

    @param edit_window: C{[general] max-age}: while a comment can still be
        edited, its author may not reply to it (unless C{reply-to-self}).
    """
    if not config.enabled:
        return
    address = submission.address
    _hold_network(txn, address)

    txn.execute(
        "SELECT id FROM comments WHERE remote_addr = ? AND ? - created < ? "
        "ORDER BY id",
        (address, now, RATE_WINDOW),
    )
    recent = [row[0] for row in txn.fetchall()]
    if len(recent) >= config.ratelimit:
        ids = ", ".join(str(comment_id) for comment_id in recent)
        raise GuardRejection(f"{address}: ratelimit exceeded ({ids})", "ratelimit")

    if submission.replied_to is None:
        if submission.thread_id is not None:
            txn.execute(
                "SELECT count(*) FROM comments WHERE tid = ? AND remote_addr = ? "
                "AND parent IS NULL",
                (submission.thread_id, address),
            )
            (count,) = txn.fetchone()
            if count >= config.direct_reply:
                raise GuardRejection(
                    f"{count} direct responses to {submission.uri}", "direct-reply"
                )
    elif not config.reply_to_self:
        txn.execute(
            "SELECT 1 FROM comments WHERE id = ? AND remote_addr = ? "
            "AND ? - created < ?",
            (submission.replied_to, address, now, edit_window),
        )
        if txn.fetchone() is not None:
            raise GuardRejection("edit time frame is still open", "reply-to-self")

    if config.require_email and not submission.email:
        raise GuardRejection(
            "email address required but not provided", "require-email"
        )
    if config.require_author and not submission.author:
        raise GuardRejection(
            "author name required but not provided", "require-author"
        )


def _hold_network(txn: Transaction, address: str) -> None:
    """
    Make posts from C{address} take turns from here to their commit, so
    that the checks below count every comment acknowledged to that network,
    whichever daemon (or pooled connection) stored it.

    On PostgreSQL a transaction-scoped advisory lock per network: posts from
    other networks go on in parallel, and each check, run after the lock is
    held, sees what the previous holder committed.  On SQLite the write lock,
    taken now rather than at the insert (it is one per file, and the
    daemon's single connection already puts its own posts in turn).
    """
    if getattr(txn, "dialect", None) == POSTGRESQL:
        txn.execute(
            "SELECT pg_advisory_xact_lock(?, hashtext(?))", (NETWORK_LOCK, address)
        )
    elif not txn.connection.in_transaction:
        txn.execute("BEGIN IMMEDIATE")


# The owner's rules.

# What a client is told when a rule or the honeypot refuses its comment:
# nothing about the rule.
NOT_ACCEPTED = "the comment was not accepted"

# The longest rule value the panel accepts.
MAX_RULE_VALUE = 500
# The time the regular expressions of all the rules may take on one
# comment, in seconds; the rest of the rules are checked without limit
# (they take microseconds).
REGEX_BUDGET = 0.1
# Every pattern is checked for validity, and against a text made to trip
# catastrophic backtracking, when it is added.
_PROBE_TIMEOUT = 0.05

_DOMAIN = re.compile(r"(?:[\w-]+\.)*[\w-]+", re.UNICODE)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")


class InvalidRule(ValueError):
    """
    A rule the owner asked for cannot be made; the message says why.
    """


def _regex() -> Any:
    # Imported at the first regular-expression rule rather than with the
    # daemon: most sites have none, and the module with its C extension is
    # over 1 MiB of the daemon's memory.  The import (about 25 ms) is paid
    # once, by the owner adding the first such rule or by the database
    # thread checking the first comment against one.
    import regex

    return regex


@lru_cache(maxsize=512)
def _pattern(value: str) -> Any:
    # Case-insensitive unless the pattern says (?-i); version 0 is re's
    # syntax, which the owner is likeliest to know.
    regex = _regex()
    return regex.compile(value, regex.IGNORECASE | regex.VERSION0)


@lru_cache(maxsize=512)
def _words(value: str) -> re.Pattern[str]:
    # Literal words, whole, separated by any white space: linear time.
    body = r"\s+".join(re.escape(word) for word in value.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def normalise_rule(kind: str, action: str, value: str) -> str:
    """
    Check a rule typed by the owner and return its value as stored: a
    network as the comments store it (an address typed whole, or a network
    with its prefix length, is reduced to the /24 or /48 it is in), a domain without scheme, path or leading dot, white space
    collapsed in names and words; a regular expression as typed.

    @raise InvalidRule: the message says what to change.
    """
    if kind not in KINDS:
        raise InvalidRule(
            f"unknown kind of rule {kind!r}; use one of: {', '.join(KINDS)}"
        )
    if action not in ACTIONS:
        raise InvalidRule(f"unknown action {action!r}; use refuse or hold")
    if not value.strip():
        raise InvalidRule("the rule needs a value")
    if len(value) > MAX_RULE_VALUE:
        raise InvalidRule(
            f"the value is too long (at most {MAX_RULE_VALUE} characters)"
        )
    if kind == "regex":
        return _check_pattern(value)
    value = " ".join(value.split())
    if kind == "network":
        # An address, or a network written with its prefix length.
        network = anonymize(value.split("/", 1)[0])
        if network == UNKNOWN_ADDRESS and value != UNKNOWN_ADDRESS:
            raise InvalidRule(
                f"{value!r} is not an IP address (give one, or a network as the "
                "panel shows it, such as 192.0.2.0)"
            )
        return network
    if kind == "email":
        if not _EMAIL.fullmatch(value):
            raise InvalidRule(f"{value!r} is not an e-mail address")
        return value
    if kind == "domain":
        host = value
        if "/" in host or ":" in host:
            host = urlsplit(host if "//" in host else "//" + host).hostname or ""
        host = host.lower().lstrip("*").strip(".")
        if not _DOMAIN.fullmatch(host):
            raise InvalidRule(f"{value!r} is not a domain name, such as spam.example")
        return host
    return value


def _check_pattern(value: str) -> str:
    regex = _regex()
    try:
        pattern = _pattern(value)
    except (regex.error, OverflowError, RecursionError, ValueError) as e:
        raise InvalidRule(f"not a valid regular expression: {e}") from None
    try:
        empty = pattern.search("", timeout=_PROBE_TIMEOUT)
        # Long runs of one character, the classic trap for nested
        # repetitions; a pattern slow on them is refused outright.
        for probe in ("a" * 3000 + "!", "1" * 3000 + "!", " " * 3000 + "!"):
            pattern.search(probe, timeout=_PROBE_TIMEOUT)
    except TimeoutError:
        raise InvalidRule(
            "this regular expression is too slow on long texts (it backtracks); "
            "simplify nested repetitions such as (a+)+"
        ) from None
    if empty is not None:
        raise InvalidRule(
            "this regular expression matches an empty text, so it would match "
            "every comment"
        )
    return value


@dataclass(frozen=True)
class Match:
    """
    A rule that matched a comment, and what it matched.
    """

    rule: Rule
    what: str
    # A regular expression that could not decide in time: the comment is
    # held, and the rule not counted as matched.
    timed_out: bool = False

    @property
    def refuses(self) -> bool:
        return self.rule.action == "refuse" and not self.timed_out

    def describe(self) -> str:
        verb = "could not decide in time on" if self.timed_out else "matched"
        return (
            f"rule {self.rule.id} ({self.rule.action} {self.rule.kind} "
            f"{self.rule.value!r}) {verb} {self.what}"
        )


def _plain(value: str | None) -> str:
    return " ".join(html.unescape(value or "").split()).casefold()


def _website_host(website: str | None) -> str:
    if not website:
        return ""
    try:
        return (urlsplit(html.unescape(website)).hostname or "").rstrip(".")
    except ValueError:
        return ""


def match_rules(
    rules: Iterable[Rule],
    submission: Submission,
    budget: float = REGEX_BUDGET,
    monotonic: Callable[[], float] = time.monotonic,
) -> Match | None:
    """
    Return the rule that decides a comment: the first refusing rule that
    matches, else the first holding one (or a regular expression that
    could not decide within C{budget} seconds); None if none matches.
    """
    author = _plain(submission.author)
    email = _plain(submission.email)
    host = _website_host(submission.website)
    text = submission.text
    held: Match | None = None
    # The cheap rules first, so that a refusal rarely waits for a pattern.
    ordered = sorted(rules, key=lambda rule: (rule.kind == "regex", rule.id))
    deadline: float | None = None
    for rule in ordered:
        if rule.action != "refuse" and held is not None:
            continue
        kind, value = rule.kind, rule.value
        what = ""
        if kind == "network":
            what = "the network" if submission.address == value else ""
        elif kind == "email":
            what = "the e-mail" if email and email == value.casefold() else ""
        elif kind == "author":
            what = "the name" if author and author == value.casefold() else ""
        elif kind == "domain":
            what = (
                "the website"
                if host and (host == value or host.endswith("." + value))
                else ""
            )
        elif kind == "words":
            what = "the text" if _words(value).search(text) else ""
        elif kind == "regex":
            regex = _regex()
            if deadline is None:
                deadline = monotonic() + budget
            remaining = deadline - monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                found = _pattern(value).search(
                    text, timeout=remaining, concurrent=True
                )
            except TimeoutError:
                held = held or Match(rule, "the text", timed_out=True)
                continue
            except regex.error:
                # Stored by another program, unchecked: it matches nothing.
                continue
            what = "the text" if found is not None else ""
        if not what:
            continue
        found_match = Match(rule, what)
        if found_match.refuses:
            return found_match
        held = held or found_match
    return held


def check_rules(txn: Transaction, submission: Submission) -> Match | None:
    """
    Apply the owner's rules to a comment about to be stored.  Only reads:
    run before the guard's limits take their lock, so that the patterns
    hold no other writer up.

    @return: the rule that holds the comment for moderation (see
        L{note_match}), or None.
    @raise GuardRejection: a rule refuses the comment (kind C{"rule"}); the
        caller counts its match once this transaction is rolled back.
    """
    match = match_rules(rules_interaction(txn), submission)
    if match is not None and match.refuses:
        raise GuardRejection(
            NOT_ACCEPTED, "rule", detail=match.describe(), rule_id=match.rule.id
        )
    return match


def note_match(txn: Transaction, match: Match, now: float) -> None:
    """
    Count the match of a rule that held a comment, in the transaction that
    stores it (a pattern that could not decide is not counted).
    """
    if not match.timed_out:
        rule_matched_interaction(txn, match.rule.id, now)


def hold_reason(
    txn: Transaction,
    config: GuardConfig,
    match: Match | None,
    rendered: str,
    now: float,
) -> str | None:
    """
    Say why a comment that no rule refused waits for moderation, new or
    edited: the holding rule that matched it (counted now, in the storing
    transaction), else the link limit; None if it need not wait.

    @param match: what L{check_rules} returned for the comment.
    @param rendered: the comment's HTML, as readers get it.
    """
    if match is not None:
        note_match(txn, match, now)
        return match.describe()
    return too_many_links(config, rendered)


# The link limit.

_LINK = re.compile(r"<a\s[^>]*\bhref=", re.IGNORECASE)


def count_links(rendered: str) -> int:
    """
    Count the links of a comment as readers get it: its rendered HTML,
    which has every kind of link the Markdown makes (written, automatic,
    raw HTML) as one C{<a href>}, and nothing the sanitiser took out.
    """
    return len(_LINK.findall(rendered))


def too_many_links(config: GuardConfig, rendered: str) -> str | None:
    """
    Say why a comment waits for moderation under C{[guard] max-links}, or
    None if it need not.
    """
    if not config.enabled or config.max_links <= 0:
        return None
    links = count_links(rendered)
    if links <= config.max_links:
        return None
    return f"{links} links, more than [guard] max-links = {config.max_links}"


# The honeypot.

# The field of our client's form that people never see, so never fill.
HONEYPOT = "phone"


def check_honeypot(body: Any) -> None:
    """
    Refuse a C{POST /new} body whose honeypot field is filled in.  A body
    without it (Isso's client, the API) passes.

    @raise GuardRejection: kind C{"honeypot"}.
    """
    if isinstance(body, dict):
        value = body.get(HONEYPOT)
        if isinstance(value, str) and value:
            raise GuardRejection(
                NOT_ACCEPTED, "honeypot", detail="the honeypot field was filled in"
            )
