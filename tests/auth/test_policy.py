"""Scope on every permission (issue 13): the two questions kept apart, the programming error
caught, and the user policy as a matrix.

- `holds(perm)`: held in some scope; only entry points (the `requires` gate, menus) ask it.
- `has_permission(perm, scope)`: held for that scope. A permission some role holds only for a
  scope (ROLE_SCOPES), asked with no scope, raises ScopeRequired instead of answering yes.
- `RoleAssignment.covers(None)` is no longer yes for a scoped assignment."""
from __future__ import annotations

import ast
import pathlib
import re

import pytest

from cms.auth import policy
from cms.auth.models import RoleAssignment
from cms.auth.service import get_by_username
from cms.extensions import db
from cms.permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLE_SCOPES, SCOPED_PERMISSIONS, ScopeRequired, can
from tests.policy_matrix import IN_CHANNEL, OUT_CHANNEL, assert_matrix, channel, make_user, role_users

CMS = pathlib.Path(__file__).resolve().parents[2] / "cms"


def test_the_scoped_permissions_are_those_of_roles_held_per_scope():
    expected = {p for role, perms in ROLE_PERMISSIONS.items() for p in perms
                if any(kind is not None for kind in ROLE_SCOPES[role])}
    assert expected == SCOPED_PERMISSIONS
    # the ones the tester's findings went through are among them
    assert {"publish", "publish.approve_withdraw", "post.clear_confidential", "post.read_all",
            "post.review", "post.create", "channel.manage"} <= SCOPED_PERMISSIONS
    assert "user.manage" not in SCOPED_PERMISSIONS and "workflow.manage" not in SCOPED_PERMISSIONS


@pytest.mark.parametrize("permission", sorted(SCOPED_PERMISSIONS))
def test_a_scoped_permission_asked_without_a_scope_is_a_programming_error(app, permission):
    for username in ("supervisor", "contributor", "finance"):  # whether or not the user holds it
        with pytest.raises(ScopeRequired):
            get_by_username(username).has_permission(permission)
    assert issubclass(ScopeRequired, ValueError)


def test_an_unscoped_permission_is_asked_without_a_scope(app):
    assert get_by_username("sysadmin").has_permission("user.manage")
    assert not get_by_username("supervisor").has_permission("user.manage")
    assert get_by_username("auditor").has_permission("audit.read")


def test_a_channel_role_covers_its_channel_only_and_never_a_scope_less_ask(app):
    sup = make_user("m_sup", ("supervisor", "channel", IN_CHANNEL))
    (assignment,) = sup.roles
    assert assignment.covers(("channel", channel(IN_CHANNEL).id))
    assert not assignment.covers(("channel", channel(OUT_CHANNEL).id))
    assert not assignment.covers(None)  # was True: the root of issue 13
    assert RoleAssignment(role="supervisor", scope_type=None).covers(None)
    assert sup.has_permission("publish.approve_withdraw", ("channel", channel(IN_CHANNEL).id))
    assert not sup.has_permission("publish.approve_withdraw", ("channel", channel(OUT_CHANNEL).id))
    # an entry point: held somewhere, so the pages open and ask the policy about each object
    assert sup.holds("publish.approve_withdraw") and sup.holds("post.review") and not sup.holds("publish")
    assert not sup.has_global_permission("publish.approve_withdraw")
    assert sup.scope_ids("post.read_all", "channel") == {channel(IN_CHANNEL).id}
    assert get_by_username("supervisor").scope_ids("post.read_all", "channel") is None  # global


def test_holds_is_no_for_a_suspended_user(app):
    sup = get_by_username("supervisor")
    sup.state = "suspended"
    db.session.commit()
    assert not sup.holds("post.review") and not sup.has_global_permission("post.review")
    assert all(not sup.holds(p) for p in PERMISSIONS)


def _scope_less_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "has_permission"
                and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)):
            yield node.lineno, node.args[0].value


def test_no_code_asks_a_scoped_permission_without_a_scope():
    """Every call in cms/: a scoped permission's name alone would raise ScopeRequired at run time;
    this finds it before a user does."""
    found = [f"{path.relative_to(CMS.parent)}:{line} {perm}" for path in CMS.rglob("*.py")
             for line, perm in _scope_less_calls(ast.parse(path.read_text(encoding="utf-8")))
             if perm in SCOPED_PERMISSIONS]
    assert found == []


def test_templates_ask_the_policy_not_a_bare_permission_name():
    calls = [f"{p.relative_to(CMS.parent)}: {m.group(0)}" for p in (CMS / "templates").rglob("*.html")
             for m in re.finditer(r"has_permission\([^)]*\)", p.read_text(encoding="utf-8"))]
    assert calls == []


def test_can_dispatches_to_the_policy_of_the_object_and_refuses_typos(app):
    admin, target = get_by_username("sysadmin"), get_by_username("editor")
    assert can("edit", target, user=admin) and not can("edit", target, user=get_by_username("chief"))
    with pytest.raises(AttributeError):
        can("edti", target, user=admin)  # a typo is not a "no"
    with pytest.raises(LookupError):
        can("view", object(), user=admin)


def test_user_policy_matrix(app):
    users = role_users()
    targets = {"an editor": get_by_username("editor"), "a departed contributor": get_by_username("contributor")}
    targets["a departed contributor"].state = "departed"
    db.session.commit()
    table = {label: [] for label in users}
    table["sysadmin"] = list(targets)  # user.manage: the system administrator only (U1 U3 U4 U6)
    for check in (policy.can_edit, policy.can_lock, policy.can_confirm_departure, policy.can_view):
        assert_matrix(check, users, targets, table, name=check.__name__)
    me = users["editor"]
    assert policy.can_view(me, me) and not policy.can_edit(me, me)  # one's own profile: its own page


def test_contributors_register_matrix(app):
    """C6: the office (those who read every post, in any scope) and the administrator see who answers
    for each department; a contributor, a department head, finance and moderators do not; nor a
    locked account."""
    users = role_users()
    users["supervisor locked"] = make_user("m_locked", ("supervisor", None, None))
    users["supervisor locked"].state = "suspended"
    db.session.commit()
    register = {"the register": None}
    readers = ("editor", "proofreader", "supervisor", "supervisor@in", "supervisor@out", "chief", "account_admin",
               "account_admin@in", "account_admin@out", "auditor", "sysadmin")
    table = {label: (list(register) if label in readers else []) for label in users}
    assert_matrix(lambda user, _obj: policy.can_view_contributors(user), users, register, table,
                  name="can_view_contributors")
