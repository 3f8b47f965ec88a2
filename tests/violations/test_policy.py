"""The violation policy (G10 U8) as a matrix: every role of tests/policy_matrix.py, in the
subject's department and out of it, × every state of a record, for every action."""
from __future__ import annotations

import pytest

from cms.auth.service import get_by_username
from cms.extensions import db
from cms.violations import policy
from cms.violations.models import Violation
from tests.policy_matrix import IN_DEPARTMENT, assert_matrix, department, role_users

IN = ["proposed@in", "confirmed@in", "dismissed@in", "handled@in", "reported@in"]


def _violation(subject=None, *, state="proposed", dep=None, reported=False, name="外部人员") -> Violation:
    from cms import workdays

    v = Violation(subject_user_id=subject.id if subject else None, subject_name=subject.real_name if subject else name,
                  department_id=dep if dep is not None else (subject.department_id if subject else None),
                  what="在工作群发布赌博广告", category="gambling", state=state,
                  reported_at=workdays.now() if reported else None)
    db.session.add(v)
    db.session.commit()
    return v


@pytest.fixture
def world(app):
    users = role_users()
    marketing = get_by_username("contributor")  # 市场部
    assert marketing.department_id == department(IN_DEPARTMENT).id
    finance = get_by_username("finance")  # 财务部
    objects = {
        "proposed@in": _violation(marketing),
        "confirmed@in": _violation(marketing, state="confirmed"),
        "dismissed@in": _violation(marketing, state="dismissed"),
        "handled@in": _violation(marketing, state="handled"),
        "reported@in": _violation(marketing, state="handled", reported=True),
        "proposed@out": _violation(finance),
        "confirmed@external": _violation(None, state="confirmed"),
        "own@no_role": _violation(users["no role"]),
        "own@group_admin": _violation(users["group_admin"]),
    }
    return users, objects


def _table(users, **rows) -> dict:
    table = {label: [] for label in users}
    table.update(rows)
    return table


def test_the_matrix(world):
    """One world, every action (making the role users is the slow part)."""
    from cms.violations import queries

    users, objects = world
    cells = assert_matrix(policy.can_view, users, objects, _table(
        users, **{"department_head@in": IN, "department_head@out": ["proposed@out"], "group_admin": list(objects),
                  "no role": ["own@no_role"]}), name="can_view")
    for check in (policy.can_confirm, policy.can_dismiss):  # never about oneself
        cells += assert_matrix(check, users, objects,
                               _table(users, group_admin=["proposed@in", "proposed@out", "own@no_role"]),
                               name=check.__name__)
    cells += assert_matrix(policy.can_handle, users, objects,
                           _table(users, group_admin=["confirmed@in", "confirmed@external"]), name="can_handle")
    cells += assert_matrix(policy.can_report, users, objects,  # once: the reported one no more
                           _table(users, group_admin=["confirmed@in", "handled@in", "confirmed@external"]),
                           name="can_report")
    cells += assert_matrix(policy.can_add_evidence, users, objects, _table(
        users, group_admin=["proposed@in", "confirmed@in", "handled@in", "reported@in", "proposed@out",
                            "confirmed@external", "own@no_role"]), name="can_add_evidence")
    assert cells == 6 * len(users) * len(objects)
    # The register lists exactly what can_view allows.
    for label, user in users.items():
        listed = {v.id for v in queries.register(user)}
        assert listed == {v.id for v in objects.values() if policy.can_view(user, v)}, label
