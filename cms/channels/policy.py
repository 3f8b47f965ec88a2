"""The channel policy (issue 13): who manages a channel and who publishes on it, asked with the
channel. Pure of Flask globals: every function takes the user. A role held globally covers every
channel; one held for a channel, that channel.
- managed (edited, its credentials, C17) with channel.manage for it; a new channel needs
  channel.manage held globally;
- published on with "publish" (the account administrator) or publish.approve_withdraw (the
  platform supervisor) for it;
- named as a post's target (can_target) by those, and, while active, by whoever may file a post or
  reviews posts for it. The publishing policy (cms/publishing/policy.py) builds on these."""
from __future__ import annotations

from collections.abc import Iterable

from cms.channels.models import Channel
from cms.permissions import policy_for

SUPERVISE = "publish.approve_withdraw"  # the platform supervisor's mark: the C8 override too


def active(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def holds_on(user, permission: str, channel_id: int) -> bool:
    return user.has_permission(permission, ("channel", channel_id))


def can_manage_channel(user, channel: Channel | None = None) -> bool:
    """channel.manage for this channel; with no channel (creating one), held globally."""
    if not active(user):
        return False
    if channel is None or channel.id is None:
        return user.has_global_permission("channel.manage")
    return holds_on(user, "channel.manage", channel.id)


def can_publish_on(user, channel: Channel) -> bool:
    """The channel's account administrator, or its platform supervisor."""
    return active(user) and (holds_on(user, "publish", channel.id) or holds_on(user, SUPERVISE, channel.id))


def supervises(user, channels: Iterable[Channel]) -> bool:
    """The platform supervisor of every one of these channels (none given: a global one)."""
    if not active(user):
        return False
    channels = list(channels)
    if not channels:
        return user.has_global_permission(SUPERVISE)
    return all(holds_on(user, SUPERVISE, c.id) for c in channels)


class _ChannelPolicy:
    @staticmethod
    def can_view(user, channel: Channel) -> bool:
        return can_manage_channel(user, channel) or can_publish_on(user, channel)

    can_edit = staticmethod(can_manage_channel)
    can_manage = staticmethod(can_manage_channel)
    can_publish = staticmethod(can_publish_on)
    can_bundle = staticmethod(can_publish_on)


channel_policy = _ChannelPolicy
policy_for(Channel, channel_policy)


def publishes_any(user, post) -> bool:
    """At least one target channel is one the user publishes on (what the publishing lists show)."""
    return active(user) and any(can_publish_on(user, c) for c in post.channels)


def can_target(user, channel: Channel) -> bool:
    """Name the channel as a post's target (API.md GET /channels): whoever sees it (manages or
    publishes on it), and, while it is active, whoever may file a post (post.create for their
    department, as content.policy.can_create asks) or reviews posts for it (post.review for this
    channel, or globally): the post editor offers them its active channels."""
    if not active(user):
        return False
    if channel_policy.can_view(user, channel):
        return True
    if not channel.active:
        return False
    return (user.has_permission("post.create", ("department", user.department_id))
            or holds_on(user, "post.review", channel.id))
