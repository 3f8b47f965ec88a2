"""Work groups (API.md "Work groups"): the same operations as the pages (cms/groups/operations.py)."""
from __future__ import annotations

from datetime import date

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from cms import workdays
from cms.api import bp
from cms.api.schemas import (
    DATE,
    ID,
    INT,
    SCHEMAS,
    STR,
    TIME,
    array,
    enum,
    nullable,
    obj,
    operation,
    query,
    ref,
)
from cms.api.util import choice_arg, field, json_body, optional_json_body
from cms.errors import NotFound, Refused
from cms.groups import operations, policy, queries, rules
from cms.groups.models import TASK_KINDS, GroupTask
from cms.permissions import SELF
from cms.web import requires

TASK_STATES = ("open", "overdue")

SCHEMAS.update({
    "GroupInput": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "category": {"type": "string", "description": "a key of CMS_GROUP_CATEGORIES (G1): company, department, "
                                                      "special, temporary, platform, president, project, partner"},
        "purpose": {"type": "string", "minLength": 1, "maxLength": 2000},
        "department": {**ID, "description": "the department's id"},
        "owner": {"type": "string", "description": "the owner's username (G3)"},
        "ends_on": nullable({**DATE, "description": "temporary groups: when the work is expected to end (G7)"}),
    }, required=["name", "category", "purpose", "department", "owner"]),
    "GroupDecision": obj({"comment": {"type": "string", "maxLength": 500}}, required=[]),
    "GroupState": obj({"id": INT, "state": enum(rules.STATES)}),
    "GroupTask": obj({"id": INT, "group_id": INT, "group": STR, "kind": enum(TASK_KINDS), "reason": STR,
                      "member": nullable(STR), "due_at": TIME, "overdue": {"type": "boolean"},
                      "owner": STR, "department": STR}),
    "GroupTasks": obj({"items": array(ref("GroupTask")), "total": INT}),
    "GroupMember": obj({"id": INT, "username": nullable(STR), "name": STR, "expected_nickname": STR,
                        "nickname": STR, "nickname_matches": {"type": "boolean"}, "groups": INT,
                        "over_limit": {"type": "boolean"}}),
    "Group": obj({
        "id": INT, "name": STR, "category": STR, "category_label": STR, "purpose": STR,
        "department": obj({"id": INT, "name": STR}), "owner": STR, "state": enum(rules.STATES),
        "ends_on": nullable(DATE), "filed_at": TIME, "approved_at": nullable(TIME), "recorded_at": nullable(TIME),
        "members": array(ref("GroupMember")), "tasks": array(ref("GroupTask"))}),
    "MemberInput": obj({"username": {"type": "string", "minLength": 1, "maxLength": 64},
                        "nickname": nullable({"type": "string", "maxLength": 200})}, required=["username"]),
    "MemberAdded": obj({"member": ref("GroupMember"), "warnings": array(STR)}),
})


def task_json(t: GroupTask) -> dict:
    return {"id": t.id, "group_id": t.group_id, "group": t.group.name, "kind": t.kind, "reason": t.reason,
            "member": t.member.display_name if t.member else None, "due_at": t.due_at.isoformat(),
            "overdue": t.due_at < workdays.now(), "owner": t.group.owner.username,
            "department": t.group.department.name}


def member_json(m, counts: dict, limit: int) -> dict:
    n = counts.get(m.user_id, 0) if m.user_id else 0
    return {"id": m.id, "username": m.user.username if m.user else None, "name": m.display_name,
            "expected_nickname": m.expected_nickname, "nickname": m.nickname,
            "nickname_matches": rules.nickname_matches(m.expected_nickname, m.nickname), "groups": n,
            "over_limit": rules.over_group_limit(n, limit)}


