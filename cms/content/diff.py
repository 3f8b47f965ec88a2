"""A readable side-by-side diff that works for Chinese: paragraphs are aligned first, then each
changed pair is compared character by character (Chinese has no spaces to split words on)."""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape


@dataclass(frozen=True)
class Row:
    kind: str   # "same" | "changed" | "added" | "removed"
    left: str   # HTML-escaped, with <del> marks
    right: str  # HTML-escaped, with <ins> marks


def _chars(a: str, b: str) -> tuple[str, str]:
    left, right = [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(escape(a[i1:i2]))
            right.append(escape(b[j1:j2]))
        else:
            if i2 > i1:
                left.append(f"<del>{escape(a[i1:i2])}</del>")
            if j2 > j1:
                right.append(f"<ins>{escape(b[j1:j2])}</ins>")
    return "".join(left), "".join(right)


def side_by_side(old: str, new: str) -> list[Row]:
    a, b = old.splitlines(), new.splitlines()
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(Row("same", escape(x), escape(x)) for x in a[i1:i2])
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            if k < len(olds) and k < len(news):
                rows.append(Row("changed", *_chars(olds[k], news[k])))
            elif k < len(olds):
                rows.append(Row("removed", f"<del>{escape(olds[k])}</del>", ""))
            else:
                rows.append(Row("added", "", f"<ins>{escape(news[k])}</ins>"))
    return rows


FIELDS = ("title", "author", "digest", "body_source", "source_kind", "source_name", "source_url", "source_author")


def revision_diff(old: dict, new: dict) -> dict[str, list[Row]]:
    """Per field, the rows of what changed (fields that did not change are left out)."""
    return {f: side_by_side(str(old.get(f) or ""), str(new.get(f) or ""))
            for f in FIELDS if (old.get(f) or "") != (new.get(f) or "")}
