"""Permission matrices for the policy tests (issue 13), in the manner of Wagtail's
`assertUserPermissionMatrix`: a table of role × scope × object state → allow or deny, every cell
asked, every mismatching cell reported at once (not only the first)."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select

from cms.auth.models import Department
from cms.auth.service import create_user
from cms.channels.models import Channel
from cms.extensions import db

ALLOW, DENY = True, False

# The demo company's scopes the matrices use: "in" is the post's, "out" another one.
IN_CHANNEL, OUT_CHANNEL = "星海集团", "星海科技"
IN_DEPARTMENT, OUT_DEPARTMENT = "市场部", "财务部"


def channel(name: str) -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def department(name: str) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def scope(kind: str | None, name: str | None) -> tuple:
    if kind is None:
        return (None, None)
    return (kind, (channel(name) if kind == "channel" else department(name)).id)


def make_user(username: str, *roles: tuple[str, str | None, str | None]):
    """A real user in the real database holding `roles`, each (role, scope kind, scope name):
    ("supervisor", "channel", "星海集团"), ("editor", None, None). In the office (no department role
    of the matrices' departments by place)."""
    office = department("办公室")
    parsed = [(role, *scope(kind, name)) for role, kind, name in roles]
    user, _pw = create_user(username=username, real_name=f"矩阵{username}", department_id=office.id, title="测试",
                            roles=parsed, password="Demo-Pass-2026", must_change=False)
    db.session.commit()
    return user


# (label, roles): every role of the table, held in the object's scope, out of it, and globally
# where ROLE_SCOPES allows. "in"/"out" refer to IN_CHANNEL / IN_DEPARTMENT.
ROLE_CASES: list[tuple[str, list[tuple]]] = [
    ("contributor@in", [("contributor", "department", IN_DEPARTMENT)]),
    ("contributor@out", [("contributor", "department", OUT_DEPARTMENT)]),
    ("department_head@in", [("department_head", "department", IN_DEPARTMENT)]),
    ("department_head@out", [("department_head", "department", OUT_DEPARTMENT)]),
    ("leader@in", [("leader", "department", IN_DEPARTMENT)]),
    ("leader@out", [("leader", "department", OUT_DEPARTMENT)]),
    ("editor", [("editor", None, None)]),
    ("proofreader", [("proofreader", None, None)]),
    ("supervisor", [("supervisor", None, None)]),
    ("supervisor@in", [("supervisor", "channel", IN_CHANNEL)]),
    ("supervisor@out", [("supervisor", "channel", OUT_CHANNEL)]),
    ("chief", [("chief", None, None)]),
    ("account_admin", [("account_admin", None, None)]),
    ("account_admin@in", [("account_admin", "channel", IN_CHANNEL)]),
    ("account_admin@out", [("account_admin", "channel", OUT_CHANNEL)]),
    ("moderator", [("moderator", None, None)]),
    ("moderator@in", [("moderator", "channel", IN_CHANNEL)]),
    ("group_admin", [("group_admin", None, None)]),
    ("finance", [("finance", None, None)]),
    ("payment_custodian", [("payment_custodian", None, None)]),
    ("auditor", [("auditor", None, None)]),
    ("sysadmin", [("sysadmin", None, None)]),
    ("no role", []),
]


def role_users() -> dict[str, object]:
    """One real user per ROLE_CASES label."""
    return {label: make_user(f"m{i}", *roles) for i, (label, roles) in enumerate(ROLE_CASES)}


def assert_matrix(check: Callable[[object, object], bool], users: dict[str, object],
                  objects: dict[str, object], expected: dict[str, Iterable[str]], *,
                  name: str = "check") -> int:
    """Ask `check(user, obj)` for every user × object; `expected[user label]` lists the object
    labels allowed (every other cell must be denied; a label missing from `expected` is an error:
    the table is complete). Reports every wrong cell. Returns the number of cells asked."""
    missing = set(users) - set(expected)
    assert not missing, f"{name}: the table has no row for {sorted(missing)}"
    wrong, cells = [], 0
    for label, user in users.items():
        allowed = set(expected[label])
        unknown = allowed - set(objects)
        assert not unknown, f"{name}: row {label} names unknown objects {sorted(unknown)}"
        for obj_label, obj in objects.items():
            db.session.expire_all()
            want = obj_label in allowed
            got = bool(check(user, obj))
            cells += 1
            if got != want:
                wrong.append(f"  {label} × {obj_label}: expected {'allow' if want else 'deny'}, got "
                             f"{'allow' if got else 'deny'}")
    assert not wrong, f"{name}: {len(wrong)} of {cells} cells wrong:\n" + "\n".join(wrong)
    return cells


def every(objects: dict) -> list[str]:
    return list(objects)


def make_post(channels: Iterable[str] = (IN_CHANNEL,), state: str = "draft", *, confidential: bool = False,
              title: str = "矩阵测试稿件"):
    """A real post of the demo contributor (市场部) targeting `channels`, taken to `state`: draft,
    in_review (submitted: at its first step), approved (every step of its chain, C4 C7)."""
    from cms.auth.service import get_by_username
    from cms.content import service as content
    from cms.content.checks.base import WARNING
    from cms.workflow import service as workflow
    from tests.publishing.conftest import approve_chain

    author = get_by_username("contributor")
    post = content.create_post(author, {
        "title": title, "author": "张晓雯", "digest": "摘要", "category": "news",
        "body": {"format": "markdown", "text": "公司今天召开年度工作会议，总结一年来的工作。"},
        "channels": [channel(n).id for n in channels], "source": {"kind": "original"}})
    if state != "draft":
        reasons = {f.id: "测试：已知晓" for f in content.findings(post) if f.severity == WARNING}
        workflow.submit(author, post, reasons)
    if state == "approved":
        approve_chain(post)
    assert post.status == state, (post.status, state)
    if confidential:  # C5: marked after the chain (which would not give it its final approval)
        post.confidential = True
        db.session.commit()
    return post
