"""The publishing policy (issue 13): channels, publications, scheduling a post, the C8 same-day
override, 多图文 bundles and withdrawals, each asked with the object's channels. Pure of Flask
globals: every function takes the user.

Scope semantics (a role held globally covers every channel; one held for a channel, that channel;
who manages and who publishes on a channel: cms/channels/policy.py):
- scheduling a post (C4 C8): every target channel is one the user publishes on;
- the C8 override (a later day, with a reason): the platform supervisor of every channel the send
  goes to (all the post's channels; the bundle's one channel);
- a bundle (C18): published on its channel;
- a publication: seen with its post; retried by whoever publishes on its channel;
- withdrawals (C7 C13): asked per channel by publish.request_withdraw for it, decided by
  publish.approve_withdraw for every channel the request names."""
from __future__ import annotations

from collections.abc import Iterable

from cms.channels.models import Bundle, Channel, Publication
from cms.channels.policy import (
    SUPERVISE,
    active,
    can_publish_on,
    holds_on,
    supervises,
)
from cms.permissions import policy_for
from cms.publishing.models import Withdrawal

REQUEST_WITHDRAW = "publish.request_withdraw"


# --- channels -------------------------------------------------------------------------------------


# policy of Channel objects (for `can(...)`)




# --- posts: scheduling and the C8 override --------------------------------------------------------

def can_schedule(user, post) -> bool:
    """Every target channel is one the user publishes on (C4 C8: schedule() asks the post's state)."""
    return active(user) and bool(post.channels) and all(can_publish_on(user, c) for c in post.channels)


def can_override_day(user, channels: Iterable[Channel]) -> bool:
    """C8: a later day than the post's day, with a reason: the supervisor of every channel it goes to."""
    return supervises(user, channels)


# --- publications and bundles ---------------------------------------------------------------------

class _PublicationPolicy:
    @staticmethod
    def can_view(user, pub: Publication) -> bool:
        from cms.content.policy import can_view as can_view_post

        return active(user) and can_view_post(user, pub.post)

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
    if not active(user):
        return set()
    return {c.id for c in post.channels if holds_on(user, REQUEST_WITHDRAW, c.id)}


class _WithdrawalPolicy:
    @staticmethod
    def can_view(user, w: Withdrawal) -> bool:
        from cms.content.policy import can_view as can_view_post

        return active(user) and can_view_post(user, w.post)

    @staticmethod
    def can_decide(user, w: Withdrawal) -> bool:
        """A platform supervisor of every channel the request names (the four-eyes rule is asked apart)."""
        return active(user) and bool(w.channel_ids) and all(holds_on(user, SUPERVISE, cid) for cid in w.channel_ids)

    @staticmethod
    def can_retry(user, w: Withdrawal) -> bool:
        return active(user) and bool(w.channel_ids) and all(holds_on(user, REQUEST_WITHDRAW, cid) for cid in w.channel_ids)


withdrawal_policy = _WithdrawalPolicy
policy_for(Withdrawal, withdrawal_policy)
