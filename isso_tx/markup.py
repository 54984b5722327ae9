"""
Comment text to safe HTML: Markdown, then a sanitiser, then link attributes.

Comments are written in Markdown and rendered by one of two libraries,
chosen with C{[markup] renderer}: mistune 3, which escapes any HTML the
commenter typed, or the deprecated misaka, which lets raw HTML through to
the sanitiser.  Either way the result goes through bleach, which keeps only
a short list of elements, attributes and URL schemes, and every surviving
link to another site is marked C{rel="nofollow noopener"}.

Rendering happens in the reactor's thread pool, and neither bleach's
cleaner nor misaka's renderer may be shared between threads, so each thread
builds its own set of them on first use.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import bleach
from bleach.html5lib_shim import Filter

from .settings import MarkupConfig

# Bump whenever this module starts producing different HTML for the same
# settings, so that renderings stored by an older version are redone.
_PIPELINE_VERSION = 1

BUILT_IN_ELEMENTS = (
    "a",
    "p",
    "hr",
    "br",
    "ol",
    "ul",
    "li",
    "pre",
    "code",
    "blockquote",
    "del",
    "ins",
    "strong",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "sub",
    "sup",
    "table",
    "thead",
    "tbody",
    "th",
    "td",
)

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# The class highlighters such as highlight.js look for; anything else in a
# code element's class (several classes, odd characters, overlong names) is
# dropped.
_CODE_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9]{1,20}")

# Tokens that every link to somewhere other than a mail address must carry,
# in the order they are appended.
_LINK_REL_TOKENS = ("nofollow", "noopener")

_HREF = (None, "href")
_REL = (None, "rel")

_MISTUNE_PARAMETERS = frozenset({"escape", "hard_wrap"})


def _allow_code_language_class(tag: str, name: str, value: str) -> bool:
    """
    Decide whether an attribute of a C{code} element survives sanitising.

    Only a C{class} naming the code's language is kept; other attributes of
    C{code} may still be allowed by the global list.
    """
    return name == "class" and _CODE_LANGUAGE_CLASS.fullmatch(value) is not None


class _LinkRelFilter(Filter):
    """
    An html5lib filter that gives every link leading away from the page
    C{rel} tokens telling browsers and search engines not to trust it.

    Unlike bleach's linkifier, it never turns plain text into links, and it
    runs inside the cleaner's own pass, so the HTML is parsed only once.
    """

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                attributes = token["data"]
                href = attributes.get(_HREF)
                if href is not None and not href.startswith("mailto:"):
                    attributes[_REL] = _with_rel_tokens(attributes.get(_REL, ""))
            yield token


def _with_rel_tokens(rel: str) -> str:
    """
    Return C{rel} with the required link tokens appended where missing,
    compared without regard to case, keeping the tokens already there.
    """
    tokens = rel.split()
    present = {token.lower() for token in tokens}
    tokens.extend(token for token in _LINK_REL_TOKENS if token not in present)
    return " ".join(tokens)


def _wrap_in_paragraph(rendered: str) -> str:
    """
    Make sure the rendered Markdown is enclosed by a paragraph.

    Isso clients expect comment HTML to start or end with one; a text that
    is, say, only a list becomes C{<p></p><ul>…</ul><p></p>} once the
    sanitiser has parsed it.
    """
    rendered = rendered.rstrip("\n")
    if rendered.startswith("<p>") or rendered.endswith("</p>"):
        return rendered
    return f"<p>{rendered}</p>"


# What Markdown makes of most comments: paragraphs of text with emphasis,
# strong, deleted, superscript and code spans, and line breaks.
_PLAIN_TAG = re.compile(r"<(/?)(p|em|strong|del|sup|code|br)>")
_PLAIN_ELEMENTS = frozenset({"p", "em", "strong", "del", "sup", "code", "br"})
# Text the sanitiser leaves as it is has no markup, no control characters
# but tab and newline, and only the escapes Markdown writes: this finds
# anything else.  (Searched for, rather than matching the whole text with
# a repeated alternation, which keeps a backtracking entry per character:
# megabytes for a long comment, and memory the process does not give back.)
_NOT_PLAIN_TEXT = re.compile(r"[<>\x00-\x08\x0b-\x1f]|&(?!(?:amp|lt|gt|quot|#39);)")


def _already_clean(rendered: str) -> bool:
    """
    Whether the sanitiser would return C{rendered} exactly as it is, so
    that it need not run: paragraphs, with nothing but newlines between
    them, of plain text (see L{_NOT_PLAIN_TEXT}) with the inline elements of
    L{_PLAIN_TAG}, without attributes, each closed in the element it was
    opened in.

    The sanitiser parses the HTML as a browser would and writes it out
    again, which was a third of the daemon's CPU per new comment; HTML
    like this has nothing it would drop, add or respell.
    """
    open_elements: list[str] = []
    position = 0
    for tag in _PLAIN_TAG.finditer(rendered):
        text = rendered[position : tag.start()]
        if open_elements:
            if _NOT_PLAIN_TEXT.search(text):
                return False
        elif text.strip("\n"):
            return False
        closing, name = tag.groups()
        if name == "br":
            if closing or not open_elements:
                return False
        elif closing:
            if not open_elements or open_elements.pop() != name:
                return False
        elif name == "p":
            # A paragraph in a paragraph, or in a span, is restructured.
            if open_elements:
                return False
            open_elements.append(name)
        elif not open_elements:
            return False
        else:
            open_elements.append(name)
        position = tag.end()
    return not open_elements and not rendered[position:].strip("\n")


def _distribution_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _misaka_names(
    kind: str, names: tuple[str, ...], known: dict[str, int], prefix: str
) -> tuple[str, ...]:
    """
    Normalise misaka extension or render-flag names to misaka's own spelling.

    Misaka 1 spelled them with C{_} and misaka 2 with C{-}.  Isso documents
    the C{EXT_}/C{HTML_} constant names as accepted too (misaka 2 silently
    ignores them), so those are mapped to the plain name.

    @param kind: what the names are, for the error message.
    @param prefix: the constant-name prefix, C{"ext-"} or C{"html-"}.
    @raise ValueError: a name is neither of these.
    """
    normalised = []
    for name in names:
        if not name:
            continue
        spelled = name.replace("_", "-").lower()
        if spelled not in known and spelled.startswith(prefix):
            spelled = spelled[len(prefix) :]
        if spelled not in known:
            raise ValueError(f"unknown misaka {kind}: {name!r}")
        normalised.append(spelled)
    return tuple(sorted(set(normalised)))


def _mistune_plugins(names: tuple[str, ...]) -> tuple[str, ...]:
    """
    Check that each name is one of mistune's built-in plugins.

    Dotted paths, which mistune would import as arbitrary modules, are
    refused so that a configuration file cannot load code.

    @raise ValueError: a name is not a built-in plugin.
    """
    from mistune.plugins import import_plugin

    plugins = []
    for name in names:
        if not name:
            continue
        if "." in name:
            raise ValueError(f"unknown mistune plugin: {name!r}")
        try:
            import_plugin(name)
        except (ValueError, ImportError, AttributeError):
            raise ValueError(f"unknown mistune plugin: {name!r}") from None
        if name not in plugins:
            plugins.append(name)
    return tuple(plugins)


def _misaka_factory(
    extensions: tuple[str, ...], render_flags: tuple[str, ...]
) -> Callable[[], Callable[[str], str]]:
    import misaka

    class CommonMarkdownRenderer(misaka.HtmlRenderer):
        """
        Misaka's HTML renderer, with fenced code kept on its lines and
        labelled with its language the way highlight.js expects.
        """

        def blockcode(self, text: str, lang: str) -> str:
            language = f' class="language-{html.escape(lang)}"' if lang else ""
            return (
                f"<pre><code{language}>{html.escape(text, quote=False)}</code></pre>\n"
            )

    def build() -> Callable[[str], str]:
        # A renderer carries state for the document being rendered, so each
        # thread gets its own renderer and Markdown object.
        renderer = CommonMarkdownRenderer(flags=render_flags)
        return misaka.Markdown(renderer, extensions=extensions)

    return build


def _mistune_factory(
    plugins: tuple[str, ...], hard_wrap: bool
) -> Callable[[], Callable[[str], str]]:
    import mistune

    def build() -> Callable[[str], str]:
        # Escaping is always on: the configuration has no way to turn it
        # off, and raw HTML in comments is shown as typed.
        return mistune.create_markdown(
            escape=True, hard_wrap=hard_wrap, plugins=list(plugins)
        )

    return build


class Markup:
    """
    Renders comment texts to sanitised HTML according to C{[markup]}.

    @ivar fingerprint: a short digest of everything that decides the HTML a
        text renders to (renderer, its settings, the sanitiser's lists and
        the library versions), so that stored renderings made under other
        settings can be recognised as stale.
    """

    def __init__(self, config: MarkupConfig) -> None:
        """
        @raise ValueError: the renderer, or one of its extensions, flags,
            plugins or parameters, is unknown.
        """
        elements = [name.lower() for name in config.allowed_elements if name]
        attributes = [name.lower() for name in config.allowed_attributes if name]
        # An image without its source is useless, so allowing the element
        # allows the attribute.
        if "img" in elements and "src" not in attributes:
            attributes.append("src")
        self._elements = frozenset(BUILT_IN_ELEMENTS) | frozenset(elements)
        # Always so while the built-in elements include them.
        self._plain_allowed = _PLAIN_ELEMENTS <= self._elements
        self._attributes: dict[str, Any] = {
            "table": ["align"],
            "a": ["href"],
            "code": _allow_code_language_class,
            "*": attributes,
        }

        settings: dict[str, Any] = {
            "pipeline": _PIPELINE_VERSION,
            "renderer": config.renderer,
            "bleach": _distribution_version("bleach"),
            "elements": sorted(self._elements),
            "attributes": sorted(set(attributes)),
        }
        if config.renderer == "misaka":
            import misaka

            extensions = _misaka_names(
                "extension", config.misaka_extensions, misaka.extension_map, "ext-"
            )
            render_flags = _misaka_names(
                "render flag", config.misaka_render_flags, misaka.html_flag_map, "html-"
            )
            self._build_markdown = _misaka_factory(extensions, render_flags)
            settings.update(
                version=_distribution_version("misaka"),
                extensions=extensions,
                render_flags=render_flags,
            )
        elif config.renderer == "mistune":
            plugins = _mistune_plugins(config.mistune_plugins)
            parameters = {name for name in config.mistune_parameters if name}
            unknown = sorted(parameters - _MISTUNE_PARAMETERS)
            if unknown:
                raise ValueError(f"unknown mistune parameter: {unknown[0]!r}")
            hard_wrap = "hard_wrap" in parameters
            self._build_markdown = _mistune_factory(plugins, hard_wrap)
            settings.update(
                version=_distribution_version("mistune"),
                plugins=plugins,
                hard_wrap=hard_wrap,
            )
        else:
            raise ValueError(f"unknown markup renderer: {config.renderer!r}")

        canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        self.fingerprint = hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]
        self._per_thread = threading.local()

    def _tools(self) -> tuple[Callable[[str], str], bleach.Cleaner]:
        """
        Return this thread's Markdown renderer and cleaner, building them on
        the thread's first call; bleach documents its cleaner as unsafe to
        share between threads.
        """
        try:
            return self._per_thread.tools
        except AttributeError:
            cleaner = bleach.Cleaner(
                tags=self._elements,
                attributes=self._attributes,
                protocols=ALLOWED_PROTOCOLS,
                strip=True,
                strip_comments=True,
                filters=[_LinkRelFilter],
            )
            tools = self._per_thread.tools = (self._build_markdown(), cleaner)
            return tools

    def render(self, text: str) -> str:
        """
        Render a comment's Markdown to the HTML that clients may insert into
        their pages as it is.
        """
        markdown, cleaner = self._tools()
        rendered = _wrap_in_paragraph(markdown(text))
        if self._plain_allowed and _already_clean(rendered):
            return rendered
        return cleaner.clean(rendered)
