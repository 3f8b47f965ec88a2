"""WeChat-ready article HTML: Markdown or pasted HTML in, themed and sanitised HTML out.

Pipeline of :func:`render_article` (pure and deterministic, so a revision's content hash is stable):

1. Source to HTML. Markdown through markdown-it-py (CommonMark plus tables and strikethrough) with raw
   HTML *disabled*, so a contributor cannot smuggle markup through Markdown; format ``html`` takes
   what was pasted from 135editor, Xiumi or Word as it is.
2. Theme as inline styles (policy C10: one channel, one look). WeChat drops ``<style>`` blocks and
   classes, so every rule is written into the element's ``style`` attribute. The theme only *fills
   in*: a declaration the element already carries is kept, and inside a pasted layout (an ancestor
   with its own inline style) the theme adds no spacing or borders and does not override what the
   layout lets its children inherit. So 135editor/Xiumi layouts come out as designed.
3. Source line for reprints (policies C9, C14), with escaped values.
4. :func:`cms.articles.sanitize.sanitize_html` over the whole result, always last.

Headings use only the theme's title size and body size, and captions the caption size, so that a
rendered Markdown article stays within the default ``max_font_sizes`` of 3 (policy C10).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any, NamedTuple

import tinycss2
from markdown_it import MarkdownIt

from cms.articles.sanitize import sanitize_html
from cms.articles.themes import Theme

__all__ = ["BODY_FORMATS", "asset_references", "plain_text", "render_article", "render_source", "wrap_for_preview"]

BODY_FORMATS = ("markdown", "html")

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_source(body_source: str, body_format: str) -> str:
    """Step 1 only: the untrusted, unthemed HTML of a body (not safe to show as it is)."""
    if body_format == "markdown":
        return _MARKDOWN.render(body_source or "")
    if body_format == "html":
        return body_source or ""
    raise ValueError(f"未知的正文格式：{body_format!r}（应为 markdown 或 html）")


# ---------------------------------------------------------------------------------------------------
# Theme rules
# ---------------------------------------------------------------------------------------------------

# How a themed declaration meets what is already there:
_INHERIT = "inherit"  # skipped when the element or any ancestor declares it (it would be inherited)
_BOX = "box"  # skipped when the element declares it or sits inside a pasted, styled layout
_OWN = "own"  # skipped only when the element itself declares it

_Rule = tuple[str, str, str]  # (property, value, kind)

_SHORTHANDS = frozenset(
    {"margin", "padding", "border", "border-top", "border-right", "border-bottom", "border-left",
     "border-radius", "background", "font", "overflow", "list-style", "text-decoration", "flex"}
)  # fmt: skip


def _covered(prop: str, declared: frozenset[str] | set[str]) -> bool:
    """True when ``declared`` already sets ``prop`` directly, through a shorthand, or in part."""
    if prop in declared:
        return True
    if (prop == "line-height" or prop.startswith("font-")) and "font" in declared:
        return True
    for shorthand in _SHORTHANDS:
        if prop.startswith(shorthand + "-") and shorthand in declared:
            return True
    if prop in _SHORTHANDS:
        prefix = prop + "-"
        return any(name.startswith(prefix) for name in declared)
    return False


def _fmt(number: float) -> str:
    return f"{number:g}"


@functools.lru_cache(maxsize=64)
def _theme_rules(theme: Theme) -> dict[str, tuple[_Rule, ...]]:
    """Per-tag inline styles for a theme (policy C10)."""
    body = f"{theme.body_size_px}px"
    title = f"{theme.title_size_px}px"
    caption = f"{theme.caption_size_px}px"
    spacing = f"{theme.paragraph_spacing_px}px"
    lh = _fmt(theme.line_height)
    vertical: tuple[_Rule, ...] = (("margin-top", "0", _BOX), ("margin-bottom", spacing, _BOX))

    def heading(size: str, *extra: _Rule) -> tuple[_Rule, ...]:
        return (
            ("font-size", size, _OWN),
            ("font-weight", "bold", _OWN),
            ("color", theme.heading_color, _INHERIT),
            ("line-height", "1.4", _INHERIT),
            ("margin-top", f"{theme.paragraph_spacing_px * 3 // 2}px", _BOX),
            ("margin-bottom", spacing, _BOX),
            *extra,
        )

    cell = (("border", "1px solid #dddddd", _BOX), ("padding", "6px 8px", _BOX))
    return {
        "p": (
            ("font-size", body, _INHERIT),
            ("color", theme.body_color, _INHERIT),
            ("line-height", lh, _INHERIT),
            *vertical,
        ),
        "h1": heading(title),
        "h2": heading(
            title,
            ("border-left", f"4px solid {theme.accent_color}", _BOX),
            ("padding-left", "10px", _BOX),
        ),
        "h3": heading(body),
        "h4": heading(body),
        "h5": heading(body),
        "h6": heading(body),
        "blockquote": (
            ("color", theme.quote_color, _INHERIT),
            ("border-left", f"3px solid {theme.accent_color}", _BOX),
            ("padding-left", "12px", _BOX),
            ("margin-left", "0", _BOX),
            ("margin-right", "0", _BOX),
            *vertical,
        ),
        "ul": (("padding-left", "2em", _BOX), *vertical),
        "ol": (("padding-left", "2em", _BOX), *vertical),
        "li": (("margin-bottom", "4px", _BOX),),
        "figure": (("margin-left", "0", _BOX), ("margin-right", "0", _BOX), *vertical),
        "figcaption": (
            ("font-size", caption, _OWN),
            ("color", theme.quote_color, _INHERIT),
            ("text-align", "center", _INHERIT),
            ("line-height", "1.5", _INHERIT),
            ("margin-top", "8px", _BOX),
        ),
        "img": (("max-width", "100%", _OWN), ("height", "auto", _BOX)),
        "a": (("color", theme.accent_color, _OWN),),
        "table": (
            ("border-collapse", "collapse", _BOX),
            ("width", "100%", _BOX),
            ("margin-bottom", spacing, _BOX),
        ),
        "th": (*cell, ("background-color", "#f7f7f7", _BOX), ("font-weight", "bold", _OWN)),
        "td": cell,
        "pre": (
            ("background-color", "#f6f8fa", _BOX),
            ("border-radius", "4px", _BOX),
            ("padding", "12px", _BOX),
            ("overflow-x", "auto", _BOX),
            ("font-size", caption, _OWN),
            ("line-height", "1.5", _OWN),
            *vertical,
        ),
        "code": (
            ("background-color", "#f3f3f3", _BOX),
            ("border-radius", "3px", _BOX),
            ("padding", "2px 4px", _BOX),
            ("font-size", caption, _OWN),
        ),
        "hr": (
            ("border", "0", _BOX),
            ("border-top", "1px solid #e5e5e5", _BOX),
            ("margin-top", "24px", _BOX),
            ("margin-bottom", "24px", _BOX),
        ),
    }


def _root_style(theme: Theme) -> str:
    """The article's outer section: what every element inherits unless it says otherwise."""
    return (
        f"font-family:{theme.body_font};font-size:{theme.body_size_px}px;"
        f"color:{theme.body_color};line-height:{_fmt(theme.line_height)}"
    )


