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
    r = head.post("/groups/new", data={"name": "团建临时群", "category": "temporary", "purpose": "团建",
                                       "department": str(department("市场部").id), "owner": "department_head",
                                       "ends_on": "2026-13-45"})
    assert r.status_code == 422 and "不是日期" in r.get_data(as_text=True)


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


def test_end_extend_dissolve_and_messages_through_the_pages(app, client_as, clock, user):
    from cms.groups import queries
    from tests.groups.conftest import active_group

    clock.set("2026-11-25 10:00")
    group = active_group(name="展会临时联络群", category="temporary", ends_on=date(2026, 11, 30))
    head = client_as("department_head")
    assert head.post(f"/groups/{group.id}/members", data={"username": "contributor"}).status_code == 302
    r = head.post(f"/groups/{group.id}/messages", data={"kind": "task", "text": "今天完成展位布置",
                                                         "responsible": "contributor"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "已登记，并以企业微信卡片发送" in page and "责任人：张晓雯" in page
    clock.advance(minutes=31)
    from cms.groups import messages

    messages.sweep()
    message = queries.messages(db.session.merge(group))[0]
    r = head.post(f"/groups/messages/{message.id}/shirk", data={"kind": "delayed"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "建议罚款 100 元" in page and "建议处罚（待确认）" in page and page.count("元</li>") == 2
    r = head.post(f"/groups/{group.id}/end", data={"reason": ""})
    assert r.status_code == 422 and "解散公告要写明" in r.get_data(as_text=True)
    r = head.post(f"/groups/{group.id}/end", data={"reason": "展会结束"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "本工作群（展会临时联络群）因展会结束，将于11月30日解散" in page and "操作人：李建国" in page
    r = head.post(f"/groups/{group.id}/extend", data={"until": "2026-12-05", "reason": ""})
    assert r.status_code == 422 and "延后解散须说明原因" in r.get_data(as_text=True)
    r = head.post(f"/groups/{group.id}/extend", data={"until": "2026-12-05", "reason": "等待供应商结算"},
                  follow_redirects=True)
    assert "12月6日解散" in r.get_data(as_text=True)
    r = head.post(f"/groups/{group.id}/dissolve", follow_redirects=True)
    assert "工作群已解散" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WorkGroup, group.id).state == "dissolved"
    assert client_as("finance").post(f"/groups/{group.id}/dissolve").status_code == 404


def test_a_partner_group_takes_a_named_outsider(app, client_as):
    from tests.groups.conftest import active_group

    partner = active_group(name="渠道合作伙伴群", category="partner")
    head = client_as("department_head")
    r = head.post(f"/groups/{partner.id}/members", data={"external_name": "华东代理商王经理"}, follow_redirects=True)
    assert "华东代理商王经理" in r.get_data(as_text=True) and "合作方" in r.get_data(as_text=True)
    other = active_group(name="市场部项目群", category="project")
    r = head.post(f"/groups/{other.id}/members", data={"external_name": "外人"})
    assert r.status_code == 422 and "G8" in r.get_data(as_text=True)
