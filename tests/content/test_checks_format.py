"""Format checks (policy C10): theme styles, empty paragraphs, typography, lengths (WECHAT_API.md §1.3)."""

from __future__ import annotations

import pytest

from cms.content.checks import Article, CheckContext, Theme, run_checks
from cms.content.checks.format import (
    check_empty_paragraphs,
    check_lengths,
    check_punctuation,
    check_spacing,
    check_styles,
    check_traditional,
    color_hex,
    font_size_px,
)

# What the renderer makes of a clean post: only the theme's font, sizes and colours.
CLEAN_HTML = (
    "<section style=\"font-family:-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif;"
    'font-size:16px;color:#333333;line-height:1.75">'
    '<h2 style="font-size:22px;color:#1a1a1a">一、全年工作回顾</h2>'
    '<p style="font-size:16px;color:#333333">2024年，公司克服原材料价格上涨等困难，主要经营指标稳中有进。'
    "全年共举办培训30场，参训员工1200余人次。</p>"
    '<p style="font-size:16px;color:#333333">各部门使用 WeChat 发布通知，效率提高了15%。</p>'
    '<p><img src="https://mmbiz.qpic.cn/mmbiz_jpg/a/640" style="max-width:100%"></p>'
    '<figcaption style="font-size:14px;color:#888888">图为表彰大会现场</figcaption>'
    '<blockquote style="color:#888888"><p>安全生产，人人有责。</p></blockquote>'
    "</section>"
)


def make(html: str = CLEAN_HTML, **fields) -> Article:
    values = {
        "title": "公司召开2024年度总结表彰大会",
        "author": "办公室",
        "digest": "会议总结了全年工作，表彰了先进集体和个人。",
        "body_format": "html",
        "body_source": html,
        "html": html,
        "category": "news",
        "source_kind": "original",
    }
    values.update(fields)
    return Article(**values)


CTX = CheckContext()


def test_clean_article_has_no_format_findings():
    article = make()
    for check in (check_lengths, check_styles, check_empty_paragraphs, check_punctuation, check_spacing,
                  check_traditional):  # fmt: skip
        assert check(article, CTX) == [], check.__name__
    assert run_checks(article, CTX) == []


# -- lengths (WECHAT_API.md §1.3) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "check"),
    [
        ("title", "关" * 33, "format.title_length"),
        ("author", "作" * 17, "format.author_length"),
        ("digest", "摘" * 129, "format.digest_length"),
    ],
)
def test_over_platform_limit_warns(field, value, check):
    findings = check_lengths(make(**{field: value}), CTX)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [(check, "warning", "C10", field)]
    assert "平台会拒收" in findings[0].message


@pytest.mark.parametrize(
    ("field", "value"), [("title", "关" * 32), ("author", "作" * 16), ("digest", "摘" * 128)]
)
def test_at_platform_limit_is_fine(field, value):
    assert check_lengths(make(**{field: value}), CTX) == []


@pytest.mark.parametrize("title", ["", "   "])
def test_missing_title_is_an_error(title):
    findings = check_lengths(make(title=title), CTX)
    assert [(f.check, f.severity, f.where) for f in findings] == [("format.title_missing", "error", "title")]


def test_content_at_limit_is_an_error_and_below_is_fine():
    html = "<p>" + "字" * 93 + "</p>"  # 100 characters with the tags
    assert len(html) == 100
    findings = check_lengths(make(html=html), CheckContext(content_limit=100))
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        ("format.content_length", "error", "C10", "body")
    ]
    assert "45002" in findings[0].message
    assert check_lengths(make(html=html), CheckContext(content_limit=101)) == []


# -- inline styles ----------------------------------------------------------------------------------


def test_pasted_layout_with_five_font_sizes_warns_once_naming_them():
    html = (
        '<section style="font-size:15px"><p><span style="font-size:12px">一、会议精神</span>'
        '<span style="font-size:13px">各部门要认真学习。</span><span style="font-size:18px">重点工作</span>'
        '<span style="font-size:10.5pt">（附件见文末）</span></p></section>'
    )
    findings = check_styles(make(html=html), CTX)
    assert [(f.check, f.severity, f.policy, f.where) for f in findings] == [
        ("format.font_size", "warning", "C10", "body")
    ]
    message = findings[0].message
    assert "6 种字号" in message
    for size in ("12px", "13px", "14px", "15px", "16px", "18px"):
        assert size in message
    assert "其中 12px、13px、15px、18px 不是本频道主题的字号" in message