def group_json(g) -> dict:
    members = g.current_members
    counts = queries.group_counts([m.user_id for m in members])
    limit = queries.settings().max_per_employee
    return {"id": g.id, "name": g.name, "category": g.category, "category_label": queries.category_label(g.category),
            "purpose": g.purpose, "department": {"id": g.department_id, "name": g.department.name},
            "owner": g.owner.username, "state": g.state, "ends_on": g.ends_on.isoformat() if g.ends_on else None,
            "filed_at": g.filed_at.isoformat(),
            "approved_at": g.approved_at.isoformat() if g.approved_at else None,
            "recorded_at": g.recorded_at.isoformat() if g.recorded_at else None,
            "members": [member_json(m, counts, limit) for m in members],
            "tasks": [task_json(t) for t in queries.open_tasks(g)]}


def _text(data: dict, name: str, required: bool = True) -> str | None:
    return field(data, name, str, required=required)


def _visible(group_id: int):
    group = queries.get_group(group_id)
    if not policy.can_view(current_user, group):
        raise NotFound(_("No such work group."), code="not_found")
    return group


@bp.post("/groups")
@operation(ok=201, answer="GroupState", body="GroupInput", errors=(400, 403, 422))
@requires("group.file")
def groups_create():
    """File a work group (G1 G2): the filing form → state filed."""
    data = json_body()
    values = {"name": _text(data, "name"), "category": _text(data, "category"), "purpose": _text(data, "purpose"),
              "department": field(data, "department", int), "owner": _text(data, "owner"),
              "ends_on": field(data, "ends_on", date, required=False)}
    group = operations.file_group(current_user, values)
    return jsonify({"id": group.id, "state": group.state}), 201


@bp.post("/groups/<int:group_id>/approve")
@operation(answer="GroupState", body="GroupDecision", body_optional=True, errors=(400, 403, 409))
@requires("group.approve")
def groups_approve(group_id: int):
    """The leader in charge of the group's department approves the filing (G2) → approved."""
    optional_json_body()  # nothing in it is needed yet; a malformed one is still a 400
    group = operations.approve(current_user, queries.get_group(group_id))
    return jsonify({"id": group.id, "state": group.state})


@bp.post("/groups/<int:group_id>/record")
@operation(answer="GroupState", body="GroupDecision", body_optional=True, errors=(400, 403, 409))
@requires("group.admin")
def groups_record(group_id: int):
    """The administration office records the approved filing (G2) → active: the group counts as created."""
    optional_json_body()
    group = operations.record(current_user, queries.get_group(group_id))
    return jsonify({"id": group.id, "state": group.state})


@bp.get("/groups/<int:group_id>")
@operation(answer="Group", errors=())
@requires(SELF)  # the group's policy (owner, filer, its department's leader and filers, the office): else 404
def groups_get(group_id: int):
    """The group, members with expected and actual nickname (G4), open tasks with due times (G6 G7 G3)."""
    return jsonify(group_json(_visible(group_id)))


@bp.post("/groups/<int:group_id>/members")
@operation(ok=201, answer="MemberAdded", body="MemberInput", errors=(400, 403, 409, 422))
@requires(SELF)  # the owner or the administration office (policy.can_manage_members); others 404
def groups_add_member(group_id: int):
    """Add a member: 422 G5 with eligible_from for a hire under 3 working days, 422 G8 outside the scope."""
    group = _visible(group_id)
    data = json_body()
    username = _text(data, "username")
    if not policy.can_manage_members(current_user, group) and group.state == rules.ACTIVE:
        raise Refused(_("You may not do this with this group."), code="forbidden", status=403)
    member, warnings = operations.add_member(current_user, group, username=username,
                                             nickname=_text(data, "nickname", required=False) or "")
    counts = queries.group_counts([member.user_id])
    return jsonify({"member": member_json(member, counts, queries.settings().max_per_employee),
                    "warnings": warnings}), 201


@bp.get("/groups/tasks")
@operation(answer="GroupTasks", errors=(400,), params=[query("state", enum(TASK_STATES))])
@requires(SELF)  # only the tasks of groups the caller may see
def groups_tasks():
    """Removal (G6), dissolution (G7) and review (G3) tasks with due_at: open, or overdue."""
    state = choice_arg("state", TASK_STATES) or "open"
    found = queries.tasks(current_user, state)
    return jsonify(items=[task_json(t) for t in found], total=len(found))
