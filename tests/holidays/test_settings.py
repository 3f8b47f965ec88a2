"""The working-day calendar settings page: administrators enter the holidays and swapped working
days of a year chinese-calendar does not know (1.11.0 stops at 2026), typed or pasted; every change
is audited (U7); every working-day rule counts them (C12's one working day ahead, the review steps'
due times); administrators are warned 60 days before a year nobody has entered."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.extensions import db
from cms.holidays.models import CalendarDay
from cms.workflow.models import Submission

PAGE = "/admin/holidays/"
BODY = {"title": "春节假期服务安排", "author": "张晓雯", "digest": "假期安排",
        "body": {"format": "markdown", "text": "春节期间客服热线照常服务。"},
        "category": "news", "source": {"kind": "original"}}


@pytest.fixture(autouse=True)
def _chinese_calendar_lacks_2027():
    # These tests are about the year chinese-calendar does not know (tests/test_workdays.py pins it).
    assert workdays.calendar_gaps([2026, 2027]) == [2027]


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).all()


def _days():
    db.session.expire_all()
    return {e.day.isoformat(): (e.kind, e.name) for e in db.session.scalars(select(CalendarDay))}


def _paste(c, text, kind="holiday", **kw):
    return c.post(PAGE + "paste", data={"paste-kind": kind, "paste-text": text}, **kw)


# --- who may ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["contributor", "account_admin", "supervisor", "auditor"])
def test_only_administrators_use_the_page(client_as, username):
    c = client_as(username)
    assert c.get(PAGE).status_code == 403
    assert _paste(c, "2027-02-11 春节").status_code == 403
    assert c.post(PAGE + "add", data={"day-day": "2027-02-11", "day-kind": "holiday"}).status_code == 403
    assert _days() == {}
    assert "/admin/holidays" not in c.get("/").get_data(as_text=True)  # no menu entry either


def test_the_administrator_opens_it_from_the_menu(client_as):
    c = client_as("sysadmin")
    assert 'href="/admin/holidays/"' in c.get("/").get_data(as_text=True)
    page = c.get(PAGE + "?year=2027").get_data(as_text=True)
    assert "节假日与调休 · 2027" in page and "内置节假日数据 没有 2027 年数据" in page


# --- typing, pasting, changing, deleting (all audited) --------------------------------------------------

def test_a_typed_day_is_stored_changed_and_deleted_each_audited(client_as):
    c = client_as("sysadmin")
    r = c.post(PAGE + "add?year=2027", data={"day-day": "2027-02-11", "day-kind": "holiday", "day-name": "春节"})
    assert r.status_code == 302 and r.location.endswith("?year=2027")
    assert _days() == {"2027-02-11": ("holiday", "春节")}
    page = c.get(PAGE + "?year=2027").get_data(as_text=True)
    assert 'data-day="2027-02-11"' in page and "春节" in page
    added = _audit("calendar_day.added")
    assert [(a.target_id, a.after, a.actor_name) for a in added] == [
        ("2027-02-11", {"kind": "holiday", "name": "春节"}, "sysadmin")]

    entry = db.session.scalar(select(CalendarDay))
    r = c.post(f"{PAGE}{entry.id}", data={"day": "2027-02-20", "kind": "workday", "name": "春节调休"})
    assert r.status_code == 302
    assert _days() == {"2027-02-20": ("workday", "春节调休")}
    changed = _audit("calendar_day.changed")
    assert [(a.before, a.after) for a in changed] == [
        ({"day": "2027-02-11", "kind": "holiday", "name": "春节"},
         {"day": "2027-02-20", "kind": "workday", "name": "春节调休"})]

    r = c.post(f"{PAGE}{entry.id}/delete", follow_redirects=True)
    assert "2027-02-20 已删除" in r.get_data(as_text=True)
    assert _days() == {}
    assert [a.before for a in _audit("calendar_day.deleted")] == [{"kind": "workday", "name": "春节调休"}]


def test_a_day_entered_twice_is_refused_and_the_form_kept(client_as):
    c = client_as("sysadmin")
    c.post(PAGE + "add", data={"day-day": "2027-02-11", "day-kind": "holiday", "day-name": "春节"})
    r = c.post(PAGE + "add", data={"day-day": "2027-02-11", "day-kind": "workday", "day-name": "调休"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "2027-02-11 已录入为节假日" in html
    assert 'value="调休"' in html  # what was typed stays
    assert _days() == {"2027-02-11": ("holiday", "春节")}


def test_an_edit_onto_a_day_already_entered_is_refused(client_as):
    c = client_as("sysadmin")
    _paste(c, "2027-02-11\n2027-02-12")
    first = db.session.scalar(select(CalendarDay).where(CalendarDay.day == date(2027, 2, 11)))
    r = c.post(f"{PAGE}{first.id}", data={"day": "2027-02-12", "kind": "holiday", "name": ""})
    assert r.status_code == 400 and "2027-02-12 已录入" in r.get_data(as_text=True)
    assert set(_days()) == {"2027-02-11", "2027-02-12"}


def test_a_pasted_list_is_stored_and_pasting_again_updates_it(client_as):
    c = client_as("sysadmin")
    r = _paste(c, "2027-02-06 春节\n2027/02/07 春节\n\n2027-02-08\t春节", follow_redirects=True)
    assert "新增 3 天，修改 0 天，0 天未变" in r.get_data(as_text=True)
    assert _days() == {"2027-02-06": ("holiday", "春节"), "2027-02-07": ("holiday", "春节"),
                       "2027-02-08": ("holiday", "春节")}
    assert len(_audit("calendar_day.added")) == 3
    r = _paste(c, "2027-02-06 除夕\n2027-02-07 春节", follow_redirects=True)
    assert "新增 0 天，修改 1 天，1 天未变" in r.get_data(as_text=True)
    assert _days()["2027-02-06"] == ("holiday", "除夕")
    assert [(a.target_id, a.before, a.after) for a in _audit("calendar_day.changed")] == [
        ("2027-02-06", {"kind": "holiday", "name": "春节"}, {"kind": "holiday", "name": "除夕"})]
    _paste(c, "2027-02-20 春节调休", kind="workday")
    assert _days()["2027-02-20"] == ("workday", "春节调休")


def test_a_bad_pasted_line_is_named_nothing_is_saved_and_the_text_stays(client_as):
    c = client_as("sysadmin")
    text = "2027-02-06 春节\n2027-02-30 春节\n2027.02.08 春节"
    r = _paste(c, text)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "未保存：有 2 行需要改正" in html
    assert "第 2 行（2027-02-30 春节）：没有这个日期" in html
    assert "第 3 行（2027.02.08 春节）：日期请写成 YYYY-MM-DD 或 YYYY/MM/DD" in html
    textarea = re.search(r'<textarea[^>]*name="paste-text"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert textarea.strip() == text  # the administrator corrects it, not retypes it
    assert _days() == {} and _audit("calendar_day.added") == []


def test_an_empty_paste_is_refused(client_as):
    r = _paste(client_as("sysadmin"), "\n# nothing\n")
    assert r.status_code == 400 and "请至少粘贴一个日期" in r.get_data(as_text=True)


# --- every working-day rule counts them ------------------------------------------------------------

def _channel():
    return db.session.scalar(select(Channel).where(Channel.name == "星海集团"))


def _submit_and_due(c, post_id):
    assert c.post(f"/posts/{post_id}/submit").status_code == 302
    sub = db.session.scalar(select(Submission).where(Submission.post_id == post_id))
    return workdays.local(sub.due_at).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("now, entry, kind, before, after", [
    # Wednesday 16:00; 4 working hours: 2 today, 2 on the next working day.
    ("2027-02-10 08:00:00+00:00", "2027-02-11 春节", "holiday", "2027-02-11 11:00", "2027-02-12 11:00"),
    # Friday 16:00: Monday without the entry, the swapped Saturday with it.
    ("2027-02-19 08:00:00+00:00", "2027-02-20 春节调休", "workday", "2027-02-22 11:00", "2027-02-20 11:00"),
])
def test_a_review_step_is_due_by_the_days_entered(app, client_as, clock, now, entry, kind, before, after):
    clock.set(now)
    author = get_by_username("contributor")
    first = content.create_post(author, {**BODY, "channels": [_channel().id]}).id
    second = content.create_post(author, {**BODY, "channels": [_channel().id]}).id
    writer = client_as("contributor")
    assert _submit_and_due(writer, first) == before
    _paste(client_as("sysadmin"), entry, kind=kind)
    assert _submit_and_due(writer, second) == after


@pytest.mark.parametrize("now, planned, entry, kind, warned_before", [
    # Thursday, planned Friday: one working day ahead, unless the Friday is entered as a holiday.
    ("2027-02-11 02:00:00+00:00", "2027-02-12", "2027-02-12 春节", "holiday", False),
    # Friday, planned Saturday: no working day between, unless that Saturday is a swapped working day.
    ("2027-02-19 02:00:00+00:00", "2027-02-20", "2027-02-20 春节调休", "workday", True),
])
def test_c12_counts_the_days_entered(app, client_as, clock, now, planned, entry, kind, warned_before):
    clock.set(now)
    post = content.create_post(get_by_username("contributor"), {
        **BODY, "channels": [_channel().id], "planned_date": planned, "urgency": "urgent"})
    writer = client_as("contributor")
    warning = "重要紧急稿件须至少提前一个工作日提出发布需求（C12）"
    assert (warning in writer.get(f"/posts/{post.id}").get_data(as_text=True)) is warned_before
    _paste(client_as("sysadmin"), entry, kind=kind)
    assert (warning in writer.get(f"/posts/{post.id}").get_data(as_text=True)) is not warned_before


# --- the warning ----------------------------------------------------------------------------------

WARNING = "2027 年节假日尚未录入"


def test_administrators_are_warned_60_days_ahead_until_the_year_is_entered(app, client_as, clock):
    clock.set("2026-12-06 02:00:00+00:00")
    admin = client_as("sysadmin")
    home = admin.get("/").get_data(as_text=True)
    assert WARNING in home and "自 2027-01-01 起按周一至周五计算工作日" in home
    assert 'href="/admin/holidays/?year=2027"' in home
    assert WARNING in admin.get(PAGE).get_data(as_text=True)
    assert "2027" in admin.get(PAGE).get_data(as_text=True).split("</h1>")[0]  # the page opens on 2027
    assert WARNING not in client_as("contributor").get("/").get_data(as_text=True)  # not for others

    _paste(admin, "2027-01-01 元旦")
    assert WARNING not in admin.get("/").get_data(as_text=True)
    assert WARNING not in admin.get(PAGE).get_data(as_text=True)


def test_no_warning_while_the_next_60_days_are_known(app, client_as, clock):
    clock.set("2026-11-02 02:00:00+00:00")  # the 60 days end on 12-31
    admin = client_as("sysadmin")
    assert WARNING not in admin.get("/").get_data(as_text=True)
    assert WARNING not in admin.get(PAGE).get_data(as_text=True)
    clock.set("2026-11-03 02:00:00+00:00")
    assert WARNING in client_as("sysadmin").get("/").get_data(as_text=True)


def test_the_forms_work_with_csrf_protection_on(csrf_app):
    from tests.test_csrf import login_with_csrf

    c = login_with_csrf(csrf_app)
    page = c.get(PAGE + "?year=2027").get_data(as_text=True)
    token = re.search(r'name="paste-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert _paste(c, "2027-02-11 春节").status_code == 400  # no token: refused, nothing saved
    assert _days() == {}
    r = c.post(PAGE + "paste", data={"paste-kind": "holiday", "paste-text": "2027-02-11 春节", "paste-csrf_token": token})
    assert r.status_code == 302 and _days() == {"2027-02-11": ("holiday", "春节")}
    page = c.get(PAGE + "?year=2027").get_data(as_text=True)
    token = re.search(r'name="delete-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    entry = db.session.scalar(select(CalendarDay))
    assert c.post(f"{PAGE}{entry.id}/delete", data={"delete-csrf_token": token}).status_code == 302
    assert _days() == {}
