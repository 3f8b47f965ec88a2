"""apply_fix (policy C10): each fix makes its check pass and changes nothing else."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from cms.content.checks import FIXES, Article, CheckContext, apply_fix, run_checks
from cms.content.checks.format import (
    check_empty_paragraphs,
    check_punctuation,
    check_spacing,
    check_traditional,
)

# The renderer's Markdown (cms/content/render.py): CommonMark, tables, strikethrough, raw HTML off.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

CHECK_OF_FIX = {
    "remove_empty_paragraphs": check_empty_paragraphs,
    "fullwidth_punctuation": check_punctuation,
    "space_cjk_latin": check_spacing,
    "to_simplified": check_traditional,
}


def render(source: str, body_format: str) -> str:
    return _MARKDOWN.render(source) if body_format == "markdown" else source


def fields(body: str, body_format: str, title: str = "年度工作会议", digest: str = "") -> dict:
    return {
        "title": title,
        "author": "办公室",
        "digest": digest,
        "body_source": body,
        "body_format": body_format,
    }


def article(source: dict) -> Article:
    return Article(
        title=source["title"],
        author=source["author"],
        digest=source["digest"],
        body_format=source["body_format"],
        body_source=source["body_source"],
        html=render(source["body_source"], source["body_format"]),
        category="news",
        source_kind="original",
    )


CASES = [
    # fix, body format, body before, body after
    (
        "fullwidth_punctuation",
        "markdown",
        "我们今天开会,讨论方案。使用`a,b`函数,效果好吗?\n",
        "我们今天开会，讨论方案。使用`a,b`函数，效果好吗？\n",
    ),
    (
        "fullwidth_punctuation",
        "markdown",
        "详见[通知](https://example.com/a,b),请查看。会议(周一)召开,地点另行通知!\n",
        "详见[通知](https://example.com/a,b)，请查看。会议（周一）召开，地点另行通知！\n",
    ),
    (
        "fullwidth_punctuation",
        "html",
        '<p style="color:#333333">会议(周一)召开,请<a href="https://x.cn/?a=1,2">报名</a>!</p>',
        '<p style="color:#333333">会议（周一）召开，请<a href="https://x.cn/?a=1,2">报名</a>！</p>',
    ),
    (
        "space_cjk_latin",
        "markdown",
        "使用**WeChat**发布,并访问[GitHub](https://github.com)获取2024年报告。\n",
        "使用 **WeChat** 发布,并访问 [GitHub](https://github.com) 获取2024年报告。\n",
    ),
    (
        "space_cjk_latin",
        "html",
        '<p>使用<strong style="color:#07c160">WeChat</strong>发布，共30人参加</p>',
        '<p>使用 <strong style="color:#07c160">WeChat</strong> 发布，共30人参加</p>',
    ),
    (
        "to_simplified",
        "markdown",
        "# 年度總結\n\n我們今天開會，`print('開')`保持不變。\n\n```\n程式碼區塊不變\n```\n",
        "# 年度总结\n\n我们今天开会，`print('開')`保持不变。\n\n```\n程式碼區塊不變\n```\n",
    ),
    (
        "to_simplified",
        "html",
        '<p title="繁體">這是繁體字</p><pre>不變</pre>',
        '<p title="繁體">这是繁体字</p><pre>不變</pre>',
    ),
    (
        "remove_empty_paragraphs",
        "html",
        '<p>第一段</p>\n<p><br></p>\n<p style="margin:0">&nbsp;</p>\n<p><img src="a.png"></p>\n<p>第二段</p>',
        '<p>第一段</p>\n<p><img src="a.png"></p>\n<p>第二段</p>',
    ),
    (
        "remove_empty_paragraphs",
        "html",
        "<p>正文<div>说明</div></p><p/><p>结尾</p>",  # a stray </p> and <p/> are empty paragraphs to a parser
        "<p>正文<div>说明</div><p>结尾</p>",
    ),
    (
        "remove_empty_paragraphs",
        "markdown",
        "第一段\n\n&nbsp;\n\n\u3000\u3000\n\n第二段\n\n```\n&nbsp;\n```\n",
        "第一段\n\n\n\n第二段\n\n```\n&nbsp;\n```\n",
    ),
]


@pytest.mark.parametrize(("fix", "body_format", "before", "after"), CASES)
def test_fix_repairs_the_body_and_nothing_else(fix, body_format, before, after):
    check = CHECK_OF_FIX[fix]
    source = fields(before, body_format)
    found = check(article(source), CheckContext())
    assert [f.fix for f in found] == [fix]  # the check finds it and offers this fix

    fixed = apply_fix(source, fix)
    assert fixed["body_source"] == after
    assert {k: v for k, v in fixed.items() if k != "body_source"} == {
        k: v for k, v in source.items() if k != "body_source"
    }
    assert check(article(fixed), CheckContext()) == []
    assert apply_fix(fixed, fix) == fixed  # a second run changes nothing


@pytest.mark.parametrize(
    ("fix", "title", "fixed_title"),
    [
        ("space_cjk_latin", "使用WeChat发布通知", "使用 WeChat 发布通知"),
        ("fullwidth_punctuation", "年度大会召开,部署工作", "年度大会召开，部署工作"),
        ("to_simplified", "年度總結大會", "年度总结大会"),
    ],
)
def test_fix_repairs_the_title_and_digest(fix, title, fixed_title):
    source = fields("正文。\n", "markdown", title=title, digest=title)
    fixed = apply_fix(source, fix)
    assert (fixed["title"], fixed["digest"], fixed["body_source"]) == (fixed_title, fixed_title, "正文。\n")
    assert CHECK_OF_FIX[fix](article(fixed), CheckContext()) == []


def test_punctuation_fix_reaches_marks_freed_by_the_first_pass():
    source = fields("会议(周一),在三楼召开\n", "markdown")
    fixed = apply_fix(source, "fullwidth_punctuation")
    assert fixed["body_source"] == "会议（周一），在三楼召开\n"
    assert check_punctuation(article(fixed), CheckContext()) == []


def test_fixes_leave_other_keys_and_the_author_alone():
    source = fields("使用WeChat发布\n", "markdown") | {"author": "張三Tom", "revision": 7}
    fixed = apply_fix(source, "space_cjk_latin")
    assert fixed["author"] == "張三Tom"
    assert fixed["revision"] == 7
    assert fixed is not source
    assert source["body_source"] == "使用WeChat发布\n"  # the input is not changed


def test_unknown_fix_is_refused():
    with pytest.raises(ValueError, match="未知的自动修正"):
        apply_fix(fields("正文\n", "markdown"), "make_it_pretty")


def test_every_fix_offered_by_run_checks_is_known():
    body = "我們今天開會,使用WeChat发布\n\n&nbsp;\n\n正文\n"
    offered = {f.fix for f in run_checks(article(fields(body, "markdown")), CheckContext()) if f.fix}
    assert offered == set(FIXES)
