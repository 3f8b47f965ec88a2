"""The figures page in Chromium: Chart.js, served from our own static files under the
Content-Security-Policy (no CDN, no inline script), draws both charts, with no console error."""
from datetime import timedelta

from sqlalchemy import select

from cms import workdays
from cms.channels.models import Channel
from cms.extensions import db
from cms.followers.models import ArticleFigure, UserFigure
from tests.browser.conftest import log_in


def test_the_figures_page_draws_its_charts(page, live_app):
    app, base = live_app
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    yesterday = workdays.today() - timedelta(days=1)
    for n in range(3):
        day = yesterday - timedelta(days=n)
        db.session.add(ArticleFigure(channel_id=channel.id, ref_date=day, msgid="100_1", title="年度工作会议",
                                     read_user=50 + n, read_count=60 + n, share_user=5, share_count=6, fav_user=1))
        db.session.add(UserFigure(channel_id=channel.id, ref_date=day, new_user=8, cancel_user=2, cumulate_user=1000))
    db.session.commit()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    failed = []  # the browser's own favicon.ico probe is the one 404 we do not serve
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, "moderator")
    page.goto(f"{base}/followers/figures?channel={channel.id}")
    page.wait_for_selector("#charts[data-drawn='1']")
    for canvas in ("#chart-reads", "#chart-users"):
        drawn = page.evaluate("(sel) => { const c = document.querySelector(sel); "
                              "return c.chart && c.width > 0 ? c.chart.data.labels.length : 0; }", canvas)
        assert drawn == 3
    assert "年度工作会议" in page.inner_text("#articles")
    assert failed == [] and [e for e in errors if "404" not in e] == []
    assert all(url.startswith(base) for url in requests)  # nothing from outside (intranets have no internet)
