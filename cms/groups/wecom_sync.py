"""A work group kept as a WeCom group chat (企业微信群聊, WECHAT_API.md 5 appchat/*) when its owner
or the administration office switches the sync on: the chat is made with the group's members, the
removals the rules ask for (G6: leavers and transferees) are applied in WeCom, and the dissolution
notice (G7: reason, time, operator) is posted in the chat. One operation each, audited; the
platform's refusal is shown in Chinese and changes nothing here.

    enable(actor, group)                      sync on: the chat id is fixed (cmsgroup<id>)
    create_chat(actor, group)                 appchat/create with the group's members (userid = username)
    apply_removals(actor, group)              appchat/update del_user_list for the open removal tasks,
                                              then each member removed here (operations.remove_member)
    send_dissolution_notice(actor, group)     appchat/send the G7 notice, while a dissolution is due

Who: whoever manages the group (policy.can_manage: its owner, the administration office), while
it is active. WeCom userids are CMS usernames (cms/config.py). A create retried after a lost
answer meets 86215 (the chat id is ours and exists): the chat is then read back and taken as made.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.audit.service import record as audit
from cms.dbtypes import UTCDateTime
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.groups import operations, policy
from cms.groups.models import WorkGroup
from cms.transactions import operation

CHAT_EXISTS = 86215


class GroupChat(db.Model):
    """The WeCom chat of a group whose sync is on; `created_at` None until WeCom made it."""

    __tablename__ = "group_wecom_chat"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="CASCADE"), unique=True)
    chatid: Mapped[str] = mapped_column(String(32), unique=True)
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    enabled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    group: Mapped[WorkGroup] = relationship()


def chat_of(group: WorkGroup) -> GroupChat | None:
    return db.session.scalar(select(GroupChat).where(GroupChat.group_id == group.id))


def _client():
    from cms.platforms import MemoryStorage
    from cms.platforms.wecom import client_for

    client = client_for(current_app.config, current_app.extensions.setdefault("wecom_token_storage", MemoryStorage()))
    if client is None:
        raise Refused(_("WeCom is not configured (CMS_WECOM_CORP_ID, CMS_WECOM_SECRET)."), code="config", status=409)
    return client


def _platform_refused(e) -> Refused:
    return Refused(_("WeCom refused: %(why)s", why=e.description), code="platform", status=502,
                   extra={"errcode": e.errcode})


def _managed(actor, group: WorkGroup) -> None:
    if not policy.can_manage(actor, group):
        raise Refused(_("Only the group's owner or the administration office does this, while the group is active "
                        "(G3)."), code="G3", status=403)


def _made_chat(actor, group: WorkGroup) -> GroupChat:
    _managed(actor, group)
    chat = chat_of(group)
    if chat is None or chat.created_at is None:
        raise Conflict(_("The group has no WeCom chat yet."), code="conflict")
    return chat


@operation
def enable(actor, group: WorkGroup) -> GroupChat:
    _managed(actor, group)
    if chat_of(group) is not None:
        raise Conflict(_("WeCom sync is already on for this group."), code="conflict")
    chat = GroupChat(group_id=group.id, chatid=f"cmsgroup{group.id}", enabled_at=workdays.now(),
                     enabled_by_id=actor.id)
    db.session.add(chat)
    audit("group.wecom_sync_on", group, after={"chatid": chat.chatid})
    db.session.commit()
    return chat


def _userids(group: WorkGroup) -> list[str]:
    """The owner first, then every current member with an active account."""
    users = [group.owner] + [m.user for m in group.current_members if m.user is not None]
    return list(dict.fromkeys(u.username for u in users if u is not None and u.is_active))


@operation
def create_chat(actor, group: WorkGroup) -> GroupChat:
    from cms.platforms import CallError
    from cms.platforms.wecom import create_chat as platform_create
    from cms.platforms.wecom import get_chat

    _managed(actor, group)
    chat = chat_of(group)
    if chat is None:
        raise Conflict(_("Switch WeCom sync on first."), code="conflict")
    if chat.created_at is not None:
        raise Conflict(_("The WeCom chat is already made."), code="conflict")
    userids = _userids(group)
    if len(userids) < 2:
        raise Refused(_("A WeCom chat needs at least 2 members with an account."), code="G3", status=422)
    chatid, name, owner = chat.chatid, group.name, group.owner.username
    db.session.commit()  # no transaction open while the platform answers
    client = _client()
    try:
        try:
            platform_create(client, name, owner, userids, chatid)
            resumed = False
        except CallError as e:
            if e.errcode != CHAT_EXISTS:
                raise
            get_chat(client, chatid)  # ours (another application's would be refused): made before
            resumed = True
    except CallError as e:
        raise _platform_refused(e) from e
    chat = chat_of(group)
    chat.created_at = workdays.now()
    audit("group.wecom_chat_created", group, after={"chatid": chatid, "owner": owner, "userlist": userids,
                                                    "resumed": resumed})
    db.session.commit()
    return chat


@operation
def apply_removals(actor, group: WorkGroup) -> list[str]:
    """G6: the members the open removal tasks name leave the WeCom chat, then the group here.
    Returns the userids removed."""
    from cms.platforms import CallError
    from cms.platforms.wecom import update_chat

    chat = _made_chat(actor, group)
    members = [t.member for t in group.tasks if t.kind == "removal" and t.state == "open" and t.member is not None
               and t.member.removed_at is None]
    if not members:
        raise Conflict(_("No removal is due in this group."), code="conflict")
    if any(m.user_id == group.owner_id for m in members):
        raise Refused(_("The group's owner is among those to remove: name a new owner first (G3)."), code="G3")
    userids = [m.user.username for m in members if m.user is not None]
    chatid, ids = chat.chatid, [m.id for m in members]
    db.session.commit()  # no transaction open while the platform answers
    if userids:
        try:
            update_chat(_client(), chatid, remove=userids)
        except CallError as e:
            raise _platform_refused(e) from e
    audit("group.wecom_members_removed", group, after={"chatid": chatid, "removed": userids})
    from cms.groups.models import GroupMember

    for member_id in ids:  # each commits (this entry goes with the first)
        operations.remove_member(actor, db.session.get(GroupMember, member_id))
    return userids


@operation
def send_dissolution_notice(actor, group: WorkGroup) -> str:
    """G7: the notice (reason, time, operator) posted in the chat before the group is dissolved."""
    from cms.platforms import CallError
    from cms.platforms.wecom import send_chat_text

    chat = _made_chat(actor, group)
    if operations.open_task(group, "dissolution") is None:
        raise Conflict(_("No dissolution is due: mark the work ended first (G7)."), code="G7")
    text, chatid = operations.notice_text(group, actor), chat.chatid
    db.session.commit()  # no transaction open while the platform answers
    try:
        send_chat_text(_client(), chatid, text)
    except CallError as e:
        raise _platform_refused(e) from e
    chat = chat_of(group)
    chat.notice_sent_at = workdays.now()
    audit("group.wecom_notice_sent", group, after={"chatid": chatid, "text": text})
    db.session.commit()
    return text
