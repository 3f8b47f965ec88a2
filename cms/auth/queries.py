"""Reads about people that other pages show: the contributors register (C6)."""
from __future__ import annotations

from sqlalchemy import select

from cms.auth.models import Department, RoleAssignment, User, users_with_role
from cms.auth.service import department_tree
from cms.extensions import db


def office_users() -> list[User]:
    """Who "the office" is (C6: told when a contributor changes): the active people of the
    departments flagged as the office; where no such department has anyone, the editors."""
    users = db.session.scalars(select(User).join(Department, User.department_id == Department.id).where(
        Department.is_office.is_(True), User.state == "active").order_by(User.id)).all()
    if users:
        return list(users)
    return list(users_with_role("editor"))


def contributor_register() -> list[tuple[Department, list[User]]]:
    """Every department (kind "department") with the active people who answer for it as its
    contributor (C6), in the tree's order; an empty list is a department that has designated nobody."""
    departments = [d for _depth, d in department_tree() if d.kind == "department"]
    rows = db.session.execute(
        select(RoleAssignment.scope_id, User).join(User, RoleAssignment.user_id == User.id).where(
            RoleAssignment.role == "contributor", RoleAssignment.scope_type == "department",
            User.state == "active").order_by(User.id)).all()
    by_department: dict[int, list[User]] = {}
    for department_id, user in rows:
        by_department.setdefault(department_id, []).append(user)
    return [(d, by_department.get(d.id, [])) for d in departments]
