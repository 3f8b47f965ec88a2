"""The pure rules of withdrawing and correcting (cms/publishing/withdrawal_rules.py): tables of
request × post state × channels × rights, decision × state × actor, retry × state, allowed and
refused, each with its code (C4 C7 U7)."""
from datetime import UTC, datetime, timedelta

import pytest

from cms.publishing import withdrawal_rules as rules

NOW = datetime(2026, 5, 6, 10, 0, tzinfo=UTC)
GOOD = {"kind": "withdraw", "reason": "数据有误", "post_status": "published", "published": {1, 2},
        "in_flight": set(), "chosen": None, "allowed": {1, 2}, "open_request": False}


@pytest.mark.parametrize(("change", "code", "status", "field"), [
    ({}, None, None, None),
    ({"kind": "correct"}, None, None, None),
    ({"chosen": [2]}, None, None, None),
    ({"chosen": [2], "allowed": {2}}, None, None, None),                       # a channel's own administrator
    ({"allowed": set()}, "forbidden", 403, None),                                # contributor, editor, other channel
    ({"allowed": set(), "reason": ""}, "forbidden", 403, None),                  # rights before anything else
    ({"kind": "delete"}, "invalid", 400, "kind"),
    ({"kind": ""}, "invalid", 400, "kind"),
    ({"reason": ""}, "U7", 422, "reason"),
    ({"reason": " \n\t "}, "U7", 422, "reason"),
    ({"reason": "长" * 2001}, "invalid", 422, "reason"),
    ({"open_request": True}, "conflict", 409, None),
    ({"in_flight": {3}}, "conflict", 409, None),
    ({"post_status": "scheduled"}, "conflict", 409, None),
    ({"post_status": "approved", "published": set()}, "conflict", 409, None),
    ({"post_status": "withdrawn", "published": set()}, "conflict", 409, None),
    ({"post_status": "draft"}, "conflict", 409, None),
    ({"chosen": [3]}, "invalid", 422, "channels"),                               # not published there
    ({"kind": "correct", "chosen": [1]}, "C4", 422, "channels"),                 # a correction takes every channel
    ({"kind": "correct", "chosen": [1, 2]}, None, None, None),
    ({"allowed": {1}}, "forbidden", 403, "channels"),                            # all, one of them not theirs
    ({"allowed": {1}, "chosen": [1]}, None, None, None),
])
def test_request(change, code, status, field):
    refusal = rules.request_refusal(**{**GOOD, **change})
    if code is None:
        assert refusal is None
    else:
        assert (refusal.code, refusal.status, refusal.field) == (code, status, field)


def test_a_refusal_names_the_channels_it_is_about():
    assert rules.request_refusal(**{**GOOD, "chosen": [3, 1]}).params == {"channels": [3]}
    assert rules.request_refusal(**{**GOOD, "allowed": {2}}).params == {"channels": [1]}


@pytest.mark.parametrize(("chosen", "published", "expected"), [
    (None, {2, 1}, [1, 2]), ([], {1}, [1]), ([2, 2], {1, 2}, [2])])
def test_targets(chosen, published, expected):
    assert rules.targets(chosen, published) == expected


SUPERVISOR, SECOND, ADMIN, AUTHOR = 10, 11, 20, 30
DECIDE = {"may_decide": True, "state": "pending", "approve": True, "note": "", "user_id": SECOND,
          "requester_id": ADMIN, "author_id": AUTHOR}


@pytest.mark.parametrize(("change", "code", "status"), [
    ({}, None, None),                                                           # another supervisor approves
    ({"approve": False, "note": "不必撤回"}, None, None),
    ({"requester_id": SUPERVISOR, "user_id": SECOND}, None, None),             # a supervisor's request, a second one
    ({"may_decide": False}, "forbidden", 403),                                  # administrator, other channel's supervisor
    ({"may_decide": False, "state": "done"}, "forbidden", 403),
    ({"user_id": ADMIN}, "own_request", 403),                                   # four eyes
    ({"user_id": SUPERVISOR, "requester_id": SUPERVISOR}, "own_request", 403),
    ({"user_id": AUTHOR}, "own_post", 403),
    ({"approve": False, "note": "  "}, "invalid", 422),                        # a rejection says why
    ({"approve": False, "note": "长" * 2001}, "invalid", 422),
    ({"state": "approved"}, "conflict", 409),
    ({"state": "rejected"}, "conflict", 409),
    ({"state": "done"}, "conflict", 409),
    ({"state": "failed"}, "conflict", 409),
])
def test_decision(change, code, status):
    refusal = rules.decision_refusal(**{**DECIDE, **change})
    if code is None:
        assert refusal is None
    else:
        assert (refusal.code, refusal.status) == (code, status)
        if code == "invalid":
            assert refusal.field == "note"


@pytest.mark.parametrize(("may", "state", "decided_ago", "code"), [
    (True, "failed", timedelta(minutes=1), None),
    (True, "approved", timedelta(minutes=1), "conflict"),                       # may still be running
    (True, "approved", rules.STUCK_AFTER + timedelta(seconds=1), None),        # interrupted: retried
    (True, "pending", timedelta(hours=1), "conflict"),
    (True, "done", timedelta(hours=1), "conflict"),
    (True, "rejected", timedelta(hours=1), "conflict"),
    (False, "failed", timedelta(minutes=1), "forbidden"),
])
def test_retry(may, state, decided_ago, code):
    refusal = rules.retry_refusal(may_retry=may, state=state, decided_at=NOW - decided_ago, now=NOW)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize(("kind", "still", "status"), [
    ("withdraw", True, None), ("withdraw", False, "withdrawn"), ("correct", False, "draft"), ("correct", True, None)])
def test_the_posts_status_after(kind, still, status):
    assert rules.post_status_after(kind, still) == status
