"""The publishing policy (issue 13): channels, publications, scheduling a post, the C8 same-day
override, 多图文 bundles and withdrawals, each asked with the object's channels. Pure of Flask
globals: every function takes the user.

Scope semantics (a role held globally covers every channel; one held for a channel, that channel):
- channel: managed (edited, its credentials, C17) with channel.manage for it; a new channel needs
  channel.manage held globally. Published on with "publish" (the account administrator) or
  publish.approve_withdraw (the platform supervisor) for it. Named as a post's target (can_target)
  by those, and, while active, by whoever may file a post or reviews posts for it.
- scheduling a post (C4 C8): every target channel is one the user publishes on;
- the C8 override (a later day, with a reason): the platform supervisor of every channel the send
  goes to (all the post's channels; the bundle's one channel);
- a bundle (C18): published on its channel;
- a publication: seen with its post; retried by whoever publishes on its channel;
- withdrawals (C7 C13): asked per channel by publish.request_withdraw for it, decided by
  publish.approve_withdraw for every channel the request names."""
from __future__ import annotations

from collections.abc import Iterable

from cms.permissions import policy_for
from cms.publishing.models import Bundle, Channel, Publication, Withdrawal

SUPERVISE = "publish.approve_withdraw"  # the platform supervisor's mark: the C8 override too
REQUEST_WITHDRAW = "publish.request_withdraw"


def _active(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def _on(user, permission: str, channel_id: int) -> bool:
    return user.has_permission(permission, ("channel", channel_id))


# --- channels -------------------------------------------------------------------------------------

def can_manage_channel(user, channel: Channel | None = None) -> bool:
    """channel.manage for this channel; with no channel (creating one), held globally."""
    if not _active(user):
        return False
    if channel is None or channel.id is None:
        return user.has_global_permission("channel.manage")
    return _on(user, "channel.manage", channel.id)


def can_publish_on(user, channel: Channel) -> bool:
    """The channel's account administrator, or its platform supervisor."""
    return _active(user) and (_on(user, "publish", channel.id) or _on(user, SUPERVISE, channel.id))


def supervises(user, channels: Iterable[Channel]) -> bool:
    """The platform supervisor of every one of these channels (none given: a global one)."""
    if not _active(user):
        return False
    channels = list(channels)
    if not channels:
        return user.has_global_permission(SUPERVISE)
    return all(_on(user, SUPERVISE, c.id) for c in channels)


# policy of Channel objects (for `can(...)`)
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


def can_target(user, channel: Channel) -> bool:
    """Name the channel as a post's target (API.md GET /channels): whoever sees it (manages or
    publishes on it), and, while it is active, whoever may file a post (post.create for their
    department) or reviews posts for it (post.review for this channel, or globally): the post
    editor offers them its active channels."""
    if not _active(user):
        return False
    if channel_policy.can_view(user, channel):
        return True
    if not channel.active:
        return False
    from cms.content.policy import can_create

    return can_create(user) or _on(user, "post.review", channel.id)


# --- posts: scheduling and the C8 override --------------------------------------------------------

def can_schedule(user, post) -> bool:
    """Every target channel is one the user publishes on (C4 C8: schedule() asks the post's state)."""
    return _active(user) and bool(post.channels) and all(can_publish_on(user, c) for c in post.channels)


def publishes_any(user, post) -> bool:
    """At least one target channel is one the user publishes on (what the publishing lists show)."""
    return _active(user) and any(can_publish_on(user, c) for c in post.channels)


def can_override_day(user, channels: Iterable[Channel]) -> bool:
    """C8: a later day than the post's day, with a reason: the supervisor of every channel it goes to."""
    return supervises(user, channels)


# --- publications and bundles ---------------------------------------------------------------------

class _PublicationPolicy:
    @staticmethod
    def can_view(user, pub: Publication) -> bool:
        from cms.content.policy import can_view as can_view_post

        return _active(user) and can_view_post(user, pub.post)

    @staticmethod
    def can_edit(user, pub: Publication) -> bool:  # moved by scheduling again, on its channel
        return can_publish_on(user, pub.channel)

    @staticmethod
    def can_retry(user, pub: Publication) -> bool:
        return can_publish_on(user, pub.channel)


publication_policy = _PublicationPolicy
policy_for(Publication, publication_policy)


class _BundlePolicy:
    @staticmethod
    def can_view(user, bundle: Bundle) -> bool:
        return can_publish_on(user, bundle.channel)

    @staticmethod
    def can_edit(user, bundle: Bundle) -> bool:
        return can_publish_on(user, bundle.channel)

    can_dissolve = can_edit


bundle_policy = _BundlePolicy
policy_for(Bundle, bundle_policy)


# --- withdrawals ----------------------------------------------------------------------------------

def withdrawable_channels(user, post) -> set[int]:
    """The post's channels this user may ask to withdraw it from."""
    if not _active(user):
        return set()
    return {c.id for c in post.channels if _on(user, REQUEST_WITHDRAW, c.id)}


class _WithdrawalPolicy:
    @staticmethod
    def can_view(user, w: Withdrawal) -> bool:
        from cms.content.policy import can_view as can_view_post

        return _active(user) and can_view_post(user, w.post)

    @staticmethod
    def can_decide(user, w: Withdrawal) -> bool:
        """A platform supervisor of every channel the request names (the four-eyes rule is asked apart)."""
        return _active(user) and bool(w.channel_ids) and all(_on(user, SUPERVISE, cid) for cid in w.channel_ids)

    @staticmethod
    def can_retry(user, w: Withdrawal) -> bool:
        return _active(user) and bool(w.channel_ids) and all(_on(user, REQUEST_WITHDRAW, cid) for cid in w.channel_ids)


withdrawal_policy = _WithdrawalPolicy
policy_for(Withdrawal, withdrawal_policy)