def test_theme_sizes_over_the_channel_maximum_warn():
    html = '<p><span style="font-size:22px">标题</span>正文<span style="font-size:14px">图注</span></p>'
    assert check_styles(make(html=html), CTX) == []  # 16, 22 and 14 are the theme's three sizes
    findings = check_styles(make(html=html), CheckContext(theme=Theme(max_font_sizes=2)))
    assert [f.check for f in findings] == ["format.font_size"]
    assert "超过本频道允许的 2 种" in findings[0].message


def test_font_size_zero_of_pasted_layouts_is_ignored():
    html = '<section style="font-size:0"><section style="font-size:16px">正文</section></section>'
    assert check_styles(make(html=html), CTX) == []


def test_colours_outside_the_theme_warn_once_each_colour():
    html = '<p><span style="color:rgb(255, 0, 0)">红字</span><span style="color:#F00">又是红字</span></p>'
    findings = check_styles(make(html=html), CTX)
    assert [(f.check, f.severity, f.where) for f in findings] == [("format.color", "warning", "body")]
    assert findings[0].message.count("#ff0000") == 1


@pytest.mark.parametrize(
    "color", ["#333", "#333333", "rgb(51, 51, 51)", "RGB(7,193,96)", "#888888", "inherit"]
)
def test_theme_colours_in_any_notation_pass(color):
    html = f'<p style="color:{color}">正文</p>'
    assert check_styles(make(html=html), CTX) == []


def test_allowed_colours_of_the_channel_pass():
    html = '<p style="color:#C00000">党建专栏</p>'
    assert [f.check for f in check_styles(make(html=html), CTX)] == ["format.color"]
    assert check_styles(make(html=html), CheckContext(theme=Theme(allowed_colors=("#c00000",)))) == []


def test_foreign_font_family_warns_and_theme_font_passes():
    foreign = '<p style="font-family:微软雅黑, SimSun">正文</p>'
    findings = check_styles(make(html=foreign), CTX)
    assert [(f.check, f.severity, f.where) for f in findings] == [("format.font_family", "warning", "body")]
    assert "微软雅黑" in findings[0].message
    same = '<p style=\'font-family: -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif\'>正文</p>'
    assert check_styles(make(html=same), CTX) == []


@pytest.mark.parametrize(
    ("value", "px"),
    [("16px", 16), ("12pt", 16), ("10.5pt", 14), ("1.5em", 24), ("87.5%", 14), ("large", 18), ("<font>5", 24),
     ("<font>+1", 18), ("inherit", None), ("calc(1em + 2px)", None)],
)  # fmt: skip
def test_font_size_px(value, px):
    assert font_size_px(value, 16) == px


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#ABC", "#aabbcc"), ("red", "#ff0000"), ("rgba(0, 0, 0, 0.5)", "#000000"), ("rgba(0,0,0,0)", None),
     ("hsl(0, 100%, 50%)", "#ff0000"), ("transparent", None), ("var(--x)", "var(--x)")],
)  # fmt: skip
def test_color_hex(value, expected):
    assert color_hex(value) == expected


# -- empty paragraphs -------------------------------------------------------------------------------


def test_empty_paragraphs_warn_with_their_numbers_and_a_fix():
    html = "<p>第一段。</p><p><br></p><p>&nbsp;</p><p>第二段。</p>"
    findings = check_empty_paragraphs(make(html=html), CTX)
    assert [(f.check, f.severity, f.policy, f.where, f.fix) for f in findings] == [
        ("format.empty_paragraph", "warning", "C10", "body", "remove_empty_paragraphs")
    ]
    assert "正文第 2、3 段" in findings[0].message


def test_one_empty_paragraph_is_named_by_its_number():
    html = "<p>第一段。</p><p><span style='font-size:16px'>\u3000</span></p><p>第二段。</p>"
    findings = check_empty_paragraphs(make(html=html), CTX)
    assert [f.where for f in findings] == ["paragraph 2"]


@pytest.mark.parametrize(
    "html",
    [
        '<p><img src="https://mmbiz.qpic.cn/a.png"></p>',  # an image is content
        '<section style="height:1px;background-color:#07c160"></section><p>分隔线下的正文。</p>',  # a layout's rule
        "<p>正文。</p>",
    ],
)
def test_not_empty_paragraphs(html):
    assert check_empty_paragraphs(make(html=html), CTX) == []


