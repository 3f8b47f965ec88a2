"""Issue 19, parts 1-3: the account administrator's one queue of every approved post not yet out
(a post approved today for a later planned day is on it from today), the C8 day stated in words on
each page with the form accepting exactly what it says, the approval notice to the publishers with
the day, and the author told when the post is out on each channel, with links. Policy C8."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from cms import workdays
from cms.auth.service import get_by_username
from cms.channels.models import Publication
from cms.content import service as content
from cms.content.checks.base import WARNING
from cms.extensions import db
from cms.notify.models import Notification
from cms.publishing.tasks import publish_due
from cms.workflow import service as workflow
from tests.publishing.conftest import approve_chain


def _approved_for_later(approved_post, days=10, title="十二月十六日的发布会预告"):
    post = approved_post(approve=False, title=title)
    post.planned_date = workdays.today() + timedelta(days=days)
    db.session.commit()
    author = get_by_username("contributor")
    workflow.submit(author, post, {f.id: "测试：已知晓" for f in content.findings(post) if f.severity == WARNING})
    approve_chain(post)
    assert post.status == "approved"
    return post


def _row(page, post_id):
    m = re.search(rf'<tr[^>]*id="queue-{post_id}".*?</tr>', page, re.S)
    return m.group(0) if m else None


def test_a_post_due_on_a_later_day_is_on_the_queue_and_the_home_page_from_today(midday, outbox, approved_post,
                                                                                client_as):
    later = _approved_for_later(approved_post)
    due = later.planned_date.isoformat()
    admin = client_as("account_admin")
    page = admin.get("/publish/today").get_data(as_text=True)
    assert "没有待发布的已通过稿件" not in page
    row = _row(page, later.id)
    assert row is not None and "table-danger" not in row
    assert due in row and "计划发布日" in row and "还有 10 天" in row
    assert "星海集团" in row and "尚未安排" in row  # the channel still to do
    home = admin.get("/").get_data(as_text=True)
    assert "十二月十六日的发布会预告" in home and f"应于 {due} 发布" in home and "待发渠道：星海集团" in home
    assert ">待发布<" in page or "待发布" in page  # the page's and the menu's name


def test_the_overdue_come_first_and_stand_out(midday, outbox, approved_post, client_as, clock):
    later = _approved_for_later(approved_post, days=3, title="三天后的稿件")
    old = approved_post(title="昨天就该发的稿件")
    clock.advance(timedelta(days=1))
    page = client_as("account_admin").get("/publish/today").get_data(as_text=True)
    assert page.index(f'id="queue-{old.id}"') < page.index(f'id="queue-{later.id}"')
    assert "table-danger" in _row(page, old.id) and "已逾期" in _row(page, old.id)
    assert "table-danger" not in _row(page, later.id)


def test_the_form_says_what_it_accepts_and_accepts_exactly_that(midday, outbox, approved_post, client_as):  # C8
    later = _approved_for_later(approved_post, days=10)
    due = later.planned_date
    admin = client_as("account_admin")
    page = admin.get(f"/channels/posts/{later.id}/publications").get_data(as_text=True)
    assert f"从现在到 {due.isoformat()} 当天结束前" in page and "平台主管领导" in page
    assert "须当天发布" not in page  # the old text that contradicted the rule
    assert 'name="day"' in page and 'name="override_reason"' not in page  # the reason is the supervisor's
    # one day after the C8 day: refused, naming C8, the input kept
    after = (due + timedelta(days=1)).isoformat()
    r = admin.post(f"/channels/posts/{later.id}/schedule", data={"schedule_at": "1", "time": "10:00", "day": after})
    assert r.status_code == 422 and "C8" in r.get_data(as_text=True) and f'value="{after}"' in r.get_data(as_text=True)
    # the C8 day itself: accepted, as the form said
    r = admin.post(f"/channels/posts/{later.id}/schedule",
                   data={"schedule_at": "1", "time": "10:00", "day": due.isoformat()})
    assert r.status_code == 302
    (pub,) = db.session.scalars(select(Publication).where(Publication.post_id == later.id))
    assert workdays.local(pub.due_at).date() == due
    # scheduled for its day, it stays on the queue with its channel's time until it is out
    row = _row(admin.get("/publish/today").get_data(as_text=True), later.id)
    assert row is not None and "已排期" in row


def test_the_post_page_states_the_day_and_why(midday, outbox, approved_post, client_as):
    today_post = approved_post(title="今天通过的稿件")
    page = client_as("contributor").get(f"/posts/{today_post.id}").get_data(as_text=True)
    assert f"须于 {workdays.today().isoformat()} 发布：这是终审通过的当天" in page and "账号管理员" in page


def test_the_approval_notice_goes_to_who_publishes_with_the_day(midday, outbox, approved_post):
    later = _approved_for_later(approved_post, days=10)
    due = later.planned_date.isoformat()
    notes = db.session.scalars(select(Notification).where(Notification.post_id == later.id,
                                                         Notification.kind.in_(("approved", "to_publish")))).all()
    by = {n.user.username: n for n in notes}
    assert by["account_admin"].kind == "to_publish" and f"请于 {due} 前发布" in by["account_admin"].text
    assert "计划发布日" in by["account_admin"].text
    assert by["contributor"].kind == "approved" and "请于" not in by["contributor"].text
    assert "账号管理员" in by["contributor"].text


def test_the_author_is_told_on_each_channel_with_links(midday, outbox, approved_post, client_as):
    post = approved_post(channels=("星海集团", "星海官网"))
    admin = client_as("account_admin")
    assert admin.post(f"/channels/posts/{post.id}/schedule", data={"publish_now": "1"}).status_code == 302
    publish_due.call_local(post.id)
    db.session.expire_all()
    notes = db.session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                         Notification.kind == "published")).all()
    assert sorted(n.user.username for n in notes) == ["contributor", "contributor"]
    assert {"星海集团", "星海官网"} == {c for n in notes for c in ("星海集团", "星海官网") if c in n.text}
    page = client_as("contributor").get("/notifications/").get_data(as_text=True)
    urls = [p.url for p in db.session.scalars(select(Publication).where(Publication.post_id == post.id))]
    for url in urls:
        assert f'href="{url}"' in page
    assert f'href="/posts/{post.id}"' in page


def _cell(page, day):
    m = re.search(rf'<td class="calendar-day[^"]*" data-day="{day.isoformat()}">(.*?)</td>', page, re.S)
    return m.group(1) if m else ""


def test_the_calendar_shows_what_happened_and_what_is_planned(midday, outbox, approved_post, client_as):
    early = _approved_for_later(approved_post, days=10, title="提前发出的稿件")
    planned = _approved_for_later(approved_post, days=10, title="按计划发布的稿件")
    due = planned.planned_date
    admin = client_as("account_admin")
    assert admin.post(f"/channels/posts/{early.id}/schedule", data={"publish_now": "1"}).status_code == 302
    publish_due.call_local(early.id)
    today = workdays.today()
    c = client_as("contributor")
    pages = {m: c.get(f"/calendar?month={m}").get_data(as_text=True) for m in {today.strftime("%Y-%m"),
                                                                              due.strftime("%Y-%m")}}
    now_cell = _cell(pages[today.strftime("%Y-%m")], today)
    due_cell = _cell(pages[due.strftime("%Y-%m")], due)
    # the past: went out today, a solid badge; not shown again as planned on its planned day
    assert "提前发出的稿件" in now_cell and 'calendar-entry-done" data-kind="published"' in now_cell
    assert "提前发出的稿件" not in due_cell
    # the future: the approved post on its due day, outlined
    assert "按计划发布的稿件" in due_cell and 'calendar-entry-planned" data-kind="approved"' in due_cell
    assert "按计划发布的稿件" not in now_cell
    page = pages[today.strftime("%Y-%m")]
    assert 'id="calendar-legend"' in page and "实心" in page and "空心" in page
