"""C6: each department designates contributors (供稿员); the office is told when one changes, and
the contributors register shows who answers for which department and which department has nobody."""
from datetime import date

import pytest
from sqlalchemy import select

from cms.auth import service
from cms.auth.models import Department, User
from cms.auth.queries import contributor_register
from cms.errors import Refused
from cms.extensions import db
from cms.notify.models import Notification

OFFICE = {"editor", "proofreader", "supervisor", "account_admin", "moderator"}  # the demo's 办公室


def _dept(name) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def _told() -> dict[str, list[str]]:
    """username -> the texts of their contributor notifications."""
    rows = db.session.execute(select(User.username, Notification.text).join(User, Notification.user_id == User.id)
                              .where(Notification.kind == "contributor_changed").order_by(Notification.id)).all()
    told: dict[str, list[str]] = {}
    for username, text in rows:
        told.setdefault(username, []).append(text)
    return told


def _roles(user):
    return [r.spec for r in user.roles]


def test_a_new_contributor_is_told_to_everyone_in_the_office(app, user):
    finance = _dept("财务部")
    clerk = user("finance")
    service.set_roles(clerk, [*_roles(clerk), ("contributor", "department", finance.id)])
    told = _told()
    assert set(told) == OFFICE  # the office's people, nobody else (not the new contributor)
    assert told["editor"] == ["财务部：钱伟 已被指定为供稿员（C6）。"]
    assert db.session.scalar(select(Notification.url).where(Notification.kind == "contributor_changed")) \
        == "/admin/contributors"


def test_a_contributor_taken_off_locked_or_departed_is_told(app, user):
    market = _dept("市场部")
    head = user("department_head")
    service.set_roles(head, [r for r in _roles(head) if r[0] != "contributor"])
    assert _told()["editor"] == ["市场部：李建国 不再担任供稿员（C6）。"]
    contributor = user("contributor")
    service.lock(contributor, "密码泄露")
    service.unlock(contributor)
    service.depart(contributor, date(2026, 12, 7), confirmed_by=user("sysadmin"))
    assert _told()["editor"][1:] == ["市场部：张晓雯 不再担任供稿员（C6）。", "市场部：张晓雯 已被指定为供稿员（C6）。",
                                     "市场部：张晓雯 不再担任供稿员（C6）。"]
    assert market.id not in {d.id for d, users in contributor_register() if users}  # nobody answers for 市场部 now


def test_a_change_that_leaves_the_designations_alone_tells_nobody(app, user):
    contributor = user("contributor")
    service.set_roles(contributor, [*_roles(contributor), ("leader", "department", _dept("财务部").id)])
    service.update_user(contributor, title="高级市场专员")
    service.lock(user("editor"))  # not a contributor
    assert _told() == {}


def test_a_refused_role_change_tells_nobody(app, user):
    clerk = user("finance")
    with pytest.raises(Refused):
        service.set_roles(clerk, [("contributor", "department", _dept("财务部").id), ("no_such_role", None, None)])
    db.session.rollback()
    assert _told() == {} and "contributor" not in user("finance").role_names()


def test_a_user_created_as_contributor_is_told(app):
    it = _dept("信息技术部")
    service.create_user(username="xinxi", real_name="林小北", department_id=it.id,
                        roles=[("contributor", "department", it.id)])
    assert _told()["supervisor"] == ["信息技术部：林小北 已被指定为供稿员（C6）。"]


def test_without_an_office_department_the_editors_are_told(app, user):
    _dept("办公室").is_office = False
    db.session.commit()
    clerk = user("finance")
    service.set_roles(clerk, [*_roles(clerk), ("contributor", "department", _dept("财务部").id)])
    assert set(_told()) == {"editor"}


def _row(page: str, department: str) -> str:
    """The register's row of `department`."""
    row = page[page.index(f'data-department="{_dept(department).id}"'):]
    return row[:row.index("</tr>")]


def test_the_register_shows_who_answers_and_who_is_missing(client_as):
    page = client_as("editor").get("/admin/contributors")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    market = _row(text, "市场部")
    assert "张晓雯" in market and "李建国" in market and "未指定" not in market
    assert "未指定" in _row(text, "财务部")
    missing = sum(1 for _d, users in contributor_register() if not users)
    assert missing > 0 and f"有 {missing} 个部门尚未指定供稿员（C6）" in text


def test_the_register_is_for_the_office_not_for_contributors(client_as):
    assert client_as("contributor").get("/admin/contributors").status_code == 403
    assert client_as("sysadmin").get("/admin/contributors").status_code == 200
