"""The review task policy as matrices (issue 13): every role × in scope / out of scope × task
state → allow or deny, on real users and real submissions. The chain's own routing decides who
holds a step (the holder, their deputy); a reviewer routed or reassigned a step sees the post even
outside their scopes; reassigning is the system administrator's, while the step is open."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.auth.service import get_by_username
from cms.content import policy as post_policy
from cms.content.models import Post
from cms.extensions import db
from cms.workflow import policy
from cms.workflow import queries as workflow_queries
from cms.workflow import service as workflow
from tests.policy_matrix import IN_CHANNEL, OUT_CHANNEL, assert_matrix, make_post, make_user, role_users


@pytest.fixture
def tasks(app):
    """Review tasks: at the department step (held by the demo department head), and approved."""
    at_step = make_post(state="in_review")
    approved = make_post(state="approved")
    return {"open@in": workflow_queries.active_submission(at_step), "approved@in": workflow_queries.active_submission(approved)}


def test_decide_matrix(tasks):
    users = role_users()
    users["holder"] = get_by_username("department_head")  # the demo head of 市场部 holds the open step
    users["author"] = get_by_username("contributor")
    table = {label: [] for label in users}
    table["holder"] = ["open@in"]  # nobody decides an approved task; nobody but the holder an open one
    assert_matrix(policy.can_decide, users, tasks, table, name="can_decide")


def test_a_deputy_decides_while_the_delegation_runs(tasks):
    deputy = make_user("m_deputy", ("editor", None, None))
    sub = tasks["open@in"]
    workflow.delegate(get_by_username("department_head"), deputy.id, workdays.now() - timedelta(hours=1),
                      workdays.now() + timedelta(hours=1))
    assert policy.can_decide(deputy, sub)
    workflow.revoke_delegation(get_by_username("department_head"), workflow.delegations(deputy)[0].id)
    db.session.expire_all()
    assert not policy.can_decide(deputy, sub)


def test_reassign_matrix(tasks):
    users = role_users()
    table = {label: [] for label in users}
    table["sysadmin"] = ["open@in"]  # workflow.manage; an approved task has no step to reassign
    assert_matrix(policy.can_reassign, users, tasks, table, name="can_reassign")


def test_view_matrix_follows_the_post(tasks):
    users = role_users()
    table = {label: [] for label in users}
    for label in ("editor", "proofreader", "supervisor", "chief", "account_admin", "auditor", "sysadmin",
                  "contributor@in", "department_head@in", "leader@in", "supervisor@in", "account_admin@in"):
        table[label] = list(tasks)
    assert_matrix(policy.can_view, users, tasks, table, name="review task can_view")


def test_preview_matrix(app):
    posts = {"in_review@in": make_post(state="in_review"),
             "in_review@in+out": make_post((IN_CHANNEL, OUT_CHANNEL), state="in_review")}
    users = role_users()
    users["author"] = get_by_username("contributor")
    table = {label: [] for label in users}
    for label in ("author", "editor", "proofreader", "supervisor", "chief", "department_head@in", "leader@in"):
        table[label] = list(posts)       # the author, and reviewers of the post's department or globally
    table["supervisor@in"] = list(posts)  # the supervisor of a target channel
    table["supervisor@out"] = ["in_review@in+out"]
    # a contributor of the department sees the post but reviews nothing; readers who are not
    # reviewers (account administrator, auditor, system administrator) do not preview
    assert_matrix(policy.can_preview, users, posts, table, name="can_preview")


def test_a_reviewer_reassigned_a_step_outside_their_scopes_sees_the_post_then_not(tasks):
    """The routing, not the role table, decides who reviews: a step reassigned to the head of another
    department shows them the post (and the list agrees); reassigned away before they
    decide, it no longer does. Once they decided, they keep seeing what they signed (C11)."""
    outsider = make_user("m_outsider", ("department_head", "department", "财务部"))
    post = tasks["open@in"].post
    listed = lambda: db.session.scalar(post_policy.visible_posts(  # noqa: E731
        outsider, select(Post.id).where(Post.id == post.id))) is not None
    assert not post_policy.can_view(outsider, post) and not listed()
    sysadmin = get_by_username("sysadmin")
    workflow.reassign(sysadmin, post, [outsider.id], "负责人出差")
    db.session.expire_all()
    assert post_policy.can_view(outsider, post) and listed() and policy.can_decide(outsider, tasks["open@in"])
    workflow.reassign(sysadmin, post, [get_by_username("department_head").id], "负责人已返回")
    db.session.expire_all()
    assert not post_policy.can_view(outsider, post) and not listed()
    workflow.reassign(sysadmin, post, [outsider.id], "负责人再次出差")
    workflow.decide(outsider, post, {"decision": "approve", "revision": post.current.number,
                                     "hash": post.current.content_hash})
    db.session.expire_all()
    assert post_policy.can_view(outsider, post) and listed()
    assert not policy.can_decide(outsider, workflow_queries.active_submission(post))  # the next step is not theirs


def test_the_approval_is_told_to_the_administrators_of_the_posts_channels_only(app):
    from cms.notify.models import Notification

    mine = make_user("m_admin_in", ("account_admin", "channel", IN_CHANNEL))
    other = make_user("m_admin_out", ("account_admin", "channel", OUT_CHANNEL))
    post = make_post(state="approved")

    def told(user):
        return db.session.scalar(select(Notification.id).where(
            Notification.user_id == user.id, Notification.post_id == post.id, Notification.kind == "to_publish"))

    assert told(mine) and told(get_by_username("account_admin"))  # theirs, and the global one
    assert told(other) is None  # another channel's administrator does not even see the post
