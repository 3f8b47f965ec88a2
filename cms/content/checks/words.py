"""Forbidden words (policy C15), compiled once into an Aho-Corasick automaton (ahocorasick-rs).

Matching is on a normalised text, so simple evasions still match: full-width letters and digits
("ＶＰＮ"), upper case, spaces or zero-width characters between the characters ("赌 博"), and
traditional characters ("賭博"). Offsets returned by :meth:`WordList.find` are offsets into the text
as given.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from importlib import resources

import ahocorasick_rs

from cms.content.checks.typography import to_simplified

__all__ = ["CATEGORY_LABELS", "WordList", "category_label", "load_seed_terms", "normalise"]

# The C15 categories (seed §2 §3 §5 §6 §8 §11 §13 §17) and their names on screen.
CATEGORY_LABELS = {
    "illegal": "违法",
    "obscene": "淫秽色情",
    "gambling": "赌博",
    "violent": "暴力",
    "terrorist": "恐怖",
    "rumour": "谣言",
    "political": "政治错误",
    "superstition": "封建迷信",
    "defamation": "诽谤",
    "company_secret": "公司秘密",
    "customer_data": "客户资料",
    "privacy": "个人隐私",
    "advertising": "与公司业务无关的广告",
}


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


_FOLD = str.maketrans(
    {
        **{chr(0xFF01 + i): chr(0x21 + i).lower() for i in range(94)},  # full-width ASCII
        **{chr(0x41 + i): chr(0x61 + i) for i in range(26)},  # A-Z
    }
)
# Spaces and invisible characters inside a line; a line break (paragraph end) still separates words.
_DROP_RE = re.compile(r"(?:(?!\n)[\s\u200b-\u200d\u2060\ufeff\u00ad])+")


def normalise(text: str) -> tuple[str, list[int], list[int]]:
    """The matching form of `text` and its segment map.

    Returns (normalised, norm_starts, orig_starts): segment k of the normalised text starts at
    norm_starts[k] and came from orig_starts[k] in `text`; within a segment offsets run in step.
    """
    folded = text.translate(_FOLD)
    simplified = to_simplified(folded)
    if len(simplified) == len(folded):  # t2s is one character for one almost always
        folded = simplified
    if not _DROP_RE.search(folded):
        return folded, [0], [0]
    pieces: list[str] = []
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    pos = length = 0
    for m in _DROP_RE.finditer(folded):
        if m.start() > pos:
            norm_starts.append(length)
            orig_starts.append(pos)
            pieces.append(folded[pos : m.start()])
            length += m.start() - pos
        pos = m.end()
    if pos < len(folded):
        norm_starts.append(length)
        orig_starts.append(pos)
        pieces.append(folded[pos:])
    return "".join(pieces), norm_starts or [0], orig_starts or [0]


class WordList:
    """Forbidden terms by category, compiled once (leftmost-longest: of overlapping terms that start at
    the same place the longest wins, and matches do not overlap)."""

    def __init__(self, terms_by_category: Mapping[str, Iterable[str]]) -> None:
        self.terms: list[str] = []  # as listed, for messages
        self.categories: list[str] = []
        seen: set[str] = set()
        patterns: list[str] = []
        for category, terms in terms_by_category.items():
            for term in terms:
                term = term.strip()
                key = normalise(term)[0]
                if not key or key in seen:
                    continue  # the first category that lists a term names it
                seen.add(key)
                patterns.append(key)
                self.terms.append(term)
                self.categories.append(category)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(patterns, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_LONGEST)
            if patterns
            else None
        )

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str) -> list[tuple[str, str, int]]:
        """(term, category, start offset in `text`) of each match, in order of position."""
        if self._automaton is None or not text:
            return []
        norm, norm_starts, orig_starts = normalise(text)
        out = []
        for index, start, _end in self._automaton.find_matches_as_indexes(norm):
            k = bisect_right(norm_starts, start) - 1
            out.append((self.terms[index], self.categories[index], orig_starts[k] + start - norm_starts[k]))
        return out


def load_seed_terms() -> dict[str, list[str]]:
    """A small starting list by category (cms/content/data/forbidden_words.json) for a new install;
    the system administrator keeps the real list."""
    data = resources.files("cms.content").joinpath("data/forbidden_words.json").read_text("utf-8")
    return {category: list(terms) for category, terms in json.loads(data).items()}
