"""Plain data shared by every check: the article, the context it is checked in, and a finding.

No Flask and no database here or anywhere in ``cms.content.checks``: the lead's service builds an
:class:`Article` from a revision, a :class:`CheckContext` from the channel and the settings, and stores
the :class:`Finding` list it gets back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from cms.articles.themes import Theme

if TYPE_CHECKING:
    from cms.content.checks.words import WordList

__all__ = [
    "ERROR",
    "WARNING",
    "Article",
    "CheckContext",
    "Finding",
    "ImageInfo",
    "Theme",
    "join_limited",
    "where_label",
]

ERROR = "error"  # blocks submission
WARNING = "warning"  # needs a recorded reason that reviewers see

CATEGORIES = ("news", "internal_activity", "promotion", "employee_tools", "recommended")  # policy C3
SOURCE_KINDS = ("original", "reprint")  # "" = undeclared (policy C9)
IMAGE_SOURCES = ("own", "licensed", "reprint")


@dataclass(frozen=True)
class Finding:
    check: str  # e.g. "format.font_size", "compliance.mobile", "copyright.reprint_source"
    severity: str  # "error" (blocks submission) | "warning" (needs a recorded reason)
    policy: str  # "C10", "C15", "C9", "C14", "C12"
    where: str  # "title" | "author" | "digest" | "body" | "paragraph 3" | "image 2" | "caption 2" | ...
    message: str  # Chinese: what is wrong and what to do
    fix: str | None = None  # an id that apply_fix understands, or None
    subject: str = ""  # the offending text (masked for personal data); part of `id`

    @property
    def id(self) -> str:
        """Stable short id: the key of a reviewer-visible reason. Same check, place and text, same id."""
        raw = f"{self.check}\x1f{self.where}\x1f{self.subject}".encode()
        return hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:12]


@dataclass(frozen=True)
class ImageInfo:
    index: int  # 1-based, as "image N" in findings
    source: str  # "own" | "licensed" | "reprint"
    credit: str = ""
    width: int = 0
    height: int = 0
    caption: str = ""


@dataclass(frozen=True)
class Article:
    """Everything a check may look at, as plain data."""

    title: str
    author: str
    digest: str
    body_format: str  # "markdown" | "html"
    body_source: str  # as the author wrote it
    html: str  # rendered and sanitised HTML (what will be published)
    category: str  # news | internal_activity | promotion | employee_tools | recommended (C3)
    source_kind: str  # "original" | "reprint" | "" (undeclared)
    source_name: str = ""
    source_url: str = ""
    source_author: str = ""
    images: tuple[ImageInfo, ...] = ()
    planned_date: date | None = None
    urgency: str = "regular"  # "regular" | "urgent"


@dataclass
class CheckContext:
    theme: Theme = field(default_factory=Theme)
    words: WordList | None = None  # compiled forbidden words (C15)
    archive: Sequence[tuple[int, int]] = ()  # (post_id, simhash) of archived posts
    today: date | None = None
    notice_days: int = 7
    is_workday: Callable[[date], bool] | None = None  # cms.holidays.service.is_workday; default Mon-Fri
    content_limit: int = 20000  # WeChat content chars incl. tags
    # Addresses on these domains are the company's published contacts, not personal data (C15).
    allowed_email_domains: tuple[str, ...] = ()


_WHERE_LABELS = {
    "title": "标题",
    "author": "作者",
    "digest": "摘要",
    "body": "正文",
    "source": "来源声明",
    "planned_date": "计划发布日期",
}


def where_label(where: str) -> str:
    """The Chinese name of a place: "paragraph 3" -> "正文第 3 段", "caption 2" -> "第 2 张图片的图注"."""
    if where in _WHERE_LABELS:
        return _WHERE_LABELS[where]
    kind, _, number = where.partition(" ")
    if kind == "paragraph":
        return f"正文第 {number} 段"
    if kind == "image":
        return f"第 {number} 张图片"
    if kind == "caption":
        return f"第 {number} 张图片的图注"
    return where


def join_limited(items: Sequence[str], limit: int = 5, sep: str = "、") -> str:
    """ "a、b、c" or "a、b、c 等 7 处" when there are more than `limit` items."""
    if len(items) <= limit:
        return sep.join(items)
    return f"{sep.join(items[:limit])} 等 {len(items)} 处"
