"""Pure rules of follower comments (issue 15, C16): no database, Flask or clock here; the caller
passes the time, the settings and the calendar.

    reply_due(created_at, hours, mode, overrides, working_hours, zone)   when a reply is due (C16)
    is_overdue(due_at, now, answered, deleted)                          past its due time, unanswered
    comment_state(answered, deleted, due_at, now)                       deleted | answered | overdue | unanswered
    sync_diff(stored, items, complete)                                  a platform listing against the stored rows
    response_figures(samples)                                           count, median and mean per key
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cms.workdays import DEFAULT_WORKING_HOURS, add_working_hours

DEADLINE_MODES = ("working_hours", "wall_clock")
STATES = ("unanswered", "overdue", "answered", "featured", "deleted")  # the queue's filters
PAGE_SIZE = 49  # comment/list: count < 50 (88010); DESIGN.md "Lessons": ask for at most 49
SHANGHAI = ZoneInfo("Asia/Shanghai")


def reply_due(created_at: datetime, hours: float, mode: str = "working_hours",
              overrides: Mapping[date, bool] | None = None,
              working_hours: tuple[time, time] = DEFAULT_WORKING_HOURS, zone: ZoneInfo = SHANGHAI) -> datetime:
    """The time a reply is due (C16: answered promptly), UTC.

    working_hours: `hours` counted only inside the working hours of working days (chinese-calendar
    and the holidays administrators entered, `overrides`), in `zone`: a comment on Friday at 17:00
    with 24 hours of 09:00-18:00 is due on Wednesday at 14:00. wall_clock: `hours` later, nights,
    weekends and holidays included."""
    if mode not in DEADLINE_MODES:
        raise ValueError(f"unknown deadline mode {mode!r} (one of {DEADLINE_MODES})")
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    if mode == "wall_clock":
        return (created_at + timedelta(hours=hours)).astimezone(UTC)
    return add_working_hours(created_at, hours, zone, working_hours, overrides)


def is_overdue(due_at: datetime, now: datetime, answered: bool = False, deleted: bool = False) -> bool:
    return not answered and not deleted and now > due_at


def comment_state(answered: bool, deleted: bool, due_at: datetime, now: datetime) -> str:
    """One of deleted, answered, overdue, unanswered (featured is a mark beside these)."""
    if deleted:
        return "deleted"
    if answered:
        return "answered"
    return "overdue" if now > due_at else "unanswered"


# --- the sync -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    """What the sync compares of a stored comment."""

    user_comment_id: int
    content: str
    featured: bool
    reply_text: str | None
    gone_on_platform: bool
    deleted_in_cms: bool = False


@dataclass
class SyncDiff:
    inserts: list[dict] = field(default_factory=list)  # new comments: the columns to store
    updates: dict[int, dict] = field(default_factory=dict)  # user_comment_id → the columns that changed
    deletions: list[int] = field(default_factory=list)  # user_comment_ids gone from the platform

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.updates or self.deletions)


def _ts(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text(value) -> str:
    """Platform text as stored: NUL dropped (PostgreSQL cannot store it in text), the rest kept."""
    return str(value or "").replace("\x00", "")


def platform_fields(item: Mapping) -> dict:
    """The columns a comment/list item gives (WECHAT_API.md 1.6)."""
    reply = item.get("reply") if isinstance(item.get("reply"), Mapping) else None
    reply_text = _text((reply or {}).get("content")) or None
    nickname = item.get("nickname")  # not in the real list: the sandbox's follower page gives it
    return {
        "user_comment_id": int(item["user_comment_id"]),
        "openid": _text(item.get("openid"))[:64],
        "nickname": _text(nickname)[:64] or None,
        "content": _text(item.get("content")),
        "created_at": _ts(item.get("create_time")),
        "featured": item.get("comment_type") == 1,
        "reply_text": reply_text,
        "replied_at": _ts((reply or {}).get("create_time")) if reply_text else None,
    }


def sync_diff(stored: Iterable[Stored], items: Iterable[Mapping], complete: bool = True) -> SyncDiff:
    """What to store after a listing of one article's comments.

    New ones are inserted; a stored one whose text, 精选 mark or reply changed on the platform is
    updated (a reply deleted in the MP console clears ours, one made there is taken); one that no
    longer appears in a `complete` listing (every page read) is marked gone from the platform (the
    account or the follower deleted it). A comment deleted in the CMS stays as it is."""
    known = {s.user_comment_id: s for s in stored}
    diff = SyncDiff()
    seen: set[int] = set()
    for item in items:
        try:
            f = platform_fields(item)
        except (KeyError, TypeError, ValueError):
            continue  # an item without a usable id: nothing to key it by
        ucid = f["user_comment_id"]
        if ucid in seen:
            continue  # pages overlapping (a comment arrived between two calls)
        seen.add(ucid)
        old = known.get(ucid)
        if old is None:
            diff.inserts.append(f)
            continue
        if old.deleted_in_cms:
            continue
        change: dict = {}
        if old.content != f["content"]:
            change["content"] = f["content"]
        if old.featured != f["featured"]:
            change["featured"] = f["featured"]
        if old.reply_text != f["reply_text"]:
            change["reply_text"] = f["reply_text"]
            change["replied_at"] = f["replied_at"]
            change["replied_by_id"] = None  # made (or removed) on the platform, not by us
        if old.gone_on_platform:
            change["gone_on_platform"] = False
        if change:
            diff.updates[ucid] = change
    if complete:
        diff.deletions = sorted(s.user_comment_id for s in known.values()
                                if s.user_comment_id not in seen and not s.gone_on_platform and not s.deleted_in_cms)
    return diff


# --- figures --------------------------------------------------------------------------------------

def response_figures(samples: Iterable[tuple[object, float]]) -> dict[object, dict]:
    """{key: {"count", "median", "mean"}} of (key, seconds from comment to reply) samples."""
    by_key: dict[object, list[float]] = {}
    for key, seconds in samples:
        by_key.setdefault(key, []).append(max(0.0, float(seconds)))
    return {key: {"count": len(values), "median": statistics.median(values), "mean": statistics.fmean(values)}
            for key, values in by_key.items()}


def hours_text(seconds: float | None) -> str:
    """"3.5" hours, one decimal ("" for none)."""
    return "" if seconds is None else f"{seconds / 3600:.1f}"
