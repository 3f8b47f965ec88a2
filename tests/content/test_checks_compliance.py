"""Compliance checks (policy C15): forbidden words and personal data (customer data, personal privacy)."""

from __future__ import annotations

import pytest

from cms.content.checks import Article, CheckContext, ImageInfo, WordList
from cms.content.checks.compliance import (
    check_personal_data,
    check_words,
    is_bank_card,
    is_resident_id,
    luhn_valid,
)

WORDS = WordList(
    {"gambling": ["赌博", "博彩网站"], "company_secret": ["内部资料请勿外传"], "advertising": ["刷单"]}
)
CTX = CheckContext(words=WORDS)


def make(body: str = "<p>公司召开年度总结大会，表彰先进集体和个人。</p>", **fields) -> Article:
    values = {
        "title": "公司召开年度总结大会",
        "author": "办公室",
        "digest": "会议总结了全年工作。",
        "body_format": "html",
        "body_source": body,
        "html": body,
        "category": "news",
        "source_kind": "original",
    }
    values.update(fields)
    return Article(**values)


def test_clean_article_has_no_compliance_findings():
    article = make(images=(ImageInfo(1, "own", caption="图为大会现场"),))
    assert check_words(article, CTX) == []
    assert check_personal_data(article, CTX) == []


# -- forbidden words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"title": "严禁参与赌博"}, "title"),
        ({"author": "刷单小组"}, "author"),
        ({"digest": "本文为内部资料请勿外传"}, "digest"),
        ({"body": "<p>第一段。</p><p>远离赌博，珍爱家庭。</p>"}, "paragraph 2"),
        ({"images": (ImageInfo(1, "own"), ImageInfo(2, "own", caption="查获的博彩网站截图"))}, "caption 2"),
    ],
)
def test_forbidden_word_is_an_error_naming_term_category_and_place(fields, where):
    findings = check_words(make(**fields), CTX)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        ("compliance.word", "error", "C15", where)
    ]
    message = findings[0].message
    assert "禁用词“" in message
    assert "类别：" in message


def test_message_names_the_term_and_its_chinese_category():
    (finding,) = check_words(make(title="严禁参与赌博"), CTX)
    assert finding.message.startswith("标题含禁用词“赌博”（类别：赌博）")
    assert finding.subject == "赌博"


def test_each_term_once_per_place_and_separately_per_place():
    body = "<p>赌博害人，赌博毁家。</p><p>远离赌博。</p>"
    findings = check_words(make(body=body), CTX)
    assert [(f.where, f.subject) for f in findings] == [("paragraph 1", "赌博"), ("paragraph 2", "赌博")]


@pytest.mark.parametrize("text", ["賭博", "赌 博", "赌\u200b博"])
def test_forbidden_words_survive_simple_evasion(text):
    findings = check_words(make(body=f"<p>谁在{text}？</p>"), CTX)
    assert [f.subject for f in findings] == ["赌博"]


def test_no_word_list_means_no_word_findings():
    assert check_words(make(title="严禁参与赌博"), CheckContext()) == []


# -- personal data -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "check", "masked"),
    [
        ("报名请联系王老师13812345678。", "compliance.mobile", "138****5678"),
        ("报名电话：138-1234-5678", "compliance.mobile", "138****5678"),
        ("境外请拨 +86 19912345678", "compliance.mobile", "199****5678"),
        ("获奖者身份证号11010519491231002X已登记", "compliance.id_number", "1101**********002X"),
        ("身份证号：440308199003071235", "compliance.id_number", "4403**********1235"),
        ("奖金打入银行卡6222021234567894", "compliance.bank_card", "6222********7894"),
        ("卡号 6217 0000 1234 5678 907", "compliance.bank_card", "6217***********8907"),
        ("联系邮箱：zhang.san@example.com", "compliance.email", "z***@example.com"),
    ],
)
def test_personal_data_is_an_error_shown_masked(text, check, masked):
    findings = check_personal_data(make(body=f"<p>第一段。</p><p>{text}</p>"), CTX)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        (check, "error", "C15", "paragraph 2")
    ]
    assert masked in findings[0].message
    assert findings[0].subject == masked


@pytest.mark.parametrize(
    "text",
    [
        "订单号20240315138123456789001已发货",  # a mobile number inside a longer digit run
        "总机：010-12345678",  # a landline
        "编号12345678901",  # 11 digits, not a mobile prefix
        "身份证号110105194912310021",  # wrong check digit
        "流水号4111111111111112",  # 16 digits failing Luhn
        "时间 2024-03-15 10:30，第1234 5678 9012 3456号",  # grouped digits failing Luhn
    ],
)
def test_not_personal_data(text):
    assert check_personal_data(make(body=f"<p>{text}</p>"), CTX) == []


def test_personal_data_in_title_digest_and_caption():
    article = make(
        title="寻人：请13812345678速回电",
        digest="邮箱 li.si@example.com",
        images=(ImageInfo(3, "own", caption="身份证11010519491231002X"),),
    )
    findings = check_personal_data(article, CTX)
    assert [(f.check, f.where) for f in findings] == [
        ("compliance.mobile", "title"),
        ("compliance.email", "digest"),
        ("compliance.id_number", "caption 3"),
    ]


def test_company_contact_domains_are_not_personal_data():
    article = make(body="<p>投稿邮箱：news@corp.example.cn，咨询：hr@mail.corp.example.cn</p>")
    assert [f.check for f in check_personal_data(article, CTX)] == ["compliance.email", "compliance.email"]
    assert check_personal_data(article, CheckContext(allowed_email_domains=("corp.example.cn",))) == []


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("440308199003071235", True),
        ("110105194912310021", False),  # check digit
        ("440308199003071236", False),  # check digit
        ("110105194913310028", False),  # month 13
        ("91010519491231002X", False),  # no such region
        ("1101051949123100", False),  # too short
    ],
)
def test_resident_id_checksum(number, valid):
    assert is_resident_id(number) is valid


@pytest.mark.parametrize(
    ("number", "luhn", "card"),
    [
        ("4111111111111111", True, True),
        ("4111111111111112", False, False),
        ("6222021234567894", True, True),
        ("6217000012345678907", True, True),
        ("6217000012345678906", False, False),
        ("79927398713", True, False),  # Luhn's textbook number: too short for a card
        ("1234567812345670", True, False),  # no issuer starts with 1
    ],
)
def test_luhn_and_bank_cards(number, luhn, card):
    assert luhn_valid(number) is luhn
    assert is_bank_card(number) is card
