"""Rendering: Markdown and pasted HTML to WeChat-ready HTML with the channel theme inline (policy C10),
the reprint source line (policy C9), determinism, and the XSS corpus through the whole pipeline."""

from __future__ import annotations

import re
import threading

import pytest

from cms.articles.render import plain_text, render_article, wrap_for_preview
from cms.articles.themes import DEFAULT_THEME, Theme, theme_from_dict, theme_to_dict

from .html_elements import elements
from .xss_vectors import HTML_VECTORS, MARKDOWN_VECTORS, assert_inert

THEME = Theme()




def styles(html_text: str, tag: str) -> list[dict[str, str]]:
    """The inline style of every ``tag`` element, as {property: value}."""
    out = []
    for name, attrs in elements(html_text):
        if name == tag:
            declarations = [d for d in attrs.get("style", "").split(";") if d]
            out.append(dict(d.split(":", 1) for d in declarations))
    return out


MARKDOWN_ARTICLE = """# 一级标题

第一段，有**粗体**、*斜体*、~~删除线~~、`代码`和[链接](https://mp.weixin.qq.com/s/abc)。

## 二级标题

### 三级标题

> 引用的话
>
> 第二段引用

- 甲
- 乙

1. 一
2. 二

![配图](https://mmbiz.qpic.cn/mmbiz_png/a/640 "图题")

| 名称 | 数量 |
|:--|--:|
| 苹果 | 3 |

```
print("hi")
```

---

最后一段。
"""


# --- Markdown gets the theme inline (policy C10) ----------------------------------------------------


def test_markdown_elements_get_the_theme_inline_and_no_classes():
    out = render_article(MARKDOWN_ARTICLE, "markdown", THEME)
    for tag, attrs in elements(out):
        assert "class" not in attrs and "id" not in attrs, tag
    assert "<style" not in out

    root = styles(out, "section")[0]
    assert root["font-family"] == THEME.body_font
    assert root["font-size"] == "16px" and root["color"] == "#333333" and root["line-height"] == "1.75"

    for p in styles(out, "p")[:1]:
        assert p == {
            "font-size": "16px",
            "color": "#333333",
            "line-height": "1.75",
            "margin-top": "0",
            "margin-bottom": "16px",
        }
    h1, h2, h3 = styles(out, "h1")[0], styles(out, "h2")[0], styles(out, "h3")[0]
    assert h1["font-size"] == h2["font-size"] == "22px" and h3["font-size"] == "16px"
    assert h1["color"] == h2["color"] == h3["color"] == "#1a1a1a"
    assert h2["border-left"] == "4px solid #07c160"

    quote = styles(out, "blockquote")[0]
    assert quote["color"] == "#888888" and quote["border-left"] == "3px solid #07c160"
    # paragraphs in the quote inherit its colour instead of getting the body colour
    quoted = [s for s in styles(out, "p") if "color" not in s]
    assert len(quoted) == 2

    assert styles(out, "a")[0]["color"] == "#07c160"
    img = styles(out, "img")[0]
    assert img["max-width"] == "100%" and img["height"] == "auto"
    assert styles(out, "ul")[0]["padding-left"] == "2em" and styles(out, "ol")
    assert len(styles(out, "li")) == 4

    table = styles(out, "table")[0]
    assert table["border-collapse"] == "collapse" and table["width"] == "100%"
    th = styles(out, "th")
    assert th[0]["text-align"] == "left" and th[1]["text-align"] == "right"  # markdown-it's alignment
    assert all(cell["border"] == "1px solid #dddddd" for cell in th + styles(out, "td"))
    assert styles(out, "pre")[0]["background-color"] == "#f6f8fa"
    assert styles(out, "code")[0]["font-size"] == "14px"
    assert styles(out, "code")[1] == {}  # code inside pre takes the block's style
    assert styles(out, "hr")[0]["border-top"] == "1px solid #e5e5e5"
    assert "<s>删除线</s>" in out and "<strong>粗体</strong>" in out and "<em>斜体</em>" in out
    assert 'alt="配图"' in out and 'title="图题"' in out


def test_markdown_article_uses_at_most_three_font_sizes():
    # policy C10: a channel's max_font_sizes defaults to 3 (body, title, caption)
    out = render_article(MARKDOWN_ARTICLE, "markdown", THEME)
    sizes = set(re.findall(r"font-size:(\d+px)", out))
    assert sizes == {"16px", "22px", "14px"}


