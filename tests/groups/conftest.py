"""Helpers of the work-group tests: demo people, new hires, a group taken to a state."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cms.auth.models import Department
from cms.auth.service import create_user, get_by_username
from cms.extensions import db
from tests.notify.conftest import wecom, wecom_server  # noqa: F401  (the WeCom sandbox over loopback)


def department(name: str) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def hire(username: str, real_name: str, dep: str, title: str, hired: date | None, phone: str = ""):
    user, _pw = create_user(username=username, real_name=real_name, department_id=department(dep).id, title=title,
                            phone=phone, hire_date=hired, password="Demo-Pass-2026", must_change=False)
    return user


def file_group(name: str = "市场部项目联络群", category: str = "department", dep: str = "市场部",
               owner: str = "department_head", filer: str = "department_head", ends_on: date | None = None):
    from cms.groups import operations

    return operations.file_group(get_by_username(filer), {
        "name": name, "category": category, "purpose": "部门内部工作联络", "department": department(dep).id,
        "owner": owner, "ends_on": ends_on})


def active_group(**kw):
    from cms.groups import operations

    group = file_group(**kw)
    operations.approve(get_by_username("leader"), group)
    operations.record(get_by_username("group_admin"), group)
    return group


@pytest.fixture
def group(app):
    """An active department-level group of 市场部 owned by its head (李建国)."""
    return active_group()
