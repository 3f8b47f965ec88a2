"""The publishing policy as matrices (issue 13): every role × in scope / out of scope × object
state → allow or deny, on real users, real channels, real approved posts and their publications.
Scheduling a post, the C8 override and a bundle's channel are asked per target channel: a role
held for one channel reaches that channel only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from cms import workdays
from cms.auth.service import get_by_username
from cms.channels import policy as channels_policy
from cms.publishing import policy
from cms.publishing.models import Withdrawal
from cms.publishing.scheduling import schedule
from tests.policy_matrix import (
    IN_CHANNEL,
    OUT_CHANNEL,
    assert_matrix,
    channel,
    make_post,
    make_user,
    role_users,
)

ON_IN, ON_BOTH, ON_OUT = "approved@in", "approved@in+out", "approved@out"


@pytest.fixture
def posts(app):
    return {ON_IN: make_post(state="approved"), ON_BOTH: make_post((IN_CHANNEL, OUT_CHANNEL), state="approved"),
            ON_OUT: make_post((OUT_CHANNEL,), state="approved")}


@pytest.fixture
def users(posts):
    users = role_users()
    users["account_admin@in+out"] = make_user("m_admins", ("account_admin", "channel", IN_CHANNEL),
                                              ("account_admin", "channel", OUT_CHANNEL))
    users["supervisor@in+out"] = make_user("m_sups", ("supervisor", "channel", IN_CHANNEL),
                                           ("supervisor", "channel", OUT_CHANNEL))
    users["account_admin@in+supervisor@out"] = make_user("m_mixed", ("account_admin", "channel", IN_CHANNEL),
                                                         ("supervisor", "channel", OUT_CHANNEL))
    return users


def test_schedule_matrix(posts, users):
    """Every target channel published on by the user: the account administrator or the supervisor
    of it (C4 C8). Before issue 13 a channel's supervisor scheduled on every channel."""
    mine = {"account_admin": list(posts), "supervisor": list(posts),
            "account_admin@in": [ON_IN], "supervisor@in": [ON_IN],
            "account_admin@out": [ON_OUT], "supervisor@out": [ON_OUT],
            "account_admin@in+out": list(posts), "supervisor@in+out": list(posts),
            "account_admin@in+supervisor@out": list(posts)}
    assert_matrix(policy.can_schedule, users, posts, {label: mine.get(label, []) for label in users},
                  name="can_schedule")


def test_c8_override_matrix(posts, users):
    """C8's later day, with a reason: the supervisor of every channel the post goes to."""
    mine = {"supervisor": list(posts), "supervisor@in": [ON_IN], "supervisor@out": [ON_OUT],
            "supervisor@in+out": list(posts), "account_admin@in+supervisor@out": [ON_OUT]}
    assert_matrix(lambda u, p: policy.can_override_day(u, p.channels), users, posts,
                  {label: mine.get(label, []) for label in users}, name="can_override_day")


def test_channel_matrix(app):
    users = role_users()
    channels = {"in": channel(IN_CHANNEL), "out": channel(OUT_CHANNEL), "a new channel": None}
    publish = {"account_admin": ["in", "out"], "supervisor": ["in", "out"], "account_admin@in": ["in"],
               "supervisor@in": ["in"], "account_admin@out": ["out"], "supervisor@out": ["out"]}
    real = {k: v for k, v in channels.items() if v is not None}
    assert_matrix(channels_policy.can_publish_on, users, real, {label: publish.get(label, []) for label in users},
                  name="can_publish_on (and a bundle's channel)")
    assert_matrix(channels_policy.channel_policy.can_bundle, users, real, {label: publish.get(label, []) for label in users},
                  name="can_bundle")
    manage = {"account_admin": list(channels), "account_admin@in": ["in"], "account_admin@out": ["out"]}
    assert_matrix(channels_policy.can_manage_channel, users, channels, {label: manage.get(label, []) for label in users},
                  name="can_manage_channel")
    view = {label: sorted(set(publish.get(label, [])) | set(manage.get(label, [])) - {"a new channel"})
            for label in users}
    assert_matrix(channels_policy.channel_policy.can_view, users, real, view, name="channel can_view")


def test_publication_matrix(midday, posts, users):
    later = workdays.now() + timedelta(minutes=30)
    pubs = {f"{p.channel.name} of {label}": p for label in (ON_IN, ON_BOTH)
            for p in schedule(get_by_username("account_admin"), posts[label], later)}
    assert sorted(pubs) == sorted([f"{IN_CHANNEL} of {ON_IN}", f"{IN_CHANNEL} of {ON_BOTH}",
                                   f"{OUT_CHANNEL} of {ON_BOTH}"])
    on_in = [k for k in pubs if k.startswith(IN_CHANNEL)]
    on_out = [k for k in pubs if k.startswith(OUT_CHANNEL)]
    retry = {"account_admin": list(pubs), "supervisor": list(pubs), "account_admin@in+out": list(pubs),
             "supervisor@in+out": list(pubs), "account_admin@in": on_in, "supervisor@in": on_in,
             "account_admin@out": on_out, "supervisor@out": on_out, "account_admin@in+supervisor@out": list(pubs)}
    assert_matrix(policy.publication_policy.can_retry, users, pubs, {label: retry.get(label, []) for label in users},
                  name="publication can_retry")
    # seen with its post: the out-of-channel supervisor sees both of the post on both channels
    readers = ("editor", "proofreader", "supervisor", "chief", "account_admin", "auditor", "sysadmin",
               "contributor@in", "department_head@in", "leader@in", "account_admin@in+out", "supervisor@in+out",
               "account_admin@in+supervisor@out", "account_admin@in", "supervisor@in")
    view = {label: list(pubs) if label in readers else [] for label in users}
    view["account_admin@out"] = view["supervisor@out"] = [k for k in pubs if k.endswith(ON_BOTH)]
    assert_matrix(policy.publication_policy.can_view, users, pubs, view, name="publication can_view")


def test_withdrawal_decision_matrix(app):
    users = role_users()
    users["supervisor@in+out"] = make_user("m_sups", ("supervisor", "channel", IN_CHANNEL),
                                           ("supervisor", "channel", OUT_CHANNEL))
    requests = {name: Withdrawal(channel_ids=[channel(n).id for n in names]) for name, names in
                {"of in": (IN_CHANNEL,), "of in+out": (IN_CHANNEL, OUT_CHANNEL), "of nothing": ()}.items()}
    decide = {"supervisor": ["of in", "of in+out"], "supervisor@in": ["of in"],
              "supervisor@in+out": ["of in", "of in+out"]}
    assert_matrix(policy.withdrawal_policy.can_decide, users, requests,
                  {label: decide.get(label, []) for label in users}, name="withdrawal can_decide")
    retry = {"supervisor": ["of in", "of in+out"], "supervisor@in": ["of in"], "supervisor@in+out": ["of in", "of in+out"],
             "account_admin": ["of in", "of in+out"], "account_admin@in": ["of in"]}
    assert_matrix(policy.withdrawal_policy.can_retry, users, requests,
                  {label: retry.get(label, []) for label in users}, name="withdrawal can_retry")
