"""Pure publishing rules: no Flask, no database, plain data in and out (the channel rules are in
cms/channels/rules.py).

    bundle_problems(platform, posts)                      {None | post id: [problem code]} of a 多图文
    send_blocker(facts, revision_number, content_hash)    ("cancelled" | "failed", why) or None: C4 C5
                                                          at the moment a publication goes out
    same_day(publish_day, at, now, zone, may_override=..., override_reason=...)
                                                          C8: may a send go at `at`? SameDay (allowed, or
                                                          refused with the message naming C8)
    publish_window(c8_day, today)                         C8 in words: what the schedule form accepts
                                                          (why the day is what it is: workflow/engine.py due_reason)
"""
from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, tzinfo

from cms.content.rules import publishing_blockers


def N_(s: str) -> str:  # marks a msgid for extraction; translated where it is shown
    return s




BUNDLE_MAX = 8  # articles in one WeChat message (多图文)


def bundle_problems(platform: str, posts: list[dict]) -> dict:
    """What stops these posts, in this order, from going out as one 多图文 push on a channel of
    `platform`. Each post is a dict: id, approved, confidential, targets_channel, push_chosen, sent,
    other_bundle. Returns {None: [codes about the whole]} and {post id: [codes]}; empty when fine.
    Codes: not_wechat, empty (fewer than 2: a bundle of one is an ordinary push), too_many,
    duplicate; per post not_approved (C4), confidential (C5), not_target, no_push (C18: the
    supervisor chose publish-only), sent, other_bundle."""
    problems: dict = {}
    whole = []
    if platform != "wechat":
        whole.append("not_wechat")
    if len(posts) < 2:
        whole.append("empty")
    if len(posts) > BUNDLE_MAX:
        whole.append("too_many")
    ids = [p["id"] for p in posts]
    if len(set(ids)) != len(ids):
        whole.append("duplicate")
    if whole:
        problems[None] = whole
    for p in posts:
        codes = [code for code, bad in (
            ("not_approved", not p["approved"]), ("confidential", p["confidential"]),
            ("not_target", not p["targets_channel"]), ("no_push", not p["push_chosen"]),
            ("sent", p["sent"]), ("other_bundle", p["other_bundle"])) if bad]
        if codes:
            problems[p["id"]] = codes
    return problems


# The post's statuses in which its publications may go out (C4: approved, and still so).
SENDABLE_POST_STATES = ("approved", "scheduled", "published")


def send_blocker(facts: dict, revision_number: int, content_hash: str) -> tuple[str, str] | None:
    """Whether a publication of the post's revision `revision_number` (`content_hash`) must not go
    out now, from the post's facts as they are now: {"status", "confidential", "submission" (the
    state of its latest active or approved submission, or None), "number" and "hash" (of its latest
    revision)}. ("cancelled" | "failed", the reason the administrator reads) or None."""
    if facts["status"] not in SENDABLE_POST_STATES or facts["submission"] != "approved":
        return "cancelled", "文章已退回审核或撤回，未发出（C4）"
    if facts["number"] != revision_number or facts["hash"] != content_hash:
        return "cancelled", "文章在安排发布后又被修改，未发出：新修订须重新审核（C4）"
    if publishing_blockers(facts["confidential"]):
        return "failed", "文章被标记为保密（C5）：须由平台主管领导解除保密标记后再发布"
    return None


# --- C8: the same day -----------------------------------------------------------------------------

OVERRIDE_REASON_MAX = 500  # characters of a C8 override reason kept


@dataclasses.dataclass(frozen=True)
class SameDay:
    """C8's answer for one send. Allowed: `at` (the time it goes, never before now) and `reason`
    (the override reason kept: "" on the C8 day itself). Refused: `message` and `params` (an N_
    msgid naming C8), the form `field` it is about and `field_message`. `day` is the day asked for,
    `c8_day` the latest day allowed without an override, both in the zone given."""

    at: datetime
    reason: str
    day: date
    c8_day: date
    message: str | None = None
    params: dict = dataclasses.field(default_factory=dict)
    field: str | None = None
    field_message: str | None = None
    code: str = "C8"

    @property
    def allowed(self) -> bool:
        return self.message is None


def _local_day(dt: datetime, zone: tzinfo) -> date:
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)).astimezone(zone).date()


def same_day(publish_day: date | None, at: datetime | None, now: datetime, zone: tzinfo, *,
             may_override: bool, override_reason: str | None) -> SameDay:
    """Policy C8: once approved, a post is published the same day. `publish_day` is the day the
    final approval recorded (workflow/engine.py approval_day: the later of the approval's day and
    the planned date; None: today); `at` the time asked for (None: now; a past time means now);
    `now` the clock; `zone` CMS_TIMEZONE; `may_override`: the user is the platform supervisor of
    every channel the send goes to (publishing/policy.py can_override_day).

    The send may go on any day up to the later of today and `publish_day` (a post approved on an
    earlier day and not yet sent goes today). A later day needs `may_override` and a reason. Days
    are calendar days in `zone`: a non-working day is no different (same day, not next working
    day), and the working hours' close does not move the day; only midnight in `zone` does."""
    at = max(at or now, now)
    reason = (override_reason or "").strip()[:OVERRIDE_REASON_MAX]
    today = _local_day(now, zone)
    day = _local_day(at, zone)
    c8_day = max(today, publish_day or today)
    if day > c8_day:
        if not may_override:
            return SameDay(at, reason, day, c8_day, message=N_(
                "An approved post goes out the same day (C8): %(day)s is later than %(c8)s. Only the "
                "platform supervisor may set a later day, with a reason."),
                params={"day": day.isoformat(), "c8": c8_day.isoformat()},
                field="at", field_message=N_("Today only (C8)."))
        if not reason:
            return SameDay(at, reason, day, c8_day,
                           message=N_("A later day than %(c8)s breaks C8: give the reason for the exception."),
                           params={"c8": c8_day.isoformat()},
                           field="override_reason", field_message=N_("Required for a later day (C8)."))
    elif reason and not may_override:
        reason = ""  # an override reason means nothing on the day itself
    return SameDay(at, reason, day, c8_day)


# --- C8 in words: the day a post must go out, why, and what the schedule form accepts -------------

def publish_window(c8_day: date, today: date) -> tuple[str, dict]:
    """What the schedule form accepts for a post whose C8 day is `c8_day`, in the words the form
    shows: exactly what same_day() allows (any time from now to the end of the later of today and
    the C8 day; a later day only by the platform supervisor, with a reason)."""
    params = {"c8": c8_day.isoformat(), "today": today.isoformat()}
    if c8_day > today:
        return N_("Accepted: now, or any time from now to the end of %(c8)s. A later day only by the platform "
                  "supervisor, with a reason that is kept (C8)."), params
    if c8_day < today:
        return N_("Overdue since %(c8)s: publish it today (%(today)s), now or at a time today. A later day only "
                  "by the platform supervisor, with a reason that is kept (C8)."), params
    return N_("Accepted: now, or a time today (%(today)s). A later day only by the platform supervisor, with "
              "a reason that is kept (C8)."), params
