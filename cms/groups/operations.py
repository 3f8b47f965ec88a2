"""What changes a work group (G1-G9): each function is an `@operation` that checks the policy and
the rules, writes the audit entry and commits; a refusal names its policy ID and leaves nothing.

    file_group(actor, values) -> WorkGroup            G1 G2: the filing form → filed
    approve(actor, group) / refuse(actor, group, reason)   G2: the leader in charge → approved | refused
    record(actor, group)                               G2: the administration office → active
    add_member(actor, group, username=, external_name=, nickname=) -> (member, warnings)   G4 G5 G8 G9
    set_nickname(actor, member, nickname)              G4
    remove_member(actor, member)                       G3 G6: closes its removal tasks
    end_work / extend / dissolve                       G7
    complete_review(actor, group)                      G3
    on_departure(user, at) / on_transfer(user, old, at)   G6 (cms/auth/hooks: in depart's transaction)
    sweep(now=None) -> dict                            the daily sweep (tasks.py)
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from cms import workdays
from cms.audit.service import record as audit
from cms.auth.models import Department, User
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.groups import policy, queries, rules
from cms.groups.models import GroupMember, GroupTask, WorkGroup
from cms.holidays.service import is_workday
from cms.transactions import operation

FIELDS = ("name", "category", "purpose", "department", "owner", "ends_on")


def snapshot(group: WorkGroup) -> dict:
    return {"name": group.name, "category": group.category, "purpose": group.purpose,
            "department": group.department_id, "owner": group.owner_id, "state": group.state,
            "ends_on": group.ends_on}


def _forbidden() -> Refused:
    return Refused(_("You may not do this with this group."), code="forbidden", status=403)


def _notify(users, kind: str, text: str, url: str) -> None:
    from cms.notify.service import notify

    notify([u for u in users if u is not None], kind, text, url)


def _office_users() -> list[User]:
    from cms.auth.models import users_with_role

    return list(users_with_role("group_admin"))


# --- filing (G1 G2) ---------------------------------------------------------------------------------

def _user_named(username, field: str, errors: dict) -> User | None:
    name = (username or "").strip() if isinstance(username, str) else ""
    found = db.session.scalar(select(User).where(User.username == name)) if name else None
    if found is None or not found.is_active:
        errors.setdefault(field, []).append(_("Name an active user by username."))
        return None
    return found


@operation
def file_group(actor, values: dict) -> WorkGroup:
    """G2: the 工作微信群备案表 filed for a department (group.file for it) → state filed."""
    errors: dict = {}
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("A name of 1 to 100 characters.")]
    cat = queries.category(str(values.get("category") or ""))
    if cat is None:
        errors["category"] = [_("Choose one of the categories (G1).")]
    purpose = str(values.get("purpose") or "").strip()
    if not purpose or len(purpose) > 2000:
        errors["purpose"] = [_("Say what the group is for (at most 2000 characters).")]
    dep_id = values.get("department")
    department = db.session.get(Department, dep_id) if isinstance(dep_id, int) and 0 < dep_id < 2**31 else None
    if department is None:
        errors["department"] = [_("Choose an existing department.")]
    owner = _user_named(values.get("owner"), "owner", errors)
    ends_on = values.get("ends_on")
    if ends_on is not None and not isinstance(ends_on, date):
        errors["ends_on"] = [_("Not a date.")]
        ends_on = None
    if cat is not None and cat.temporary and ends_on is None:
        errors["ends_on"] = [_("A temporary group needs the date its work is expected to end (G7).")]
    elif ends_on is not None and ends_on < workdays.today():
        errors["ends_on"] = [_("The end date is in the past.")]
    if department is not None and not policy.can_file(actor, department.id):
        raise Refused(_("You may file groups only for your own department (G2)."), code="forbidden", status=403)
    if errors:
        problems = "；".join(" ".join(m) for m in errors.values())
        raise Refused(_("The filing was not saved: %(problems)s", problems=problems),
                      code="G7" if "ends_on" in errors and len(errors) == 1 else "invalid", fields=errors)
    group = WorkGroup(name=name, category=cat.key, purpose=purpose, department_id=department.id, owner_id=owner.id,
                      ends_on=ends_on if cat.temporary or ends_on else None, state=rules.FILED,
                      filed_by_id=actor.id, filed_at=workdays.now())
    db.session.add(group)
    db.session.flush()
    audit("group.filed", group, after=snapshot(group))
    from cms.auth.models import users_with_role

    _notify(users_with_role("leader", ("department", department.id)), "group_filed",
            _("Work group filing to approve: %(name)s", name=name), f"/groups/{group.id}")
    db.session.commit()
    return group


def _state_is(group: WorkGroup, *states: str) -> None:
    if group.state not in states:
        raise Conflict(_("The group is %(state)s: this cannot be done now.", state=group.state), code="conflict")


@operation
def approve(actor, group: WorkGroup) -> WorkGroup:
    """G2: the leader in charge of the group's department approves the filing."""
    _state_is(group, rules.FILED)
    if not policy.can_approve(actor, group):
        raise Refused(_("Only the leader in charge of this group's department approves it (G2)."), code="G2",
                      status=403)
    group.state, group.approved_by_id, group.approved_at = rules.APPROVED, actor.id, workdays.now()
    audit("group.approved", group, before={"state": rules.FILED}, after={"state": group.state})
    _notify(_office_users(), "group_approved", _("Approved work group to record: %(name)s", name=group.name),
            f"/groups/{group.id}")
    db.session.commit()
    return group


