"""The work-group policy as a matrix: role × scope (市场部 in, 财务部 out) × the group's state (G2 G3)."""
from cms.groups import policy
from cms.groups.models import WorkGroup
from tests.groups.conftest import department
from tests.policy_matrix import assert_matrix, role_users

STATES = ("filed", "approved", "active")


def _groups(app) -> dict:
    """A 市场部 group in each state, owned by the demo contributor (张晓雯)."""
    from cms.auth.service import get_by_username
    from cms.extensions import db

    owner = get_by_username("contributor")
    out = {}
    for state in STATES:
        g = WorkGroup(name=f"矩阵{state}", category="department", purpose="测试", department_id=department("市场部").id,
                      owner_id=owner.id, state=state)
        db.session.add(g)
        out[state] = g
    db.session.commit()
    return out


ALL = list(STATES)
NONE: list = []


def _table(**rows) -> dict:
    from tests.policy_matrix import ROLE_CASES

    return {label: rows.get(label.replace("@", "_at_").replace(" ", "_"), NONE) for label, _r in ROLE_CASES}


def test_view_approve_record_manage_matrix(app):
    users, groups = role_users(), _groups(app)
    assert_matrix(policy.can_view, users, groups, _table(
        department_head_at_in=ALL, leader_at_in=ALL, group_admin=ALL), name="can_view")
    assert_matrix(policy.can_approve, users, groups, _table(leader_at_in=["filed"]), name="can_approve")
    assert_matrix(policy.can_record, users, groups, _table(group_admin=["approved"]), name="can_record")
    assert_matrix(policy.can_manage_members, users, groups, _table(group_admin=["active"]),
                  name="can_manage_members")


def test_the_owner_manages_their_active_group_only(app, user):
    groups = _groups(app)
    owner = user("contributor")
    assert [s for s, g in groups.items() if policy.can_manage_members(owner, g)] == ["active"]
    assert all(policy.can_view(owner, g) for g in groups.values())
    assert not policy.can_view(user("finance"), groups["active"])


def test_filing_scope(app, user):
    assert policy.can_file(user("department_head"), department("市场部").id)
    assert not policy.can_file(user("department_head"), department("财务部").id)
    assert policy.can_file(user("group_admin"), department("财务部").id)
    assert not policy.can_file(user("contributor"), department("市场部").id)


def test_acknowledge_matrix_only_the_cards_recipient(app):
    """G11 收到: a card is acknowledged by its recipient alone; the owner, the office and every other
    role are refused (the owner records one through can_manage instead); a departed recipient too."""
    from cms.extensions import db
    from cms.groups.models import GroupAck, GroupMessage

    users, group = role_users(), _groups(app)["active"]
    message = GroupMessage(group_id=group.id, kind="notice", text="明早九点开会")
    acks = {f"to {label}": GroupAck(message=message, user_id=users[label].id) for label in ("contributor@in", "editor")}
    db.session.add_all([message, *acks.values()])
    db.session.commit()
    assert_matrix(policy.can_acknowledge, users, acks, _table(contributor_at_in=["to contributor@in"],
                                                            editor=["to editor"]), name="can_acknowledge")
    users["editor"].state = "departed"
    db.session.commit()
    assert not policy.can_acknowledge(users["editor"], acks["to editor"])
