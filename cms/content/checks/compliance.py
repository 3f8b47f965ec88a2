"""Forbidden content (policy C15): forbidden words and personal data, in everything a reader sees.

Both are errors: a post holding them cannot be submitted. Places looked at: title, author, digest,
each paragraph of the body (the rendered text, code included) and each image caption. Personal data
is shown masked in the message (138****5678), never in full.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date

from cms.content.checks.base import ERROR, Article, CheckContext, Finding, where_label
from cms.content.checks.htmltext import parse_body
from cms.content.checks.words import category_label

__all__ = ["check_personal_data", "check_words", "is_bank_card", "is_resident_id", "luhn_valid"]

# -- validators -----------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_resident_id(number: str) -> bool:
    """An 18-character resident identity number (GB 11643): region, valid birth date, and the
    ISO 7064 MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit() or number[0] not in "12345678":
        return False
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if birth.year < 1900:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or len(number) < 2:
        return False
    total = 0
    for i, char in enumerate(reversed(number)):
        d = int(char)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_bank_card(number: str) -> bool:
    """16-19 digits passing Luhn, of an issuer range that exists (UnionPay 62, Visa 4, Mastercard 2/5,
    JCB/Amex 3, other Chinese debit cards 6)."""
    return 16 <= len(number) <= 19 and number[0] in "23456" and luhn_valid(number)


# -- masks ----------------------------------------------------------------------------------------


def _mask_mobile(digits: str) -> str:
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_id(number: str) -> str:
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


def _mask_card(number: str) -> str:
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


# -- personal data --------------------------------------------------------------------------------

_FULLWIDTH_DIGITS = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)} | {"\uff38": "X", "\uff58": "x"}
)
_PII_RE = re.compile(
    r"(?:\+86|0086)[ -]?(?P<intl>1[3-9]\d{9})(?!\d)"
    r"|(?<!\d)(?P<mobile3>1[3-9]\d[ -]\d{4}[ -]\d{4})(?!\d)"
    r"|(?<!\d)(?P<grouped>\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?!\d)"
    r"|(?<!\d)(?P<digits>\d{11,19})(?P<x>[Xx])?(?!\d)"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)

_PII_NAMES = {
    "compliance.mobile": ("手机号码", "，或改用公司公开的联系电话"),
    "compliance.id_number": ("居民身份证号码", ""),
    "compliance.bank_card": ("银行卡号", ""),
    "compliance.email": ("电子邮箱", "，或改用公司公开的邮箱"),
}


def _personal_data(text: str, allowed_domains: tuple[str, ...]) -> Iterator[tuple[str, str, int]]:
    """(check, masked value, offset) of each piece of personal data in `text`."""
    for m in _PII_RE.finditer(text.translate(_FULLWIDTH_DIGITS)):
        if m.group("intl"):
            yield "compliance.mobile", _mask_mobile(m.group("intl")), m.start()
        elif m.group("mobile3"):
            yield "compliance.mobile", _mask_mobile(re.sub(r"\D", "", m.group("mobile3"))), m.start()
        elif m.group("grouped"):
            number = re.sub(r"\D", "", m.group("grouped"))
            if is_bank_card(number):
                yield "compliance.bank_card", _mask_card(number), m.start()
        elif m.group("digits"):
            number = m.group("digits")
            if m.group("x") and is_resident_id(number + m.group("x")):
                yield "compliance.id_number", _mask_id(number + m.group("x")), m.start()
            elif len(number) == 11 and number[0] == "1" and number[1] in "3456789":
                yield "compliance.mobile", _mask_mobile(number), m.start()
            elif is_resident_id(number):
                yield "compliance.id_number", _mask_id(number), m.start()
            elif is_bank_card(number):
                yield "compliance.bank_card", _mask_card(number), m.start()
        else:
            address = m.group("email")
            domain = address.rpartition("@")[2].lower()
            if any(domain == d or domain.endswith("." + d) for d in allowed_domains):
                continue
            yield "compliance.email", _mask_email(address), m.start()


def _places(article: Article) -> Iterator[tuple[str, str, list[int] | None]]:
    """(where, text, paragraph starts or None) of everything a reader sees."""
    yield "title", article.title, None
    yield "author", article.author, None
    yield "digest", article.digest, None
    body = parse_body(article.html)
    yield "body", body.text, body.text_starts
    for image in article.images:
        if image.caption:
            yield f"caption {image.index}", image.caption, None


def _where(where: str, starts: list[int] | None, offset: int) -> str:
    if starts is None:
        return where
    return f"paragraph {bisect_right(starts, offset)}"


def check_personal_data(article: Article, ctx: CheckContext) -> list[Finding]:
    domains = tuple(d.lower().lstrip("@") for d in ctx.allowed_email_domains)
    findings: dict[tuple[str, str, str], Finding] = {}
    for place, text, starts in _places(article):
        if not text:
            continue
        for check, masked, offset in _personal_data(text, domains):
            where = _where(place, starts, offset)
            key = (check, where, masked)
            if key in findings:
                continue
            name, alternative = _PII_NAMES[check]
            findings[key] = Finding(
                check,
                ERROR,
                "C15",
                where,
                f"{where_label(where)}含{name} {masked}。这属于个人信息（C15：客户资料、个人隐私），"
                f"不得发布。请删除{alternative}。",
                subject=masked,
            )
    return list(findings.values())


def check_words(article: Article, ctx: CheckContext) -> list[Finding]:
    if ctx.words is None or not len(ctx.words):
        return []
    findings: dict[tuple[str, str], Finding] = {}
    for place, text, starts in _places(article):
        if not text:
            continue
        for term, category, offset in ctx.words.find(text):
            where = _where(place, starts, offset)
            if (term, where) in findings:
                continue
            findings[(term, where)] = Finding(
                "compliance.word",
                ERROR,
                "C15",
                where,
                f"{where_label(where)}含禁用词“{term}”（类别：{category_label(category)}），不得发布（C15）。"
                "请删除或改写后再提交。",
                subject=term,
            )
    return list(findings.values())
