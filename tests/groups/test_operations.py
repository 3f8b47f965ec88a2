"""The registry, members and deadlines through the operations, the API and the pages (G2-G9)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cms.audit.models import AuditEntry
from cms.auth import service as people
from cms.errors import Refused
from cms.extensions import db
from cms.groups import operations, queries
from cms.groups.models import GroupTask, WorkGroup
from tests.groups.conftest import active_group, department, file_group, hire
from tests.policy_matrix import make_user


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


# --- G2: filing, approval, recording ---------------------------------------------------------------

def test_filing_counts_as_created_only_once_approved_and_recorded(app, api):
    before = [_audited(a) for a in ("group.filed", "group.approved", "group.recorded")]
    head = api("department_head")
    r = head("POST", "/groups", json={"name": "市场部工作群", "category": "department", "purpose": "部门内部工作联络",
                                      "department": department("市场部").id, "owner": "department_head"})
    assert r.status_code == 201 and r.json["state"] == "filed"
    gid = r.json["id"]
    # the owner may not add members yet (not created)
    r2 = head("POST", f"/groups/{gid}/members", json={"username": "contributor"})
    assert r2.status_code == 409 and r2.json["error"]["code"] == "G2"
    assert api("leader")("POST", f"/groups/{gid}/approve").json["state"] == "approved"
    assert api("group_admin")("POST", f"/groups/{gid}/record").json["state"] == "active"
    after = [_audited(a) for a in ("group.filed", "group.approved", "group.recorded")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    got = head("GET", f"/groups/{gid}")
    assert got.status_code == 200 and got.json["state"] == "active" and got.json["owner"] == "department_head"


def test_a_leader_for_marketing_cannot_approve_a_finance_filing(app, api):
    make_user("mkt_leader", ("leader", "department", "市场部"))
    group = file_group("财务部工作群", dep="财务部", owner="finance", filer="group_admin")
    r = api("mkt_leader")("POST", f"/groups/{group.id}/approve")
    assert r.status_code == 403 and r.json["error"]["code"] == "G2"
    db.session.expire_all()
    assert db.session.get(WorkGroup, group.id).state == "filed"
    # the leader in charge of 财务部 may
    assert api("leader")("POST", f"/groups/{group.id}/approve").json["state"] == "approved"


def test_a_department_head_files_only_for_their_department(app, api):
    r = api("department_head")("POST", "/groups", json={
        "name": "财务群", "category": "department", "purpose": "x", "department": department("财务部").id,
        "owner": "finance"})
    assert r.status_code == 403
    assert db.session.scalar(select(func.count(WorkGroup.id)).where(WorkGroup.name == "财务群")) == 0


def test_the_filing_form_names_what_is_missing(app, api):
    r = api("department_head")("POST", "/groups", json={
        "name": "团建临时群", "category": "temporary", "purpose": "团建", "department": department("市场部").id,
        "owner": "nobody"})
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"owner", "ends_on"}
    r = api("department_head")("POST", "/groups", json={
        "name": "x", "category": "nonsense", "purpose": "x", "department": department("市场部").id,
        "owner": "department_head"})
    assert r.status_code == 422 and "category" in r.json["error"]["fields"]


def test_refused_filing(app, user):
    group = file_group()
    with pytest.raises(Refused):
        operations.refuse(user("leader"), group, "")
    operations.refuse(user("leader"), group, "与现有部门群重复")
    assert group.state == "refused" and group.refused_reason == "与现有部门群重复"


# --- members: G4 G5 G8 G9 --------------------------------------------------------------------------

def test_a_new_hire_is_refused_until_the_third_working_day(app, api, clock, group):
    clock.set("2026-11-24 10:00")  # Tuesday
    hire("newbie", "赵新", "市场部", "市场专员", date(2026, 11, 23))  # hired Monday
    owner = api("department_head")
    r = owner("POST", f"/groups/{group.id}/members", json={"username": "newbie"})
    assert r.status_code == 422 and r.json["error"]["code"] == "G5"
    assert r.json["error"]["eligible_from"] == "2026-11-26"
    assert "2026-11-26" in r.json["error"]["message"]
    clock.set("2026-11-26 09:00")  # Thursday: eligible
    r = owner("POST", f"/groups/{group.id}/members", json={"username": "newbie", "nickname": "赵新-市场专员"})
    assert r.status_code == 201 and r.json["member"]["nickname_matches"] is True


def test_outside_the_scope_is_refused_g8(app, api, group):
    r = api("department_head")("POST", f"/groups/{group.id}/members", json={"username": "finance"})
    assert r.status_code == 422 and r.json["error"]["code"] == "G8"
    assert "钱伟" in r.json["error"]["message"]
    # a leader (副总经理) is in a department group's scope though working elsewhere (§7)
    r = api("department_head")("POST", f"/groups/{group.id}/members", json={"username": "leader"})
    assert r.status_code == 201


def test_expected_and_actual_nicknames(app, api, group):
    owner = api("department_head")
    r = owner("POST", f"/groups/{group.id}/members", json={"username": "contributor", "nickname": "晓雯"})
    assert r.status_code == 201
    assert r.json["member"]["expected_nickname"] == "张晓雯-市场专员"  # department level: 姓名-岗位 (G4)
    assert r.json["member"]["nickname_matches"] is False and any("G4" in w for w in r.json["warnings"])
    got = owner("GET", f"/groups/{group.id}").json
    (m,) = got["members"]
    assert (m["expected_nickname"], m["nickname"]) == ("张晓雯-市场专员", "晓雯")
    company = active_group(name="公司级通知群", category="company")
    r = owner("POST", f"/groups/{company.id}/members", json={"username": "contributor"})
    assert r.json["member"]["expected_nickname"] == "张晓雯-市场部"  # company level: 姓名-部门


def test_more_groups_than_the_limit_is_a_warning_not_a_refusal(app, api):
    app.config["GROUP_MAX_PER_EMPLOYEE"] = 2
    owner = api("department_head")
    answers = [owner("POST", f"/groups/{active_group(name=f'群{i}').id}/members", json={"username": "contributor"})
               for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert not answers[1].json["warnings"] and any("G9" in w for w in answers[2].json["warnings"])


def test_someone_elses_group_is_not_found(app, api, group):
    assert api("finance")("GET", f"/groups/{group.id}").status_code == 404
    r = api("contributor")("POST", f"/groups/{group.id}/members", json={"username": "contributor"})
    assert r.status_code == 404
    assert group.current_members == []


# --- G6: leavers and transferees -------------------------------------------------------------------

def test_departure_makes_a_removal_task_due_in_48_hours_then_overdue(app, api, clock, group, user):
    clock.set("2026-11-25 10:00")
    operations.add_member(user("department_head"), group, username="contributor")
    left = clock.now()
    people.depart(user("contributor"), date(2026, 11, 25), confirmed_by=user("sysadmin"))
    (task,) = db.session.scalars(select(GroupTask).where(GroupTask.kind == "removal")).all()
    assert task.due_at == left + timedelta(hours=48) and task.reason == "departure"
    owner = api("department_head")
    assert [t["kind"] for t in owner("GET", "/groups/tasks?state=open").json["items"]] == ["removal"]
    assert owner("GET", "/groups/tasks?state=overdue").json["items"] == []
    clock.advance(hours=47)
    assert operations.sweep()["overdue"] == 0
    clock.advance(hours=2)
    assert operations.sweep()["overdue"] == 1
    db.session.expire_all()
    assert db.session.get(GroupTask, task.id).overdue
    (late,) = owner("GET", "/groups/tasks?state=overdue").json["items"]
    assert late["member"] == "张晓雯" and late["overdue"] is True
    # removing the member closes it (late: the assessment counts it so, G12)
    operations.remove_member(user("department_head"), group.current_members[0])
    assert owner("GET", "/groups/tasks?state=open").json["items"] == []


def test_a_transfer_makes_a_removal_task(app, clock, group, user):
    clock.set("2026-11-25 10:00")
    operations.add_member(user("department_head"), group, username="contributor")
    people.update_user(user("contributor"), department_id=department("财务部").id)
    (task,) = queries.open_tasks(group)
    assert task.kind == "removal" and task.reason == "transfer" and task.due_at == clock.now() + timedelta(hours=48)
    # a change that keeps the department makes none
    people.update_user(user("department_head"), title="市场部总监")
    assert len(queries.open_tasks(group)) == 1


def test_a_failed_departure_leaves_no_task(app, group, user):
    operations.add_member(user("department_head"), group, username="contributor")
    with pytest.raises(Refused):
        people.depart(user("contributor"), date(2026, 11, 25), confirmed_by=user("contributor"))  # not an admin
    assert queries.open_tasks(group) == []


# --- G7: temporary groups --------------------------------------------------------------------------

def test_a_temporary_group_is_dissolved_within_5_days_of_its_end(app, clock, user):
    clock.set("2026-11-16 10:00")
    group = active_group(name="团建临时联络群", category="temporary", ends_on=date(2026, 11, 20))
    assert operations.sweep()["dissolutions"] == 0
    clock.set("2026-11-21 08:00")
    assert operations.sweep()["dissolutions"] == 1
    (task,) = [t for t in queries.open_tasks(group) if t.kind == "dissolution"]
    assert task.due_at == datetime(2026, 11, 26, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # 5 days after the 20th
    notice = operations.notice_text(group, user("department_head"))
    assert notice.startswith("本工作群（团建临时联络群）因") and "11月26日解散" in notice and notice.endswith("操作人：李建国")
    # an extension needs a reason
    with pytest.raises(Refused) as e:
        operations.extend(user("department_head"), group, date(2026, 12, 3), "")
    assert e.value.code == "G7"
    operations.extend(user("department_head"), group, date(2026, 12, 3), "年底总结还需在群内收集照片")
    clock.set("2026-11-27 09:00")
    assert operations.sweep()["overdue"] == 0  # extended
    clock.set("2026-12-04 09:00")
    assert operations.sweep()["overdue"] == 1
    operations.dissolve(user("department_head"), group)
    assert group.state == "dissolved" and queries.open_tasks(group) == []


def test_the_owner_marks_the_work_ended(app, clock, group, user):
    clock.set("2026-11-25 10:00")
    task = operations.end_work(user("department_head"), group, "专题项目完结")
    assert task.due_at == clock.now() + timedelta(days=5)
    assert operations.notice_text(group, user("department_head")) == \
        "本工作群（市场部项目联络群）因专题项目完结，将于11月30日解散，望大家知悉。操作人：李建国"


def test_owners_are_reminded_to_review_the_members(app, clock, group):
    operations.sweep()
    assert queries.open_tasks(group) == []
    clock.advance(days=91)
    assert operations.sweep()["reviews"] >= 1  # the demo company's groups are due too
    assert [t.kind for t in queries.open_tasks(group)] == ["review"]
    assert operations.sweep()["reviews"] == 0  # once
