"""Reading the work groups: the settings, groups, members, tasks, the dashboard and the monthly
assessment (G12). No writes here.

    settings() -> Settings                  CMS_GROUP_* of the running app
    categories() / category(key)            G1 G4 G8
    get_group(id) / get_task(id) / get_member(id) / get_message(id) / get_ack(id)   NotFound (404)
    visible_groups(user)                    the groups the user may see
    group_counts(user_ids) -> {id: n}       G9: the active groups each is in
    tasks(user, state) -> [GroupTask]       open | overdue, those the user may see
    dashboard(user) -> {by_owner, by_department}
    assessment(year, month) -> [row]        G12: per owner and group
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cms import workdays
from cms.errors import NotFound
from cms.extensions import db
from cms.groups import policy, rules
from cms.groups.models import GroupAck, GroupMember, GroupMessage, GroupTask, WorkGroup
from cms.groups.penalties import of_group as penalties_of
from cms.violations.models import Violation


@dataclass(frozen=True)
class Settings:
    max_per_employee: int
    new_hire_workdays: int
    removal_hours: int
    dissolution_days: int
    review_days: int
    answer_minutes: int


def settings() -> Settings:
    c = current_app.config
    return Settings(int(c.get("GROUP_MAX_PER_EMPLOYEE", 10)), int(c.get("GROUP_NEW_HIRE_WORKDAYS", 3)),
                    int(c.get("GROUP_REMOVAL_HOURS", 48)), int(c.get("GROUP_DISSOLUTION_DAYS", 5)),
                    int(c.get("GROUP_REVIEW_DAYS", 90)), int(c.get("GROUP_ANSWER_MINUTES", 30)))


def categories() -> dict[str, rules.Category]:
    return rules.categories(current_app.config.get("GROUP_CATEGORIES"))


def category(key: str) -> rules.Category | None:
    return categories().get(key)


def category_label(key: str) -> str:
    found = category(key)
    return found.label if found else key


def _get(model, ident: int, message: str):
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(message, code="not_found")
    return row


def get_group(group_id: int) -> WorkGroup:
    return _get(WorkGroup, group_id, _("No such work group."))


def get_task(task_id: int) -> GroupTask:
    return _get(GroupTask, task_id, _("No such task."))


def get_member(member_id: int) -> GroupMember:
    return _get(GroupMember, member_id, _("No such member."))


def get_message(message_id: int) -> GroupMessage:
    return _get(GroupMessage, message_id, _("No such message."))


def get_ack(ack_id: int) -> GroupAck:
    return _get(GroupAck, ack_id, _("No such acknowledgement."))


def visible_groups(user) -> list[WorkGroup]:
    rows = db.session.scalars(select(WorkGroup).order_by(WorkGroup.state, WorkGroup.id.desc())).all()
    return [g for g in rows if policy.can_view(user, g)]


def group_counts(user_ids) -> dict[int, int]:
    """G9: how many active groups each user is a member of now."""
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(GroupMember.user_id, func.count(GroupMember.id)).join(WorkGroup)
        .where(GroupMember.user_id.in_(ids), GroupMember.removed_at.is_(None), WorkGroup.state == rules.ACTIVE)
        .group_by(GroupMember.user_id)).all()
    return {uid: n for uid, n in rows}


def open_tasks(group: WorkGroup) -> list[GroupTask]:
    return [t for t in group.tasks if t.state == "open"]


def tasks(user, state: str = "open") -> list[GroupTask]:
    """open: every open task; overdue: the open ones past their due time. Only groups the user sees."""
    now = workdays.now()
    q = select(GroupTask).where(GroupTask.state == "open").order_by(GroupTask.due_at)
    if state == "overdue":
        q = q.where(GroupTask.due_at < now)
    return [t for t in db.session.scalars(q) if policy.can_view(user, t.group)]


def owned_open_tasks(user) -> list[GroupTask]:
    return list(db.session.scalars(select(GroupTask).join(WorkGroup).where(
        WorkGroup.owner_id == user.id, GroupTask.state == "open").order_by(GroupTask.due_at)))


def waiting_for(user) -> list[WorkGroup]:
    """Filings the user may approve now, or record now (G2)."""
    if not (user.holds("group.approve") or user.holds("group.admin")):
        return []
    rows = db.session.scalars(select(WorkGroup).where(WorkGroup.state.in_((rules.FILED, rules.APPROVED)))
                              .order_by(WorkGroup.filed_at))
    return [g for g in rows if policy.can_approve(user, g) or policy.can_record(user, g)]


def dashboard(user) -> dict:
    """Open and overdue tasks counted by owner and by department."""
    now = workdays.now()
    by_owner: dict = {}
    by_department: dict = {}
    found = tasks(user, "open")
    for t in found:
        late = t.due_at < now
        for key, bucket in ((t.group.owner, by_owner), (t.group.department, by_department)):
            row = bucket.setdefault(key.id, {"who": key, "open": 0, "overdue": 0})
            row["open"] += 1
            row["overdue"] += int(late)
    return {"tasks": found, "by_owner": list(by_owner.values()), "by_department": list(by_department.values()),
            "now": now}


def messages(group: WorkGroup) -> list[GroupMessage]:
    return list(db.session.scalars(select(GroupMessage).where(GroupMessage.group_id == group.id)
                                   .order_by(GroupMessage.assigned_at.desc())))


def penalties(group: WorkGroup) -> list[Violation]:
    """The register's records G11 proposed for this group, newest first."""
    return list(db.session.scalars(penalties_of(group.id).order_by(Violation.created_at.desc(), Violation.id.desc())))


