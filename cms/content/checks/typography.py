"""Chinese typography rules on a text stream (policy C10), shared by the checks and the fixes.

A *stream* is plain text in which "\\n" ends a line or block and ``OPAQUE`` stands for code, an image
or a URL. The format checks run these rules on the rendered article's paragraphs; ``apply_fix`` runs
the very same rules on a stream built from the author's source and maps the edits back, so a fixed
source passes the check it was fixed for.

Each rule returns *edits*: ``{stream index: replacement}`` ("" deletes the character) and a set of
indexes before which one space is inserted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from cms.content.checks.htmltext import OPAQUE

__all__ = [
    "Edits",
    "is_han",
    "mask_urls",
    "punctuation_edits",
    "spacing_edits",
    "to_simplified",
    "traditional_edits",
]

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# CJK and full-width punctuation, Chinese quotes, ellipsis, dash, middle dot (no full-width letters).
CJK_PUNCT = "\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u2014\u00b7"
_HAN_RE = re.compile(f"[{HAN}]")

HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}

# A Chinese quantity or date ("2024年", "3月5日", "30人", "15%") is written without spaces in Chinese
# documents (GB/T 15835), so a number followed by one of these is not a "missing space".
UNITS = frozenset(
    "年月日号时点分秒个位名人次元角万亿千百十岁周天届期条项件篇张页家所座台辆架部章节版层楼栋户"
    "米克吨升度倍成折组队场轮批份类种款只头株枚多余来后前间毫厘公里斤两亩寸尺季级代线集首句字号"
    "%％‰℃°"
)

_URL_RE = re.compile(
    rf"(?:https?://|ftp://|www\.)[^\s{HAN}{CJK_PUNCT}<>\"'\u3000]+"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_CLOSERS = "）」』”’》】〉"
_PUNCT_RE = re.compile(
    rf"([{HAN}{_CLOSERS}])([ \t]*)([?!]+|[,;:])(?:([ \t]*)(?=[{HAN}{CJK_PUNCT}])|(?=[ \t]*(?:\n|$)))"
)
_PAREN_RE = re.compile(r"([ \t]*)\(([ \t]*)([^()\n]{1,100}?)([ \t]*)\)([ \t]*)")
_RUN_RE = re.compile(r"[A-Za-z0-9]+(?:[.,:/\-][A-Za-z0-9]+)*")
_NUMERIC_RE = re.compile(r"\d+(?:[.,:/\-]\d+)*")
_FOLLOWS_RE = re.compile(rf"[ \t]*(?:[{HAN}{CJK_PUNCT}]|\n|$)")


@dataclass
class Edits:
    replace: dict[int, str] = field(default_factory=dict)  # stream index -> new text ("" deletes)
    insert_space: set[int] = field(default_factory=set)  # a space goes before these indexes
    hits: list[tuple[int, str]] = field(default_factory=list)  # (stream index, snippet) for messages

    def __bool__(self) -> bool:
        return bool(self.replace or self.insert_space)


def is_han(char: str) -> bool:
    return bool(_HAN_RE.match(char))


def mask_urls(text: str) -> str:
    """`text` with each URL and e-mail address replaced by OPAQUE characters (same length)."""
    return _URL_RE.sub(lambda m: OPAQUE * len(m.group()), text)


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - 3)
    return text[left : end + 3].replace("\n", " ").replace(OPAQUE, "…").strip()


def punctuation_edits(stream: str) -> Edits:
    """Half-width , ; : ? ! ( ) inside Chinese text become full-width, and the spaces around them go.

    A mark counts as inside Chinese text when a Chinese character (or a closing Chinese quote or
    bracket) precedes it and a Chinese character, Chinese punctuation or the end of the line follows
    it; a pair of parentheses when it encloses Chinese text or sits between Chinese characters.
    """
    text = mask_urls(stream)
    edits = Edits()
    for m in _PUNCT_RE.finditer(text):
        start, end = m.start(3), m.end(3)
        for i in range(start, end):
            edits.replace[i] = HALF_TO_FULL[text[i]]
        for group in (2, 4):
            if m.group(group):
                for i in range(m.start(group), m.end(group)):
                    edits.replace[i] = ""
        edits.hits.append((start, _snippet(stream, start, end)))
    for m in _PAREN_RE.finditer(text):
        content = m.group(3)
        before = text[m.start() - 1] if m.start() > 0 else ""
        if not _HAN_RE.search(content) and (
            OPAQUE in content or not (before and is_han(before) and _FOLLOWS_RE.match(text, m.end()))
        ):
            continue  # not Chinese inside, and not between Chinese characters
        open_at, close_at = m.start(2) - 1, m.end(4)
        edits.replace[open_at] = "（"
        edits.replace[close_at] = "）"
        for group in (1, 2, 4, 5):
            for i in range(m.start(group), m.end(group)):
                edits.replace[i] = ""
        edits.hits.append((open_at, _snippet(stream, open_at, close_at + 1)))
    edits.hits.sort()
    return edits


def spacing_edits(stream: str) -> Edits:
    """A space between Chinese characters and Latin letters or digits ("使用 WeChat 发布").

    Numbers of a Chinese quantity or date ("2024年", "30人", "15%") keep no space (see UNITS).
    """
    text = mask_urls(stream)
    edits = Edits()
    size = len(text)
    for m in _RUN_RE.finditer(text):
        a, b = m.span()
        left = a > 0 and is_han(text[a - 1])
        right = b < size and is_han(text[b])
        if not (left or right):
            continue
        if b < size and text[b] in UNITS and _NUMERIC_RE.fullmatch(m.group()):
            continue
        if left:
            edits.insert_space.add(a)
        if right:
            edits.insert_space.add(b)
        edits.hits.append((a, _snippet(stream, a if left else b - 1, b)))
    return edits


@functools.cache
def _t2s():
    import opencc  # the reference Traditional -> Simplified converter (OpenCC's own binding)

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """OpenCC t2s: phrase-aware, so simplified text stays as it is (乾隆, 著名, 瞭望 are kept)."""
    return _t2s().convert(text) if text else text


def traditional_edits(stream: str) -> Edits:
    """Traditional characters and their simplified forms (OpenCC t2s, phrase-aware)."""
    edits = Edits()
    converted = to_simplified(stream)
    if converted == stream:
        return edits
    if len(converted) == len(stream):
        pairs = ((i, c, o) for i, (c, o) in enumerate(zip(stream, converted, strict=True)) if c != o)
        for i, char, new in pairs:
            edits.replace[i] = new
            edits.hits.append((i, char))
        return edits
    matcher = SequenceMatcher(None, stream, converted, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if i1 == i2:  # pure insertion: attach it to the previous character
            if i1 > 0:
                edits.replace[i1 - 1] = edits.replace.get(i1 - 1, stream[i1 - 1]) + converted[j1:j2]
            continue
        edits.replace[i1] = converted[j1:j2]
        for i in range(i1 + 1, i2):
            edits.replace[i] = ""
        edits.hits.append((i1, stream[i1:i2]))
    return edits
