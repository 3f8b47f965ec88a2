"""The post and revision policy as matrices (issue 13): every role × in scope / out of scope ×
post state → allow or deny, on real users with real role assignments in the real database. The
list query (`visible_posts`) and the single answer (`can_view`) agree on every cell."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from cms.content import policy
from cms.content.models import Post
from cms.extensions import db
from tests.policy_matrix import (
    IN_CHANNEL,
    IN_DEPARTMENT,
    OUT_CHANNEL,
    OUT_DEPARTMENT,
    assert_matrix,
    department,
    every,
    make_post,
    make_user,
    role_users,
)

# Who reads every post: post.read_all held globally.
READ_ALL = ("editor", "proofreader", "supervisor", "chief", "account_admin", "auditor", "sysadmin")


@pytest.fixture
def posts(app):
    """The posts first, then the users (so no matrix user is routed a step of their chains)."""
    return {
        "draft@in": make_post(state="draft"),
        "in_review@in": make_post(state="in_review"),
        "approved@in": make_post(state="approved"),
        "approved@in+out": make_post((IN_CHANNEL, OUT_CHANNEL), state="approved"),
        "approved@out": make_post((OUT_CHANNEL,), state="approved"),
    }


@pytest.fixture
def users(posts):
    return role_users()


def _listed(user, post) -> bool:
    return db.session.scalar(policy.visible_posts(user, select(Post.id).where(Post.id == post.id))) is not None


VIEW = {
    **{r: every for r in READ_ALL},
    # the post's department (市场部): its contributors, head and leader in charge see every state
    "contributor@in": every, "department_head@in": every, "leader@in": every,
    "contributor@out": [], "department_head@out": [], "leader@out": [],
    # a channel's supervisor and account administrator: the posts targeting their channel
    "supervisor@in": ["draft@in", "in_review@in", "approved@in", "approved@in+out"],
    "account_admin@in": ["draft@in", "in_review@in", "approved@in", "approved@in+out"],
    "supervisor@out": ["approved@in+out", "approved@out"],
    "account_admin@out": ["approved@in+out", "approved@out"],
    # no post.read_all at all
    "moderator": [], "moderator@in": [], "group_admin": [], "finance": [], "payment_custodian": [], "no role": [],
}


def _rows(table, objects):
    return {k: (list(objects) if v is every else v) for k, v in table.items()}


def test_view_matrix(posts, users):
    cells = assert_matrix(policy.can_view, users, posts, _rows(VIEW, posts), name="can_view")
    assert cells == len(users) * len(posts)


def test_the_list_query_agrees_with_can_view_on_every_cell(posts, users):
    assert_matrix(_listed, users, posts, _rows(VIEW, posts), name="visible_posts")


def test_edit_matrix(posts, users):
    """The author's side (a contributor or the head of the post's department, 市场部 for all of
    them): a draft; in review or approved as the author's side, whose edit restarts the chain (C7).
    Nobody else, whatever they read: reading is not editing."""
    table = {label: [] for label in users}
    table["contributor@in"] = table["department_head@in"] = list(posts)
    assert_matrix(policy.can_edit, users, posts, table, name="can_edit")


def test_the_matrix_reports_every_wrong_cell(posts, users):
    wrong = {label: [] for label in users}  # says nobody views anything: wrong for the readers
    with pytest.raises(AssertionError) as e:
        assert_matrix(policy.can_view, users, posts, wrong, name="can_view")
    assert "editor × draft@in: expected deny, got allow" in str(e.value)
    assert "supervisor@out × approved@out: expected deny, got allow" in str(e.value)
    with pytest.raises(AssertionError, match="no row for"):
        assert_matrix(policy.can_view, users, posts, {"editor": []}, name="can_view")


def test_clear_confidential_matrix(app):
    posts = {"on in": make_post(state="approved", confidential=True),
             "on in+out": make_post((IN_CHANNEL, OUT_CHANNEL), state="approved", confidential=True),
             "on no channel": make_post((), state="draft", confidential=True)}
    users = role_users()
    users["supervisor@in+out"] = make_user("m_both", ("supervisor", "channel", IN_CHANNEL),
                                           ("supervisor", "channel", OUT_CHANNEL))
    table = {label: [] for label in users}
    table["supervisor"] = list(posts)                      # a global supervisor: every post (C5)
    table["supervisor@in"] = ["on in"]                     # not a post also on a channel not theirs
    table["supervisor@in+out"] = ["on in", "on in+out"]    # every channel of the post covered
    assert_matrix(policy.can_clear_confidential, users, posts, table, name="can_clear_confidential")


def test_create_matrix(app):
    users = role_users()
    deps = {"in": department(IN_DEPARTMENT), "out": department(OUT_DEPARTMENT)}
    table = {label: [] for label in users}
    table["contributor@in"] = table["department_head@in"] = ["in"]
    table["contributor@out"] = table["department_head@out"] = ["out"]
    assert_matrix(lambda u, d: policy.can_create(u, d.id), users, deps, table, name="can_create")


def test_revision_matrix(posts, users):
    from cms.auth.service import get_by_username
    from cms.content import service as content

    draft = posts["draft@in"]
    content.save(get_by_username("contributor"), draft, {"title": "矩阵测试稿件（二）"}, draft.current.number)
    revisions = {"r1 of draft@in": content.revision(draft, 1), "r2 of draft@in": content.revision(draft, 2),
                 "r1 of approved@out": content.revision(posts["approved@out"], 1)}
    view = {label: [] for label in users}
    for label in (*READ_ALL, "contributor@in", "department_head@in", "leader@in"):
        view[label] = list(revisions)
    view["supervisor@in"] = view["account_admin@in"] = ["r1 of draft@in", "r2 of draft@in"]
    view["supervisor@out"] = view["account_admin@out"] = ["r1 of approved@out"]
    assert_matrix(policy.revision_policy.can_view, users, revisions, view, name="revision can_view")
    restore = {label: [] for label in users}
    restore["contributor@in"] = restore["department_head@in"] = ["r1 of draft@in"]  # not the current one
    assert_matrix(policy.revision_policy.can_restore, users, revisions, restore, name="revision can_restore")


def test_a_suspended_user_is_denied_everything(posts, users):
    user = users["supervisor"]
    user.state = "suspended"
    db.session.commit()
    assert not any(policy.can_view(user, p) or _listed(user, p) or policy.can_clear_confidential(user, p)
                   for p in posts.values())