def test_theme_values_reach_the_output():
    theme = Theme(
        body_size_px=15,
        body_color="#222222",
        line_height=1.6,
        paragraph_spacing_px=20,
        title_size_px=20,
        heading_color="#000000",
        accent_color="#ff6600",
        quote_color="#999999",
        caption_size_px=12,
    )
    out = render_article(MARKDOWN_ARTICLE, "markdown", theme)
    assert styles(out, "p")[0] == {
        "font-size": "15px",
        "color": "#222222",
        "line-height": "1.6",
        "margin-top": "0",
        "margin-bottom": "20px",
    }
    assert styles(out, "h1")[0]["font-size"] == "20px" and styles(out, "h1")[0]["color"] == "#000000"
    assert styles(out, "a")[0]["color"] == "#ff6600"
    assert styles(out, "blockquote")[0]["color"] == "#999999"
    assert styles(out, "code")[0]["font-size"] == "12px"


def test_markdown_raw_html_is_shown_as_text():
    out = render_article(
        '正文 <span style="color:red">红</span>\n\n<div class="x">块</div>', "markdown", THEME
    )
    assert "&lt;span style=" in out and "&lt;div class=" in out
    assert "<span" not in out and "<div" not in out


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="正文格式"):
        render_article("x", "docx", THEME)


# --- pasted HTML keeps its layout -------------------------------------------------------------------

PASTED_135 = (
    '<section style="margin: 10px 0; padding: 12px; background-color: #07c160; color: #ffffff; '
    'font-size: 15px; border-radius: 8px">'
    "<p>白字段落</p>"
    '<section style="display: flex; justify-content: space-between">'
    '<section style="width: 48%"><img src="https://mmbiz.qpic.cn/a.png" style="width: 100%"></section>'
    '<section style="width: 48%"><p style="font-size: 12px; margin: 0">小字说明</p></section>'
    "</section></section>"
    '<svg viewBox="0 0 300 100" style="display: block; width: 100%">'
    '<rect width="300" height="100" fill="#f2f2f2"/>'
    '<animate attributeName="opacity" values="0;1" dur="1s" fill="freeze"/>'
    "</svg>"
    "<p>普通段落</p>"
    "<style>.x{color:red}</style>"
    '<p class="rich_pages x" id="p9">带类名的段落</p>'
)


def test_pasted_135editor_layout_survives_with_its_styles():
    out = render_article(PASTED_135, "html", THEME)
    sections = styles(out, "section")
    assert sections[1] == {
        "margin": "10px 0",
        "padding": "12px",
        "background-color": "#07c160",
        "color": "#ffffff",
        "font-size": "15px",
        "border-radius": "8px",
    }
    assert sections[2] == {"display": "flex", "justify-content": "space-between"}
    assert sections[3] == {"width": "48%"} and sections[4] == {"width": "48%"}

    paragraphs = styles(out, "p")
    # inside the layout: no colour, size or spacing of the theme over what the layout sets
    assert paragraphs[0] == {"line-height": "1.75"}
    # its own declarations stay; only what is missing and not inherited is filled in
    assert paragraphs[1] == {"font-size": "12px", "margin": "0", "line-height": "1.75"}
    # outside the layout: the theme
    assert paragraphs[2]["color"] == "#333333" and paragraphs[2]["margin-bottom"] == "16px"

    assert styles(out, "img")[0] == {"width": "100%", "max-width": "100%"}
    assert '<svg viewBox="0 0 300 100" style="display:block;width:100%">' in out
    assert '<rect width="300" height="100" fill="#f2f2f2"></rect>' in out
    assert '<animate attributeName="opacity" values="0;1" dur="1s" fill="freeze"></animate>' in out


def test_style_blocks_and_classes_disappear():
    out = render_article(PASTED_135, "html", THEME)
    assert "<style" not in out and ".x{" not in out and "color:red" not in out
    assert "class=" not in out and "id=" not in out
    assert "带类名的段落" in out


