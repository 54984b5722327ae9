"""
The owner's spam rules (L{isso_tx.guard} and L{isso_tx.store.rules}): what
each kind matches, how a typed rule is checked, the time limit on regular
expressions, the link limit and the honeypot (what commenters see over
HTTP is in L{tests.test_views_comments.SpamTests}).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.guard import (
    NOT_ACCEPTED,
    GuardRejection,
    InvalidRule,
    Submission,
    check_honeypot,
    check_rules,
    count_links,
    match_rules,
    normalise_rule,
    note_match,
    too_many_links,
)
from isso_tx.settings import GuardConfig
from isso_tx.store.rules import (
    Rule,
    add_rule_interaction,
    add_rules_interaction,
    delete_rule_interaction,
    rules_interaction,
)

from .syncdb import SynchronousDatabase

NOW = 1_700_000_000.0
SUBMISSION = Submission(
    uri="/a",
    thread_id=1,
    address="192.0.2.0",
    replied_to=None,
    # As the comments store them: HTML-escaped.
    author="Tom &amp; Jerry",
    email="Spam@Example.org",
    website="http://www.shop.example/buy?a=1&amp;b=2",
    text="Cheap Watches here, visit now!\nAll the best",
)
GUARD = GuardConfig(
    enabled=True,
    ratelimit=100,
    direct_reply=100,
    reply_to_self=True,
    require_author=False,
    require_email=False,
)


def rule(kind: str, value: str, action: str = "refuse", rule_id: int = 1) -> Rule:
    return Rule(id=rule_id, kind=kind, value=value, action=action)


class MatchTests(SynchronousTestCase):
    """
    L{match_rules}: which rule decides a comment.
    """

    def matches(self, kind: str, value: str, **fields: Any) -> bool:
        submission = replace(SUBMISSION, **fields)
        return match_rules([rule(kind, value)], submission) is not None

    def test_network(self) -> None:
        """
        A network rule matches the comment's network as stored, and no
        other.
        """
        self.assertTrue(self.matches("network", "192.0.2.0"))
        self.assertFalse(self.matches("network", "192.0.3.0"))

    def test_email(self) -> None:
        """
        An e-mail rule matches the address whatever its case, and not an
        address that merely contains it or a comment without one.
        """
        self.assertTrue(self.matches("email", "spam@example.org"))
        self.assertFalse(self.matches("email", "am@example.org"))
        self.assertFalse(self.matches("email", "spam@example.org", email=None))

    def test_author(self) -> None:
        """
        An author rule matches the name as the commenter typed it (not its
        escaped form), whatever its case and spacing.
        """
        self.assertTrue(self.matches("author", "tom & jerry"))
        self.assertTrue(self.matches("author", "Tom & Jerry", author="Tom  &amp;  Jerry"))
        self.assertFalse(self.matches("author", "Tom"))
        self.assertFalse(self.matches("author", "Tom", author=None))

    def test_domain(self) -> None:
        """
        A domain rule matches the website's host and its subdomains, not a
        domain that only ends with the same letters.
        """
        self.assertTrue(self.matches("domain", "shop.example"))
        self.assertTrue(self.matches("domain", "www.shop.example"))
        self.assertTrue(self.matches("domain", "example"))
        self.assertFalse(self.matches("domain", "hop.example"))
        self.assertFalse(self.matches("domain", "shop.example", website=None))

    def test_words(self) -> None:
        """
        A words rule matches whole words of the text, in any case, across
        any white space; not part of a word.
        """
        self.assertTrue(self.matches("words", "cheap watches"))
        self.assertTrue(self.matches("words", "now! all"))
        self.assertTrue(self.matches("words", "best"))
        self.assertFalse(self.matches("words", "watch"))
        self.assertFalse(self.matches("words", "cheap here"))

    def test_regex(self) -> None:
        """
        A regular expression is searched in the text, case-insensitively
        unless it says otherwise.
        """
        self.assertTrue(self.matches("regex", r"watch(es)?\s+here"))
        self.assertTrue(self.matches("regex", r"^cheap"))
        self.assertFalse(self.matches("regex", r"(?-i)cheap watches"))
        self.assertFalse(self.matches("regex", r"^cheap$"))

    def test_refusal_wins(self) -> None:
        """
        A refusing rule decides over a holding one that matched first;
        among rules of one action, the oldest decides.
        """
        rules = [
            rule("words", "best", "hold", 1),
            rule("network", "192.0.2.0", "hold", 2),
            rule("regex", "watches", "refuse", 3),
            rule("email", "spam@example.org", "refuse", 4),
        ]
        match = match_rules(rules, SUBMISSION)
        assert match is not None
        self.assertEqual((match.rule.id, match.refuses), (4, True))
        match = match_rules(rules[:2], SUBMISSION)
        assert match is not None
        self.assertEqual((match.rule.id, match.refuses), (1, False))
        self.assertEqual(
            match.describe(), "rule 1 (hold words 'best') matched the text"
        )

    def test_nothing(self) -> None:
        """
        A comment no rule matches is not held or refused.
        """
        self.assertIsNone(match_rules([], SUBMISSION))
        self.assertIsNone(match_rules([rule("words", "casino")], SUBMISSION))


class RegexTimeTests(SynchronousTestCase):
    """
    Regular expressions are bounded in time, and checked when added.
    """

    SLOW = r"(a|aa)+$"

    def test_catastrophic_pattern_on_comment(self) -> None:
        """
        A pattern that backtracks catastrophically on a comment gives up
        within the budget, and the comment is held (not refused, not
        published), the rule named as undecided.
        """
        submission = replace(SUBMISSION, text="a" * 60 + "b")
        started = time.monotonic()
        match = match_rules([rule("regex", self.SLOW)], submission, budget=0.05)
        self.assertLess(time.monotonic() - started, 1.0)
        assert match is not None
        self.assertTrue(match.timed_out)
        self.assertFalse(match.refuses)
        self.assertIn("could not decide in time", match.describe())

    def test_budget_shared(self) -> None:
        """
        Once the budget of one comment is spent, the remaining patterns
        are not run at all (the comment is held), while a refusing rule of
        another kind still decides.
        """
        clock = iter([0.0, 10.0])
        rules = [rule("regex", "watches", "refuse", 1)]
        match = match_rules(rules, SUBMISSION, budget=1, monotonic=lambda: next(clock))
        assert match is not None
        self.assertTrue(match.timed_out)
        rules.append(rule("network", "192.0.2.0", "refuse", 2))
        match = match_rules(rules, SUBMISSION)
        assert match is not None
        self.assertEqual(match.rule.id, 2)

    def test_slow_pattern_refused(self) -> None:
        """
        A pattern that backtracks catastrophically on long runs of one
        character is refused when added, with advice.
        """
        error = self.assertRaises(
            InvalidRule, normalise_rule, "regex", "refuse", r"(\w*)*\d$"
        )
        self.assertIn("too slow", str(error))

    def test_invalid_pattern(self) -> None:
        """
        A pattern that does not compile is refused with the reason.
        """
        error = self.assertRaises(InvalidRule, normalise_rule, "regex", "hold", "(abc")
        self.assertIn("not a valid regular expression", str(error))

    def test_pattern_matching_everything(self) -> None:
        """
        A pattern that matches an empty text would match every comment:
        refused.
        """
        error = self.assertRaises(InvalidRule, normalise_rule, "regex", "hold", "x*")
        self.assertIn("every comment", str(error))

    def test_stored_invalid_pattern(self) -> None:
        """
        A broken pattern written into the table by another program matches
        nothing, rather than failing every comment.
        """
        self.assertIsNone(match_rules([rule("regex", "(abc")], SUBMISSION))


class NormaliseTests(SynchronousTestCase):
    """
    L{normalise_rule}: what the owner types becomes what is stored.
    """

    def test_values(self) -> None:
        """
        An address becomes its network; a URL its host; names and words
        lose extra spaces; a pattern is kept as typed.
        """
        cases = [
            ("network", "192.0.2.77", "192.0.2.0"),
            ("network", "192.0.2.0/24", "192.0.2.0"),
            ("network", "2001:db8:1:2::5", "2001:0db8:0001:0000:0000:0000:0000:0000"),
            ("email", " spam@example.org ", "spam@example.org"),
            ("author", "  Tom   Jerry ", "Tom Jerry"),
            ("domain", "https://Shop.Example/buy", "shop.example"),
            ("domain", "*.shop.example", "shop.example"),
            ("words", " cheap\n watches ", "cheap watches"),
            ("regex", " a+b ", " a+b "),
        ]
        for kind, typed, stored in cases:
            self.assertEqual(normalise_rule(kind, "refuse", typed), stored, kind)

    def test_refused(self) -> None:
        """
        Values that cannot make a rule are refused with a message saying
        what to give instead.
        """
        cases = [
            ("network", "not an address", "not an IP address"),
            ("email", "nobody", "not an e-mail address"),
            ("domain", "spam example", "not a domain name"),
            ("words", "   ", "needs a value"),
            ("words", "x" * 501, "too long"),
            ("colour", "red", "unknown kind"),
        ]
        for kind, typed, message in cases:
            error = self.assertRaises(InvalidRule, normalise_rule, kind, "refuse", typed)
            self.assertIn(message, str(error))
        error = self.assertRaises(InvalidRule, normalise_rule, "words", "ban", "x")
        self.assertIn("use refuse or hold", str(error))


class StoredRulesTests(SynchronousTestCase):
    """
    The rules in the database, read and counted by the storing transaction.
    """

    def setUp(self) -> None:
        self.database = SynchronousDatabase(self.mktemp())
        self.addCleanup(self.database.close)

    def run_interaction(self, interaction: Any, *args: Any) -> Any:
        return self.successResultOf(self.database.run(interaction, *args))

    def test_add_list_delete(self) -> None:
        """
        Rules are listed oldest first with when they were made and their
        note; the same rule twice is one rule; a deleted rule is gone.
        """
        first = self.run_interaction(
            add_rule_interaction, "email", "a@b.c", "refuse", "ban of #3", NOW
        )
        again = self.run_interaction(
            add_rule_interaction, "email", "a@b.c", "refuse", "again", NOW + 1
        )
        other = self.run_interaction(
            add_rules_interaction, [("email", "a@b.c", "hold")], "", NOW + 2
        )
        self.assertEqual(first, (1, True))
        self.assertEqual(again, (1, False))
        self.assertEqual(other, [(2, True)])
        rules = self.run_interaction(rules_interaction)
        self.assertEqual(
            [(r.id, r.action, r.note, r.created, r.matches) for r in rules],
            [(1, "refuse", "ban of #3", NOW, 0), (2, "hold", "", NOW + 2, 0)],
        )
        deleted = self.run_interaction(delete_rule_interaction, 1)
        self.assertEqual(deleted.value, "a@b.c")
        self.assertIsNone(self.run_interaction(delete_rule_interaction, 1))
        self.assertEqual([r.id for r in self.run_interaction(rules_interaction)], [2])

    def test_hold_counted(self) -> None:
        """
        A holding rule that matches is counted, with the time, when the
        comment is stored (L{note_match}), not when it is checked.
        """
        self.run_interaction(add_rule_interaction, "words", "best", "hold", "", NOW)
        match = self.run_interaction(check_rules, SUBMISSION)
        self.assertEqual(match.rule.id, 1)
        self.assertEqual(self.run_interaction(rules_interaction)[0].matches, 0)
        self.run_interaction(note_match, match, NOW + 5)
        [stored] = self.run_interaction(rules_interaction)
        self.assertEqual((stored.matches, stored.last_match), (1, NOW + 5))

    def test_refusal(self) -> None:
        """
        A refusing rule raises the guard's refusal of kind "rule", naming
        the rule for the log and nothing of it for the client.
        """
        self.run_interaction(add_rule_interaction, "network", "192.0.2.0", "refuse", "", NOW)
        failure = self.failureResultOf(
            self.database.run(check_rules, SUBMISSION), GuardRejection
        )
        error = failure.value
        self.assertEqual((error.kind, error.rule_id, error.reason), ("rule", 1, NOT_ACCEPTED))
        self.assertEqual(
            error.detail, "rule 1 (refuse network '192.0.2.0') matched the network"
        )


class LinkTests(SynchronousTestCase):
    """
    C{[guard] max-links}: links counted in the rendered comment.
    """

    def test_count(self) -> None:
        """
        Every link element with an address counts; text that merely looks
        like one does not.
        """
        rendered = (
            '<p><a href="https://a.example">a</a> <A class="x" HREF="/b">b</A>'
            " https://c.example &lt;a href=x&gt; <a>no address</a></p>"
        )
        self.assertEqual(count_links(rendered), 2)

    def test_limit(self) -> None:
        """
        Over the limit a comment is held with the reason; at the limit, or
        with no limit or the guard off, it is not.
        """
        rendered = '<a href="/1">1</a><a href="/2">2</a>'
        self.assertEqual(
            too_many_links(replace(GUARD, max_links=1), rendered),
            "2 links, more than [guard] max-links = 1",
        )
        self.assertIsNone(too_many_links(replace(GUARD, max_links=2), rendered))
        self.assertIsNone(too_many_links(GUARD, rendered))
        self.assertIsNone(
            too_many_links(replace(GUARD, max_links=1, enabled=False), rendered)
        )


class HoneypotTests(SynchronousTestCase):
    """
    The honeypot field C{phone} of a C{POST /new} body.
    """

    def test_filled(self) -> None:
        """
        A body whose phone field is a non-empty string is refused, with
        the reason "honeypot".
        """
        for value in ("0123", " "):
            error = self.assertRaises(
                GuardRejection, check_honeypot, {"text": "hi", "phone": value}
            )
            self.assertEqual((error.kind, error.reason), ("honeypot", NOT_ACCEPTED))

    def test_absent_or_empty(self) -> None:
        """
        A body without the field, with it empty, or with a value no form
        sends, passes.
        """
        for body in ({"text": "hi"}, {"phone": ""}, {"phone": None}, {"phone": 5}, []):
            check_honeypot(body)