@operation
def refuse(actor, group: WorkGroup, reason: str) -> WorkGroup:
    _state_is(group, rules.FILED)
    if not policy.can_refuse(actor, group):
        raise Refused(_("Only the leader in charge of this group's department decides on it (G2)."), code="G2",
                      status=403)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why the filing is refused."), fields={"reason": [_("Required.")]})
    group.state, group.refused_by_id, group.refused_reason = rules.REFUSED, actor.id, reason[:500]
    audit("group.refused", group, before={"state": rules.FILED}, after={"state": group.state, "reason": reason})
    _notify([group.owner, group.filed_by], "group_refused", _("Work group filing refused: %(name)s", name=group.name),
            f"/groups/{group.id}")
    db.session.commit()
    return group


@operation
def record(actor, group: WorkGroup) -> WorkGroup:
    """G2: the administration office records the approved filing; from now the group exists."""
    _state_is(group, rules.APPROVED)
    if not policy.can_record(actor, group):
        raise Refused(_("The administration office records filings (G2)."), code="G2", status=403)
    now = workdays.now()
    group.state, group.recorded_by_id, group.recorded_at, group.last_review_at = rules.ACTIVE, actor.id, now, now
    audit("group.recorded", group, before={"state": rules.APPROVED}, after={"state": group.state})
    _notify([group.owner], "group_active", _("Work group recorded, you may create it now: %(name)s", name=group.name),
            f"/groups/{group.id}")
    db.session.commit()
    return group


# --- members (G4 G5 G8 G9) --------------------------------------------------------------------------

def _person(user: User) -> rules.Person:
    names, node = [], user.department
    while node is not None:
        names.append(node.name)
        node = node.parent
    return rules.Person(title=user.title or "", department_id=user.department_id, department_names=tuple(names),
                        roles=tuple(sorted(user.role_names())))


def expected_for(group: WorkGroup, user: User | None, external_name: str = "") -> str:
    cat = queries.category(group.category)
    fmt = cat.nickname if cat else "{name}-{department}"
    if user is None:
        return rules.expected_nickname("{name}", external_name)
    return rules.expected_nickname(fmt, user.real_name, user.department.name, user.title or "", user.phone or "")


def eligible_from(user: User) -> date | None:
    if user.hire_date is None:
        return None
    return rules.eligible_from(user.hire_date, is_workday, queries.settings().new_hire_workdays)


