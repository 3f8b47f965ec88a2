"""The author's source as a typography stream, and edits on that stream mapped back to the source.

``apply_fix`` must change the text a reader sees and nothing else: no tag, attribute, URL, code or
Markdown syntax. So the source is read into a *stream* of characters, each with the source span it
came from, the way the renderer will show them:

* text is text (an entity or a Markdown backslash escape is the one character it stands for);
* a block tag or ``<br>`` in HTML, a table pipe in Markdown is a line break ("\\n");
* code, ``<pre>``, images, autolinks are one ``OPAQUE`` character that no rule edits;
* inline tags (``<b>``, ``</span>``) and Markdown emphasis and link syntax are *transparent*: no
  character, so "使用**WeChat**发布" reads "使用WeChat发布" as on screen. A space inserted next to
  one goes outside the element ("使用 **WeChat** 发布"), which keeps Markdown emphasis valid.

The renderer turns Markdown into HTML with raw HTML *disabled* (cms/articles/render.py), so ``<...>``
in Markdown is literal text there, except for autolinks.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field

from cms.content.checks.htmltext import BLOCK_TAGS, MEDIA_TAGS, OPAQUE, OPAQUE_TAGS, SKIP_TAGS
from cms.content.checks.typography import Edits

__all__ = ["SourceStream", "html_stream", "markdown_stream", "plain_stream", "stream_for"]

OPEN, CLOSE, NEUTRAL = "open", "close", "neutral"


@dataclass
class SourceStream:
    source: str
    chars: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    transparent: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, role)

    @property
    def text(self) -> str:
        return "".join(self.chars)

    # -- building ----------------------------------------------------------------------------------
    def text_run(self, start: int, end: int) -> None:
        if start < end:
            self.chars.extend(self.source[start:end])
            self.spans.extend((k, k + 1) for k in range(start, end))

    def char(self, char: str, start: int, end: int) -> None:
        self.chars.append(char)
        self.spans.append((start, end))

    def skip(self, start: int, end: int, role: str = NEUTRAL) -> None:
        if start < end:
            self.transparent.append((start, end, role))

    # -- applying ----------------------------------------------------------------------------------
    def _insert_at(self, index: int) -> int:
        """Where a space goes before stream character `index`: after any closing inline syntax
        between it and the previous character, before any opening syntax."""
        gap_start = self.spans[index - 1][1]
        gap_end = self.spans[index][0]
        if gap_start >= gap_end:
            return gap_start
        position = gap_start
        k = bisect_left(self.transparent, (gap_start, -1, ""))
        while k < len(self.transparent) and self.transparent[k][0] < gap_end:
            start, end, role = self.transparent[k]
            if role == CLOSE:
                position = end
            k += 1
        return position

    def apply(self, edits: Edits) -> str:
        changes: list[tuple[int, int, str]] = []
        for index, new in edits.replace.items():
            start, end = self.spans[index]
            changes.append((start, end, new))
        for index in edits.insert_space:
            if 0 < index < len(self.spans):
                position = self._insert_at(index)
                changes.append((position, position, " "))
        changes.sort(key=lambda c: (c[0], c[1]))
        out, last = [], 0
        for start, end, new in changes:
            if start < last:  # overlapping edit (cannot happen with the rules); keep the first
                continue
            out.append(self.source[last:start])
            out.append(new)
            last = end
        out.append(self.source[last:])
        return "".join(out)


def plain_stream(text: str) -> SourceStream:
    stream = SourceStream(text)
    stream.text_run(0, len(text))
    return stream


_ENTITY = r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_HTML_TOKEN_RE = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<![^>]*>|<\?[^>]*>"
    r"|</?([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    rf"|{_ENTITY}",
    re.S,
)


def _entity(stream: SourceStream, token: str, start: int, end: int) -> None:
    decoded = html.unescape(token)
    if len(decoded) == 1 and decoded != token:
        stream.char(decoded, start, end)
    else:
        stream.text_run(start, end)


def html_stream(source: str) -> SourceStream:
    """The stream of an HTML body (as pasted from 135editor, Xiumi or Word, or typed)."""
    stream = SourceStream(source)
    pos, size = 0, len(source)
    while pos < size:
        m = _HTML_TOKEN_RE.search(source, pos)
        if m is None:
            stream.text_run(pos, size)
            break
        stream.text_run(pos, m.start())
        token, start, end = m.group(), m.start(), m.end()
        pos = end
        name = (m.group(1) or "").lower()
        if token.startswith("&"):
            _entity(stream, token, start, end)
        elif not name:  # comment, declaration, processing instruction
            stream.skip(start, end)
        elif token.startswith("</"):
            if name in BLOCK_TAGS or name == "br":
                stream.char("\n", start, end)
            else:
                stream.skip(start, end, CLOSE)
        elif name in SKIP_TAGS or name in OPAQUE_TAGS:
            closing = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(source, end)
            region_end = closing.end() if closing else size
            if name in SKIP_TAGS:
                stream.skip(start, region_end)
            elif name == "pre":
                stream.char("\n", start, start)
                stream.char(OPAQUE, start, region_end)
                stream.char("\n", region_end, region_end)
            else:
                stream.char(OPAQUE, start, region_end)
            pos = region_end
        elif name in BLOCK_TAGS or name in ("br", "hr"):
            stream.char("\n", start, end)
        elif name in MEDIA_TAGS:
            stream.char(OPAQUE, start, end)
        else:
            stream.skip(start, end, NEUTRAL if token.endswith("/>") else OPEN)
    return stream


# -- Markdown -------------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BLANK_RE = re.compile(r"^[ \t]*$")
_INDENTED_RE = re.compile(r"^(?: {4}|\t)")
_LIST_ITEM_RE = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_OPAQUE_LINE_RE = re.compile(
    r"^ {0,3}(?:(?:[-*_][ \t]*){3,}|=+[ \t]*|\[[^\]]+\]:.*)$"  # thematic break, setext line, link ref
)
_TABLE_DELIM_RE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_PREFIX_RE = re.compile(
    r" {0,3}(?:>[ \t]?)*(?:[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)?(?:\[[ xX]\][ \t]+)?(?:#{1,6}(?:[ \t]+|$))?"
)
_LINK_RE = re.compile(
    r"\[((?:[^\[\]\\\n]|\\.)*)\]"
    r"(?:\(\s*(?:<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
    r"|\[[^\]\n]*\])"
)
_AUTOLINK_RE = re.compile(
    r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*"
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>"
)
_INLINE_RE = re.compile(rf"(`+)|(!?\[)|(<)|\\([!-/:-@\[-`{{-~])|({_ENTITY})|(\*+|_+|~+)|(\|)")


def _kind(char: str) -> str:
    if not char or char.isspace():
        return "space"
    if unicodedata.category(char)[0] in "PS":
        return "punct"
    return "other"


class _Markdown:
    def __init__(self, source: str) -> None:
        self.source = source
        self.stream = SourceStream(source)
        self.open_runs: dict[str, int] = {}

    def emphasis(self, start: int, end: int, line_start: int, line_end: int) -> None:
        src = self.source
        run = src[start:end]
        before = _kind(src[start - 1] if start > line_start else "")
        after = _kind(src[end] if end < line_end else "")
        left = after != "space" and (after != "punct" or before in ("space", "punct"))
        right = before != "space" and (before != "punct" or after in ("space", "punct"))
        char = run[0]
        if char == "_" and left and right and before == "other" and after == "other":
            left = right = False  # intraword underscore: a literal character
        if left and right:
            role = CLOSE if self.open_runs.get(char, 0) else OPEN
        elif left:
            role = OPEN
        elif right:
            role = CLOSE
        else:
            self.stream.text_run(start, end)
            return
        if role == OPEN:
            self.open_runs[char] = self.open_runs.get(char, 0) + 1
        elif self.open_runs.get(char, 0):
            self.open_runs[char] -= 1
        self.stream.skip(start, end, role)

    def inline(self, start: int, end: int, table: bool) -> None:
        src, stream = self.source, self.stream
        links: dict[int, tuple[int, int]] = {}  # "[" -> (position of "](...)", end of the link)
        images: dict[int, int] = {}  # "!" -> end of the image
        for m in _LINK_RE.finditer(src, start, end):
            if m.start() > start and src[m.start() - 1] == "!":
                images[m.start() - 1] = m.end()
            else:
                links[m.start()] = (m.end(1), m.end())
        closers: dict[int, int] = {}  # position of a pending "](...)" -> its end
        pos = start
        while pos < end:
            limit = min(closers) if closers else end
            if pos == limit:  # the "](url)" after a link's text: transparent, closes the link
                link_end = closers.pop(pos)
                stream.skip(pos, link_end, CLOSE)
                pos = link_end
                continue
            m = _INLINE_RE.search(src, pos, limit)
            if m is None:
                stream.text_run(pos, limit)
                pos = limit
                continue
            at = m.start()
            stream.text_run(pos, at)
            pos = m.end()
            if m.group(1):  # a code span: the same run of backticks closes it
                close = re.compile(rf"(?<!`){m.group(1)}(?!`)").search(src, pos, limit)
                if close:
                    stream.char(OPAQUE, at, close.end())
                    pos = close.end()
                else:
                    stream.text_run(at, pos)
            elif m.group(2):
                if at in images:
                    stream.char(OPAQUE, at, images[at])
                    pos = images[at]
                elif m.group(2) == "[" and at in links:
                    stream.skip(at, pos, OPEN)
                    text_end, link_end = links[at]
                    closers[text_end] = link_end
                else:  # a literal "!" or "["; a "[" after "!" is looked at again
                    stream.text_run(at, at + 1)
                    pos = at + 1
            elif m.group(3):
                auto = _AUTOLINK_RE.match(src, at, limit)
                if auto:
                    stream.char(OPAQUE, at, auto.end())
                    pos = auto.end()
                else:
                    stream.text_run(at, pos)
            elif m.group(4):
                stream.char(m.group(4), at, pos)
            elif m.group(5):
                _entity(stream, m.group(5), at, pos)
            elif m.group(6):
                self.emphasis(at, pos, start, end)
            elif table:  # a table's "|": the cells are blocks
                stream.char("\n", at, pos)
            else:
                stream.text_run(at, pos)

    def run(self) -> SourceStream:
        src, stream = self.source, self.stream
        lines = src.splitlines(keepends=True)
        fence: tuple[str, int] | None = None
        indented = False
        prev_blank = True
        in_list = False
        table = False
        offset = 0
        for number, line in enumerate(lines):
            start = offset
            offset += len(line)
            body = line.rstrip("\r\n")
            end = start + len(body)
            newline = (end, offset)
            if fence is not None:
                stream.char(OPAQUE, start, end)
                m = _FENCE_RE.match(body)
                if (
                    m
                    and m.group(1)[0] == fence[0]
                    and len(m.group(1)) >= fence[1]
                    and not body[m.end() :].strip()
                ):
                    fence = None
                self._newline(*newline)
                continue
            m = _FENCE_RE.match(body)
            if m and not (m.group(1)[0] == "`" and "`" in body[m.end() :]):
                fence = (m.group(1)[0], len(m.group(1)))
                stream.char(OPAQUE, start, end)
                self._newline(*newline)
                prev_blank = False
                continue
            if _BLANK_RE.match(body):
                stream.text_run(start, end)
                self._newline(*newline)
                prev_blank, table = True, False
                self.open_runs.clear()
                continue
            if _INDENTED_RE.match(body) and ((prev_blank and not in_list) or indented):
                indented = True
                stream.char(OPAQUE, start, end)
                self._newline(*newline)
                prev_blank = False
                continue
            indented = False
            if _LIST_ITEM_RE.match(body):
                in_list = True
            elif not _INDENTED_RE.match(body) and prev_blank:
                in_list = False
            prev_blank = False
            if not table and "|" in body and number + 1 < len(lines):
                table = bool(_TABLE_DELIM_RE.match(lines[number + 1].rstrip("\r\n")))
            if _OPAQUE_LINE_RE.match(body) or (table and _TABLE_DELIM_RE.match(body)):
                stream.char(OPAQUE, start, end)
                self._newline(*newline)
                continue
            prefix = _PREFIX_RE.match(body)
            text_start = start + (prefix.end() if prefix else 0)
            stream.skip(start, text_start)
            self.inline(text_start, end, table)
            self._newline(*newline)
        return stream

    def _newline(self, start: int, end: int) -> None:
        if start < end:
            self.stream.char("\n", start, end)


def markdown_stream(source: str) -> SourceStream:
    """The stream of a Markdown body (CommonMark + tables + strikethrough, raw HTML off)."""
    return _Markdown(source).run()


def stream_for(text: str, body_format: str | None) -> SourceStream:
    """`body_format` None: plain text (title, digest)."""
    if body_format == "markdown":
        return markdown_stream(text)
    if body_format == "html":
        return html_stream(text)
    return plain_stream(text)
