"""Who reads a channel's follower messages, answers them and fetches its figures: the comment
moderator, globally (every channel) or for the channel (that one only); nobody else (C16)."""
from __future__ import annotations

from cms.extensions import db
from cms.followers import policy
from cms.followers.models import IN, FollowerMessage
from cms.permissions import can
from tests.policy_matrix import IN_CHANNEL, OUT_CHANNEL, ROLE_CASES, assert_matrix, channel, role_users

EVERYTHING = ["message@in", "message@out", "channel@in", "channel@out"]
IN_ONLY = ["message@in", "channel@in"]


def _objects():
    made = {}
    for label, name in (("in", IN_CHANNEL), ("out", OUT_CHANNEL)):
        ch = channel(name)
        message = FollowerMessage(channel_id=ch.id, openid=f"o_matrix_{label}", direction=IN, msg_id=f"m-{label}",
                                  content="你好")
        db.session.add(message)
        made[f"message@{label}"], made[f"channel@{label}"] = message, ch
    db.session.commit()
    return made


def _expected():
    expected = {label: [] for label, _roles in ROLE_CASES}
    expected["moderator"] = EVERYTHING
    expected["moderator@in"] = IN_ONLY
    return expected


def test_the_moderator_of_the_channel_or_of_every_channel_and_nobody_else(app):
    users, objects = role_users(), _objects()
    for action in ("view", "answer", "fetch"):
        assert_matrix(lambda u, o, a=action: getattr(policy, f"can_{a}")(u, o), users, objects, _expected(),
                      name=f"can_{action}")
    # the same answers through the registry the templates and views use
    assert can("answer", objects["message@in"], users["moderator@in"])
    assert not can("answer", objects["message@out"], users["moderator@in"])


def test_a_closed_account_is_refused(app):
    users, objects = role_users(), _objects()
    moderator = users["moderator"]
    moderator.state = "suspended"
    db.session.commit()
    assert not policy.can_view(moderator, objects["channel@in"])
    assert not policy.can_answer(moderator, objects["message@in"])
