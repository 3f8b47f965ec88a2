"""The platform's figures (datacube) through real HTTP: articles published on the sandbox account
get reads and shares the day they go out and after; the fetch upserts per channel, day and msgid
(twice: the same rows); the sandbox's 61500/61501 and a refusal shown in Chinese; the figures
page with its chart data, "fetch now" and the CSV exports."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.channels.clients import mp_client
from cms.errors import Refused
from cms.extensions import db
from cms.followers import operations
from cms.followers.models import ArticleFigure, UserFigure
from cms.platforms.calls import CallError, translated
from tests.followers.conftest import channel, login


@pytest.fixture
def published(live, state, jpeg_bytes):
    """Two articles published (one message) on the group's sandbox account today: their msgids."""
    ch = channel()
    client = mp_client(ch)
    thumb = client.material.add("thumb", ("cover.jpg", jpeg_bytes, "image/jpeg"))["media_id"]
    media_id = client.draft.add([
        {"title": "年度工作会议召开", "author": "宣传部", "digest": "", "content": "<p>正文</p>", "thumb_media_id": thumb},
        {"title": "新春慰问活动", "author": "宣传部", "digest": "", "content": "<p>正文</p>", "thumb_media_id": thumb},
    ])["media_id"]
    msg_data_id = client.freepublish.submit(media_id)["msg_data_id"]
    state.tick()  # the job ends now (publish_delay 0), before a test moves the clock
    assert [a.msg_data_id for a in state.published(ch.app_id)] == [msg_data_id]
    return ch, [f"{msg_data_id}_1", f"{msg_data_id}_2"]


@pytest.fixture
def jpeg_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def _counts():
    db.session.expire_all()
    return (db.session.scalar(select(func.count(ArticleFigure.id))),
            db.session.scalar(select(func.count(UserFigure.id))))


def test_the_fetch_is_idempotent_and_audited(live, state, published, clock):
    ch, msgids = published
    published_on = workdays.today()
    clock.advance(days=3)
    begin, end = published_on, workdays.today() - timedelta(days=1)
    first = operations.fetch_figures(ch, begin, end)
    assert first["article_rows"] == 6 and first["user_days"] == 3  # 2 articles × 3 days; 3 days of followers
    rows = {(f.ref_date, f.msgid): (f.title, f.read_count, f.share_count) for f in
            db.session.scalars(select(ArticleFigure))}
    assert {m for _d, m in rows} == set(msgids)
    assert rows[(published_on, msgids[0])][0] == "年度工作会议召开"
    assert all(reads > 0 for _t, reads, _s in rows.values())
    assert _counts() == (6, 3)
    operations.fetch_figures(ch, begin, end)  # again: the same rows, the same figures
    assert _counts() == (6, 3)
    again = {(f.ref_date, f.msgid): (f.title, f.read_count, f.share_count) for f in
             db.session.scalars(select(ArticleFigure))}
    assert again == rows
    users = list(db.session.scalars(select(UserFigure).order_by(UserFigure.ref_date)))
    assert [u.ref_date for u in users] == [begin + timedelta(days=n) for n in range(3)]
    assert all(u.new_user > 0 and u.cumulate_user and u.cumulate_user > 1000 for u in users)
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "follower.figures_fetched")))
    assert len(entries) == 2 and entries[0].after["article_rows"] == 6