@operation
def add_member(actor, group: WorkGroup, *, username: str | None = None, external_name: str = "",
               nickname: str = "") -> tuple[GroupMember, list[str]]:
    """G4 G5 G8 G9: a user (or, in a partner group, a named outsider) joins; → (member, warnings)."""
    if not policy.can_manage_members(actor, group):
        if group.state != rules.ACTIVE:
            raise Conflict(_("Members join only once the group is approved and recorded (G2)."), code="G2")
        raise _forbidden()
    cat = queries.category(group.category) or rules.Category(group.category, group.category)
    nickname = (nickname or "").strip()[:200]
    external_name = (external_name or "").strip()[:100]
    user = None
    if username:
        user = db.session.scalar(select(User).where(User.username == str(username).strip()))
        if user is None or not user.is_active:
            raise Refused(_("No active user named %(name)s.", name=username), code="invalid",
                          fields={"username": [_("No such active user.")]})
    elif not external_name:
        raise Refused(_("Name the member."), code="invalid", fields={"username": [_("Required.")]})
    elif not cat.scope.externals:
        raise Refused(_("Only partner groups take outside members (G8)."), code="G8",
                      fields={"external_name": [_("Not in this category.")]})
    current = group.current_members
    if user is not None and any(m.user_id == user.id for m in current) or \
            user is None and any(m.user_id is None and m.external_name == external_name for m in current):
        raise Conflict(_("Already a member."), code="conflict")
    if user is not None:
        if not rules.in_scope(cat.scope, _person(user), group.department_id):
            message = _("%(name)s is outside this group's membership (G8: %(scope)s).", name=user.real_name,
                        scope=cat.scope.describe())
            raise Refused(message, code="G8", fields={"username": [message]})
        day = eligible_from(user)
        if day is not None and workdays.today() < day:
            message = _("%(name)s was hired on %(hired)s: new hires are invited after %(n)d working days, from "
                        "%(day)s (G5).", name=user.real_name, hired=user.hire_date.isoformat(),
                        n=queries.settings().new_hire_workdays, day=day.isoformat())
            raise Refused(message, code="G5", fields={"username": [message]}, extra={"eligible_from": day.isoformat()})
    member = GroupMember(group_id=group.id, user_id=user.id if user else None, external_name=external_name,
                         expected_nickname=expected_for(group, user, external_name), nickname=nickname,
                         added_by_id=actor.id, added_at=workdays.now())
    db.session.add(member)
    db.session.flush()
    warnings = member_warnings(member)
    audit("group.member_added", group, after={"member": user.username if user else external_name,
                                              "nickname": nickname, "warnings": warnings})
    db.session.commit()
    return member, warnings


def member_warnings(member: GroupMember) -> list[str]:
    """G4: a nickname that differs from the expected one; G9: more groups than the limit."""
    out = []
    if member.nickname and not rules.nickname_matches(member.expected_nickname, member.nickname):
        out.append(_("Nickname %(actual)s differs from the expected %(expected)s (G4).", actual=member.nickname,
                     expected=member.expected_nickname))
    if member.user_id is not None:
        limit = queries.settings().max_per_employee
        count = queries.group_counts([member.user_id]).get(member.user_id, 0)
        if rules.over_group_limit(count, limit):
            out.append(_("%(name)s is in %(n)d work groups, more than %(limit)d (G9): check the work needs them all.",
                         name=member.display_name, n=count, limit=limit))
    return out


@operation
def set_nickname(actor, member: GroupMember, nickname: str) -> list[str]:
    if not policy.can_manage_members(actor, member.group):
        raise _forbidden()
    before = member.nickname
    member.nickname = (nickname or "").strip()[:200]
    audit("group.nickname_set", member.group, before={"nickname": before},
          after={"member": member.display_name, "nickname": member.nickname})
    db.session.commit()
    return member_warnings(member)


@operation
def remove_member(actor, member: GroupMember) -> GroupMember:
    """G3 G6: out of the group; its open removal tasks are done now (on time or late, G12)."""
    group = member.group
    if not policy.can_manage_members(actor, group):
        raise _forbidden()
    if member.removed_at is not None:
        raise Conflict(_("Already removed."), code="conflict")
    now = workdays.now()
    member.removed_at, member.removed_by_id = now, actor.id
    for task in group.tasks:
        if task.member_id == member.id and task.state == "open":
            task.state, task.done_at, task.done_by_id = "done", now, actor.id
    audit("group.member_removed", group, after={"member": member.display_name})
    db.session.commit()
    return member


