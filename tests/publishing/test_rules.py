"""Pure channel rules (C17 rotation, C18 push allowance, credential formats, C4 C5 at send time):
table tests."""
from datetime import UTC, datetime, timedelta

import pytest

from cms.publishing import rules

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(("rotated_days_ago", "max_age", "has_secret", "overdue", "soon"), [
    (0, 90, True, False, False),
    (75, 90, True, False, False),
    (76, 90, True, False, True),     # within 14 days of the date
    (89, 90, True, False, True),
    (90, 90, True, True, False),     # on the date: overdue
    (200, 90, True, True, False),
    (31, 30, True, True, False),     # a channel's own shorter period
    (None, 90, True, True, False),   # never dated: overdue
    (None, 90, False, False, False),  # nothing stored: nothing to rotate
    (500, 90, False, False, False),
])
def test_secret_rotation(rotated_days_ago, max_age, has_secret, overdue, soon):
    rotated = None if rotated_days_ago is None else NOW - timedelta(days=rotated_days_ago)
    assert rules.secret_overdue(rotated, max_age, NOW, has_secret=has_secret) is overdue
    assert rules.secret_due_soon(rotated, max_age, NOW, 14, has_secret=has_secret) is soon
    if rotated is not None:
        assert rules.secret_age_days(rotated, NOW) == rotated_days_ago
        assert rules.secret_due_at(rotated, max_age) == rotated + timedelta(days=max_age)


@pytest.mark.parametrize(("kind", "quota", "expected"), [
    ("subscription", None, (1, "day")),
    ("service", None, (4, "month")),
    ("service", 2, (2, "month")),
    ("subscription", 0, (0, "day")),
])
def test_push_allowance(kind, quota, expected):  # policy C18, WECHAT_API.md 4
    assert rules.push_allowance(kind, quota) == expected


@pytest.mark.parametrize(("platform", "values", "creating", "has_secret", "expected"), [
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "s"}, True, False, {}),
    ("wechat", {"app_id": "", "app_secret": "s"}, True, False, {"app_id": ["required"]}),
    ("wechat", {"app_id": "gh_123456", "app_secret": "s"}, True, False, {"app_id": ["format"]}),
    ("wechat", {"app_id": "wx1234567890abcdef"}, True, False, {"app_secret": ["required"]}),
    ("wechat", {"app_id": "wx1234567890abcdef"}, False, True, {}),  # blank keeps the stored one
    ("wechat", {"app_id": "wx1234567890abcdef"}, False, False, {"app_secret": ["required"]}),
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "a b"}, True, False, {"app_secret": ["format"]}),
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "s", "callback_token": "ab"}, True, False,
     {"callback_token": ["format"]}),
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "s", "encoding_aes_key": "x" * 42}, True, False,
     {"encoding_aes_key": ["format"]}),
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "s", "encoding_aes_key": "x" * 43,
                "callback_token": "token123"}, True, False, {}),
    ("toutiao", {"app_id": "tt_demo", "app_secret": "s"}, True, False, {}),
    ("toutiao", {"app_id": "", "app_secret": ""}, True, False, {"app_id": ["required"], "app_secret": ["required"]}),
    ("website", {"slug": "news"}, True, False, {}),
    ("website", {"slug": ""}, True, False, {"slug": ["required"]}),
    ("website", {"slug": "News Feed"}, True, False, {"slug": ["format"]}),
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "s", "api_base_url": "ftp://x"}, True, False,
     {"api_base_url": ["format"]}),
    ("wechat", {"app_id": "wx1234567890abcdef", "app_secret": "s",
                "api_base_url": "http://127.0.0.1:5000/mp/cgi-bin/"}, True, False, {}),
])
def test_credential_problems(platform, values, creating, has_secret, expected):
    assert rules.credential_problems(platform, values, creating=creating, has_secret=has_secret) == expected


# --- C4 C5 at the moment a publication goes out ----------------------------------------------------

SENDABLE = {"status": "scheduled", "confidential": False, "submission": "approved", "number": 3, "hash": "h3"}


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"status": "approved"}, None),
    ({"status": "published"}, None),  # another channel went out first
    ({"status": "in_review"}, ("cancelled", "C4")),
    ({"status": "draft"}, ("cancelled", "C4")),
    ({"submission": "active"}, ("cancelled", "C4")),  # the chain restarted
    ({"submission": None}, ("cancelled", "C4")),  # withdrawn
    ({"number": 4, "hash": "h4"}, ("cancelled", "C4")),  # edited after scheduling
    ({"hash": "other"}, ("cancelled", "C4")),
    ({"confidential": True}, ("failed", "C5")),
    ({"confidential": True, "number": 4}, ("cancelled", "C4")),  # a new revision goes back to review first
])
def test_send_blocker(change, expected):
    blocked = rules.send_blocker({**SENDABLE, **change}, 3, "h3")
    if expected is None:
        assert blocked is None
    else:
        state, policy = expected
        assert blocked[0] == state and policy in blocked[1]
