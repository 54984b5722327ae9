"""
Tests for L{isso_tx.markup}: comment Markdown becomes the same sanitised HTML
that Isso 0.14 serves.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.config import MarkupConfig
from isso_tx.markup import Markup, _already_clean

# The settings that loading an empty [markup] section produces.
DEFAULTS = MarkupConfig(
    renderer="misaka",
    allowed_elements=(),
    allowed_attributes=(),
    misaka_extensions=(
        "autolink",
        "fenced-code",
        "no-intra-emphasis",
        "strikethrough",
        "superscript",
    ),
    misaka_render_flags=(),
    mistune_plugins=("strikethrough", "subscript", "superscript"),
    mistune_parameters=("escape", "hard_wrap"),
)

MISTUNE = replace(DEFAULTS, renderer="mistune")

# Input and exact output with mistune's default settings, one pair per row of
# the table in the specification.
MISTUNE_TABLE = [
    ("http://example.org/", "<p>http://example.org/</p>"),
    (
        "Visit <http://example.org/>",
        (
            '<p>Visit <a href="http://example.org/" rel="nofollow noopener">'
            "http://example.org/</a></p>"
        ),
    ),
    (
        "[link](http://example.org/)",
        '<p><a href="http://example.org/" rel="nofollow noopener">link</a></p>',
    ),
    (
        "[js](javascript:alert(1))",
        '<p><a href="#harmful-link" rel="nofollow noopener">js</a></p>',
    ),
    (
        "[mail](mailto:foo@example.org)",
        '<p><a href="mailto:foo@example.org">mail</a></p>',
    ),
    ("![img](http://example.org/a.png)", "<p></p>"),
    ("<em>Hi</em>", "<p>&lt;em&gt;Hi&lt;/em&gt;</p>"),
    (
        "<script>alert(1)</script>",
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
    ),
    ("line1\nline2", "<p>line1<br>\nline2</p>"),
    ("para1\n\npara2", "<p>para1</p>\n<p>para2</p>"),
    (
        "~~strike~~ H~2~O x^2^",
        "<p><del>strike</del> H<sub>2</sub>O x<sup>2</sup></p>",
    ),
    (
        "```python\nprint('x')\n```",
        "<p></p><pre><code class=\"language-python\">print('x')\n</code></pre><p></p>",
    ),
    ("    indented code", "<p></p><pre><code>indented code</code></pre><p></p>"),
    ("# Heading", "<p></p><h1>Heading</h1><p></p>"),
    ("> quote", "<p></p><blockquote>\n<p>quote</p>\n</blockquote><p></p>"),
    ("- a\n- b", "<p></p><ul>\n<li>a</li>\n<li>b</li>\n</ul><p></p>"),
    ("---", "<p></p><hr><p></p>"),
    (
        "**bold** _em_ `code`",
        "<p><strong>bold</strong> <em>em</em> <code>code</code></p>",
    ),
    (
        "a & b < c > d \"q\" 'a'",
        "<p>a &amp; b &lt; c &gt; d &quot;q&quot; 'a'</p>",
    ),
    ("This is **mark**_down_", "<p>This is <strong>mark</strong><em>down</em></p>"),
    (
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "<p>| a | b |<br>\n|---|---|<br>\n| 1 | 2 |</p>",
    ),
    ("", "<p></p>"),
]


class MistuneTableTests(SynchronousTestCase):
    """
    Every rendering that the specification lists for mistune, byte for byte.
    """

    def setUp(self) -> None:
        self.markup = Markup(MISTUNE)


def _table_test(text: str, expected: str):
    def test(self: MistuneTableTests) -> None:
        self.assertEqual(self.markup.render(text), expected)

    test.__doc__ = f"""
        With mistune, {text!r} is shown as {expected!r}.
        """
    return test


for _number, (_text, _expected) in enumerate(MISTUNE_TABLE):
    setattr(MistuneTableTests, f"test_row_{_number:02d}", _table_test(_text, _expected))
del _number, _text, _expected


class MistuneTests(SynchronousTestCase):
    """
    Mistune settings beyond the default table.
    """

    def test_images_allowed(self) -> None:
        """
        With C{img} and C{title} allowed, an image keeps its source and title
        but loses its alt text.
        """
        markup = Markup(
            replace(MISTUNE, allowed_elements=("img",), allowed_attributes=("title",))
        )
        self.assertEqual(
            markup.render('![alt](http://x/a.png "t")'),
            '<p><img src="http://x/a.png" title="t"></p>',
        )

    def test_image_source_scheme(self) -> None:
        """
        An allowed image whose source is a C{javascript:} URL keeps no source.
        """
        markup = Markup(replace(MISTUNE, allowed_elements=("img",)))
        self.assertEqual(
            markup.render('<img src="javascript:alert(1)">'),
            "<p>&lt;img src=&quot;javascript:alert(1)&quot;&gt;</p>",
        )
        misaka = Markup(replace(DEFAULTS, allowed_elements=("img",)))
        self.assertEqual(
            misaka.render('<img src="javascript:alert(1)">'), "<p><img></p>"
        )

    def test_without_hard_wrap(self) -> None:
        """
        Without the C{hard_wrap} parameter a single newline stays a newline.
        """
        markup = Markup(replace(MISTUNE, mistune_parameters=("escape",)))
        self.assertEqual(markup.render("line1\nline2"), "<p>line1\nline2</p>")

    def test_without_plugins(self) -> None:
        """
        Without plugins, strike-through and sub/superscript marks stay text.
        """
        markup = Markup(replace(MISTUNE, mistune_plugins=()))
        self.assertEqual(markup.render("~~strike~~ x^2^"), "<p>~~strike~~ x^2^</p>")

    def test_table_plugin(self) -> None:
        """
        The C{table} plugin makes tables, but C{tr} is not allowed by default,
        so only its cells remain.
        """
        markup = Markup(replace(MISTUNE, mistune_plugins=("table",)))
        self.assertEqual(
            markup.render("| a |\n|---|\n| 1 |"),
            "<p></p><table>\n<thead>\n\n  <th>a</th>\n\n</thead>\n<tbody>\n\n"
            "  <td>1</td>\n\n</tbody>\n</table><p></p>",
        )


class MisakaTests(SynchronousTestCase):
    """
    The misaka renderer with the default extensions and no render flags.
    """

    def setUp(self) -> None:
        self.markup = Markup(DEFAULTS)

    def test_emphasis(self) -> None:
        """
        Asterisks and underscores make emphasis and strong text.
        """
        self.assertEqual(
            self.markup.render("*Hi* __there__"),
            "<p><em>Hi</em> <strong>there</strong></p>",
        )

    def test_raw_html(self) -> None:
        """
        Raw HTML that is allowed stays; other elements are reduced to their
        text.
        """
        self.assertEqual(
            self.markup.render("<em>Hi</em> <b>bold</b>"), "<p><em>Hi</em> bold</p>"
        )

    def test_script(self) -> None:
        """
        A script element is removed and its text shown as plain text.
        """
        self.assertEqual(
            self.markup.render('<script>alert("x")</script>'), '<p>alert("x")</p>'
        )

    def test_html_comment(self) -> None:
        """
        HTML comments are dropped.
        """
        self.assertEqual(
            self.markup.render("<!-- hidden --> visible"), "<p> visible</p>"
        )

    def test_event_handler(self) -> None:
        """
        Attributes not on the allowed lists, like event handlers, are dropped.
        """
        self.assertEqual(
            self.markup.render('<a href="http://x/" onclick="evil()">x</a>'),
            '<p><a href="http://x/" rel="nofollow noopener">x</a></p>',
        )

    def test_autolink(self) -> None:
        """
        A bare URL becomes a link that search engines are told not to follow.
        """
        self.assertEqual(
            self.markup.render("see http://example.org/"),
            '<p>see <a href="http://example.org/" rel="nofollow noopener">'
            "http://example.org/</a></p>",
        )

    def test_text_that_looks_like_a_domain(self) -> None:
        """
        File names and paths are not turned into links.
        """
        self.assertEqual(
            self.markup.render("ld.so /etc/x.conf"), "<p>ld.so /etc/x.conf</p>"
        )

    def test_fenced_code_language(self) -> None:
        """
        Fenced code keeps its lines, is escaped, and is labelled with its
        language.
        """
        self.assertEqual(
            self.markup.render("```cpp\nstd::vector<int> v;\n  f();\n```"),
            '<p></p><pre><code class="language-cpp">std::vector&lt;int&gt; v;\n'
            "  f();\n</code></pre><p></p>",
        )

    def test_fenced_code_without_language(self) -> None:
        """
        Fenced code without a language gets no class.
        """
        self.assertEqual(
            self.markup.render("```\n'a' & \"b\"\n```"),
            "<p></p><pre><code>'a' &amp; \"b\"\n</code></pre><p></p>",
        )

    def test_fenced_code_odd_language(self) -> None:
        """
        A language name that is not plain letters and digits is dropped.
        """
        self.assertEqual(
            self.markup.render("```c++\nx\n```"),
            "<p></p><pre><code>x\n</code></pre><p></p>",
        )

    def test_indented_code(self) -> None:
        """
        Indented code is code.
        """
        self.assertEqual(
            self.markup.render("    code"),
            "<p></p><pre><code>code\n</code></pre><p></p>",
        )

    def test_code_class_filter(self) -> None:
        """
        A code class is kept only when it is exactly one language label.
        """
        self.assertEqual(
            self.markup.render('<code class="language-cpp">x</code>'),
            '<p><code class="language-cpp">x</code></p>',
        )
        self.assertEqual(
            self.markup.render('<code class="test language-cpp">x</code>'),
            "<p><code>x</code></p>",
        )
        self.assertEqual(
            self.markup.render(f'<code class="language-{"a" * 21}">x</code>'),
            "<p><code>x</code></p>",
        )

    def test_javascript_link(self) -> None:
        """
        A C{javascript:} link loses its target.
        """
        self.assertEqual(
            self.markup.render("[js](javascript:alert(1))"), "<p><a>js</a></p>"
        )

    def test_mailto_link(self) -> None:
        """
        Mail links get no C{rel}.
        """
        self.assertEqual(
            self.markup.render("[m](mailto:a@example.org)"),
            '<p><a href="mailto:a@example.org">m</a></p>',
        )

    def test_relative_link(self) -> None:
        """
        A link without a scheme is kept and marked like any other.
        """
        self.assertEqual(
            self.markup.render("[r](/about)"),
            '<p><a href="/about" rel="nofollow noopener">r</a></p>',
        )

    def test_existing_rel_tokens(self) -> None:
        """
        Where C{rel} is allowed, the commenter's tokens stay and only the
        missing ones are added, whatever their case.
        """
        markup = Markup(replace(DEFAULTS, allowed_attributes=("rel",)))
        self.assertEqual(
            markup.render('<a href="http://x/" rel="NoFollow me">x</a>'),
            '<p><a href="http://x/" rel="NoFollow me noopener">x</a></p>',
        )
        self.assertEqual(
            markup.render('<a href="mailto:a@b.c" rel="me">m</a>'),
            '<p><a href="mailto:a@b.c" rel="me">m</a></p>',
        )

    def test_soft_wrap(self) -> None:
        """
        Without the C{hard-wrap} flag a single newline stays a newline.
        """
        self.assertEqual(self.markup.render("a\nb"), "<p>a\nb</p>")

    def test_hard_wrap(self) -> None:
        """
        With the C{hard-wrap} flag a single newline becomes a line break.
        """
        markup = Markup(replace(DEFAULTS, misaka_render_flags=("hard-wrap",)))
        self.assertEqual(markup.render("a\nb"), "<p>a<br>\nb</p>")

    def test_extensions(self) -> None:
        """
        Strike-through and superscript work, and underscores inside words do
        not make emphasis.
        """
        self.assertEqual(
            self.markup.render("~~s~~ x^2 foo_bar_baz"),
            "<p><del>s</del> x<sup>2</sup> foo_bar_baz</p>",
        )

    def test_underscore_spelling(self) -> None:
        """
        Misaka 1's C{snake_case} and the C{EXT_}/C{HTML_} constant names mean
        the same as misaka 2's names.
        """
        dashed = Markup(
            replace(
                DEFAULTS,
                misaka_extensions=("fenced-code", "no-intra-emphasis"),
                misaka_render_flags=("hard-wrap",),
            )
        )
        for extensions, flags in [
            (("fenced_code", "no_intra_emphasis"), ("hard_wrap",)),
            (("EXT_FENCED_CODE", "EXT_NO_INTRA_EMPHASIS"), ("HTML_HARD_WRAP",)),
        ]:
            markup = Markup(
                replace(
                    DEFAULTS, misaka_extensions=extensions, misaka_render_flags=flags
                )
            )
            self.assertEqual(markup.fingerprint, dashed.fingerprint)
            self.assertEqual(
                markup.render("foo_bar_baz\na\n\n```\nx\n```"),
                "<p>foo_bar_baz<br>\na</p>\n<pre><code>x\n</code></pre>",
            )

    def test_no_extensions(self) -> None:
        """
        Without extensions, URLs stay text and fences are not code blocks.
        """
        markup = Markup(replace(DEFAULTS, misaka_extensions=()))
        self.assertEqual(
            markup.render("http://example.org/ ~~s~~"),
            "<p>http://example.org/ ~~s~~</p>",
        )

    def test_images_allowed(self) -> None:
        """
        Allowing C{img} also allows its source.
        """
        markup = Markup(replace(DEFAULTS, allowed_elements=("img",)))
        self.assertEqual(
            markup.render('![alt](http://x/a.png "t")'),
            '<p><img src="http://x/a.png"></p>',
        )
        self.assertEqual(self.markup.render('![alt](http://x/a.png "t")'), "<p></p>")

    def test_extra_attribute_is_global(self) -> None:
        """
        An extra allowed attribute is kept on every allowed element.
        """
        markup = Markup(replace(DEFAULTS, allowed_attributes=("title",)))
        self.assertEqual(
            markup.render('<em title="a">x</em> <b title="b">y</b>'),
            '<p><em title="a">x</em> y</p>',
        )

    def test_empty(self) -> None:
        """
        An empty text is an empty paragraph.
        """
        self.assertEqual(self.markup.render(""), "<p></p>")


class FingerprintTests(SynchronousTestCase):
    """
    The fingerprint tells stored renderings made under other settings apart.
    """

    def test_equal_settings(self) -> None:
        """
        Equal settings give equal fingerprints, whatever the order of
        unordered lists.
        """
        first = Markup(replace(DEFAULTS, allowed_elements=("img", "tr")))
        second = Markup(replace(DEFAULTS, allowed_elements=("tr", "img")))
        self.assertEqual(first.fingerprint, second.fingerprint)
        self.assertEqual(Markup(MISTUNE).fingerprint, Markup(MISTUNE).fingerprint)

    def test_different_settings(self) -> None:
        """
        Any setting that changes the HTML changes the fingerprint.
        """
        configs = [
            DEFAULTS,
            MISTUNE,
            replace(DEFAULTS, allowed_elements=("tr",)),
            replace(DEFAULTS, allowed_attributes=("title",)),
            replace(DEFAULTS, misaka_extensions=("autolink",)),
            replace(DEFAULTS, misaka_render_flags=("hard-wrap",)),
            replace(MISTUNE, mistune_plugins=("table",)),
            replace(MISTUNE, mistune_parameters=("escape",)),
        ]
        fingerprints = {Markup(config).fingerprint for config in configs}
        self.assertEqual(len(fingerprints), len(configs))

    def test_other_renderer_settings_ignored(self) -> None:
        """
        Settings of the renderer not in use do not change the fingerprint.
        """
        self.assertEqual(
            Markup(replace(DEFAULTS, mistune_plugins=("table",))).fingerprint,
            Markup(DEFAULTS).fingerprint,
        )

    def test_short_text(self) -> None:
        """
        The fingerprint is a short hexadecimal string.
        """
        fingerprint = Markup(DEFAULTS).fingerprint
        self.assertEqual(len(fingerprint), 16)
        int(fingerprint, 16)


class UnknownNameTests(SynchronousTestCase):
    """
    Unknown names in the settings are errors, reported at start-up.
    """

    def assert_refused(self, config: MarkupConfig, message: str) -> None:
        error = self.assertRaises(ValueError, Markup, config)
        self.assertEqual(str(error), message)

    def test_renderer(self) -> None:
        """
        A renderer other than misaka or mistune is refused.
        """
        self.assert_refused(
            replace(DEFAULTS, renderer="markdown"),
            "unknown markup renderer: 'markdown'",
        )

    def test_misaka_extension(self) -> None:
        """
        An unknown misaka extension is refused.
        """
        self.assert_refused(
            replace(DEFAULTS, misaka_extensions=("autolink", "sparkle")),
            "unknown misaka extension: 'sparkle'",
        )

    def test_misaka_flag(self) -> None:
        """
        An unknown misaka render flag is refused.
        """
        self.assert_refused(
            replace(DEFAULTS, misaka_render_flags=("hard-warp",)),
            "unknown misaka render flag: 'hard-warp'",
        )

    def test_mistune_plugin(self) -> None:
        """
        An unknown mistune plugin is refused, and so is a module path.
        """
        self.assert_refused(
            replace(MISTUNE, mistune_plugins=("sparkle",)),
            "unknown mistune plugin: 'sparkle'",
        )
        self.assert_refused(
            replace(MISTUNE, mistune_plugins=("os.system",)),
            "unknown mistune plugin: 'os.system'",
        )

    def test_mistune_parameter(self) -> None:
        """
        An unknown mistune parameter is refused.
        """
        self.assert_refused(
            replace(MISTUNE, mistune_parameters=("escape", "hardwrap")),
            "unknown mistune parameter: 'hardwrap'",
        )


# Pieces of comments, Markdown and HTML, plain and not, that the generated
# texts of PlainCommentTests are made of.
PIECES = [
    "word", "Two words", " ", "  ", "\n", "\n\n", "  \n", "\t", "\r\n",
    "*", "**", "_", "__", "~~", "^", "`", "```\n", "> ", "- ", "1. ", "# ",
    '"', "'", "&", "&amp;", "&copy;", "&#39;", "&#x27;", "&foo;", "<", ">",
    "<p>", "</p>", "<em>", "</em>", "<strong>", "</strong>", "<del>", "</del>",
    "<sup>", "</sup>", "<code>", "</code>", "<br>", "</br>", "<br/>", "<b>",
    "</b>", "<i>", "<p class=x>", "<em title='t'>", "<a href='http://x.example/'>",
    "</a>", "<script>", "<!-- c -->", "http://example.org/", "\x00", "\x0b",
    "\x0c", "\x1f", "\x7f", "\u00a0", "é", "\u2028", "\ufeff", "\ufffe",
    "😀", "\U0001fffe",
]


def generated_texts(seed: int, count: int) -> list[str]:
    """
    Return C{count} texts of a few random pieces each, always the same ones
    for one seed.
    """
    choose = random.Random(seed)
    return [
        "".join(choose.choice(PIECES) for _ in range(choose.randint(1, 12)))
        for _ in range(count)
    ]


class PlainCommentTests(SynchronousTestCase):
    """
    Comments whose rendered Markdown the sanitiser would leave as it is
    skip it; their HTML is the same as if it had run.
    """

    def test_plain_comments(self) -> None:
        """
        A comment of paragraphs with emphasis is served as Markdown made
        it, exactly what the sanitiser returns for it.
        """
        markup = Markup(DEFAULTS)
        _, cleaner = markup._tools()
        for text in ["Hello *world*", 'He said "hi" & don\'t', "a  \nb\n\nc `x<y`"]:
            html = markup.render(text)
            self.assertTrue(_already_clean(html), html)
            self.assertEqual(cleaner.clean(html), html)

    def test_same_as_sanitised(self) -> None:
        """
        Whatever a comment holds, with either renderer, its HTML is what
        the sanitiser makes of the rendered Markdown.
        """
        for config in (DEFAULTS, MISTUNE):
            markup = Markup(config)
            markdown, cleaner = markup._tools()
            plain = 0
            for text in generated_texts(13, 1500):
                rendered = markdown(text).rstrip("\n")
                if not (rendered.startswith("<p>") or rendered.endswith("</p>")):
                    rendered = f"<p>{rendered}</p>"
                plain += _already_clean(rendered)
                self.assertEqual(markup.render(text), cleaner.clean(rendered), text)
            # Enough of them skip the sanitiser to test something.
            self.assertGreater(plain, 150)

    def test_html_left_alone(self) -> None:
        """
        Any HTML taken for one the sanitiser leaves alone is left alone by
        it, character for character.
        """
        markup = Markup(DEFAULTS)
        _, cleaner = markup._tools()
        texts = generated_texts(17, 8000)
        candidates = [f"<p>{a}</p>" for a in texts] + [
            f"<p>{a}</p>\n<p>{b}</p>" for a, b in zip(texts, reversed(texts))
        ]
        # Elements left open, which the sanitiser closes.
        candidates += ["<p>a", "<p>a</p>\n<p>", "<p><em>a</p>", "<p>a</br></p>"]
        plain = [html for html in candidates if _already_clean(html)]
        # Enough of them pass to test something.
        self.assertGreater(len(plain), 400)
        for html in plain:
            self.assertEqual(cleaner.clean(html), html)


class ThreadTests(SynchronousTestCase):
    """
    Rendering from the thread pool.
    """

    def render_in_threads(self, markup: Markup, text: str) -> list[str]:
        """
        Render C{text} 50 times in each of 8 threads started together, and
        return every result.
        """
        results: list[str] = []
        start = threading.Barrier(8)

        def work() -> None:
            start.wait()
            results.extend(markup.render(text) for _ in range(50))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def test_concurrent_rendering(self) -> None:
        """
        Several threads rendering at once all get the same HTML as one
        thread alone.
        """
        text = (
            "Hello *world*, see http://example.org/ and <b>this</b>.\n\n"
            "```py\nprint(1 < 2)\n```\n\n- a\n- [b](http://b.example/)\n"
        )
        for config in (DEFAULTS, MISTUNE):
            markup = Markup(config)
            expected = markup.render(text)
            results = self.render_in_threads(markup, text)
            self.assertEqual(len(results), 400)
            self.assertEqual(set(results), {expected})
