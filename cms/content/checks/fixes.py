"""Automatic fixes named by format findings (policy C10). Each changes only what its check is about.

``apply_fix`` takes the editable fields of a revision and returns a fixed copy; the lead's service
saves it as a new revision. Title and digest are plain text; the body is Markdown or HTML and only its
visible text is touched (see :mod:`cms.content.checks.sourcetext`).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

from cms.content.checks.htmltext import _CLOSES_P, MEDIA_TAGS, OPAQUE_TAGS, SKIP_TAGS, WS
from cms.content.checks.sourcetext import _HTML_TOKEN_RE, stream_for
from cms.content.checks.typography import Edits, punctuation_edits, spacing_edits, traditional_edits

__all__ = ["FIXES", "apply_fix", "remove_empty_paragraphs"]

_RULES: dict[str, Callable[[str], Edits]] = {
    "fullwidth_punctuation": punctuation_edits,
    "space_cjk_latin": spacing_edits,
    "to_simplified": traditional_edits,
}
FIXES = ("remove_empty_paragraphs", *_RULES)


def apply_fix(article_source: dict, fix: str) -> dict:
    """A fixed copy of {"title", "author", "digest", "body_source", "body_format"} (other keys are
    copied as they are). Raises ValueError for an unknown fix id."""
    out = dict(article_source)
    body_format = out.get("body_format") or "markdown"
    if fix == "remove_empty_paragraphs":
        out["body_source"] = remove_empty_paragraphs(out.get("body_source") or "", body_format)
        return out
    rule = _RULES.get(fix)
    if rule is None:
        raise ValueError(f"未知的自动修正：{fix!r}")
    for key, fmt in (("title", None), ("digest", None), ("body_source", body_format)):
        value = out.get(key)
        if value:
            out[key] = _fix_text(value, fmt, rule)
    return out


def _fix_text(text: str, body_format: str | None, rule: Callable[[str], Edits]) -> str:
    # A second pass catches what the first made possible ("会议(周一),讨论": once the brackets are
    # full-width, the comma after them is inside Chinese text too).
    for _ in range(4):
        stream = stream_for(text, body_format)
        edits = rule(stream.text)
        if not edits:
            break
        text = stream.apply(edits)
    return text


# -- empty paragraphs -----------------------------------------------------------------------------


def remove_empty_paragraphs(source: str, body_format: str) -> str:
    """Drop the paragraphs that the format check reports as empty (only those)."""
    if body_format == "html":
        return _remove_empty_html(source)
    return _remove_empty_markdown(source)


_TAG_RE = re.compile(r"<[^>]*>")


def _is_blank_text(text: str) -> bool:
    return not html_lib.unescape(text).strip(WS)


def _remove_empty_html(source: str) -> str:
    spans: list[tuple[int, int]] = []
    open_p: list[list] = []  # [start offset, still empty]
    pos, size = 0, len(source)
    while pos < size:
        m = _HTML_TOKEN_RE.search(source, pos)
        text_end = m.start() if m else size
        if open_p and not _is_blank_text(source[pos:text_end]):
            open_p[-1][1] = False
        if m is None:
            break
        token, name = m.group(), (m.group(1) or "").lower()
        pos = m.end()
        if token.startswith("&"):
            if open_p and not _is_blank_text(token):
                open_p[-1][1] = False
            continue
        if not name:
            continue
        closing = token.startswith("</")
        if name == "p":
            if closing:
                if open_p:
                    start, empty = open_p.pop()
                    if empty:
                        spans.append((start, m.end()))
                else:  # a stray </p> (its <p> was closed by a block): a parser makes an empty <p> of it
                    spans.append((m.start(), m.end()))
            else:
                open_p.clear()  # a <p> closes an open one implicitly: that one has no end tag to cut to
                if token.endswith("/>"):
                    spans.append((m.start(), m.end()))  # <p/>: an empty paragraph to a parser
                else:
                    open_p.append([m.start(), True])
        elif closing:
            continue
        elif name in SKIP_TAGS or name in OPAQUE_TAGS:
            end = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(source, m.end())
            pos = end.end() if end else size
            inner = _TAG_RE.sub("", source[m.end() : end.start() if end else size])
            if name in OPAQUE_TAGS and open_p and not _is_blank_text(inner):
                open_p[-1][1] = False  # code with text in it is content; script and style are not
            if name in _CLOSES_P:
                open_p.clear()
        elif name in _CLOSES_P or name == "hr":
            open_p.clear()
        elif name in MEDIA_TAGS and open_p:
            open_p[-1][1] = False
    return _cut(source, spans)


_EMPTY_LINE_RE = re.compile(
    rf"^ {{0,3}}(?:>[ \t]?)*((?:[{WS}]|&(?:nbsp|ensp|emsp|thinsp|ZeroWidthSpace|#160|#xa0|#xA0|#8203|#12288|"
    r"#x3000|#x200b|#x200B);)*)$"
)
_BLOCKQUOTE_RE = re.compile(r"^ {0,3}(?:>[ \t]?)*")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _remove_empty_markdown(source: str) -> str:
    """Remove each paragraph made only of blank-looking characters (U+3000, U+00A0, &nbsp;, zero-width
    spaces): Markdown renders it as an empty <p>. Raw HTML is text in our Markdown, so `<p><br></p>`
    is not an empty paragraph there."""
    lines = source.splitlines(keepends=True)
    remove: set[int] = set()
    group: list[int] = []
    fence: str | None = None

    def close_group() -> None:
        if group and all(_empty_line(lines[i]) for i in group):
            remove.update(group)
        group.clear()

    for number, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if fence is not None:
            if body.lstrip(" ").startswith(fence):
                fence = None
            continue
        m = _FENCE_RE.match(body)
        if m:
            close_group()
            fence = m.group(1)[0] * 3
            continue
        rest = body[_BLOCKQUOTE_RE.match(body).end() :]
        if not rest.strip(" \t"):  # a blank line (inside a quote too) ends a paragraph
            close_group()
            continue
        if not group and (rest.startswith(("    ", "\t"))):
            continue  # indented code
        group.append(number)
    close_group()
    if not remove:
        return source
    return "".join(line for number, line in enumerate(lines) if number not in remove)


def _empty_line(line: str) -> bool:
    return bool(_EMPTY_LINE_RE.match(line.rstrip("\r\n")))


def _cut(source: str, spans: list[tuple[int, int]]) -> str:
    """Remove spans; a span alone on its line takes the line (and its line break) with it."""
    out, last = [], 0
    for start, end in sorted(spans):
        line_start = source.rfind("\n", 0, start) + 1
        line_end = source.find("\n", end)
        line_end = len(source) if line_end == -1 else line_end
        if not source[line_start:start].strip(" \t") and not source[end:line_end].strip(" \t"):
            start = max(line_start, last)
            end = min(line_end + 1, len(source))
        out.append(source[last:start])
        last = end
    out.append(source[last:])
    return "".join(out)
