"""The violation policy (G10 U8): who sees and decides which record. Pure of Flask globals.
- group.admin (the administration office, held globally) records, confirms or dismisses, handles,
  reports to legal and adds evidence, for everyone: but never about themselves (a conflict of
  interest), and each action only from the states rules.TRANSITIONS allows;
- a department head (violation.view for a department) sees the violations of that department's
  people (the subject's department when recorded);
- the subject sees their own."""
from __future__ import annotations

import sys

from cms.permissions import policy_for
from cms.violations import rules
from cms.violations.models import Violation

ADMIN = "group.admin"
VIEW = "violation.view"


def _active(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def is_admin(user) -> bool:
    return _active(user) and user.has_global_permission(ADMIN)


def can_record(user, _violation=None) -> bool:
    return is_admin(user)


def _subject(user, violation: Violation) -> bool:
    return violation.subject_user_id is not None and violation.subject_user_id == user.id


def can_view(user, violation: Violation) -> bool:
    if not _active(user):
        return False
    if is_admin(user) or _subject(user, violation):
        return True
    return violation.department_id is not None and user.has_permission(VIEW, ("department", violation.department_id))


def _decides(user, violation: Violation, action: str) -> bool:
    return is_admin(user) and not _subject(user, violation) and rules.allowed(action, violation.state)


def can_confirm(user, violation: Violation) -> bool:
    return _decides(user, violation, "confirm")


def can_dismiss(user, violation: Violation) -> bool:
    return _decides(user, violation, "dismiss")


def can_handle(user, violation: Violation) -> bool:
    return _decides(user, violation, "handle")


def can_report(user, violation: Violation) -> bool:
    return _decides(user, violation, "report") and violation.reported_at is None


def can_add_evidence(user, violation: Violation) -> bool:
    return _decides(user, violation, "add_evidence")


def visible_department_ids(user) -> set[int] | None:
    """None: every violation (group.admin); else the departments whose people's violations the
    user sees (besides their own)."""
    if is_admin(user):
        return None
    if not _active(user):
        return set()
    return user.scope_ids(VIEW, "department")


policy_for(Violation, sys.modules[__name__])
