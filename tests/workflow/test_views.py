"""The review chain in the browser's HTML (C4 C5 C7 C8 C11 C18): submit with reasons, the review
page, decisions on the revision shown, inbox counts, publish today, calendar, chain templates,
delegation and reassignment, and the worker's clock (reminders, C8's end-of-day flag)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.content.models import Post
from cms.extensions import db
from cms.workflow import queries, service, templates
from cms.workflow.models import Submission, WorkflowTemplate

BODY = {"title": "市场部举办客户开放日", "author": "张晓雯", "digest": "开放日活动回顾",
        "body": {"format": "markdown", "text": "# 开放日\n\n本周五，市场部邀请客户参观新产品展厅。"},
        "category": "news", "source": {"kind": "original"}}


def _channel(name="星海集团"):
    return db.session.scalar(select(Channel).where(Channel.name == name))


@pytest.fixture
def post(app):
    p = content.create_post(get_by_username("contributor"), {**BODY, "channels": [_channel().id]})
    return p.id


def _submitted(post_id):
    service.submit(get_by_username("contributor"), db.session.get(Post, post_id), {})
    return post_id


def _decide(username, post_id, decision="approve", **extra):
    p = db.session.get(Post, post_id)
    return service.decide(get_by_username(username), p, {"decision": decision, "revision": p.current.number,
                                                         "hash": p.current.content_hash, **extra})


def test_submit_from_the_post_page(client_as, post):
    c = client_as("contributor")
    page = c.get(f"/posts/{post}").get_data(as_text=True)
    assert 'id="submit-form"' in page
    r = c.post(f"/posts/{post}/submit", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "李建国" in html  # the first step is with the department head
    assert db.session.get(Post, post).status == "in_review"
    assert 'id="submit-form"' not in html and 'id="withdraw-form"' in html


def test_submit_with_a_warning_needs_its_reason_and_keeps_the_draft(client_as, app):
    p = content.create_post(get_by_username("contributor"), {
        **BODY, "channels": [_channel().id], "planned_date": (workdays.today() + timedelta(days=1)).isoformat()})
    c = client_as("contributor")
    page = c.get(f"/posts/{p.id}").get_data(as_text=True)
    fields = re.findall(r'name="(reason-[^"]+)"', page)
    assert fields  # C12: less than a week's notice is a warning
    r = c.post(f"/posts/{p.id}/submit", follow_redirects=True)
    assert "请为检查发现的每条警告说明理由" in r.get_data(as_text=True) or "理由" in r.get_data(as_text=True)
    assert db.session.get(Post, p.id).status == "draft"
    c.post(f"/posts/{p.id}/submit", data={f: "客户临时确认" for f in fields})
    db.session.expire_all()
    assert db.session.get(Post, p.id).status == "in_review"
    review = client_as("department_head").get(f"/posts/{p.id}/review").get_data(as_text=True)
    assert "客户临时确认" in review  # reviewers read the author's reasons


def test_review_page_and_decision(client_as, post):
    _submitted(post)
    head = client_as("department_head")
    page = head.get(f"/posts/{post}/review").get_data(as_text=True)
    assert 'id="decision-form"' in page and 'name="revision" value="1"' in page
    assert client_as("leader").get(f"/posts/{post}/review").get_data(as_text=True).count('id="decision-form"') == 0
    r = head.post(f"/posts/{post}/review", data={"decision": "approve", "revision": "1", "comment": "同意"})
    assert r.status_code == 302
    sub = db.session.scalar(select(Submission).where(Submission.post_id == post))
    db.session.refresh(sub)
    assert [a.user.username for a in sub.assignees] == ["leader"]


def test_a_decision_on_an_old_revision_is_refused_with_a_message(client_as, post):
    _submitted(post)
    head = client_as("department_head")
    content.save(get_by_username("contributor"), db.session.get(Post, post), {"title": "改过的标题"}, 1)
    r = head.post(f"/posts/{post}/review", data={"decision": "approve", "revision": "1"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "修订版 2" in html or "2" in html
    assert 'name="revision" value="2"' in html  # the page now shows what is there
    assert db.session.get(Post, post).status == "in_review"


def test_reject_without_comment_keeps_the_post_in_review(client_as, post):
    _submitted(post)
    r = client_as("department_head").post(f"/posts/{post}/review", data={"decision": "reject", "revision": "1"},
                                          follow_redirects=True)
    assert r.status_code == 200
    assert db.session.get(Post, post).status == "in_review"


def test_inbox_lists_and_counts(client_as, post):
    _submitted(post)
    head = client_as("department_head")
    page = head.get("/inbox").get_data(as_text=True)
    assert "市场部举办客户开放日" in page
    assert re.search(r'nav-count">1<', page)
    assert "市场部举办客户开放日" not in client_as("leader").get("/inbox").get_data(as_text=True)
    assert client_as("contributor").get("/inbox").status_code == 403


def test_overdue_steps_stand_out_and_are_reminded_once(app, client_as, post, clock):
    clock.set("2026-11-25 02:00:00+00:00")  # Wednesday 10:00 in Shanghai
    _submitted(post)
    sub = db.session.scalar(select(Submission).where(Submission.post_id == post))
    assert workdays.local(sub.due_at).strftime("%Y-%m-%d %H:%M") == "2026-11-25 14:00"
    assert service.remind_overdue() == 0
    clock.set("2026-11-25 06:30:00+00:00")
    assert service.remind_overdue() == 1
    assert service.remind_overdue() == 0  # once per step
    assert "list-group-item-danger" in client_as("department_head").get("/inbox").get_data(as_text=True)


def test_publish_today_and_the_c8_flag(app, client_as, post, clock):
    clock.set("2026-11-25 02:00:00+00:00")
    _submitted(post)
    for role in ("department_head", "leader", "editor", "proofreader"):
        _decide(role, post)
    _decide("supervisor", post, push={str(_channel().id): False})
    assert db.session.get(Post, post).status == "approved"
    page = client_as("account_admin").get("/publish/today").get_data(as_text=True)
    assert "市场部举办客户开放日" in page and "仅发布" in page
    assert client_as("contributor").get("/publish/today").status_code == 403
    assert service.flag_unpublished() == 0
    clock.set("2026-11-26 01:00:00+00:00")  # the next morning
    assert service.flag_unpublished() == 1
    assert service.flag_unpublished() == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.publish_overdue"))
    assert "table-danger" in client_as("account_admin").get("/publish/today").get_data(as_text=True)


def test_planned_date_later_than_approval_sets_the_day(app, post, clock):  # policy C8
    clock.set("2026-11-25 02:00:00+00:00")
    p = db.session.get(Post, post)
    p.planned_date = workdays.today() + timedelta(days=10)
    db.session.commit()
    service.submit(get_by_username("contributor"), p, {f.id: "提前准备" for f in content.findings(p)})
    for role in ("department_head", "leader", "editor", "proofreader"):
        _decide(role, post)
    _decide("supervisor", post, push={str(_channel().id): True})
    sub = db.session.scalar(select(Submission).where(Submission.post_id == post))
    assert sub.publish_day.isoformat() == "2026-12-05"
    # on the administrator's queue from the day it is approved, due on its day (issue 19)
    assert queries.publish_queue() == [sub]


def test_request_form_shows_the_signature_trail(client_as, post):  # policy C11
    _submitted(post)
    _decide("department_head", post, comment="情况属实")
    html = client_as("contributor").get(f"/posts/{post}/request-form").get_data(as_text=True)
    row = re.search(r'<tr class="signature">(.*?)</tr>', html, re.S).group(1)
    assert "李建国" in row and "情况属实" in row and "部门负责人" in row


def test_calendar_shows_the_month(client_as, post):
    p = db.session.get(Post, post)
    p.planned_date = workdays.today()
    db.session.commit()
    html = client_as("contributor").get("/calendar").get_data(as_text=True)
    assert "市场部举办客户开放日" in html
    other = client_as("finance").get("/calendar").get_data(as_text=True)
    assert "市场部举办客户开放日" not in other  # only posts the user may see
    assert client_as("contributor").get("/calendar?month=bogus").status_code == 200


def test_chain_edit_makes_a_version_and_posts_in_flight_keep_theirs(client_as, post):  # policy C7
    _submitted(post)
    admin = client_as("sysadmin")
    full = db.session.scalar(select(WorkflowTemplate).where(WorkflowTemplate.key == "full"))
    data = {"role-0": "department_head", "scope-0": "author_department", "due_hours-0": "2", "order-0": "1",
            "role-1": "chief", "scope-1": "company", "due_hours-1": "4", "order-1": "2"}
    r = admin.post(f"/admin/chains/{full.id}", data={**data, "note": "精简"})
    assert r.status_code == 302
    db.session.expire_all()
    assert full.latest.number == 2 and [s["role"] for s in full.latest.steps] == ["department_head", "chief"]
    sub = db.session.scalar(select(Submission).where(Submission.post_id == post))
    assert sub.version.number == 1 and len(sub.version.steps) == 6
    # bad input: a clear 400, the rows kept
    r = admin.post(f"/admin/chains/{full.id}", data={"role-0": "editor", "scope-0": "company", "due_hours-0": "99"})
    assert r.status_code == 400 and 'name="due_hours-0" value="99"' in r.get_data(as_text=True)
    assert client_as("editor").get(f"/admin/chains/{full.id}").status_code == 403


def test_rules_pick_the_chain(app, client_as):
    sales = _channel("星海科技")
    p = content.create_post(get_by_username("contributor"), {**BODY, "category": "promotion",
                                                            "channels": [sales.id]})
    assert templates.pick_version(p).template.key == "marketing"
    p2 = content.create_post(get_by_username("contributor"), {**BODY, "channels": [sales.id]})
    assert templates.pick_version(p2).template.key == "full"
    short = db.session.scalar(select(WorkflowTemplate).where(WorkflowTemplate.key == "short"))
    r = client_as("sysadmin").post("/admin/chains", data={"channel": "", "category": "news", "template": short.id})
    assert r.status_code == 302
    assert templates.pick_version(p2).template.key == "short"


def test_delegation_lets_the_deputy_decide_for_the_holder(client_as, post):
    _submitted(post)
    head = client_as("department_head")
    now = workdays.local(workdays.now())
    r = head.post("/delegations", data={"deputy": get_by_username("leader").id,
                                        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                                        "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
                                        "reason": "出差"})
    assert r.status_code == 302
    leader = client_as("leader")
    assert "市场部举办客户开放日" in leader.get("/inbox").get_data(as_text=True)
    leader.post(f"/posts/{post}/review", data={"decision": "approve", "revision": "1"})
    review = [r for r in queries.timeline(db.session.get(Post, post)) if r.action == "approve"][0]
    assert review.user.username == "leader" and review.on_behalf_of.username == "department_head"
    # an end before the start is refused, with the form kept
    r = head.post("/delegations", data={"deputy": get_by_username("leader").id,
                                        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
                                        "ends_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 400


def test_administrator_reassigns_a_step(client_as, post):
    _submitted(post)
    admin = client_as("sysadmin")
    assert 'id="reassign-form"' in admin.get(f"/posts/{post}/review").get_data(as_text=True)
    leader = get_by_username("leader")
    r = admin.post(f"/posts/{post}/reassign", data={"users": [leader.id], "reason": ""}, follow_redirects=True)
    assert "说明" in r.get_data(as_text=True) or r.status_code == 200
    admin.post(f"/posts/{post}/reassign", data={"users": [leader.id], "reason": "李建国休假"})
    sub = db.session.scalar(select(Submission).where(Submission.post_id == post))
    db.session.refresh(sub)
    assert [a.user.username for a in sub.assignees] == ["leader"] and sub.routing == "reassigned"
    author = get_by_username("contributor")
    admin.post(f"/posts/{post}/reassign", data={"users": [author.id], "reason": "x"})
    db.session.refresh(sub)
    assert [a.user.username for a in sub.assignees] == ["leader"]  # nobody reviews their own post
    assert client_as("editor").post(f"/posts/{post}/reassign", data={"users": [1], "reason": "x"}).status_code == 403


def test_home_page_lists_my_reviews_returns_and_queue(client_as, post):
    _submitted(post)
    assert "市场部举办客户开放日" in client_as("department_head").get("/").get_data(as_text=True)
    _decide("department_head", post, decision="reject", comment="请补充时间")
    home = client_as("contributor").get("/").get_data(as_text=True)
    assert "退回给我的稿件" in home and f"/posts/{post}/review" in home


def test_reviewers_and_authors_are_notified(client_as, post):
    from cms.notify.service import unread_count

    head, author = get_by_username("department_head"), get_by_username("contributor")
    before = unread_count(head), unread_count(author)  # the demo's work groups notify too
    _submitted(post)
    assert unread_count(head) == before[0] + 1
    page = client_as("department_head").get("/notifications/").get_data(as_text=True)
    assert "市场部举办客户开放日" in page and "等待您审核" in page
    _decide("department_head", post, decision="reject", comment="请补充时间")
    assert unread_count(author) == before[1] + 1
    assert "请补充时间" in client_as("contributor").get("/notifications/").get_data(as_text=True)


def test_the_step_count_leaves_out_the_optional_top_step(client_as, post):  # issue 19 part 5, C7
    _submitted(post)
    for role in ("department_head", "leader", "editor", "proofreader"):
        _decide(role, post)
    page = client_as("supervisor").get(f"/posts/{post}/review").get_data(as_text=True)
    assert "第 5 / 5 步" in page and "第 5 / 6 步" not in page
    assert "另有可选步骤：党政一把手" in page and "step-optional" in page
    assert "第 5 / 5 步" in client_as("contributor").get(f"/posts/{post}").get_data(as_text=True)
    p = db.session.get(Post, post)
    p.important = True  # an important post: the top leader's step applies and counts
    db.session.commit()
    assert "第 5 / 6 步" in client_as("supervisor").get(f"/posts/{post}/review").get_data(as_text=True)
