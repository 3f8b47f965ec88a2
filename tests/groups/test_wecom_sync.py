"""A work group kept as a WeCom chat (cms/groups/wecom_sync.py) against the WeCom sandbox over
loopback HTTP, through wechatpy: the chat made with the members, a leaver's removal applied there
(G6), the dissolution notice posted (G7); a platform refusal shown in Chinese and nothing changed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.auth import service as people
from cms.errors import Refused
from cms.extensions import db
from cms.groups import operations, wecom_sync
from tests.notify.conftest import CORP, wecom, wecom_server  # noqa: F401  (the WeCom sandbox over loopback)


@pytest.fixture
def sandbox(request):
    """The notifications' WeCom sandbox (tests/notify/conftest.py `wecom`), configured on the app."""
    return request.getfixturevalue("wecom")


def _members(group, user, *names):
    for name in names:
        operations.add_member(user("department_head"), group, username=name)


def _actions(group) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "workgroup", AuditEntry.target_id == str(group.id),
        AuditEntry.action.like("group.wecom%")).order_by(AuditEntry.seq)))


def test_the_chat_is_made_a_leaver_removed_and_the_notice_posted(app, group, user, sandbox, client_as):
    _members(group, user, "contributor", "leader")
    owner = client_as("department_head")
    page = owner.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "作为企业微信群聊同步" in page
    assert owner.post(f"/groups/{group.id}/wecom/enable").status_code == 302
    assert owner.post(f"/groups/{group.id}/wecom/create").status_code == 302
    chat = sandbox.chats.get(CORP, f"cmsgroup{group.id}")
    assert chat.name == group.name and chat.owner == "department_head"
    assert chat.userlist == ["department_head", "contributor", "leader"]
    # The contributor leaves (U4): the departure sets the removal task (G6); applied in WeCom too.
    people.depart(user("contributor"), workdays.today(), confirmed_by=user("sysadmin"))
    assert "在企业微信中执行到期的移出" in owner.get(f"/groups/{group.id}").get_data(as_text=True)
    assert owner.post(f"/groups/{group.id}/wecom/removals").status_code == 302
    assert chat.userlist == ["department_head", "leader"]
    db.session.expire_all()
    assert [m.user.username for m in group.current_members] == ["leader"]
    assert not [t for t in group.tasks if t.kind == "removal" and t.state == "open"]
    # G7: the work ends; the notice (reason, time, operator) goes into the chat.
    operations.end_work(user("department_head"), group, "年度工作结束")
    assert owner.post(f"/groups/{group.id}/wecom/notice").status_code == 302
    [notice] = chat.messages
    assert "年度工作结束" in notice.content["content"] and "李建国" in notice.content["content"]
    assert wecom_sync.chat_of(group).notice_sent_at is not None
    assert _actions(group) == ["group.wecom_sync_on", "group.wecom_chat_created", "group.wecom_members_removed",
                               "group.wecom_notice_sent"]


def test_a_create_retried_after_a_lost_answer_takes_the_chat_made(app, group, user, sandbox):
    from cms.platforms import MemoryStorage
    from cms.platforms.wecom import client_for
    from cms.platforms.wecom import create_chat as platform_create

    _members(group, user, "contributor")
    wecom_sync.enable(user("department_head"), group)
    platform_create(client_for(app.config, MemoryStorage()), group.name, "department_head",
                    ["department_head", "contributor"], f"cmsgroup{group.id}")  # the answer that got lost
    wecom_sync.create_chat(user("department_head"), group)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "group.wecom_chat_created"))
    assert entry.after["resumed"] is True and wecom_sync.chat_of(group).created_at is not None


def test_a_refusal_is_shown_in_chinese_and_changes_nothing(app, group, user, sandbox, client_as):
    _members(group, user, "contributor")
    for name, status in (("department_head", 1), ("contributor", 5)):  # WeCom says the contributor left
        sandbox.add_user(CORP, name, name, status=status)
    owner = client_as("department_head")
    owner.post(f"/groups/{group.id}/wecom/enable")
    r = owner.post(f"/groups/{group.id}/wecom/create")
    assert r.status_code == 502 and "企业微信群成员中有不存在或已离职的 userid" in r.get_data(as_text=True)
    assert wecom_sync.chat_of(group).created_at is None and sandbox.chats.of_corp(CORP) == []
    assert _actions(group) == ["group.wecom_sync_on"]
    # Nothing to remove, no dissolution due, no chat: each said, nothing sent.
    with pytest.raises(Refused, match="no WeCom chat|企业微信群聊"):
        wecom_sync.apply_removals(user("department_head"), group)


def test_only_those_who_manage_the_group(app, group, user, sandbox, client_as):
    assert client_as("finance").post(f"/groups/{group.id}/wecom/enable").status_code == 404
    with pytest.raises(Refused) as e:
        wecom_sync.enable(user("contributor"), group)
    assert e.value.status == 403 and wecom_sync.chat_of(group) is None
    wecom_sync.enable(user("group_admin"), group)  # the administration office may
    with pytest.raises(Refused, match="2"):
        wecom_sync.create_chat(user("group_admin"), group)  # the owner alone is no chat


def test_without_wecom_configured(app, group, user):
    _members(group, user, "contributor")
    wecom_sync.enable(user("department_head"), group)
    with pytest.raises(Refused, match="CMS_WECOM_CORP_ID"):
        wecom_sync.create_chat(user("department_head"), group)
    assert wecom_sync.chat_of(group).created_at is None
