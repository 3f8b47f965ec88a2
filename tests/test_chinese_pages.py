"""Issue 19 part 7: every page a demo user can open speaks Chinese. The test walks the URL map
(so pages added later join by themselves): a GET of every endpoint that takes no argument, and of
the main object pages of the demo data (a post in review, each channel, a user, the review chain),
as each demo role; it strips scripts, styles, comments, tags and attribute values and fails on
English words in what is left, outside the short allowlist below.

The allowlist, and why each is unavoidable:
- WeChat's own names for the credentials and the platform, which its console shows in English:
  AppID, AppSecret, Token, EncodingAESKey, WeChat; URL and IP (how Chinese software says them);
  API (接口 is used, but "API 令牌" is the common term), HTML, Markdown, CSS (format names), PNG
  JPEG WebP EXIF GPS (image formats and their metadata), ZIP, SHA (hash names), Atom (the feed format),
  px (the CSS unit of a font size), CMS (the product's name); CSV, XLSX, PDF (the file formats of
  the exports and the evidence files, named as Excel and every file dialog names them), MB (the unit
  of a size limit); apiclient_cert.pem, apiclient_key.pem (the certificate files as the WeChat Pay
  merchant platform names them for download: the finance user must recognise them);
- YYYY MM DD HH: the format of a date or time typed by hand in a text field, as it asks;
- addresses and paths (https://..., /assets/12): an address is not a word;
- the demo users' usernames: a username is what one types to sign in, so it is shown (small);
- the sandbox's own names (sandbox pages are not walked);
- machine values shown in <code>/<kbd>/<samp> (hashes, ids, remote ids, codes to copy): not words.
"""
from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from cms.demo import PEOPLE

ALLOWED = {"AppID", "AppSecret", "Token", "EncodingAESKey", "WeChat", "URL", "IP", "API", "HTML", "Markdown",
           "CSS", "YYYY", "MM", "DD", "HH", "PNG", "JPEG", "JPG", "GIF", "WebP", "EXIF", "GPS", "ZIP", "zip", "SHA", "Atom", "CMS", "px", "ID",
           "CSV", "XLSX", "PDF", "MB", "apiclient_cert", "apiclient_key", "pem"}
USERNAMES = {u[0] for u in PEOPLE}
ROLES = [u[0] for u in PEOPLE]

_DROP = re.compile(r"<(script|style|code|kbd|samp|textarea|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_WORD = re.compile(r"[A-Za-z][A-Za-z_']+")
_ADDRESS = re.compile(r"https?://\S+|(?<![A-Za-z])/[\w./{}<>-]+")  # addresses and paths: not words


def visible_text(page: str) -> str:
    page = _DROP.sub(" ", page)
    page = _TAG.sub(" ", page)
    return _ADDRESS.sub(" ", html_lib.unescape(page))


def english_words(page: str) -> set[str]:
    words = set(_WORD.findall(visible_text(page)))
    return {w for w in words if w not in ALLOWED and w not in USERNAMES and w.lower() not in USERNAMES}


def _object_args(app) -> dict[str, int]:
    """One id per URL argument, from the demo data and one post made for the walk."""
    from cms.auth.models import User
    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.content import service as content
    from cms.extensions import db
    from cms.workflow import service as workflow
    from cms.workflow.models import WorkflowTemplate

    channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    post = content.create_post(get_by_username("contributor"), {
        "title": "市场部举办客户开放日", "author": "张晓雯", "digest": "开放日活动回顾",
        "body": {"format": "markdown", "text": "# 开放日\n\n本周五，市场部邀请客户参观新产品展厅。"},
        "category": "news", "source": {"kind": "original"}, "channels": [channel.id]})
    workflow.submit(get_by_username("contributor"), post,
                    {f.id: "测试" for f in content.findings(post) if f.severity == "warning"})
    return {"post_id": post.id, "channel_id": channel.id, "number": 1,
            "user_id": db.session.scalar(select(User.id).where(User.username == "contributor")),
            "template_id": db.session.scalar(select(WorkflowTemplate.id).order_by(WorkflowTemplate.id))}


def _paths(app, args: dict[str, int]) -> list[str]:
    paths = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "bootstrap.static"):
                continue
            if rule.rule.startswith(("/api/", "/sandbox", "/p/", "/feeds/", "/wechat/")) or \
                    rule.endpoint.startswith("sandbox."):
                continue
            if rule.rule.endswith((".json", ".xml", ".csv", ".png", ".jpg")):
                continue
            if any(a not in args for a in rule.arguments):
                continue
            paths.append(url_for(rule.endpoint, **{a: args[a] for a in rule.arguments}))
    return sorted(set(paths))


@pytest.fixture
def walk(app):
    args = _object_args(app)
    return _paths(app, args)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_in_chinese(app, client_as, walk, role):
    client = client_as(role)
    found: dict[str, set[str]] = {}
    for path in walk:
        r = client.get(path)
        if r.status_code != 200 or r.mimetype != "text/html":
            continue
        words = english_words(r.get_data(as_text=True))
        if words:
            found[path] = words
    assert found == {}, "English words on the pages (translate them, or explain them in ALLOWED):\n" + \
        "\n".join(f"{p}: {sorted(w)}" for p, w in found.items())


def test_the_walk_reads_only_visible_text():
    page = ('<html lang="zh-CN"><head><title>x</title><style>.a{color:red}</style></head><body>'
            '<a href="/posts" title="English title">稿件</a><script>var english = 1;</script>'
            '<!-- a comment --><code>post.approved</code><p>待发布 Publish today</p></body></html>')
    assert english_words(page) == {"Publish", "today"}