def test_the_sandbox_answers_61500_and_61501_and_the_cms_says_so_in_chinese(live, state, published, clock):
    ch, _msgids = published
    client = mp_client(ch)
    with pytest.raises(CallError) as e, translated():
        client.datacube.get_article_summary(date(2026, 1, 1), date(2026, 1, 2))  # articles: one day a call
    assert e.value.errcode == 61501
    with pytest.raises(CallError) as e, translated():
        client.datacube.get_user_summary(date(2026, 1, 1), date(2026, 1, 8))  # followers: at most 7 days
    assert e.value.errcode == 61501
    with pytest.raises(CallError) as e, translated():
        client.datacube.get_user_summary("2026/01/01", "2026/01/02")
    assert e.value.errcode == 61500
    state.inject_fault("datacube/getarticlesummary", errcode=61501)
    with pytest.raises(Refused) as refused:
        operations.fetch_figures(ch, date(2026, 1, 1), date(2026, 1, 1))
    assert "日期范围过长" in refused.value.message and refused.value.code == "61501"
    assert _counts() == (0, 0)
    # the same through "fetch now" on the page
    state.inject_fault("datacube/getarticlesummary", errcode=61501)
    moderator = login(live.test_client(), "moderator")
    r = moderator.post(f"/followers/figures/{ch.id}/fetch", data={"begin": "2026-01-01", "end": "2026-01-01"},
                       follow_redirects=True)
    assert "日期范围过长" in r.get_data(as_text=True)


def test_the_figures_page_charts_and_exports(live, state, published, clock):
    ch, msgids = published
    published_on = workdays.today()
    clock.advance(days=2)
    moderator = login(live.test_client(), "moderator")
    yesterday = workdays.today() - timedelta(days=1)
    r = moderator.post(f"/followers/figures/{ch.id}/fetch",
                       data={"begin": published_on.isoformat(), "end": yesterday.isoformat()}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "已获取统计数据：图文 4 条，用户 2 天" in page
    assert "年度工作会议召开" in page and "新春慰问活动" in page and 'id="chart-reads"' in page
    assert "vendor/chartjs/chart.umd.js" in page and "<script>" not in page  # no inline script (CSP)
    assert published_on.isoformat() in page  # the chart's labels, in data-chart
    query = f"begin={published_on.isoformat()}&end={yesterday.isoformat()}"
    r = moderator.get(f"/followers/figures/{ch.id}/articles.csv?{query}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["日期", "msgid", "标题", "阅读人数"]
    assert sorted((row[0], row[1]) for row in rows[1:]) == sorted(
        (d.isoformat(), m) for d in (published_on, yesterday) for m in msgids)
    stored = {(f.ref_date.isoformat(), f.msgid): f.read_count for f in db.session.scalars(select(ArticleFigure))}
    assert all(int(row[4]) == stored[(row[0], row[1])] for row in rows[1:])
    r = moderator.get(f"/followers/figures/{ch.id}/users.csv?{query}")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["日期", "新增关注", "取消关注", "净增关注", "累计关注"] and len(rows) == 3
    assert all(int(row[3]) == int(row[1]) - int(row[2]) for row in rows[1:])
    static = moderator.get("/static/vendor/chartjs/chart.umd.js")
    assert static.status_code == 200 and b"Chart.js v4" in static.data[:200]
    static.close()


def test_the_daily_task_fetches_every_wechat_channel(live, state, published, clock):
    from cms.followers.tasks import fetch_figures

    ch, msgids = published
    clock.advance(days=1)
    results = fetch_figures.call_local()
    tech = channel("星海科技")
    assert set(results) == {ch.id, tech.id}  # the demo's two WeChat channels
    assert results[ch.id]["article_rows"] == 2 and results[ch.id]["user_days"] == 3  # CMS_FOLLOWER_FIGURES_DAYS
    assert results[tech.id]["article_rows"] == 0 and results[tech.id]["user_days"] == 3
    assert fetch_figures.call_local()[ch.id]["article_rows"] == 2 and _counts() == (2, 6)


def test_fetch_now_refuses_a_long_range_and_an_unreadable_form(live, state):
    ch = channel()
    moderator = login(live.test_client(), "moderator")
    r = moderator.post(f"/followers/figures/{ch.id}/fetch", data={"begin": "2026-01-01", "end": "2026-03-01"},
                       follow_redirects=True)
    assert "每次最多获取 31 天" in r.get_data(as_text=True)
    r = moderator.post(f"/followers/figures/{ch.id}/fetch", data={"begin": "not a day"}, follow_redirects=True)
    assert "表单无法读取" in r.get_data(as_text=True)
    assert _counts() == (0, 0) and not [c for c in state.calls if "datacube" in c[1]]
