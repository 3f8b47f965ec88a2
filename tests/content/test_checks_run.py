"""run_checks as the lead's service calls it: every family together, errors first, stable ids."""

from __future__ import annotations

from datetime import date

from cms.content.checks import (
    Article,
    CheckContext,
    Finding,
    ImageInfo,
    WordList,
    article_simhash,
    load_seed_terms,
    run_checks,
)

CLEAN_HTML = (
    "<section style=\"font-family:-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif;"
    'font-size:16px;color:#333333;line-height:1.75">'
    '<p style="font-size:16px;color:#333333">6月14日，公司工会组织员工开展“端午安康”包粽子活动，'
    "共120余名员工参加。活动现场，大家分组协作，边学边包，欢声笑语不断。</p>"
    '<p><img src="https://mmbiz.qpic.cn/mmbiz_jpg/a/640" style="max-width:100%"></p>'
    '<p style="font-size:16px;color:#333333">工会负责人表示，今后将继续举办形式多样的文体活动，'
    "丰富员工的业余生活。</p></section>"
)


def make(**fields) -> Article:
    values = {
        "title": "工会开展端午包粽子活动",
        "author": "工会",
        "digest": "120余名员工参加了包粽子活动。",
        "body_format": "html",
        "body_source": CLEAN_HTML,
        "html": CLEAN_HTML,
        "category": "internal_activity",
        "source_kind": "original",
        "images": (ImageInfo(1, "own", width=1080, height=720, caption="员工在包粽子"),),
        "planned_date": date(2025, 6, 20),
        "urgency": "regular",
    }
    values.update(fields)
    return Article(**values)


def full_context(**fields) -> CheckContext:
    other = (
        "<p>" + "公司召开安全生产专题会议，部署汛期安全生产工作，要求各部门加强隐患排查治理。" * 3 + "</p>"
    )
    values = {
        "words": WordList(load_seed_terms()),
        "archive": [(7, article_simhash(other))],
        "today": date(2025, 6, 10),
    }
    values.update(fields)
    return CheckContext(**values)


def test_compliant_article_has_no_findings():
    assert run_checks(make(), full_context()) == []


def test_errors_come_first_and_every_family_reports():
    article = make(
        title="工会开展端午包粽子活动,欢迎参加",  # C10 punctuation (warning)
        source_kind="",  # C9 (error)
        digest="报名电话：13812345678",  # C15 (error)
        images=(ImageInfo(1, "reprint"),),  # C14 (error)
        planned_date=date(2025, 6, 12),  # C12 (warning)
    )
    findings = run_checks(article, full_context())
    assert [(f.check, f.severity) for f in findings] == [
        ("copyright.source_missing", "error"),
        ("copyright.image_credit", "error"),
        ("compliance.mobile", "error"),
        ("leadtime.regular", "warning"),
        ("format.punctuation", "warning"),
    ]
    assert {f.policy for f in findings} == {"C9", "C14", "C15", "C12", "C10"}


def test_default_context_runs():
    # No word list, no archive, no today: only what needs nothing else is checked.
    assert run_checks(make(), CheckContext()) == []


def test_finding_id_is_stable_and_depends_on_check_place_and_text():
    a = Finding("format.spacing", "warning", "C10", "paragraph 3", "消息一", subject="使用WeChat")
    same = Finding("format.spacing", "warning", "C10", "paragraph 3", "措辞不同的消息", subject="使用WeChat")
    assert a.id == same.id  # the message wording is not part of the key
    assert len(a.id) == 12
    assert int(a.id, 16) >= 0
    assert a.id == "a7de05526667"  # the same in every process (stored as the key of a reason)
    assert Finding("format.spacing", "warning", "C10", "paragraph 4", "", subject="使用WeChat").id != a.id
    assert Finding("format.spacing", "warning", "C10", "paragraph 3", "", subject="用Excel").id != a.id
    assert Finding("format.punctuation", "warning", "C10", "paragraph 3", "", subject="使用WeChat").id != a.id


def test_ids_of_one_article_are_unique():
    body = "<p>我們開會,使用WeChat发布</p><p><br></p><p>联系13812345678或13912345678</p>"
    findings = run_checks(make(html=body, body_source=body), full_context())
    assert len(findings) == 6
    assert len({f.id for f in findings}) == len(findings)


def test_a_post_rendered_with_the_channel_theme_passes_the_format_checks():
    # The renderer (cms/content/render.py) writes only the theme's fonts, sizes and colours (C10), and
    # adds the source line of a reprint (C9), which the typography checks leave alone.
    from cms.articles.render import render_article
    from cms.articles.themes import Theme

    source = (
        "## 一、活动概况\n\n6月14日，公司工会组织员工开展包粽子活动，共120余名员工参加。\n\n"
        "> 安全生产，人人有责。\n\n- 第一项：分组\n- 第二项：评比\n\n| 部门 | 人数 |\n|---|---|\n| 生产部 | 30人 |\n\n"
        "使用 `git` 管理文档，详见[通知](https://www.example.com/notice)。\n\n![现场](https://mmbiz.qpic.cn/a/640)\n"
    )
    html = render_article(
        source,
        "markdown",
        Theme(),
        attribution={"kind": "reprint", "name": "新华网Xinhua", "url": "https://www.news.cn/"},
    )
    article = make(
        body_format="markdown",
        body_source=source,
        html=html,
        source_kind="reprint",
        source_name="新华网Xinhua",
        source_url="https://www.news.cn/",
    )
    assert run_checks(article, full_context()) == []
