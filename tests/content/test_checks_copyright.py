"""Source and copyright checks (policies C9, C14)."""

from __future__ import annotations

import pytest

from cms.content.checks import Article, CheckContext, ImageInfo, article_simhash
from cms.content.checks.copyright import check_images, check_near_duplicate, check_source
from tests.content.texts import ANNUAL_MEETING

ARTICLE_TEXT = ANNUAL_MEETING
OTHER_TEXT = (
    "为丰富员工业余生活，工会于本周六组织了春季登山健步走活动。两百余名员工及家属参加，大家沿着山间步道拾级而上，"
    "一路欢声笑语。活动结束后，工会为完成全程的参与者颁发了纪念品。不少员工表示，这样的活动既锻炼了身体，"
    "又增进了同事之间的交流，希望以后多多举办。工会负责人介绍，今年还将陆续开展读书分享、羽毛球比赛和亲子运动会等活动，"
    "欢迎大家踊跃报名。"
)


def html_of(text: str) -> str:
    return "".join(f"<p>{sentence}。</p>" for sentence in text.split("。") if sentence)


def make(**fields) -> Article:
    values = {
        "title": "公司召开年度总结表彰大会",
        "author": "办公室",
        "digest": "",
        "body_format": "html",
        "body_source": html_of(ARTICLE_TEXT),
        "html": html_of(ARTICLE_TEXT),
        "category": "news",
        "source_kind": "original",
    }
    values.update(fields)
    return Article(**values)


CTX = CheckContext()


# -- C9: the source is stated -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"source_kind": "original"}, []),
        ({"source_kind": "reprint", "source_name": "新华网", "source_url": "https://www.news.cn/a.html"}, []),
        (
            {"source_kind": "reprint", "source_name": "新华网", "source_url": "https://www.news.cn/a.html",
             "category": "recommended"},
            [],
        ),
        ({"source_kind": ""}, [("copyright.source_missing", "error", "C9")]),
        ({"source_kind": "unknown"}, [("copyright.source_missing", "error", "C9")]),
        ({"source_kind": "reprint", "source_url": "https://www.news.cn/a.html"}, [("copyright.reprint_source", "error", "C9")]),
        ({"source_kind": "reprint", "source_name": "新华网"}, [("copyright.reprint_source", "error", "C9")]),
        ({"source_kind": "reprint", "source_name": "  ", "source_url": ""}, [("copyright.reprint_source", "error", "C9")]),
        ({"source_kind": "original", "category": "recommended"}, [("copyright.original_recommended", "warning", "C9")]),
    ],
)  # fmt: skip
def test_source_declaration(fields, expected):
    findings = check_source(make(**fields), CTX)
    assert [(f.check, f.severity, f.policy) for f in findings] == expected
    assert all(f.where == "source" for f in findings)


def test_reprint_message_names_what_is_missing_and_author_is_optional():
    (finding,) = check_source(make(source_kind="reprint", source_author="张三"), CTX)
    assert "缺少原文出处名称和原文链接" in finding.message
    (finding,) = check_source(make(source_kind="reprint", source_name="新华网"), CTX)
    assert "缺少原文链接" in finding.message
    assert "原文出处名称" not in finding.message.split("缺少")[1].split("（")[0]


# -- C14: images ----------------------------------------------------------------------------------


def test_reprinted_image_without_credit_is_an_error_naming_the_image():
    images = (
        ImageInfo(1, "own"),
        ImageInfo(2, "reprint"),
        ImageInfo(3, "reprint", credit="新华社记者 李四 摄"),
        ImageInfo(4, "licensed"),
    )
    findings = check_images(make(images=images), CTX)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        ("copyright.image_credit", "error", "C14", "image 2")
    ]
    assert "第 2 张图片" in findings[0].message


def test_image_of_undeclared_source_is_an_error():
    findings = check_images(make(images=(ImageInfo(5, ""),)), CTX)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        ("copyright.image_source", "error", "C14", "image 5")
    ]


# -- C14: near-duplicates -------------------------------------------------------------------------


def test_near_duplicate_of_an_archived_post_warns_naming_it():
    archived = article_simhash(html_of(ARTICLE_TEXT))
    edited = ARTICLE_TEXT.replace("深入讨论", "认真讨论")
    ctx = CheckContext(archive=[(17, article_simhash(html_of(OTHER_TEXT))), (42, archived)])
    findings = check_near_duplicate(make(html=html_of(edited)), ctx)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        ("copyright.near_duplicate", "warning", "C14", "body")
    ]
    assert "#42" in findings[0].message
    assert "#17" not in findings[0].message
    assert findings[0].subject == "42"


def test_different_text_is_not_a_near_duplicate():
    ctx = CheckContext(archive=[(42, article_simhash(html_of(ARTICLE_TEXT)))])
    assert check_near_duplicate(make(html=html_of(OTHER_TEXT)), ctx) == []


def test_declared_reprint_with_source_is_not_warned():
    ctx = CheckContext(archive=[(42, article_simhash(html_of(ARTICLE_TEXT)))])
    reprint = make(source_kind="reprint", source_name="新华网", source_url="https://www.news.cn/a.html")
    assert check_near_duplicate(reprint, ctx) == []
    half_declared = make(source_kind="reprint", source_name="新华网")
    assert [f.check for f in check_near_duplicate(half_declared, ctx)] == ["copyright.near_duplicate"]


def test_short_notices_are_not_compared():
    notice = "<p>今天下午三点开会。</p>"
    ctx = CheckContext(archive=[(1, article_simhash(notice))])
    assert check_near_duplicate(make(html=notice), ctx) == []
