"""A customer-service reply screened like a post (C15, C16): the post checks (cms/content/checks
run_checks) on the reply as the body of an otherwise empty article; only what they find in the
body counts (the empty title, author and source of that stand-in article are not the reply's).
Errors (forbidden words, personal data: C15) block the reply; warnings (format, C10) need the
moderator's confirmation."""
from __future__ import annotations

from html import escape

from cms.content import checks


def _article(text: str) -> checks.Article:
    paragraphs = [p.strip() for p in text.splitlines() if p.strip()]
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return checks.Article(title="", author="", digest="", body_format="markdown", body_source=text, html=html,
                          category="news", source_kind="original")


def screen(text: str, words=None) -> tuple[list[checks.Finding], list[checks.Finding]]:
    """(errors, warnings) about the reply's text."""
    ctx = checks.CheckContext(words=words)
    found = [f for f in checks.run_checks(_article(text), ctx)
             if f.where == "body" or f.where.startswith("paragraph ")]
    return ([f for f in found if f.severity == checks.ERROR],
            [f for f in found if f.severity != checks.ERROR])
