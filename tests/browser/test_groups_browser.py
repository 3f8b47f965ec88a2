"""Work groups in Chromium, with CSRF on (G2 G5 G6): the department head files a group, the leader
in charge approves it and the administration office records it; a hire of today is refused with the
date they may join; after a departure and 49 hours (the moved clock) the removal shows overdue."""
import re
from datetime import timedelta

from sqlalchemy import select

from cms import workdays
from cms.auth import service as people
from cms.auth.models import Department
from cms.extensions import db
from cms.groups import operations, rules
from cms.holidays.service import is_workday


def _session(browser, base, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", "Demo-Pass-2026")
    page.click("#submit")
    page.wait_for_url(base + "/")
    return context, page


def test_file_approve_refuse_a_new_hire_and_see_an_overdue_removal(browser, live_app, clock):
    app, base = live_app
    market = db.session.scalar(select(Department).where(Department.name == "市场部"))
    head_ctx, head = _session(browser, base, "department_head")
    head.locator("nav").get_by_role("link", name=re.compile(r"^工作群")).click()
    head.click("#file-group")
    head.fill("#name", "市场部工作群")
    head.select_option("#category", "department")
    head.fill("#purpose", "部门内部工作联络")
    head.select_option("#department", str(market.id))
    head.click("#submit")
    head.locator(".alert-success", has_text="等待分管领导审批").wait_for()
    group_url = head.url
    assert head.locator(".group-state").inner_text() == "已备案申请，待审批"

    ctx, leader = _session(browser, base, "leader")
    leader.goto(group_url)
    leader.click("#approve-form button")
    leader.locator(".alert-success", has_text="综合办备案").wait_for()
    ctx.close()
    ctx, office = _session(browser, base, "group_admin")
    office.goto(group_url)
    office.click("#record-form button")
    office.locator(".alert-success", has_text="已备案").wait_for()
    assert office.locator(".group-state").inner_text() == "已备案生效"
    ctx.close()

    # a hire of today is refused, with the day they may join (G5)
    today = workdays.today()
    people.create_user(username="newbie", real_name="赵新", department_id=market.id, title="市场专员",
                       hire_date=today, password="Demo-Pass-2026", must_change=False)
    eligible = rules.eligible_from(today, is_workday)
    head.goto(group_url)
    head.fill("#username", "newbie")
    head.click("#member-form button[type=submit]")
    refusal = head.locator("#member-form .invalid-feedback")
    refusal.wait_for()
    assert eligible.isoformat() in refusal.inner_text() and "G5" in refusal.inner_text()
    assert head.input_value("#username") == "newbie"  # the input kept
    head.fill("#username", "contributor")
    head.fill("#nickname", "张晓雯-市场专员")
    head.click("#member-form button[type=submit]")
    head.locator(".alert-success", has_text="已添加成员").wait_for()
    head_ctx.close()

    # she leaves; 49 hours later the removal is overdue (G6)
    contributor = people.get_by_username("contributor")
    people.depart(contributor, today, confirmed_by=people.get_by_username("sysadmin"))
    clock.advance(timedelta(hours=49))
    assert operations.sweep()["overdue"] == 1
    head_ctx, head = _session(browser, base, "department_head")
    head.goto(base + "/groups/tasks?state=overdue")
    row = head.locator(".group-task", has_text="张晓雯")
    assert row.count() == 1 and row.locator(".task-overdue").inner_text() == "已超时"
    head.goto(group_url)
    assert head.locator("#open-tasks .task-overdue").is_visible()
    head_ctx.close()
