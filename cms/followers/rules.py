"""Pure rules of the follower side (WECHAT_API.md 1.7, 1.8): no database, no Flask, no clock (the
caller passes `now`).

    window_closes_at(last_message_at)        when a customer-service reply stops being allowed:
                                             48 hours after the follower's last message
    window_open(last_message_at, now)        a reply may go out now (1.7: only after user action)
    purge_cutoff(now, retention_days)        messages received before this are deleted
    article_days(begin, end) / user_spans(begin, end)
                                             the requests datacube takes for a range of days:
                                             getarticlesummary one day each, getusersummary and
                                             getusercumulate at most 7 days each (61501 otherwise)
    fetch_range(today, days)                 the days a daily fetch asks for: up to yesterday
                                             (the platform has no figures for today)
    check_reply(text)                        what is wrong with a reply's text itself (empty, too long)
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

WINDOW = timedelta(hours=48)  # 1.7: a customer-service message within 48 h of the follower's message
REPLY_MAX = 600  # characters; the platform takes 2048 bytes of text (a Chinese character is 3)
USER_SPAN_DAYS = 7  # getusersummary / getusercumulate: at most 7 days a request (61501)
ARTICLE_SPAN_DAYS = 1  # getarticlesummary: one day a request (61501)


def window_closes_at(last_message_at: datetime | None) -> datetime | None:
    return None if last_message_at is None else last_message_at + WINDOW


def window_open(last_message_at: datetime | None, now: datetime) -> bool:
    """True while `now` is before the 48 hours after the follower's last message end; no message
    from the follower: closed (the platform takes a reply only after the follower acts)."""
    closes = window_closes_at(last_message_at)
    return closes is not None and now < closes


def purge_cutoff(now: datetime, retention_days: int) -> datetime:
    """Messages received before this moment are past retention (`retention_days`, at least 1)."""
    return now - timedelta(days=max(1, int(retention_days)))


def _spans(begin: date, end: date, size: int) -> list[tuple[date, date]]:
    out = []
    day = begin
    while day <= end:
        last = min(end, day + timedelta(days=size - 1))
        out.append((day, last))
        day = last + timedelta(days=1)
    return out


def article_days(begin: date, end: date) -> list[tuple[date, date]]:
    """One (day, day) per day from `begin` to `end` (getarticlesummary takes one day)."""
    return _spans(begin, end, ARTICLE_SPAN_DAYS)


def user_spans(begin: date, end: date) -> list[tuple[date, date]]:
    """(first, last) spans of at most 7 days covering `begin` to `end` (getusersummary)."""
    return _spans(begin, end, USER_SPAN_DAYS)


def fetch_range(today: date, days: int) -> tuple[date, date]:
    """The last `days` days up to yesterday (the platform reports up to yesterday)."""
    days = max(1, int(days))
    end = today - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def check_reply(text: str) -> str | None:
    """A reason the text cannot go out as it is (None: it can)."""
    text = (text or "").strip()
    if not text:
        return "empty"
    if len(text) > REPLY_MAX:
        return "too_long"
    return None


def article_msgid(msg_data_id: str, index: int) -> str:
    """The datacube msgid of article `index` (1-based) of a message: "<msg_data_id>_<index>"."""
    return f"{msg_data_id}_{index}"


def split_msgid(msgid: str) -> tuple[str, int] | None:
    """("<msg_data_id>", index) of a datacube msgid, None when it is not that shape."""
    head, sep, tail = (msgid or "").rpartition("_")
    if not sep or not head or not tail.isdigit():
        return None
    return head, int(tail)