# --- G12: the monthly assessment -------------------------------------------------------------------

ASSESSMENT_COLUMNS = ("owner", "department", "group", "removals_on_time", "removals_late", "removals_open",
                      "acks", "acks_expected", "ack_rate", "penalties", "penalty_fen")


def assessment(year: int, month: int) -> list[dict]:
    """G12 (§6 考核): per owner and group, the month's removal tasks (due that month) done on time,
    late or still open, the acknowledgement rate of the month's messages, and the penalties proposed.
    Four queries whatever the number of groups (each figure read for all groups at once)."""
    start, end = rules.month_bounds(year, month, workdays.zone())
    groups = list(db.session.scalars(
        select(WorkGroup).where(WorkGroup.state.in_((rules.ACTIVE, rules.DISSOLVED)))
        .options(selectinload(WorkGroup.owner), selectinload(WorkGroup.department))
        .order_by(WorkGroup.owner_id, WorkGroup.id)))
    ids = [g.id for g in groups]
    removals: dict[int, list[GroupTask]] = {}
    for t in db.session.scalars(select(GroupTask).where(GroupTask.group_id.in_(ids), GroupTask.kind == "removal",
                                                        GroupTask.due_at >= start, GroupTask.due_at < end)):
        removals.setdefault(t.group_id, []).append(t)
    acks = {gid: (asked, acked) for gid, asked, acked in db.session.execute(
        select(GroupMessage.group_id, func.count(GroupAck.id), func.count(GroupAck.acked_at)).join(GroupMessage)
        .where(GroupMessage.group_id.in_(ids), GroupMessage.assigned_at >= start, GroupMessage.assigned_at < end)
        .group_by(GroupMessage.group_id))}
    pens: dict[int, list[int]] = {}
    for ref, fen in db.session.execute(select(Violation.context_ref, Violation.proposed_amount_fen).where(
            Violation.context_ref.startswith("group:"), Violation.created_at >= start, Violation.created_at < end)):
        gid = ref.split(":")[1]
        if gid.isdigit():
            pens.setdefault(int(gid), []).append(fen or 0)
    out = []
    for g in groups:
        done = removals.get(g.id, [])
        on_time = sum(1 for t in done if rules.done_late(t.due_at, t.done_at) is False)
        late = sum(1 for t in done if rules.done_late(t.due_at, t.done_at))
        asked, acked = acks.get(g.id, (0, 0))
        out.append({"owner": g.owner.real_name, "department": g.department.name, "group": g.name,
                    "removals_on_time": on_time, "removals_late": late, "removals_open": len(done) - on_time - late,
                    "acks": acked, "acks_expected": asked, "ack_rate": rules.percent(rules.rate(acked, asked)),
                    "penalties": len(pens.get(g.id, [])), "penalty_fen": sum(pens.get(g.id, []))})
    return out


def month_of(now: datetime) -> tuple[int, int]:
    local = workdays.local(now)
    return local.year, local.month
