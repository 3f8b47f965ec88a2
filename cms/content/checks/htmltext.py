"""The rendered HTML of an article as the checks see it: paragraphs of text, inline styles.

One pass of the stdlib :class:`html.parser.HTMLParser` (no BeautifulSoup), cached per HTML string, so
that every check of one ``run_checks`` call shares it.

Paragraph numbering ("paragraph n", 1-based) counts what a reader sees as paragraphs: each run of
text or images inside a block element (p, h1-h6, li, td, section, div, ...) that is not interrupted by
a child block, in document order, plus every empty ``<p>``. A ``<section>`` that only wraps other
blocks is not a paragraph itself; text written directly inside it around child blocks is (as a
browser's anonymous block).

Each paragraph has two texts:

``text``
    what a reader sees (code included), for the compliance checks (C15) and the SimHash (C14);
``typo``
    the same with each code element and image replaced by ``OPAQUE`` (one character), for the
    typography checks (C10), which must not touch code or reach across an image.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["OPAQUE", "WS", "Body", "Paragraph", "parse_body"]

OPAQUE = "\ufffc"  # stands for code, an image or a URL: never edited, never text
WS = " \t\n\r\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\u200c\u200d\u2060\ufeff"

BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
     "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main",
     "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
     "tr", "ul"}
)  # fmt: skip
# Closing a <p> implicitly, as an HTML parser would.
_CLOSES_P = BLOCK_TAGS - {"caption", "dd", "dt", "li", "summary", "tbody", "td", "tfoot", "th", "thead", "tr"}
OPAQUE_TAGS = frozenset({"code", "kbd", "samp", "pre", "textarea"})  # text not typeset as prose
SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "title", "head"})  # never shown
MEDIA_TAGS = frozenset(
    {"img", "video", "audio", "iframe", "embed", "object", "canvas", "mpvoice", "mpvideo", "qqmusic",
     "mp-miniprogram", "mp-common-profile"}
)  # fmt: skip
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
     "track", "wbr"}
)  # fmt: skip


@dataclass
class Paragraph:
    number: int  # 1-based
    tag: str  # the block element it sits in ("" at the top level)
    text_parts: list[str] = field(default_factory=list)
    typo_parts: list[str] = field(default_factory=list)
    has_media: bool = False

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def typo(self) -> str:
        return "".join(self.typo_parts)

    @property
    def is_empty(self) -> bool:
        return not self.has_media and not self.text.strip(WS)


@dataclass
class Style:
    prop: str  # "font-size" | "color" | "font-family" (from style="", <font> or the font shorthand)
    value: str
    tag: str


@dataclass
class Body:
    paragraphs: list[Paragraph]
    styles: list[Style]
    text: str  # all paragraphs' `text`, joined by "\n"
    typo: str  # all paragraphs' `typo`, joined by "\n"
    text_starts: list[int]  # offset of each paragraph in `text`
    typo_starts: list[int]

    def paragraph_at(self, offset: int, typo: bool = False) -> int:
        """The 1-based paragraph number holding `offset` of `text` (or of `typo`)."""
        starts = self.typo_starts if typo else self.text_starts
        return bisect_right(starts, offset)


class _Block:
    __slots__ = ("tag", "para")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.para: Paragraph | None = None  # the run of inline content now being collected


_DECL_RE = re.compile(r"""([-a-zA-Z]+)\s*:\s*((?:[^;"']|"[^"]*"|'[^']*')*)""")
_STYLE_PROPS = frozenset({"font-size", "color", "font-family", "font"})


def parse_declarations(style: str) -> list[tuple[str, str]]:
    """(property, value) pairs of an inline style, properties lower-cased, `!important` dropped."""
    out = []
    for match in _DECL_RE.finditer(style):
        prop = match.group(1).lower()
        value = match.group(2).strip()
        if value.lower().endswith("!important"):
            value = value[: -len("!important")].strip()
        if value:
            out.append((prop, value))
    return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[Paragraph] = []
        self.styles: list[Style] = []
        self.stack: list[str] = []  # every open element
        self.blocks: list[_Block] = [_Block("")]  # open block elements; [0] is the document
        self.skip = 0  # depth inside script/style/...
        self.opaque = 0  # depth inside code/pre/...

    # -- paragraphs ----------------------------------------------------------------------------
    def _para(self) -> Paragraph:
        block = self.blocks[-1]
        if block.para is None:
            block.para = Paragraph(len(self.paragraphs) + 1, block.tag)
            self.paragraphs.append(block.para)
        return block.para

    def _open_block(self, tag: str) -> None:
        if tag in _CLOSES_P and self.blocks[-1].tag == "p":
            self._close_to("p")
        self.blocks[-1].para = None  # the parent's run of inline content ends here
        self.blocks.append(_Block(tag))

    def _close_to(self, tag: str) -> None:
        """Close the innermost open `tag` and everything opened after it."""
        if tag not in self.stack:
            if tag == "p":  # a stray </p> makes an empty paragraph, as in a browser
                self._open_block("p")
                self._end_block()
            return
        while self.stack:
            name = self.stack.pop()
            if name in SKIP_TAGS:
                self.skip -= 1
            elif name in OPAQUE_TAGS:
                self.opaque -= 1
            if name in BLOCK_TAGS:
                self._end_block()
            if name == tag:
                break

    def _end_block(self) -> None:
        block = self.blocks.pop()
        if block.tag == "p" and block.para is None and self.skip == 0:
            block.para = Paragraph(len(self.paragraphs) + 1, "p")  # an empty paragraph
            self.paragraphs.append(block.para)
        self.blocks[-1].para = None  # text after a block starts a new run

    # -- tokens --------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if tag in SKIP_TAGS:
                self.stack.append(tag)
                self.skip += 1
            return
        for name, value in attrs:
            if name == "style" and value:
                for prop, val in parse_declarations(value):
                    if prop in _STYLE_PROPS:
                        self.styles.append(Style(prop, val, tag))
        if tag == "font":
            for name, value in attrs:
                if value and name in ("size", "color", "face"):
                    prop = {"size": "font-size", "color": "color", "face": "font-family"}[name]
                    self.styles.append(Style(prop, f"<font>{value}" if name == "size" else value, tag))
        if tag in BLOCK_TAGS:
            self._open_block(tag)
        elif tag == "hr":  # a rule ends the run of text (and an open <p>) like a block would
            if self.blocks[-1].tag == "p":
                self._close_to("p")
            self.blocks[-1].para = None
            return
        if tag == "br":
            para = self.blocks[-1].para
            if para is not None:
                para.text_parts.append("\n")
                para.typo_parts.append("\n")
            return
        if tag in MEDIA_TAGS:
            para = self._para()
            para.has_media = True
            para.text_parts.append(OPAQUE)
            para.typo_parts.append(OPAQUE)
        if tag in VOID_TAGS:
            return
        self.stack.append(tag)
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag in OPAQUE_TAGS:
            if self.opaque == 0 and tag != "pre":
                self._para().typo_parts.append(OPAQUE)
            self.opaque += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or (self.skip and tag not in SKIP_TAGS):
            return
        self._close_to(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        para = self.blocks[-1].para
        if para is None:
            if not data.strip(WS):
                return  # whitespace between blocks
            para = self._para()
        para.text_parts.append(data)
        if self.opaque:
            if self.blocks[-1].tag == "pre" and not para.typo_parts:
                para.typo_parts.append(OPAQUE)
        else:
            para.typo_parts.append(data)

    def finish(self) -> None:
        self.close()
        while len(self.stack):
            self._close_to(self.stack[-1])


@functools.lru_cache(maxsize=16)
def parse_body(html: str) -> Body:
    """Paragraphs and inline styles of rendered article HTML. Cached: pass the same string."""
    parser = _Parser()
    parser.feed(html or "")
    parser.finish()
    paragraphs = parser.paragraphs
    texts = [p.text for p in paragraphs]
    typos = [p.typo for p in paragraphs]
    return Body(
        paragraphs=paragraphs,
        styles=parser.styles,
        text="\n".join(texts),
        typo="\n".join(typos),
        text_starts=_starts(texts),
        typo_starts=_starts(typos),
    )


def _starts(parts: list[str]) -> list[int]:
    starts, offset = [], 0
    for part in parts:
        starts.append(offset)
        offset += len(part) + 1
    return starts