def test_word_paste_keeps_its_own_spacing():
    word = (
        '<p class="MsoNormal" style="margin:0cm;margin-bottom:.0001pt;text-indent:21.0pt;'
        'font-size:10.5pt;font-family:宋体">段落<o:p></o:p></p><!--[if gte mso 9]><xml><w:Word/></xml><![endif]-->'
    )
    out = render_article(word, "html", THEME)
    p = styles(out, "p")[0]
    assert p["margin"] == "0cm" and p["font-size"] == "10.5pt" and p["font-family"] == "宋体"
    assert "margin-top" not in p and p["margin-bottom"] == ".0001pt"
    assert "w:Word" not in out and "xml" not in out and "class" not in out


def test_unbalanced_pasted_html_cannot_break_out_of_the_article():
    out = render_article("<p>a</section></section><p>b</div>", "html", THEME)
    assert out.startswith("<section style=") and out.endswith("</section>")
    assert out.count("<section") == out.count("</section>") == 1


# --- attribution (policy C9) ------------------------------------------------------------------------


def test_reprint_gets_the_source_line_with_escaped_values():
    attribution = {
        "kind": "reprint",
        "name": '<b>人民日报</b>"',
        "url": "https://example.com/a",
        "author": "张三 & 李四",
    }
    out = render_article("正文", "markdown", THEME, attribution=attribution)
    text = plain_text(out)
    assert text.endswith('本文转载自：<b>人民日报</b>"（作者：张三 & 李四），原文链接见“阅读原文”。')
    assert "&lt;b&gt;人民日报&lt;/b&gt;" in out and "张三 &amp; 李四" in out and "<b>" not in out
    line = styles(out, "p")[-1]
    assert line["font-size"] == "14px" and line["color"] == "#888888"


def test_reprint_without_author_or_url_leaves_those_parts_out():
    out = render_article("正文", "markdown", THEME, attribution={"kind": "reprint", "name": "新华社"})
    assert plain_text(out).splitlines()[-1] == "本文转载自：新华社。"
    out = render_article(
        "正文", "markdown", THEME, attribution={"kind": "reprint", "name": "新华社", "author": ""}
    )
    assert "作者" not in out


def test_reprint_without_a_name_says_so():
    out = render_article("正文", "markdown", THEME, attribution={"kind": "reprint"})
    assert "本文转载自：来源未注明" in plain_text(out)


@pytest.mark.parametrize("attribution", [None, {}, {"kind": "original", "name": "本公司", "author": "王五"}])
def test_no_source_line_for_original_posts(attribution):
    out = render_article("正文", "markdown", THEME, attribution=attribution)
    assert "转载" not in out and plain_text(out) == "正文"


def test_unknown_attribution_kind_is_refused():
    with pytest.raises(ValueError, match="来源类型"):
        render_article("正文", "markdown", THEME, attribution={"kind": "copied"})


# --- determinism ------------------------------------------------------------------------------------


def test_rendering_is_deterministic():
    first = render_article(PASTED_135 + MARKDOWN_ARTICLE, "html", THEME)
    again = render_article(PASTED_135 + MARKDOWN_ARTICLE, "html", Theme())
    assert first == again
    md = render_article(MARKDOWN_ARTICLE, "markdown", THEME, attribution={"kind": "reprint", "name": "甲"})
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                render_article(
                    MARKDOWN_ARTICLE, "markdown", THEME, attribution={"kind": "reprint", "name": "甲"}
                )
            )
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [md] * 4


def test_rendering_twice_changes_nothing():
    once = render_article(PASTED_135, "html", THEME)
    inner = once[once.index(">") + 1 : -len("</section>")]
    assert render_article(inner, "html", THEME) == once


# --- the XSS corpus through the whole pipeline ------------------------------------------------------


@pytest.mark.parametrize("vector", [v for _, v in HTML_VECTORS], ids=[i for i, _ in HTML_VECTORS])
def test_xss_vector_is_inert_as_pasted_html(vector):
    assert_inert(render_article(vector, "html", THEME))


ALL_AS_MARKDOWN = MARKDOWN_VECTORS + HTML_VECTORS


@pytest.mark.parametrize("vector", [v for _, v in ALL_AS_MARKDOWN], ids=[i for i, _ in ALL_AS_MARKDOWN])
def test_xss_vector_is_inert_as_markdown(vector):
    assert_inert(render_article(vector, "markdown", THEME))


