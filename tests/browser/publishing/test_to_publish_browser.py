"""Issue 19 in Chromium, with CSRF on: the account administrator's one queue (a post due on a later
day is on it from the day it is approved, the overdue one first and highlighted, the C8 day and
why in words, the policy ID revealing its rule on hover), publishing from it; the author's
notice with the published article's link and the post page; the calendar's past (solid: went
out) and future (outlined: planned), in even columns."""
import re
from datetime import timedelta

from sqlalchemy import select

from cms import workdays
from cms.auth.service import get_by_username
from cms.channels.models import Publication
from cms.content import service as content
from cms.content.checks.base import WARNING
from cms.extensions import db
from cms.publishing.tasks import publish_due
from cms.workflow import service as workflow
from tests.browser.conftest import log_in
from tests.publishing import conftest as publishing


def _for_later(approved_post, days, title):
    post = approved_post(approve=False, title=title)
    post.planned_date = workdays.today() + timedelta(days=days)
    db.session.commit()
    workflow.submit(get_by_username("contributor"), post,
                    {f.id: "测试：已知晓" for f in content.findings(post) if f.severity == WARNING})
    publishing.approve_chain(post)
    return post


def test_the_administrators_queue_and_the_authors_notice(midday, page, outbox, approved_post, clock):
    overdue = approved_post(title="昨天就该发的稿件")
    clock.advance(timedelta(days=1))
    later = _for_later(approved_post, 10, "十天后发布的稿件")
    log_in(page, "account_admin")
    # the home page sums the queue up
    home = page.locator(".card", has_text="已通过、待发布")
    assert home.locator("li", has_text="十天后发布的稿件").is_visible()
    assert "list-group-item-danger" in home.locator("li", has_text="昨天就该发的稿件").get_attribute("class")
    page.locator("nav").get_by_role("link", name=re.compile(r"^待发布")).click()
    rows = page.locator("tr.queue-item")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("id") == f"queue-{overdue.id}"  # the overdue first
    assert "table-danger" in rows.nth(0).get_attribute("class")
    row = page.locator(f"#queue-{later.id}")
    assert later.planned_date.isoformat() in row.locator(".c8-day").inner_text()
    assert "计划发布日" in row.locator(".c8-day").inner_text() and "还有 10 天" in row.inner_text()
    # the policy ID in the words is a reference with the rule's text on hover (static/policy_refs.js)
    ref = row.locator(".c8-day abbr.policy-ref").first
    ref.wait_for()
    assert ref.inner_text() == "C8" and "当天发布" in ref.get_attribute("title")
    # publish the overdue one now, from the queue
    page.locator(f"#schedule-{overdue.id} button[name=publish_now]").click()
    page.wait_for_url(page.base + "/publish/today")
    publish_due.call_local(overdue.id)
    db.session.expire_all()
    (pub,) = db.session.scalars(select(Publication).where(Publication.post_id == overdue.id))
    assert pub.state == "published"
    page.context.clear_cookies()
    log_in(page, "contributor")
    page.locator("#bell").click()
    item = page.locator(".list-group-item", has_text="昨天就该发的稿件").filter(has_text="已在星海集团发布")
    assert item.locator("a.published-link").get_attribute("href") == pub.url
    item.locator("a.post-link").click()
    page.wait_for_url(f"{page.base}/posts/{overdue.id}")


def test_the_calendar_shows_the_past_and_the_future(midday, page, outbox, approved_post):
    early = _for_later(approved_post, 10, "提前发出的稿件")
    planned = _for_later(approved_post, 10, "按计划发布的稿件")
    publishing_admin = get_by_username("account_admin")
    from cms.publishing.scheduling import schedule

    schedule(publishing_admin, early)
    publish_due.call_local(early.id)
    today, due = workdays.today(), planned.planned_date
    log_in(page, "contributor")
    page.goto(f"{page.base}/calendar?month={today.strftime('%Y-%m')}")
    cell = page.locator(f'td[data-day="{today.isoformat()}"]')
    done = cell.locator(".calendar-entry-done", has_text="提前发出的稿件")
    assert done.is_visible() and "text-bg-success" in done.locator(".badge").get_attribute("class")
    assert page.locator("#calendar-legend").is_visible()
    widths = [round(page.locator("table.calendar thead th").nth(i).bounding_box()["width"]) for i in range(7)]
    assert max(widths) - min(widths) <= 2, widths  # even columns
    page.goto(f"{page.base}/calendar?month={due.strftime('%Y-%m')}")
    due_cell = page.locator(f'td[data-day="{due.isoformat()}"]')
    plan = due_cell.locator(".calendar-entry-planned", has_text="按计划发布的稿件")
    assert plan.is_visible() and "calendar-planned" in plan.locator(".badge").get_attribute("class")
    style = plan.locator(".badge").evaluate("e => getComputedStyle(e).borderTopStyle")
    assert style == "dashed"  # outlined, not solid
    assert due_cell.locator(".calendar-post", has_text="提前发出的稿件").count() == 0