# --- G6: leavers and transferees --------------------------------------------------------------------

def _removal_tasks(user: User, at: datetime, reason: str) -> list[GroupTask]:
    """A removal task due 48 hours after `at` for every active group the user is in (no commit:
    inside the departure's or the transfer's transaction)."""
    due = rules.removal_due(at, queries.settings().removal_hours)
    made = []
    members = db.session.scalars(select(GroupMember).join(WorkGroup).where(
        GroupMember.user_id == user.id, GroupMember.removed_at.is_(None), WorkGroup.state == rules.ACTIVE)).all()
    for member in members:
        if any(t.member_id == member.id and t.kind == "removal" and t.state == "open" for t in member.group.tasks):
            continue
        task = GroupTask(group=member.group, kind="removal", member=member, reason=reason, due_at=due, created_at=at)
        db.session.add(task)
        made.append(task)
    db.session.flush()
    for task in made:
        audit("group.removal_due", task.group, after={"member": user.username, "reason": reason, "due_at": due})
        _notify([task.group.owner], "group_removal",
                _("Remove %(name)s from %(group)s by %(due)s (G6).", name=user.real_name, group=task.group.name,
                  due=workdays.local(due).strftime("%Y-%m-%d %H:%M")), f"/groups/{task.group_id}")
    return made


def on_departure(user: User, at: datetime) -> None:
    _removal_tasks(user, at, "departure")


def on_transfer(user: User, old_department_id: int, at: datetime) -> None:
    _removal_tasks(user, at, "transfer")


# --- G7: temporary groups ---------------------------------------------------------------------------

def _dissolution_task(group: WorkGroup, ended_at: datetime) -> GroupTask:
    group.work_ended_at = ended_at
    due = rules.dissolution_due(ended_at, queries.settings().dissolution_days)
    task = GroupTask(group=group, kind="dissolution", reason=group.dissolution_reason or "work_ended", due_at=due,
                     created_at=workdays.now())
    db.session.add(task)
    db.session.flush()
    audit("group.dissolution_due", group, after={"work_ended_at": ended_at, "due_at": due})
    _notify([group.owner], "group_dissolve", _("Dissolve %(group)s by %(due)s (G7).", group=group.name,
                                                due=workdays.local(due).strftime("%Y-%m-%d %H:%M")),
            f"/groups/{group.id}")
    return task


def open_task(group: WorkGroup, kind: str) -> GroupTask | None:
    return next((t for t in group.tasks if t.kind == kind and t.state == "open"), None)


@operation
def end_work(actor, group: WorkGroup, reason: str) -> GroupTask:
    """G7: the owner says the group's work has ended: dissolve within 5 days."""
    if not policy.can_manage(actor, group):
        raise _forbidden()
    if group.work_ended_at is not None:
        raise Conflict(_("The work is already marked ended."), code="conflict")
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why the work ended: the dissolution notice names it (G7)."), code="G7",
                      fields={"reason": [_("Required.")]})
    group.dissolution_reason = reason[:200]
    task = _dissolution_task(group, workdays.now())
    db.session.commit()
    return task


@operation
def extend(actor, group: WorkGroup, until: date | None, reason: str) -> GroupTask:
    """G7: a later dissolution needs a reason (如有特殊需求的允许适当延后解散时间)."""
    if not policy.can_manage(actor, group):
        raise _forbidden()
    task = open_task(group, "dissolution")
    if task is None:
        raise Conflict(_("There is no dissolution due to extend."), code="conflict")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("An extension needs a reason (G7).")]
    if until is None or until <= workdays.today():
        errors["until"] = [_("A date after today.")]
    if errors:
        raise Refused(_("The extension was not saved: %(p)s", p="；".join(m[0] for m in errors.values())), code="G7",
                      fields=errors)
    before = task.due_at
    group.extended_until = rules.work_ended_at(until, workdays.zone())
    group.extension_reason = reason[:500]
    task.due_at, task.overdue = group.extended_until, False
    audit("group.dissolution_extended", group, before={"due_at": before},
          after={"due_at": task.due_at, "reason": reason})
    db.session.commit()
    return task