# ---------------------------------------------------------------------------------------------------
# Applying the theme (stdlib tokenizer; the sanitiser re-parses the result with an HTML5 parser)
# ---------------------------------------------------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
     "track", "wbr"}
)  # fmt: skip
_BLOCKS_CLOSING_P = frozenset(
    {"address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figcaption", "figure",
     "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
     "pre", "section", "table", "ul"}
)  # fmt: skip
_TAG_NAME_RE = re.compile(r"^[a-z][a-z0-9\-]*(:[a-z][a-z0-9\-]*)?$")
_ATTR_NAME_RE = re.compile(r"^[a-zA-Z_:][-a-zA-Z0-9_:.]*$")


def _escape_attr(value: str) -> str:
    """Escape for a double-quoted attribute (single quotes stay as they are: fonts use them)."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


class _Open(NamedTuple):
    tag: str
    inherited: frozenset[str]  # properties declared by this element or its ancestors
    in_layout: bool  # this element or an ancestor carried its own (pasted) inline style


def _declared(style: str) -> set[str]:
    return {
        node.lower_name
        for node in tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True)
        if node.type == "declaration"
    }


class _Themer(HTMLParser):
    def __init__(self, rules: Mapping[str, tuple[_Rule, ...]]) -> None:
        super().__init__(convert_charrefs=True)
        self.rules = rules
        self.out: list[str] = []
        self.stack: list[_Open] = []

    # -- structure ---------------------------------------------------------------------------------
    def _close_implied(self, tag: str) -> None:
        stack = self.stack
        if tag in _BLOCKS_CLOSING_P:
            while stack and stack[-1].tag == "p":
                stack.pop()
        if tag == "li":
            self._pop_to("li", stop=("ul", "ol"))
        elif tag in ("td", "th"):
            self._pop_to("td", "th", stop=("tr", "table"))
        elif tag == "tr":
            self._pop_to("tr", stop=("table", "thead", "tbody", "tfoot"))

    def _pop_to(self, *tags: str, stop: tuple[str, ...]) -> bool:
        for index in range(len(self.stack) - 1, -1, -1):
            name = self.stack[index].tag
            if name in tags:
                del self.stack[index:]
                return True
            if name in stop:
                return False
        return False

    # -- tokens ------------------------------------------------------------------------------------
    def _start(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        if not _TAG_NAME_RE.match(tag):
            self.out.append(html.escape(self.get_starttag_text() or ""))
            return
        self._close_implied(tag)
        parent = self.stack[-1] if self.stack else _Open("", frozenset(), False)
        if tag == "code" and parent.tag == "pre":
            rules: tuple[_Rule, ...] = ()
        else:
            rules = self.rules.get(tag, ())

        pieces = [f"<{tag}"]
        own_style = None
        for name, value in attrs:
            if not _ATTR_NAME_RE.match(name):
                continue
            if name == "style":
                if own_style is None:  # the first style attribute wins, as in browsers
                    own_style = value or ""
                continue
            pieces.append(f' {name}="{_escape_attr(value or "")}"')

        own = _declared(own_style) if own_style else set()
        added: list[str] = []
        added_props: set[str] = set()
        for prop, value, kind in rules:
            if _covered(prop, own):
                continue
            if kind == _INHERIT and _covered(prop, parent.inherited):
                continue
            if kind == _BOX and parent.in_layout:
                continue
            added.append(f"{prop}:{value}")
            added_props.add(prop)
        # The theme's declarations go first: they never repeat a property the element sets, so the
        # order does not matter to the cascade, and an unterminated string or comment in a pasted
        # style cannot swallow them.
        style = ";".join([*added, (own_style or "").strip()]).strip(";")
        if style:
            pieces.append(f' style="{_escape_attr(style)}"')
        pieces.append("/>" if self_closing else ">")
        self.out.append("".join(pieces))

        if tag not in _VOID and not self_closing:
            self.stack.append(_Open(tag, parent.inherited | own | added_props, parent.in_layout or bool(own)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=tag not in _VOID)

    def handle_endtag(self, tag: str) -> None:
        if not _TAG_NAME_RE.match(tag):
            return
        if any(entry.tag == tag for entry in self.stack):
            while self.stack:
                if self.stack.pop().tag == tag:
                    break
            self.out.append(f"</{tag}>")
        elif tag in ("p", "br"):  # an HTML5 parser makes an element of these even when stray
            self.out.append(f"</{tag}>")
        # other stray end tags are dropped, so they cannot close the article's outer section

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False).replace("\xa0", "&nbsp;"))

    # comments, doctypes, processing instructions and CDATA sections are dropped
    def handle_comment(self, data: str) -> None:
        pass

    def handle_decl(self, decl: str) -> None:
        pass

    def handle_pi(self, data: str) -> None:
        pass

    def unknown_decl(self, data: str) -> None:
        pass

    def result(self) -> str:
        self.close()
        for entry in reversed(self.stack):
            self.out.append(f"</{entry.tag}>")
        self.stack.clear()
        return "".join(self.out)


def apply_theme(html_text: str, theme: Theme) -> str:
    """Step 2 only: fill the theme's inline styles into ``html_text`` (policy C10); not sanitised."""
    themer = _Themer(_theme_rules(theme))
    themer.feed(html_text)
    return themer.result()


