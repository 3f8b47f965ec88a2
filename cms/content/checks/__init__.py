"""Checks a post passes before submission: format (C10), compliance (C15), copyright and source
(C9, C14) and lead time (C12).

Pure functions, plain data in and out: :func:`run_checks` takes an :class:`Article` and a
:class:`CheckContext` and returns :class:`Finding` objects, errors first. An error blocks submission;
a warning needs a reason that reviewers see, keyed by ``Finding.id``. A finding with a ``fix`` can be
repaired by :func:`apply_fix`, which returns new source fields for a new revision.
"""

from __future__ import annotations

from collections.abc import Callable

from cms.content.checks.base import (
    ERROR,
    WARNING,
    Article,
    CheckContext,
    Finding,
    ImageInfo,
    Theme,
    where_label,
)
from cms.content.checks.compliance import check_personal_data, check_words
from cms.content.checks.copyright import check_images, check_near_duplicate, check_source
from cms.content.checks.duplicates import article_simhash, hamming, simhash
from cms.content.checks.fixes import FIXES, apply_fix
from cms.content.checks.format import (
    check_empty_paragraphs,
    check_lengths,
    check_punctuation,
    check_spacing,
    check_styles,
    check_traditional,
)
from cms.content.checks.leadtime import check_lead_time
from cms.content.checks.words import WordList, load_seed_terms

__all__ = [
    "CHECKS",
    "ERROR",
    "FIXES",
    "WARNING",
    "Article",
    "CheckContext",
    "Finding",
    "ImageInfo",
    "Theme",
    "WordList",
    "apply_fix",
    "article_simhash",
    "hamming",
    "load_seed_terms",
    "run_checks",
    "simhash",
    "where_label",
]

Check = Callable[[Article, CheckContext], list[Finding]]

# In the order findings are listed within a severity.
CHECKS: tuple[Check, ...] = (
    check_lengths,  # C10
    check_source,  # C9
    check_images,  # C14
    check_words,  # C15
    check_personal_data,  # C15
    check_lead_time,  # C12
    check_near_duplicate,  # C14
    check_styles,  # C10
    check_empty_paragraphs,  # C10
    check_punctuation,  # C10
    check_spacing,  # C10
    check_traditional,  # C10
)


def run_checks(article: Article, ctx: CheckContext) -> list[Finding]:
    """Every check on `article`; errors first, then warnings, each in check order."""
    findings = [finding for check in CHECKS for finding in check(article, ctx)]
    findings.sort(key=lambda f: f.severity != ERROR)  # stable: keeps the check order within a severity
    return findings
