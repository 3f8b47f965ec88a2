"""The checks a reply passes BEFORE it is sent (issue 15; C15, C5/C16): the same forbidden words
and personal-data checks as posts (cms/content/checks, C15), the same typography warnings (C10),
and the confidential terms (C16: no reply leaks confidential information): the titles of posts
still flagged confidential (C5) and not yet published, and CMS_COMMENT_CONFIDENTIAL_TERMS.
Errors block the reply; warnings need the moderator's confirmation."""
from __future__ import annotations

from collections.abc import Iterable
from html import escape

from flask import current_app
from sqlalchemy import select

from cms.content import checks
from cms.content.checks import compliance
from cms.content.checks import format as typography
from cms.content.checks.words import normalise
from cms.extensions import db

REPLY_CHECKS = (compliance.check_words, compliance.check_personal_data,  # C15: errors
                typography.check_punctuation, typography.check_spacing, typography.check_traditional)  # C10
MIN_TERM = 4  # shorter titles would match ordinary words


def confidential_findings(text: str, terms: Iterable[str]) -> list[checks.Finding]:
    """C16: a reply naming a confidential term (pure)."""
    folded = normalise(text)[0]
    found = []
    for term in sorted({t.strip() for t in terms if t and len(t.strip()) >= MIN_TERM}):
        if normalise(term)[0] in folded:
            found.append(checks.Finding(
                "comments.confidential", checks.ERROR, "C16", "reply",
                f"回复含保密内容“{term}”：尚未发布的保密稿件（C5）或保密词不得出现在回复中（C16）。请删除后再发送。",
                subject=term))
    return found


def screen_text(text: str, words, terms: Iterable[str] = (), allowed_domains: tuple[str, ...] = ()
                ) -> list[checks.Finding]:
    """Findings on a reply's text, errors first (pure: the word list and terms are passed in)."""
    article = checks.Article(title="", author="", digest="", body_format="html", body_source=text,
                             html=f"<p>{escape(text)}</p>", category="news", source_kind="original")
    ctx = checks.CheckContext(words=words, allowed_email_domains=allowed_domains)
    out = []
    for check in REPLY_CHECKS:
        for f in check(article, ctx):
            out.append(checks.Finding(f.check, f.severity, f.policy, "reply",
                                      f.message.replace("正文第 1 段", "回复").replace("正文", "回复"),
                                      subject=f.subject))
    out += confidential_findings(text, terms)
    out.sort(key=lambda f: f.severity != checks.ERROR)
    return out


def confidential_terms() -> list[str]:
    from cms.content.models import Post, Revision

    rows = db.session.execute(select(Revision.title).join(Post, Revision.post_id == Post.id).where(
        Post.confidential.is_(True), Post.status != "published")).scalars()
    return [*rows, *(current_app.config.get("COMMENT_CONFIDENTIAL_TERMS") or [])]


def screen(text: str) -> list[checks.Finding]:
    """The findings on a reply as the CMS holds its lists now."""
    from cms.content.service import wordlist

    return screen_text(text, wordlist(), confidential_terms(),
                       tuple(current_app.config.get("ALLOWED_EMAIL_DOMAINS") or ()))


def finding_json(f: checks.Finding) -> dict:
    return {"id": f.id, "check": f.check, "severity": f.severity, "policy": f.policy, "where": f.where,
            "message": f.message, "fix": None}