# ---------------------------------------------------------------------------------------------------
# Attribution (policies C9, C14)
# ---------------------------------------------------------------------------------------------------


def attribution_line(attribution: Mapping[str, Any] | None, theme: Theme) -> str:
    """The standard source line of a reprint, or "" for an original post or none given."""
    if not attribution:
        return ""
    kind = attribution.get("kind")
    if kind in (None, "", "original"):
        return ""
    if kind != "reprint":
        raise ValueError(f"未知的来源类型：{kind!r}（应为 original 或 reprint）")

    def field(key: str) -> str:
        value = attribution.get(key)
        return " ".join(str(value).split()) if value is not None else ""

    name, author, url = field("name"), field("author"), field("url")
    text = f"本文转载自：{html.escape(name) if name else '来源未注明'}"  # policy C9: a gap shows
    if author:
        text += f"（作者：{html.escape(author)}）"
    text += "，原文链接见“阅读原文”。" if url else "。"
    style = (
        f"font-size:{theme.caption_size_px}px;color:{theme.quote_color};line-height:1.6;"
        f"margin-top:{theme.paragraph_spacing_px * 2}px;margin-bottom:0"
    )
    return f'<p style="{_escape_attr(style)}">{text}</p>'


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------


def render_article(
    body_source: str,
    body_format: str,
    theme: Theme,
    *,
    attribution: dict | None = None,
) -> str:
    """The article body as WeChat receives it: themed inline styles, sanitised, deterministic.

    ``body_format`` is "markdown" or "html"; ``attribution`` is ``{"kind": "reprint"|"original",
    "name", "url", "author"}`` and adds the source line for a reprint (policy C9).
    """
    source_html = render_source(body_source, body_format)
    themed = apply_theme(source_html, theme)
    document = (
        f'<section style="{_escape_attr(_root_style(theme))}">'
        f"{themed}{attribution_line(attribution, theme)}</section>"
    )
    return sanitize_html(document)


