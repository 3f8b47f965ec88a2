"""The work-group policy: who may do what with a group, asked with the group's department (issue 13
scope semantics: a role held globally covers every department; one held for a department, that one).

- file (G2): group.file for the group's department (a department head for theirs; the
  administration office, group_admin, for any);
- approve or refuse a filing (G2 报经公司联系分管领导同意): group.approve for the group's department
  (the leader in charge of it), while filed;
- record it (G2 报公司综合办备案): group.admin (the administration office), once approved;
- manage members, tasks, messages, the end and dissolution (G3): the group's owner, or the
  administration office, while the group is active;
- view: those, the filer, and whoever may approve or file for the department;
- acknowledge (G11): the recipient of the card only."""
from __future__ import annotations

from cms.groups.models import GroupAck, GroupTask, WorkGroup
from cms.groups.rules import ACTIVE, APPROVED, FILED
from cms.permissions import policy_for


def _active(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def _for_department(user, permission: str, department_id: int | None) -> bool:
    return department_id is not None and user.has_permission(permission, ("department", department_id))


def is_office(user) -> bool:
    """The administration office (综合办): group.admin, held globally."""
    return _active(user) and user.has_global_permission("group.admin")


def can_file(user, department_id: int | None) -> bool:
    return _active(user) and _for_department(user, "group.file", department_id)


def _is_owner(user, group: WorkGroup) -> bool:
    return group.owner_id is not None and group.owner_id == user.id


def can_view(user, group: WorkGroup) -> bool:
    if not _active(user):
        return False
    return (_is_owner(user, group) or group.filed_by_id == user.id or is_office(user)
            or _for_department(user, "group.approve", group.department_id)
            or _for_department(user, "group.file", group.department_id))


def can_approve(user, group: WorkGroup) -> bool:
    return _active(user) and group.state == FILED and _for_department(user, "group.approve", group.department_id)


can_refuse = can_approve


def can_record(user, group: WorkGroup) -> bool:
    return group.state == APPROVED and is_office(user)


def can_manage_members(user, group: WorkGroup) -> bool:
    return _active(user) and group.state == ACTIVE and (_is_owner(user, group) or is_office(user))


can_manage = can_manage_members  # tasks, messages, the end of the work, the dissolution (G3 G7 G11)


class _GroupPolicy:
    can_view = staticmethod(can_view)
    can_approve = staticmethod(can_approve)
    can_refuse = staticmethod(can_refuse)
    can_record = staticmethod(can_record)
    can_manage_members = staticmethod(can_manage_members)
    can_manage = staticmethod(can_manage)

    @staticmethod
    def can_edit(user, group: WorkGroup) -> bool:
        return can_manage(user, group)


policy_for(WorkGroup, _GroupPolicy)


class _TaskPolicy:
    """A removal, dissolution or review task is done by the change it asks for (removing the member,
    dissolving, completing the review), each asking can_manage; a task itself is only viewed."""

    @staticmethod
    def can_view(user, task: GroupTask) -> bool:
        return can_view(user, task.group)


policy_for(GroupTask, _TaskPolicy)


def can_acknowledge(user, ack: GroupAck) -> bool:
    """G11 收到: the card's recipient only (the owner records one for them through can_manage)."""
    return _active(user) and ack.user_id == user.id


class _AckPolicy:
    can_acknowledge = staticmethod(can_acknowledge)

    @staticmethod
    def can_view(user, ack: GroupAck) -> bool:
        return _active(user) and (ack.user_id == user.id or can_view(user, ack.message.group))


policy_for(GroupAck, _AckPolicy)
