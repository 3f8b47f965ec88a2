"""Source and copyright (policies C9, C14).

C9: every post states its source; a reprint names its original source; a post of unknown source is not
published. C14: no use of others' works without permission (images of others carry their credit, and
a text that is nearly an archived post is either a declared reprint or explained).
"""

from __future__ import annotations

from cms.content.checks.base import (
    ERROR,
    IMAGE_SOURCES,
    WARNING,
    Article,
    CheckContext,
    Finding,
)
from cms.content.checks.duplicates import near_duplicates, normalise_for_simhash, simhash_normalised
from cms.content.checks.htmltext import parse_body

__all__ = ["check_images", "check_near_duplicate", "check_source"]

NEAR_DUPLICATE_BITS = 3  # Hamming distance of SimHashes at or below which two texts are near-duplicates
NEAR_DUPLICATE_MIN_CHARS = 50  # shorter texts (notices) are too alike by nature to compare


def check_source(article: Article, ctx: CheckContext) -> list[Finding]:
    kind = article.source_kind
    if kind not in ("original", "reprint"):
        return [
            Finding(
                "copyright.source_missing",
                ERROR,
                "C9",
                "source",
                "未声明稿件来源。请选择“原创”或“转载”；来源不明的稿件不得发布（C9）。",
                subject=kind,
            )
        ]
    if kind == "reprint":
        missing = [
            label
            for label, value in (("原文出处名称", article.source_name), ("原文链接", article.source_url))
            if not value.strip()
        ]
        if missing:
            return [
                Finding(
                    "copyright.reprint_source",
                    ERROR,
                    "C9",
                    "source",
                    f"转载稿件须注明原始来源，缺少{'和'.join(missing)}（C9）。请补全后再提交（原作者可不填）。",
                    subject="/".join(missing),
                )
            ]
        return []
    if article.category == "recommended":
        return [
            Finding(
                "copyright.original_recommended",
                WARNING,
                "C9",
                "source",
                "“文章推荐及其他消息”类稿件通常是转载或摘编，本稿却声明为原创（C9、C14）。"
                "如系转载请改为“转载”并注明出处；确为原创请填写理由。",
                subject="recommended/original",
            )
        ]
    return []


def check_images(article: Article, ctx: CheckContext) -> list[Finding]:
    findings = []
    for image in article.images:
        where = f"image {image.index}"
        if image.source not in IMAGE_SOURCES:
            findings.append(
                Finding(
                    "copyright.image_source",
                    ERROR,
                    "C14",
                    where,
                    f"第 {image.index} 张图片未声明来源。请选择“自有”“已获授权”或“转载”（C14）。",
                    subject=image.source,
                )
            )
        elif image.source == "reprint" and not image.credit.strip():
            findings.append(
                Finding(
                    "copyright.image_credit",
                    ERROR,
                    "C14",
                    where,
                    f"第 {image.index} 张图片为转载图片，但没有注明出处或作者（C14）。"
                    "请填写图片来源，或换用自有、已获授权的图片。",
                    subject="reprint",
                )
            )
    return findings


def check_near_duplicate(article: Article, ctx: CheckContext) -> list[Finding]:
    """Warn when the body is within NEAR_DUPLICATE_BITS of an archived post, unless it is a reprint
    that names its source."""
    if not ctx.archive:
        return []
    if article.source_kind == "reprint" and article.source_name.strip() and article.source_url.strip():
        return []
    norm = normalise_for_simhash(parse_body(article.html).text)
    if len(norm) < NEAR_DUPLICATE_MIN_CHARS:
        return []
    hits = near_duplicates(simhash_normalised(norm), ctx.archive, NEAR_DUPLICATE_BITS)
    if not hits:
        return []
    names = [f"#{post_id}（相差 {distance} 位）" for post_id, distance in hits[:5]]
    more = f"等 {len(hits)} 篇" if len(hits) > 5 else ""
    return [
        Finding(
            "copyright.near_duplicate",
            WARNING,
            "C14",
            "body",
            f"正文与已归档稿件 {'、'.join(names)}{more}高度相似。如系转载，请改为“转载”并注明原文出处和链接；"
            "如为本单位稿件的更新或重发，请填写理由（C14）。",
            subject=",".join(str(post_id) for post_id, _ in hits),
        )
    ]