def notice_text(group: WorkGroup, operator: User, day: date | None = None) -> str:
    """G7: the notice posted in the group before it is dissolved (reason, time, operator)."""
    task = open_task(group, "dissolution")
    if day is None:
        day = workdays.local(task.due_at).date() if task else workdays.today()
    return rules.dissolution_notice(group.name, group.dissolution_reason or _("the work ended"), day,
                                    operator.real_name)


@operation
def dissolve(actor, group: WorkGroup) -> WorkGroup:
    """G7: dissolved (after the notice); every open task of the group is closed now."""
    if not policy.can_manage(actor, group):
        raise _forbidden()
    now = workdays.now()
    notice = notice_text(group, actor, workdays.today())
    for task in group.tasks:
        if task.state == "open":
            task.state, task.done_at, task.done_by_id = "done", now, actor.id
    group.state, group.dissolved_at = rules.DISSOLVED, now
    audit("group.dissolved", group, before={"state": rules.ACTIVE}, after={"state": group.state, "notice": notice})
    db.session.commit()
    return group


@operation
def complete_review(actor, group: WorkGroup) -> WorkGroup:
    """G3 (定期检查群内成员): the owner has checked the membership."""
    if not policy.can_manage(actor, group):
        raise _forbidden()
    now = workdays.now()
    group.last_review_at = now
    task = open_task(group, "review")
    if task is not None:
        task.state, task.done_at, task.done_by_id = "done", now, actor.id
    audit("group.reviewed", group, after={"at": now})
    db.session.commit()
    return group


# --- the daily sweep --------------------------------------------------------------------------------

@operation
def sweep(now: datetime | None = None) -> dict:
    """Temporary groups whose end date passed get their dissolution task (G7); groups due a
    membership review get a review task and their owner a reminder (G3); open tasks past due are
    marked overdue and their owner told (G6 G7). G11's penalties: cms/groups/messages.sweep."""
    now = now or workdays.now()
    out = {"dissolutions": 0, "reviews": 0, "overdue": 0}
    s = queries.settings()
    zone = workdays.zone()
    for group in db.session.scalars(select(WorkGroup).where(WorkGroup.state == rules.ACTIVE)):
        if group.ends_on is not None and group.work_ended_at is None:
            ended = rules.work_ended_at(group.ends_on, zone)
            if ended <= now:
                group.dissolution_reason = group.dissolution_reason or _("its work ended on %(d)s",
                                                                         d=group.ends_on.isoformat())
                _dissolution_task(group, ended)
                out["dissolutions"] += 1
        last = group.last_review_at or group.recorded_at or group.filed_at
        if rules.review_due(last, s.review_days) <= now and open_task(group, "review") is None:
            task = GroupTask(group=group, kind="review", reason="periodic", due_at=rules.review_due(now, 7),
                             created_at=now)
            db.session.add(task)
            _notify([group.owner], "group_review", _("Review the members of %(group)s (G3).", group=group.name),
                    f"/groups/{group.id}")
            out["reviews"] += 1
    db.session.flush()
    late = db.session.scalars(select(GroupTask).where(GroupTask.state == "open", GroupTask.overdue.is_(False),
                                                      GroupTask.due_at < now)).all()
    for task in late:
        task.overdue = True
        audit("group.task_overdue", task.group, after={"task": task.id, "kind": task.kind, "due_at": task.due_at})
        _notify([task.group.owner], "group_overdue", _("Overdue in %(group)s: %(what)s", group=task.group.name,
                                                        what=task_label(task)), f"/groups/{task.group_id}")
        out["overdue"] += 1
    db.session.commit()
    return out


def task_label(task: GroupTask) -> str:
    if task.kind == "removal":
        name = task.member.display_name if task.member else ""
        why = _("left the company") if task.reason == "departure" else _("changed department")
        return _("remove %(name)s (%(why)s, G6)", name=name, why=why)
    if task.kind == "dissolution":
        return _("dissolve the group (G7)")
    return _("review the members (G3)")
