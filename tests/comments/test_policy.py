"""The comment policy as matrices (issue 15): every role × in scope / out of scope × comment state
→ allow or deny, on real users and real stored comments. The moderator role held for a channel
reaches that channel's comments only; a global one every channel's; no other role any."""
from __future__ import annotations

import pytest

from cms import workdays
from cms.comments import policy
from cms.comments.models import CommentThread, FollowerComment, ReplyTemplate
from cms.extensions import db
from tests.policy_matrix import IN_CHANNEL, OUT_CHANNEL, assert_matrix, channel, role_users


def _comment(channel_name: str, ucid: int, **state) -> FollowerComment:
    ch = channel(channel_name)
    thread = db.session.query(CommentThread).filter_by(channel_id=ch.id).first()
    if thread is None:
        thread = CommentThread(channel_id=ch.id, msg_data_id=f"9{ch.id}", index=0, title="文章")
        db.session.add(thread)
        db.session.flush()
    c = FollowerComment(thread_id=thread.id, channel_id=ch.id, msg_data_id=thread.msg_data_id, index=0,
                        user_comment_id=ucid, openid="o", content="留言", created_at=workdays.now(), **state)
    db.session.add(c)
    db.session.commit()
    return c


@pytest.fixture
def comments(app):
    return {
        "unanswered@in": _comment(IN_CHANNEL, 1),
        "answered@in": _comment(IN_CHANNEL, 2, reply_text="谢谢"),
        "featured@in": _comment(IN_CHANNEL, 3, featured=True),
        "unanswered@out": _comment(OUT_CHANNEL, 4),
        "answered@out": _comment(OUT_CHANNEL, 5, reply_text="谢谢"),
    }


IN = ["unanswered@in", "answered@in", "featured@in"]


@pytest.mark.parametrize("check", [policy.can_view, policy.can_reply, policy.can_moderate])
def test_comment_matrix(comments, check):
    users = role_users()
    expected = {label: [] for label in users}
    expected["moderator"] = list(comments)
    expected["moderator@in"] = IN
    assert_matrix(check, users, comments, expected, name=check.__name__)


def test_thread_and_template_matrix(comments):
    users = role_users()
    threads = {"in": comments["unanswered@in"].thread, "out": comments["unanswered@out"].thread}
    expected = {label: [] for label in users}
    expected["moderator"], expected["moderator@in"] = ["in", "out"], ["in"]
    assert_matrix(policy.thread_policy.can_sync, users, threads, expected, name="can_sync")
    assert_matrix(policy.thread_policy.can_open, users, threads, expected, name="can_open")
    template = ReplyTemplate(title="感谢", text="谢谢")
    db.session.add(template)
    db.session.commit()
    expected = {label: [] for label in users}
    expected["moderator"] = expected["moderator@in"] = ["t"]
    assert_matrix(policy.template_policy.can_edit, users, {"t": template}, expected, name="template.can_edit")


def test_saved_replies_are_for_moderators_of_any_scope(comments):
    """Saved reply templates are shared by every moderator, a channel's or the global one; no other role."""
    users = role_users()
    assert sorted(label for label, u in users.items() if policy.can_use_templates(u)) == ["moderator", "moderator@in"]


def test_a_closed_account_is_denied(comments):
    users = role_users()
    moderator = users["moderator"]
    assert policy.can_reply(moderator, comments["unanswered@in"])
    moderator.state = "departed"
    db.session.commit()
    assert not any(check(moderator, c) for c in comments.values()
                   for check in (policy.can_view, policy.can_reply, policy.can_moderate))