# -- punctuation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我们今天开会，讨论方案。",
        "会议时间定在10:30，地点在3楼。",  # a colon between digits
        "请访问 https://example.com/a,b?c=1 查看。",  # inside a URL
        "Hello, world!",  # Latin text
        "版本号为 1.2.3，详见附件（第2页）。",
    ],
)
def test_punctuation_good(text):
    assert check_punctuation(make(html=f"<p>{text}</p>"), CTX) == []


@pytest.mark.parametrize(
    ("text", "snippet"),
    [
        ("我们今天开会,讨论方案。", "开会,讨论"),  # the example of the issue
        ("大家真的准备好了吗?", "好了吗?"),
        ("会议(周一)在三楼召开。", "会议(周一)"),
        ("请注意 : 明天停电。", "注意 : 明天"),
        ("他说“好”,然后离开了。", "“好”,然后"),
    ],
)
def test_punctuation_bad(text, snippet):
    findings = check_punctuation(make(html=f"<p>正文开头。</p><p>{text}</p>"), CTX)
    assert [(f.check, f.severity, f.policy, f.where, f.fix) for f in findings] == [
        ("format.punctuation", "warning", "C10", "paragraph 2", "fullwidth_punctuation")
    ]
    assert snippet in findings[0].message


def test_punctuation_in_title_and_code_is_left_alone():
    findings = check_punctuation(
        make(title="公司召开年度大会,部署全年工作", html="<p>运行<code>a,b</code>即可。</p>"), CTX
    )
    assert [f.where for f in findings] == ["title"]


def test_paragraph_numbers_count_text_runs_in_nested_layouts():
    html = (
        "<section><p>第一段。</p><section><p>第二段。</p></section>直接写在外层的文字,没有段落标签。</section>"
        "<ul><li>列表项。</li><li>另一项,也有问题。</li></ul>"
    )
    findings = check_punctuation(make(html=html), CTX)
    assert [f.where for f in findings] == ["body"]
    assert "正文第 3、5 段" in findings[0].message


# -- spacing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "使用 WeChat 发布",
        "2024年3月5日",
        "共30人参加",
        "同比增长15%",
        "版本 1.2 已上线",
        "运行<code>ls</code>命令",
    ],
)
def test_spacing_good(text):
    assert check_spacing(make(html=f"<p>{text}</p>"), CTX) == []


@pytest.mark.parametrize(
    ("text", "snippet"),
    [
        ("使用WeChat发布", "使用WeChat发布"),
        ("开通5G网络", "开通5G网络"),
        ("使用<b>Excel</b>统计", "使用Excel统计"),
    ],
)
def test_spacing_bad(text, snippet):
    findings = check_spacing(make(html=f"<p>{text}</p>"), CTX)
    assert [(f.check, f.severity, f.policy, f.where, f.fix) for f in findings] == [
        ("format.spacing", "warning", "C10", "paragraph 1", "space_cjk_latin")
    ]
    assert snippet in findings[0].message


def test_spacing_ignores_the_renderers_reprint_source_line():
    html = "<p>正文。</p><p>本文转载自：新华网Xinhua，原文链接见“阅读原文”。</p>"
    reprint = make(
        html=html, source_kind="reprint", source_name="新华网Xinhua", source_url="https://xinhuanet.com"
    )
    assert check_spacing(reprint, CTX) == []
    assert [f.where for f in check_spacing(make(html=html), CTX)] == ["paragraph 2"]  # not a reprint: checked


# -- traditional characters -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["乾隆年间的著名建筑", "我们今天开会", "显著提高了生产效率", "瞭望塔"])
def test_simplified_text_passes(text):
    assert check_traditional(make(html=f"<p>{text}</p>"), CTX) == []


def test_traditional_characters_warn_naming_them():
    findings = check_traditional(make(html="<p>正文。</p><p>我們今天開會，討論方案。</p>"), CTX)
    assert [(f.check, f.severity, f.policy, f.where, f.fix) for f in findings] == [
        ("format.traditional", "warning", "C10", "paragraph 2", "to_simplified")
    ]
    assert "們、開、會、討、論" in findings[0].message


def test_traditional_characters_in_the_digest():
    findings = check_traditional(make(digest="會議總結了全年工作"), CTX)
    assert [f.where for f in findings] == ["digest"]
