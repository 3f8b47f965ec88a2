"""G11 (§8 §18): a leader's same-day task or a notice in a group, recorded by the owner and sent to
each recipient as a WeCom card (cms/notify: a textcard through cms/platforms/wecom.send_text_card)
whose link records the acknowledgement (收到) when the recipient opens it logged in; or the owner
records it. A same-day task its responsible person leaves unanswered past 30 minutes proposes
the 100-yuan fine; shirking or delaying, marked by the owner, 50 yuan each time; a notice only
tracks who acknowledged. Proposals go through cms/groups/penalties.propose_penalty, for a human
to confirm.

    record_message(actor, group, kind, text, leader=, responsible=) -> GroupMessage
    acknowledge(user, ack, via="card"|"owner") -> GroupAck
    mark_shirked(actor, message, kind) -> Violation (proposed, in the register)
    sweep(now=None) -> int        the 30-minute rule (tasks.py, every minute)
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from cms import workdays
from cms.audit.service import record as audit
from cms.auth.models import User
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.groups import policy, queries, rules
from cms.groups.models import MESSAGE_KINDS, GroupAck, GroupMessage, WorkGroup
from cms.groups.penalties import propose_penalty
from cms.transactions import operation


def _member_user(group: WorkGroup, username: str, field: str) -> User:
    name = (username or "").strip()
    for m in group.current_members:
        if m.user is not None and m.user.username == name and m.user.is_active:
            return m.user
    message = _("Name a member of the group by username.")
    raise Refused(message, code="invalid", fields={field: [message]})


@operation
def record_message(actor, group: WorkGroup, kind: str, text: str, *, leader: str = "",
                   responsible: str = "") -> GroupMessage:
    from cms.notify.service import notify

    if not policy.can_manage(actor, group):
        raise Refused(_("You may not do this with this group."), code="forbidden", status=403)
    if kind not in MESSAGE_KINDS:
        raise Refused(_("Choose a same-day task or a notice."), fields={"kind": [_("Required.")]})
    text = " ".join((text or "").split())
    if not text or len(text) > 500:
        raise Refused(_("The text: 1 to 500 characters."), fields={"text": [_("Required.")]})
    leader_user = None
    if leader and leader.strip():
        leader_user = db.session.scalar(select(User).where(User.username == leader.strip()))
        if leader_user is None:
            raise Refused(_("No user named %(name)s.", name=leader), fields={"leader": [_("No such user.")]})
    responsible_user = _member_user(group, responsible, "responsible") if kind == "task" else None
    now = workdays.now()
    message = GroupMessage(group_id=group.id, kind=kind, text=text, leader_id=getattr(leader_user, "id", None),
                           responsible_id=getattr(responsible_user, "id", None), assigned_at=now,
                           recorded_by_id=actor.id)
    db.session.add(message)
    recipients = [responsible_user] if responsible_user else [m.user for m in group.current_members
                                                              if m.user is not None and m.user.is_active]
    acks = [GroupAck(message=message, user_id=u.id) for u in recipients]
    db.session.add_all(acks)
    db.session.flush()
    for ack, user in zip(acks, recipients, strict=True):
        if kind == "task":
            title = _("Same-day task in %(group)s, answer within %(n)d minutes: %(text)s", group=group.name,
                      n=queries.settings().answer_minutes, text=text)
        else:
            title = _("Notice in %(group)s, please acknowledge: %(text)s", group=group.name, text=text)
        notify([user], "group_ack", title, f"/groups/acks/{ack.id}")  # a WeCom card once committed
    audit("group.message_recorded", group, after={"kind": kind, "text": text, "recipients": len(acks),
                                                  "responsible": getattr(responsible_user, "username", None)})
    db.session.commit()
    return message


@operation
def acknowledge(user, ack: GroupAck, via: str = "card") -> GroupAck:
    """收到: the recipient opened the card's link (via card), or the owner recorded it (via owner)."""
    if via == "card" and not policy.can_acknowledge(user, ack):
        raise Refused(_("This acknowledgement is someone else's."), code="forbidden", status=403)
    if via == "owner" and not policy.can_manage(user, ack.message.group):
        raise Refused(_("You may not do this with this group."), code="forbidden", status=403)
    if ack.acked_at is not None:
        return ack
    ack.acked_at, ack.via = workdays.now(), via
    audit("group.acknowledged", ack.message.group, after={"message": ack.message_id, "user": ack.user.username,
                                                          "via": via})
    db.session.commit()
    return ack


def answered_at(message: GroupMessage) -> datetime | None:
    ack = next((a for a in message.acks if a.user_id == message.responsible_id), None)
    return ack.acked_at if ack else None


def answer_deadline(message: GroupMessage) -> datetime:
    return rules.answer_deadline(message.assigned_at, queries.settings().answer_minutes)


@operation
def mark_shirked(actor, message: GroupMessage, kind: str):
    """G11: the responsible person shirked or delayed the task: 50 yuan proposed, each time."""
    if not policy.can_manage(actor, message.group):
        raise Refused(_("You may not do this with this group."), code="forbidden", status=403)
    if message.kind != "task" or message.responsible is None:
        raise Conflict(_("Only a same-day task has a person responsible."), code="conflict")
    if kind not in ("shirked", "delayed"):
        raise Refused(_("Choose shirked or delayed."), fields={"kind": [_("Required.")]})
    what = _("%(name)s %(how)s the same-day task in %(group)s: %(text)s", name=message.responsible.real_name,
             how=_("shirked") if kind == "shirked" else _("delayed"), group=message.group.name, text=message.text)
    audit("group.task_shirked", message.group, after={"message": message.id, "kind": kind,
                                                      "user": message.responsible.username})
    row = propose_penalty(message.responsible, category=kind, what=what, amount_fen=rules.SHIRK_FEN, source="G11",
                          context="group_message", context_ref=message.id, actor=actor, now=workdays.now())
    db.session.commit()
    return row


@operation
def sweep(now: datetime | None = None) -> int:
    """G11: each same-day task unanswered past its 30 minutes proposes the 100-yuan fine, once."""
    now = now or workdays.now()
    minutes = queries.settings().answer_minutes
    made = 0
    # A same-day task is decided within its day: older ones answered in time are not read again.
    candidates = db.session.scalars(select(GroupMessage).where(
        GroupMessage.kind == "task", GroupMessage.late_penalty_at.is_(None),
        GroupMessage.responsible_id.is_not(None), GroupMessage.assigned_at > now - timedelta(days=2))).all()
    for message in candidates:
        if not rules.penalty_due(message.assigned_at, answered_at(message), now, minutes):
            continue
        message.late_penalty_at = now
        what = _("%(name)s did not answer the same-day task in %(group)s within %(n)d minutes: %(text)s",
                 name=message.responsible.real_name, group=message.group.name, n=minutes, text=message.text)
        audit("group.late_answer", message.group, actor=None,
              after={"message": message.id, "user": message.responsible.username})
        propose_penalty(message.responsible, category="late_answer", what=what, amount_fen=rules.LATE_ANSWER_FEN,
                        source="G11", context="group_message", context_ref=message.id, actor=None, now=now)
        made += 1
    db.session.commit()
    return made
