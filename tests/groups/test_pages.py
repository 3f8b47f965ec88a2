"""The work-group pages: the same operations as the API, refusals shown with the input kept."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cms.extensions import db
from cms.groups.models import WorkGroup
from tests.groups.conftest import department, hire


def test_file_approve_record_add_through_the_pages(app, client_as, clock):
    clock.set("2026-11-24 10:00")
    head = client_as("department_head")
    form = head.get("/groups/new")
    assert form.status_code == 200 and "工作微信群备案表" in form.get_data(as_text=True)
    r = head.post("/groups/new", data={"name": "市场部客户联络群", "category": "department", "purpose": "部门内部工作联络",
                                       "department": str(department("市场部").id), "owner": "department_head"})
    assert r.status_code == 302
    group = db.session.scalar(select(WorkGroup).where(WorkGroup.name == "市场部客户联络群"))
    assert group.state == "filed"
    leader = client_as("leader")
    assert "批准（G2）" in leader.get(f"/groups/{group.id}").get_data(as_text=True)
    assert leader.post(f"/groups/{group.id}/approve").status_code == 302
    assert client_as("group_admin").post(f"/groups/{group.id}/record").status_code == 302
    hire("newbie", "赵新", "市场部", "市场专员", date(2026, 11, 23))
    r = head.post(f"/groups/{group.id}/members", data={"username": "newbie", "nickname": "赵新-市场专员"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "2026-11-26" in page and "G5" in page
    assert 'value="赵新-市场专员"' in page  # the input kept
    r = head.post(f"/groups/{group.id}/members", data={"username": "contributor", "nickname": "小张"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "张晓雯-市场专员" in page and "与规定群昵称不符" in page


def test_a_missing_field_keeps_the_filing(app, client_as):
    head = client_as("department_head")
    r = head.post("/groups/new", data={"name": "团建临时群", "category": "temporary", "purpose": "团建",
                                       "department": str(department("市场部").id), "owner": "department_head"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "临时性工作群须填写" in page and 'value="团建临时群"' in page
    assert db.session.scalar(select(WorkGroup).where(WorkGroup.name == "团建临时群")) is None


def test_the_navigation_names_work_groups(app, client_as):
    assert "工作群" in client_as("contributor").get("/").get_data(as_text=True)
    assert client_as("contributor").get("/groups/").status_code == 200
    assert client_as("contributor").get("/groups/new").status_code == 403


def test_my_work_lists_filings_to_decide_and_tasks_due(app, client_as, user):
    from cms.auth import service as people
    from cms.groups import operations
    from tests.groups.conftest import active_group, file_group

    file_group("市场部待批群")
    assert "审批 市场部待批群 的备案（G2）" in client_as("leader").get("/").get_data(as_text=True)
    assert "市场部待批群" not in client_as("contributor").get("/").get_data(as_text=True)
    group = active_group(name="市场部客户联络群")
    operations.add_member(user("department_head"), group, username="contributor")
    people.depart(user("contributor"), date(2026, 12, 7), confirmed_by=user("sysadmin"))
    home = client_as("department_head").get("/").get_data(as_text=True)
    assert "市场部客户联络群：移出 张晓雯（已离职，G6）" in home
