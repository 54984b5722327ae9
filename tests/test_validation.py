"""
Checking what commenters send (L{isso_tx.validation}): each of Isso's
rules, the message a refused commenter reads, and how accepted fields are
escaped before they are stored.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.validation import (
    MAX_EMAIL,
    MAX_TEXT,
    MAX_WEBSITE,
    InvalidComment,
    check_fields,
    edit_fields,
    escape_text,
    new_comment_fields,
    normalise_website,
)


class RuleTests(SynchronousTestCase):
    """
    The rules of L{check_fields}, each with its message.
    """

    def refused(self, data: dict[str, Any]) -> str:
        """
        Check a comment that must be refused; return the message.
        """
        return str(self.assertRaises(InvalidComment, check_fields, data))

    def test_text_missing(self) -> None:
        """
        A comment without text is refused, whatever else it has.
        """
        self.assertEqual(self.refused({}), "text is missing")
        self.assertEqual(
            self.refused({"text": None, "parent": "x", "author": 1}), "text is missing"
        )

    def test_parent_type(self) -> None:
        """
        A parent that is not an integer (a string, a float, a boolean) is
        refused; none is fine.
        """
        for parent in ("1", 1.0, True, False, [1]):
            self.assertEqual(
                self.refused({"text": "hello", "parent": parent}),
                "parent must be an integer or null",
                parent,
            )
        check_fields({"text": "hello", "parent": None})
        check_fields({"text": "hello", "parent": 0})

    def test_parent_range(self) -> None:
        """
        A parent outside SQLite's integers cannot be a comment id; the
        extremes of the range are accepted.
        """
        for parent in (2**63, -(2**63) - 1, 10**30):
            self.assertEqual(
                self.refused({"text": "hello", "parent": parent}),
                "parent is not a comment id",
            )
        for parent in (2**63 - 1, -(2**63), -1):
            check_fields({"text": "hello", "parent": parent})

    def test_string_fields(self) -> None:
        """
        Text, author, website and e-mail must each be a string or null, and
        the message names the first one that is not.
        """
        self.assertEqual(self.refused({"text": 42}), "text must be a string or null")
        for key in ("author", "website", "email"):
            for value in (1, [], {}, True):
                self.assertEqual(
                    self.refused({"text": "hello", key: value}),
                    f"{key} must be a string or null",
                )
        self.assertEqual(
            self.refused({"text": "hello", "email": 1, "author": 1}),
            "author must be a string or null",
        )

    def test_text_too_short(self) -> None:
        """
        A text of fewer than three characters, not counting trailing
        blanks, is refused.
        """
        for text in ("", "ab", "ab  ", "a\n\n\n", "   "):
            self.assertEqual(
                self.refused({"text": text}),
                "text is too short (minimum length: 3)",
                repr(text),
            )
        for text in ("abc", "abc   ", "  ab"):
            check_fields({"text": text})

    def test_text_too_long(self) -> None:
        """
        A text of more than 65535 characters is refused.
        """
        check_fields({"text": "x" * MAX_TEXT})
        self.assertEqual(
            self.refused({"text": "x" * (MAX_TEXT + 1)}),
            "text is too long (maximum length: 65535)",
        )

    def test_email_too_long(self) -> None:
        """
        An e-mail address longer than RFC 5321 allows is refused, and the
        message cites it.
        """
        check_fields({"text": "hello", "email": "a" * MAX_EMAIL})
        self.assertEqual(
            self.refused({"text": "hello", "email": "a" * (MAX_EMAIL + 1)}),
            "email is too long (maximum length: 254, RFC 5321 section 4.5.3)",
        )

    def test_website_too_long(self) -> None:
        """
        A website address of more than 254 characters is refused.
        """
        base = "http://example.org/"
        longest = base + "a" * (MAX_WEBSITE - len(base))
        check_fields({"text": "hello", "website": longest})
        self.assertEqual(
            self.refused({"text": "hello", "website": longest + "a"}),
            "website is too long (maximum length: 254)",
        )

    def test_websites_accepted(self) -> None:
        """
        Web addresses with or without a scheme, port, path or query, on a
        domain, localhost or an IPv4 address, are accepted, as is an empty
        website.
        """
        for website in (
            "",
            None,
            "example.org",
            "example.org.",
            "https://example.org",
            "HTTPS://EXAMPLE.ORG/",
            "http://www.example.co.uk/path/page.html?q=1#top",
            "http://localhost:8080/",
            "192.0.2.1",
            "https://bücher.example/",
            "a" * 63 + ".org",
            "example.org?page=2",
        ):
            check_fields({"text": "hello", "website": website})

    def test_websites_refused(self) -> None:
        """
        What is not an http(s) web address is refused with Isso's message.
        """
        for website in (
            "javascript:alert(1)",
            "name@example.com",
            "ftp://example.org/",
            "http://",
            "example",
            "exa mple.org",
            "http://example.org/ a",
            "a" * 64 + ".org",
            "-example.org",
        ):
            self.assertEqual(
                self.refused({"text": "hello", "website": website}),
                "Website not Django-conform: expected an http(s) address "
                "such as https://example.org/",
                website,
            )

    def test_title(self) -> None:
        """
        A title must be a string or null, checked after every other rule.
        """
        check_fields({"text": "hello", "title": "A page"})
        check_fields({"text": "hello", "title": None})
        for title in (5, ["a"], True):
            self.assertEqual(
                self.refused({"text": "hello", "title": title}),
                "title must be a string or null",
            )
        self.assertEqual(
            self.refused({"text": "hi", "title": 5}),
            "text is too short (minimum length: 3)",
        )


class EscapingTests(SynchronousTestCase):
    """
    How accepted names, addresses and websites are made safe for HTML.
    """

    def test_escape_text(self) -> None:
        """
        Names and e-mail addresses have &, < and > escaped; quotes are left
        as typed.
        """
        self.assertEqual(
            escape_text("<b>Tom & \"Jerry\"</b>'s"),
            "&lt;b&gt;Tom &amp; \"Jerry\"&lt;/b&gt;'s",
        )
        self.assertIsNone(escape_text(None))
        self.assertEqual(escape_text(""), "")

    def test_website_scheme(self) -> None:
        """
        A website without a scheme gets http://; one with http or https, in
        any case, keeps its own.
        """
        self.assertEqual(normalise_website("example.org"), "http://example.org")
        for website in ("https://example.org", "HTTP://example.org"):
            self.assertEqual(normalise_website(website), website)
        self.assertEqual(normalise_website(""), "")
        self.assertIsNone(normalise_website(None))

    def test_website_quotes(self) -> None:
        """
        A website's quotes are escaped too, as it is used in an attribute.
        """
        self.assertEqual(
            normalise_website("example.org/?a=\"b\"&c='d'"),
            "http://example.org/?a=&quot;b&quot;&amp;c=&#x27;d&#x27;",
        )


class NewCommentTests(SynchronousTestCase):
    """
    The fields of a C{POST /new} body.
    """

    def test_normalised(self) -> None:
        """
        The known keys are kept (missing ones as null), the others dropped,
        and the author, e-mail and website escaped.
        """
        fields = new_comment_fields(
            {
                "text": "Hello <b>there</b>",
                "author": "A & B",
                "email": "a<b>@c.d",
                "website": "example.org",
                "id": 99,
                "mode": 1,
                "created": 0,
            }
        )
        self.assertEqual(
            fields,
            {
                "text": "Hello <b>there</b>",
                "author": "A &amp; B",
                "email": "a&lt;b&gt;@c.d",
                "website": "http://example.org",
                "parent": None,
                "title": None,
                "notification": None,
            },
        )

    def test_not_an_object(self) -> None:
        """
        A body that is not a JSON object is refused.
        """
        for body in ([1, 2], "text", None, 3):
            error = self.assertRaises(InvalidComment, new_comment_fields, body)
            self.assertEqual(str(error), "the request body must be a JSON object")

    def test_rules_apply(self) -> None:
        """
        The field rules apply to a new comment.
        """
        error = self.assertRaises(
            InvalidComment, new_comment_fields, {"text": "hi", "parent": 1}
        )
        self.assertEqual(str(error), "text is too short (minimum length: 3)")

    def test_notification(self) -> None:
        """
        A notification flag that is an object or a list is refused; other
        values are passed on as 0 or 1 (or null), whatever the database.
        """
        for notification in ({}, [], [1], {"a": 1}):
            error = self.assertRaises(
                InvalidComment,
                new_comment_fields,
                {"text": "hello", "notification": notification},
            )
            self.assertEqual(str(error), "notification must be 0, 1 or null")
        for notification in (0, 1, None, True):
            fields = new_comment_fields({"text": "hello", "notification": notification})
            self.assertEqual(fields["notification"], notification)
        for notification, flag in (("yes", 1), (" False ", 0), ("0", 0), (0.25, 1)):
            fields = new_comment_fields({"text": "hello", "notification": notification})
            self.assertIs(fields["notification"], flag)


class EditTests(SynchronousTestCase):
    """
    The changes of an edit body.
    """

    def test_only_sent_keys(self) -> None:
        """
        Only the text, and the author and website when sent, are changed;
        other keys (e-mail, parent, mode) are ignored.
        """
        self.assertEqual(edit_fields({"text": "hello"}), {"text": "hello"})
        self.assertEqual(
            edit_fields(
                {
                    "text": "hello",
                    "author": "<A>",
                    "website": "example.org",
                    "email": "x" * 1000,
                    "parent": "x",
                    "mode": 1,
                }
            ),
            {"text": "hello", "author": "&lt;A&gt;", "website": "http://example.org"},
        )

    def test_clearing(self) -> None:
        """
        An author or website sent as null clears it.
        """
        self.assertEqual(
            edit_fields({"text": "hello", "author": None, "website": None}),
            {"text": "hello", "author": None, "website": None},
        )

    def test_rules_apply(self) -> None:
        """
        The text, author and website rules apply to an edit.
        """
        for body, message in (
            ({}, "text is missing"),
            ({"text": "hi"}, "text is too short (minimum length: 3)"),
            ({"text": "hello", "author": 5}, "author must be a string or null"),
            (
                {"text": "hello", "website": "javascript:x"},
                "Website not Django-conform: expected an http(s) address "
                "such as https://example.org/",
            ),
        ):
            error = self.assertRaises(InvalidComment, edit_fields, body)
            self.assertEqual(str(error), message)

    def test_not_an_object(self) -> None:
        """
        An edit body that is not a JSON object is refused.
        """
        for body in (["text"], "hello", None):
            error = self.assertRaises(InvalidComment, edit_fields, body)
            self.assertEqual(str(error), "the request body must be a JSON object")
