"""Who reads a channel's follower messages and answers them, and sees its figures (issue 15, C16):
the comment moderator (comment.moderate), held globally (every channel) or for a channel (that
channel only). Asked with the message or the channel; pure of Flask globals."""
from __future__ import annotations

from cms.channels.models import Channel
from cms.channels.policy import active, holds_on
from cms.followers.models import FollowerMessage
from cms.permissions import policy_for

MODERATE = "comment.moderate"


def _channel_id(obj) -> int | None:
    if isinstance(obj, Channel):
        return obj.id
    return getattr(obj, "channel_id", None)


def can_view(user, obj) -> bool:
    """Read the inbox (and the figures) of the channel of `obj` (a Channel or a FollowerMessage)."""
    channel_id = _channel_id(obj)
    return active(user) and channel_id is not None and holds_on(user, MODERATE, channel_id)


def can_answer(user, obj) -> bool:
    """Send a customer-service message on the channel of `obj`; only a WeChat channel takes one."""
    channel = obj if isinstance(obj, Channel) else getattr(obj, "channel", None)
    if channel is not None and channel.platform != "wechat":
        return False
    return can_view(user, obj)


can_fetch = can_view  # "fetch now" of the figures: whoever sees them


class _FollowerPolicy:
    can_view = staticmethod(can_view)
    can_answer = staticmethod(can_answer)
    can_fetch = staticmethod(can_fetch)


follower_policy = _FollowerPolicy
policy_for(FollowerMessage, follower_policy)


def visible_channel_ids(user, channels) -> list[int]:
    return [c.id for c in channels if can_view(user, c)]