@pytest.mark.parametrize("vector", [v for _, v in HTML_VECTORS[:20]], ids=[i for i, _ in HTML_VECTORS[:20]])
def test_xss_vector_in_attribution_and_preview_is_inert(vector):
    out = render_article(
        "正文", "markdown", THEME, attribution={"kind": "reprint", "name": vector, "author": vector}
    )
    assert_inert(out)
    assert_inert(wrap_for_preview(vector, vector, vector, THEME))


def test_markdown_links_to_scripts_are_not_links():
    out = render_article("[点我](javascript:alert(1)) [好](https://example.com)", "markdown", THEME)
    assert [attrs.get("href") for tag, attrs in elements(out) if tag == "a"] == ["https://example.com"]


# --- plain text and preview -------------------------------------------------------------------------


def test_plain_text_puts_blocks_on_lines():
    html_text = (
        "<section><h2>标题</h2><p>第一段<strong>加粗</strong>&nbsp;文字</p><p>第二<br>行</p>"
        "<ul><li>甲</li><li>乙</li></ul><script>alert(1)</script><style>p{}</style>"
        "<table><tr><td>a</td><td>b</td></tr></table></section>"
    )
    assert plain_text(html_text) == "标题\n第一段加粗 文字\n第二\n行\n甲\n乙\na b"
    assert plain_text("") == ""


def test_plain_text_of_a_rendered_article():
    out = render_article(MARKDOWN_ARTICLE, "markdown", THEME)
    lines = plain_text(out).splitlines()
    assert lines[0] == "一级标题"
    assert lines[1] == "第一段，有粗体、斜体、删除线、代码和链接。"
    assert lines[-1] == "最后一段。"


def test_preview_shows_title_author_and_content():
    body = render_article("正文段落", "markdown", THEME)
    out = wrap_for_preview(body, "标题 <i>&", "作者<甲>", THEME)
    assert "<html" not in out and "<body" not in out
    assert "标题 &lt;i&gt;&amp;" in out and "作者&lt;甲&gt;" in out
    assert plain_text(out).splitlines() == ["标题 <i>&", "作者<甲>", "正文段落"]
    assert styles(out, "div")[0]["max-width"] == "375px"
    assert styles(out, "h1")[0]["font-size"] == "22px"
    assert body in out


def test_preview_sanitises_the_body_again():
    out = wrap_for_preview('<p onclick="x()">a</p><script>alert(1)</script>', "t", "", THEME)
    assert "onclick" not in out and "script" not in out and "<p>a</p>" in out


# --- themes (policy C10) ----------------------------------------------------------------------------


def test_theme_round_trips_through_a_dict():
    theme = Theme(body_size_px=15, allowed_colors=("#333333", "#07c160"))
    data = theme_to_dict(theme)
    assert data["allowed_colors"] == ["#333333", "#07c160"]
    assert theme_from_dict(data) == theme
    assert theme_from_dict({}) == DEFAULT_THEME


def test_theme_from_dict_ignores_unknown_keys_and_reads_form_strings():
    theme = theme_from_dict(
        {
            "body_size_px": "15",
            "line_height": "1.6",
            "accent_color": "#FF6600",
            "colour": "x",
            "allowed_colors": "#333, #FFF",
        }
    )
    assert theme.body_size_px == 15 and theme.line_height == 1.6 and theme.accent_color == "#ff6600"
    assert theme.allowed_colors == ("#333", "#fff")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body_size_px": "大"}, "正文字号"),
        ({"body_size_px": True}, "正文字号"),
        ({"body_size_px": 15.5}, "正文字号"),
        ({"body_size_px": 99}, "正文字号"),
        ({"line_height": "abc"}, "行高"),
        ({"line_height": 9}, "行高"),
        ({"body_color": "red"}, "正文颜色"),
        ({"accent_color": "#12345g"}, "强调色"),
        ({"body_font": "x; position: fixed"}, "正文字体"),
        ({"body_font": '"><script>'}, "正文字体"),
        ({"body_font": ""}, "正文字体"),
        ({"allowed_colors": ["#fff", "url(x)"]}, "允许的颜色"),
        ({"caption_size_px": 18, "body_size_px": 14}, "图注字号"),
        ({"title_size_px": 14, "body_size_px": 16}, "标题字号"),
    ],
)
def test_theme_from_dict_refuses_bad_values_in_chinese(data, message):
    with pytest.raises(ValueError, match=message):
        theme_from_dict(data)