_TEXT_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption",
     "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p",
     "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)  # fmt: skip
_NO_TEXT = frozenset(
    {"script", "style", "template", "title", "noscript", "textarea", "iframe", "object", "math"}
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.append(tag)
            return
        if tag in _NO_TEXT:
            self.skipping.append(tag)
        elif tag in _TEXT_BLOCKS or tag == "br":
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and (tag in _TEXT_BLOCKS or tag == "br"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.pop()
            return
        if tag in _TEXT_BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(html_text: str) -> str:
    """The text of an article: block elements on their own lines (a table row's cells on one line,
    separated by spaces), runs of whitespace as one space.

    For digests, word-list checks and lengths; script, style and SVG text are left out.
    """
    extractor = _TextExtractor()
    extractor.feed(html_text or "")
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# Our own image in an attribute value: `/assets/12`, `https://cms.example/assets/12?x` (the publishing
# adapters upload those too, cms/publishing/channels/base.py), `url(/assets/12)` in a style.
_ASSET_REF = re.compile(r"""(?:^|[\s("',]|https?://[^/\s"'()]+)/assets/(\d+)""", re.IGNORECASE)


class _AttributeValues(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.values.extend(value for _name, value in attrs if value)


def asset_references(html_text: str) -> list[int]:
    """The ids of our own images (``/assets/<id>``) an HTML body refers to, each once, in order.

    Every attribute counts (``src``, ``href``, a ``url()`` in ``style``), entities decoded as a
    browser decodes them; a mention in the text does not. Wider than what the adapters upload, on
    purpose: the asset policy checks each of these before a revision is saved.
    """
    parser = _AttributeValues()
    parser.feed(html_text or "")
    parser.close()
    seen: list[int] = []
    for value in parser.values:
        for m in _ASSET_REF.finditer(value.strip()):
            number = int(m.group(1))
            if number not in seen:
                seen.append(number)
    return seen


def wrap_for_preview(html_text: str, title: str, author: str, theme: Theme) -> str:
    """The article as a phone shows it: title, author line, body, in a 375 px column.

    A fragment (no ``<html>``): the caller's template adds the page and its Content-Security-Policy.
    The body is sanitised again here, so an older stored rendering cannot bring anything unsafe.
    """
    title_style = (
        f"font-family:{theme.body_font};font-size:{theme.title_size_px}px;font-weight:bold;"
        f"line-height:1.4;color:{theme.heading_color};margin-top:0;margin-bottom:14px"
    )
    head = f'<h1 style="{_escape_attr(title_style)}">{html.escape(title or "")}</h1>'
    if author:
        author_style = (
            f"font-size:15px;color:{theme.quote_color};line-height:1.6;margin-top:0;margin-bottom:22px"
        )
        head += f'<p style="{_escape_attr(author_style)}">{html.escape(author)}</p>'
    body = sanitize_html(html_text or "")
    return (
        '<div style="max-width:375px;margin:0 auto;padding:20px 16px;box-sizing:border-box;'
        f'background-color:#ffffff;word-wrap:break-word">{sanitize_html(head)}{body}</div>'
    )
