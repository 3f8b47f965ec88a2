"""The review chain through the JSON API (C4 C5 C7 C8 C18): submit, every step of §12's full
chain, rejection and restart, stale revisions, delegation, escalation."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.channels.models import Channel
from cms.content.models import Post
from cms.extensions import db
from cms.workflow.models import Review, Submission

FULL = ["department_head", "leader", "editor", "proofreader", "supervisor"]


def _channel(name):
    return db.session.scalar(select(Channel.id).where(Channel.name == name))


def _post(call, **overrides):
    body = {"title": "市场部举办客户开放日", "author": "张晓雯", "digest": "开放日活动回顾",
            "body": {"format": "markdown", "text": "# 开放日\n\n本周五，市场部邀请客户参观新产品展厅。"},
            "category": "news", "channels": [_channel("星海集团")], "source": {"kind": "original"}, **overrides}
    r = call("POST", "/posts", json=body)
    assert r.status_code == 201, r.json
    return r.json


def _approve(call, post_id, **extra):
    cur = call("GET", f"/posts/{post_id}").json["revision"]
    return call("POST", f"/posts/{post_id}/reviews",
                json={"decision": "approve", "revision": cur["number"], "hash": cur["hash"], **extra})


@pytest.fixture
def flow(api):
    calls = {name: api(name) for name in ("contributor", *FULL, "chief", "sysadmin", "account_admin")}
    post = _post(calls["contributor"])
    r = calls["contributor"]("POST", f"/posts/{post['id']}/submit", json={})
    assert r.status_code == 200, r.json
    return calls, post["id"]


def _step(calls, post_id):
    wf = calls["contributor"]("GET", f"/posts/{post_id}").json["workflow"]
    return wf["current_step"]


def test_full_chain_in_order_then_approved_for_today(flow):  # policy C7 C8
    calls, pid = flow
    seen = []
    for role in FULL:
        step = _step(calls, pid)
        seen.append(step["role"])
        assert step["assignees"] == [role]
        extra = {"push": {str(_channel("星海集团")): True}} if role == "supervisor" else {}
        r = _approve(calls[role], pid, **extra)
        assert r.status_code == 201, (role, r.json)
    assert seen == FULL  # the chief's step is conditional: not important, not escalated
    post = calls["contributor"]("GET", f"/posts/{pid}").json
    assert post["status"] == "approved"
    assert post["workflow"]["publish_day"] == workdays.today().isoformat()
    assert post["workflow"]["push"] == {str(_channel("星海集团")): True}
    decisions = [(r["action"], r["user"]) for r in post["reviews"] if r["action"] == "approve"]
    assert decisions == [("approve", u) for u in FULL]


def test_due_time_is_four_working_hours(flow):
    calls, pid = flow
    sub = db.session.scalar(select(Submission).where(Submission.post_id == pid))
    expected = workdays.add_working_hours(sub.step_started_at, 4, workdays.zone(), workdays.working_hours())
    assert sub.due_at == expected


def test_wrong_person_and_wrong_revision(flow):
    calls, pid = flow
    assert _approve(calls["leader"], pid).status_code == 403  # not the leader's step yet
    r = calls["department_head"]("POST", f"/posts/{pid}/reviews", json={"decision": "approve", "revision": 99})
    assert r.status_code == 409 and r.json["error"]["code"] == "stale_revision"
    r = calls["department_head"]("POST", f"/posts/{pid}/reviews",
                                 json={"decision": "approve", "revision": 1, "hash": "0" * 64})
    assert r.status_code == 409
    r = calls["department_head"]("POST", f"/posts/{pid}/reviews", json={"decision": "approve"})
    assert r.status_code == 400 and "revision" in r.json["error"]["fields"]
    assert calls["contributor"]("POST", f"/posts/{pid}/reviews",
                                json={"decision": "approve", "revision": 1}).status_code == 403


def test_reject_needs_a_comment_and_returns_to_the_author(flow):
    calls, pid = flow
    r = calls["department_head"]("POST", f"/posts/{pid}/reviews", json={"decision": "reject", "revision": 1})
    assert r.status_code == 422 and r.json["error"]["code"] == "comment_required"
    r = calls["department_head"]("POST", f"/posts/{pid}/reviews",
                                 json={"decision": "reject", "revision": 1, "comment": "请补充活动时间"})
    assert r.status_code == 201
    post = calls["contributor"]("GET", f"/posts/{pid}").json
    assert post["status"] == "rejected" and post["workflow"]["current_step"] is None
    # the author edits and submits again: a new submission from step one
    r = calls["contributor"]("PATCH", f"/posts/{pid}", json={"base_revision": 1, "title": "客户开放日（周五）"})
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert calls["contributor"]("POST", f"/posts/{pid}/submit", json={}).status_code == 200
    assert _step(calls, pid)["role"] == "department_head"


def test_author_edit_in_review_restarts_and_makes_reviews_stale(flow):
    calls, pid = flow
    assert _approve(calls["department_head"], pid).status_code == 201
    assert _approve(calls["leader"], pid).status_code == 201
    r = calls["contributor"]("PATCH", f"/posts/{pid}", json={"base_revision": 1, "digest": "改了摘要"})
    assert r.status_code == 200
    post = calls["contributor"]("GET", f"/posts/{pid}").json
    assert post["status"] == "in_review" and post["workflow"]["round"] == 2
    assert post["workflow"]["current_step"]["role"] == "department_head"
    stale = [r for r in post["reviews"] if r["action"] == "approve"]
    assert len(stale) == 2 and all(r["stale"] for r in stale)
    # the department head's earlier approval is the base of their diff now
    assert _approve(calls["department_head"], pid).status_code == 201


def test_editor_edit_continues_and_the_next_reviewer_is_someone_else(flow):  # may-edit step
    calls, pid = flow
    for role in ("department_head", "leader"):
        assert _approve(calls[role], pid).status_code == 201
    # a reviewer at a normal step may not edit
    assert calls["leader"]("PATCH", f"/posts/{pid}", json={"base_revision": 1, "title": "x"}).status_code == 403
    r = calls["editor"]("PATCH", f"/posts/{pid}", json={"base_revision": 1, "title": "客户开放日圆满举行"})
    assert r.status_code == 200 and r.json["revision"]["number"] == 2
    assert _step(calls, pid)["role"] == "editor"  # the chain did not restart
    assert _approve(calls["editor"], pid).status_code == 201  # completes the step on their own edit
    assert _step(calls, pid)["assignees"] == ["proofreader"]
    actions = [r["action"] for r in calls["contributor"]("GET", f"/posts/{pid}").json["reviews"]]
    assert actions == ["submit", "approve", "approve", "edit", "approve"]


def test_nobody_decides_on_a_revision_they_wrote_outside_may_edit(api):
    """The department head files a post: their own step goes to the next level up (no deputy)."""
    head = api("department_head")
    post = _post(head)
    assert head("POST", f"/posts/{post['id']}/submit", json={}).status_code == 200
    step = head("GET", f"/posts/{post['id']}").json["workflow"]["current_step"]
    assert step["role"] == "department_head" and step["assignees"] == ["leader"]
    assert step["routing"] == "next_level"
    r = head("POST", f"/posts/{post['id']}/reviews", json={"decision": "approve", "revision": 1})
    assert r.status_code == 403 and r.json["error"]["code"] == "not_assigned"


def test_confidential_blocks_only_the_final_approval(api, flow):  # policy C5
    calls, pid = flow
    post = db.session.get(Post, pid)
    post.confidential = True
    db.session.commit()
    for role in FULL[:-1]:
        assert _approve(calls[role], pid).status_code == 201
    r = _approve(calls["supervisor"], pid, push={str(_channel("星海集团")): False})
    assert r.status_code == 422 and r.json["error"]["code"] == "C5"
    r = calls["supervisor"]("POST", f"/posts/{pid}", json={})  # no such route: method not allowed
    assert r.status_code == 405
    from cms.auth.service import get_by_username
    from cms.content.service import clear_confidential

    clear_confidential(get_by_username("supervisor"), db.session.get(Post, pid), "已正式发布")
    assert _approve(calls["supervisor"], pid, push={str(_channel("星海集团")): False}).status_code == 201


def test_supervisor_must_choose_push_and_may_escalate(flow):  # policy C18
    calls, pid = flow
    for role in FULL[:-1]:
        assert _approve(calls[role], pid).status_code == 201
    r = _approve(calls["supervisor"], pid)
    assert r.status_code == 422 and r.json["error"]["code"] == "C18"
    r = _approve(calls["supervisor"], pid, push={str(_channel("星海集团")): False}, escalate=True)
    assert r.status_code == 201
    step = _step(calls, pid)
    assert step["role"] == "chief"
    assert _approve(calls["chief"], pid).status_code == 201
    assert calls["contributor"]("GET", f"/posts/{pid}").json["status"] == "approved"


def test_push_quota_left(flow):  # policy C18: a service account pushes 4 times a month
    from cms.workflow.service import push_status

    calls, pid = flow
    channel = db.session.get(Channel, _channel("星海集团"))
    assert push_status(channel) == {"month": 0, "today": 0, "allowed": 4, "period": "month", "waiting": 0, "left": 4,
                                  "may_push": True}
    for role in FULL[:-1]:
        assert _approve(calls[role], pid).status_code == 201
    assert _approve(calls["supervisor"], pid, push={str(channel.id): True}).status_code == 201
    assert push_status(channel)["left"] == 3


def test_submit_needs_reasons_for_warnings(api):  # policy C4 C12
    call = api("contributor")
    post = _post(call, planned_date=(workdays.today() + timedelta(days=1)).isoformat())
    r = call("POST", f"/posts/{post['id']}/submit", json={})
    assert r.status_code == 422 and r.json["error"]["code"] == "reasons"
    warnings = [f["id"] for f in call("GET", f"/posts/{post['id']}").json["checks"] if f["severity"] == "warning"]
    assert warnings
    r = call("POST", f"/posts/{post['id']}/submit", json={"reasons": {w: "领导临时安排" for w in warnings}})
    assert r.status_code == 200, r.json
    assert r.json["workflow"]["reasons"] == {w: "领导临时安排" for w in warnings}


def test_submit_refuses_errors(api):  # policy C9: unknown source is an error
    call = api("contributor")
    post = _post(call, source={"kind": ""})
    r = call("POST", f"/posts/{post['id']}/submit", json={})
    assert r.status_code == 422 and r.json["error"]["code"] == "checks"
    assert db.session.get(Post, post["id"]).status == "draft"


def test_withdraw_by_the_author(flow):
    calls, pid = flow
    assert calls["department_head"]("POST", f"/posts/{pid}/withdraw", json={}).status_code == 200  # same dept
    post = calls["contributor"]("GET", f"/posts/{pid}").json
    assert post["status"] == "draft" and post["workflow"]["state"] == "withdrawn"
    assert calls["leader"]("POST", f"/posts/{pid}/withdraw", json={}).status_code == 403


def test_audit_records_each_decision(flow):
    calls, pid = flow
    _approve(calls["department_head"], pid)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(pid))).all()
    assert "post.submitted" in actions and "post.approved" in actions
    assert db.session.scalar(select(Review).where(Review.action == "approve")).revision_hash
