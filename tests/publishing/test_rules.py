"""Pure channel rules (C17 rotation, C18 push allowance, credential formats, C4 C5 at send time, C8
the same day): table tests."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cms.channels import rules as rules_new
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
    assert rules_new.secret_overdue(rotated, max_age, NOW, has_secret=has_secret) is overdue
    assert rules_new.secret_due_soon(rotated, max_age, NOW, 14, has_secret=has_secret) is soon
    if rotated is not None:
        assert rules_new.secret_age_days(rotated, NOW) == rotated_days_ago
        assert rules_new.secret_due_at(rotated, max_age) == rotated + timedelta(days=max_age)


@pytest.mark.parametrize(("kind", "quota", "expected"), [
    ("subscription", None, (1, "day")),
    ("service", None, (4, "month")),
    ("service", 2, (2, "month")),
    ("subscription", 0, (0, "day")),
])
def test_push_allowance(kind, quota, expected):  # policy C18, WECHAT_API.md 4
    assert rules_new.push_allowance(kind, quota) == expected


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
    assert rules_new.credential_problems(platform, values, creating=creating, has_secret=has_secret) == expected


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


# --- C8: the same day ----------------------------------------------------------------------------

SH = ZoneInfo("Asia/Shanghai")


def _sh(text: str) -> datetime:
    """A time in Shanghai, e.g. "2026-03-11 15:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# approved: the final approval's time (Shanghai); planned: the post's planned date; now, at: Shanghai
# times (at None: now); expected: None when allowed, else the form field the refusal is about.
@pytest.mark.parametrize(("approved", "planned", "now", "at", "may_override", "reason", "expected"), [
    # the day itself: now, later today, up to the last minute before midnight
    ("2026-03-11 10:00", None, "2026-03-11 10:05", None, False, "", None),
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-11 15:30", False, "", None),
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-11 23:59", False, "", None),
    # the day closes at midnight in CMS_TIMEZONE, not at the working hours' close (18:00)
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-12 00:00", False, "", "at"),
    ("2026-03-11 17:59", None, "2026-03-11 18:30", "2026-03-11 21:00", False, "", None),
    ("2026-03-11 19:30", None, "2026-03-11 19:31", "2026-03-11 22:00", False, "", None),  # approved after 18:00
    ("2026-03-11 23:59", None, "2026-03-11 23:59", "2026-03-12 00:30", False, "", "at"),  # just before midnight
    ("2026-03-12 00:01", None, "2026-03-12 00:02", "2026-03-12 09:00", False, "", None),  # just after: that day
    # approved on an earlier day and not sent yet: it goes today (late, flagged elsewhere), not later
    ("2026-03-09 11:00", None, "2026-03-11 10:00", "2026-03-11 16:00", False, "", None),
    ("2026-03-09 11:00", None, "2026-03-11 10:00", "2026-03-12 09:00", False, "", "at"),
    # a planned date after the approval moves the day: up to it without an override
    ("2026-03-11 10:00", "2026-03-13", "2026-03-11 10:05", "2026-03-13 09:00", False, "", None),
    ("2026-03-11 10:00", "2026-03-13", "2026-03-11 10:05", "2026-03-14 09:00", False, "", "at"),
    ("2026-03-11 10:00", "2026-03-02", "2026-03-11 10:05", "2026-03-12 09:00", False, "", "at"),  # plan already past
    # non-working days are calendar days like any other: the same day, not the next working day
    ("2026-03-14 10:00", None, "2026-03-14 10:05", "2026-03-14 16:00", False, "", None),  # a Saturday
    ("2026-03-14 10:00", None, "2026-03-14 10:05", "2026-03-16 09:00", False, "", "at"),  # not Monday
    ("2026-10-01 09:00", None, "2026-10-01 09:30", "2026-10-01 20:00", False, "", None),  # National Day
    ("2026-10-01 09:00", None, "2026-10-01 09:30", "2026-10-08 09:00", False, "", "at"),  # nor after the holiday
    ("2026-03-11 10:00", "2026-03-14", "2026-03-11 10:05", "2026-03-14 10:00", False, "", None),  # planned Saturday
    # the override: the supervisor of every channel, with a reason
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-12 09:00", True, "配合集团统一发布", None),
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-12 09:00", True, "", "override_reason"),
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-12 09:00", True, "   ", "override_reason"),
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-12 09:00", False, "配合集团统一发布", "at"),
    ("2026-03-11 10:00", None, "2026-03-11 10:05", "2026-03-20 09:00", True, "展会当天发布", None),
])
def test_same_day(approved, planned, now, at, may_override, reason, expected):  # policy C8
    from cms.workflow.engine import approval_day

    publish_day = approval_day(_sh(approved).date(), date.fromisoformat(planned) if planned else None)
    now_utc = _sh(now).astimezone(UTC)  # the clock is UTC (workdays.now)
    decision = rules.same_day(publish_day, _sh(at) if at else None, now_utc, SH,
                              may_override=may_override, override_reason=reason)
    assert decision.code == "C8"
    if expected is None:
        assert decision.allowed and decision.message is None
        assert decision.at == (_sh(at) if at else now_utc)
        assert decision.reason == (reason.strip() if decision.day > decision.c8_day else "")
    else:
        assert not decision.allowed and decision.field == expected
        assert "C8" in decision.message % decision.params and "C8" in decision.field_message
        assert decision.c8_day.isoformat() in decision.message % decision.params


@pytest.mark.parametrize(("at", "expected_day"), [
    ("2026-03-11T15:59:00+00:00", "2026-03-11"),  # 23:59 in Shanghai: still the day
    ("2026-03-11T16:00:00+00:00", "2026-03-12"),  # midnight in Shanghai: the next day
    ("2026-03-11T23:30:00+08:00", "2026-03-11"),
    ("2026-03-11T10:00:00-05:00", "2026-03-11"),  # 23:00 in Shanghai
    ("2026-03-11T11:00:00-05:00", "2026-03-12"),
])
def test_same_day_reads_the_day_in_the_zone_given_whatever_the_offset(at, expected_day):  # policy C8
    now = _sh("2026-03-11 10:00").astimezone(UTC)
    decision = rules.same_day(date(2026, 3, 11), datetime.fromisoformat(at), now, SH,
                              may_override=False, override_reason=None)
    assert decision.day.isoformat() == expected_day
    assert decision.allowed is (expected_day == "2026-03-11")


def test_same_day_never_sends_in_the_past_and_keeps_what_the_reason_may_hold():  # policy C8
    now = _sh("2026-03-11 10:00").astimezone(UTC)
    earlier = rules.same_day(date(2026, 3, 11), _sh("2026-03-11 08:00"), now, SH,
                             may_override=False, override_reason=None)
    assert earlier.allowed and earlier.at == now  # a time already past goes now
    yesterday = rules.same_day(date(2026, 3, 11), _sh("2026-03-10 15:00"), now, SH,
                               may_override=False, override_reason=None)
    assert yesterday.allowed and yesterday.at == now
    unset = rules.same_day(None, None, now, SH, may_override=False, override_reason=None)  # no C8 day stored
    assert unset.allowed and unset.c8_day == date(2026, 3, 11)
    long = rules.same_day(date(2026, 3, 11), _sh("2026-03-12 09:00"), now, SH, may_override=True,
                          override_reason="  " + "理" * 600 + "  ")
    assert long.allowed and long.reason == "理" * rules.OVERRIDE_REASON_MAX
    today = rules.same_day(date(2026, 3, 11), None, now, SH, may_override=True, override_reason="不需要")
    assert today.allowed and today.reason == "不需要"  # the supervisor's reason is kept on the day too
