"""Near-duplicate detection (policy C14): 64-bit SimHash of character 3-grams.

The value is stored with archived posts and compared later, so it must not change between processes,
machines or Python versions: the shingle hash is spelt out here (multiply-shift hashing of the three
code points), never Python's ``hash()``.

The arithmetic runs over whole lists at C speed (``map`` with ``operator``, ``array``, ``bytes``), so a
20,000-character article takes a few milliseconds.
"""

from __future__ import annotations

import operator
import re
import sys
from array import array
from collections import Counter
from collections.abc import Iterable

from cms.content.checks.htmltext import parse_body

__all__ = [
    "article_simhash",
    "hamming",
    "near_duplicates",
    "normalise_for_simhash",
    "simhash",
    "simhash_normalised",
]

_M64 = (1 << 64) - 1
# Multiply-shift hashing: bits 64..127 of (shingle x K) for a fixed odd 128-bit K.
_K = 0x9E3779B97F4A7C15F39CC0605CEDC835
_FOLD = str.maketrans(
    {
        **{chr(0xFF01 + i): chr(0x21 + i).lower() for i in range(94)},
        **{chr(0x41 + i): chr(0x61 + i) for i in range(26)},
    }
)
_NOT_WORD_RE = re.compile(r"[\W_]+")
# _WITH_BIT[j]: the byte values that have bit j set
_WITH_BIT = [tuple(v for v in range(256) if v >> j & 1) for j in range(8)]


def normalise_for_simhash(text: str) -> str:
    """Letters, digits and CJK characters only, ASCII lower-case, full-width folded."""
    return _NOT_WORD_RE.sub("", text.translate(_FOLD))


def _shingle_hashes(codes: array) -> list[int]:
    """The 64-bit hash of each 3-gram (a, b, c) of code points: x = a<<42 | b<<21 | c (code points
    are below 2**21), hash = bits 64..127 of x * _K."""
    add = operator.add
    x = map(add, map(add, map((1 << 42).__mul__, codes[:-2]), map((1 << 21).__mul__, codes[1:-1])), codes[2:])
    return list(map(_M64.__and__, map((64).__rrshift__, map(_K.__mul__, x))))


def simhash(text: str) -> int:
    """64-bit SimHash of the character 3-grams of the normalised text (each occurrence weighs 1).

    Bit b is set when more than half of the 3-grams have bit b set in their hash. Empty text gives 0;
    a text of one or two characters is one 3-gram padded with zeros.
    """
    return simhash_normalised(normalise_for_simhash(text))


def simhash_normalised(norm: str) -> int:
    """simhash() of a text already passed through normalise_for_simhash()."""
    if not norm:
        return 0
    codes = array("I", norm.encode("utf-32-le"))
    if len(codes) < 3:
        codes.extend([0] * (3 - len(codes)))
    packed = array("Q", _shingle_hashes(codes))
    if sys.byteorder != "little":
        packed.byteswap()
    data = packed.tobytes()
    total = len(packed)
    result = 0
    for byte in range(8):
        counts = Counter(data[byte::8])  # byte `byte` (little-endian) of every hash
        histogram = [counts.get(value, 0) for value in range(256)]
        for j in range(8):
            if sum(map(histogram.__getitem__, _WITH_BIT[j])) * 2 > total:
                result |= 1 << (byte * 8 + j)
    return result


def article_simhash(html: str) -> int:
    """SimHash of the visible text of rendered article HTML: store this for archived posts."""
    return simhash(parse_body(html).text)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_duplicates(
    value: int, archive: Iterable[tuple[int, int]], max_distance: int = 3
) -> list[tuple[int, int]]:
    """(post_id, distance) of archived posts within `max_distance` bits, closest first."""
    hits = []
    for post_id, other in archive:
        distance = (value ^ other).bit_count()
        if distance <= max_distance:
            hits.append((post_id, distance))
    hits.sort(key=lambda hit: (hit[1], hit[0]))
    return hits
