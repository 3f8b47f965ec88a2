"""Working days, working hours and "now" for every feature.

One module so that C8 (same day), C12 (one working day ahead), G5 (3 working days) and the
review due times all agree. The functions at the top are pure: they take the calendar
overrides and the zone as arguments. `now()` is the one clock: tests move it with time-machine.

chinese-calendar knows the official holidays and swapped working days only up to the year of
its latest release and raises NotImplementedError after that; for such a year we fall back to
Monday-Friday, log it once, and `calendar_gaps()` lets the settings page say so. Overrides an
administrator enters by hand (the State Council publishes each year's list in November) win: they
are stored by cms/holidays and passed in here; features ask cms.holidays.service (`is_workday`,
`add_working_hours`), which reads them once per request, never these functions directly.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_WORKING_HOURS = (time(9, 0), time(18, 0))

Overrides = Mapping[date, bool]
_years_warned: set[int] = set()


# --- pure calendar ------------------------------------------------------------------------------

def _calendar_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def calendar_gaps(years: range | list[int]) -> list[int]:
    """The years chinese-calendar cannot answer for (Monday-Friday is assumed there)."""
    return [y for y in years if not _calendar_knows(y)]


def is_workday(day: date, overrides: Overrides | None = None) -> bool:
    if overrides and day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _years_warned:
            _years_warned.add(day.year)
            log.warning("chinese-calendar has no data for %s: assuming Monday-Friday", day.year)
        return day.weekday() < 5


def next_workday(day: date, overrides: Overrides | None = None) -> date:
    """The first working day on or after `day`."""
    while not is_workday(day, overrides):
        day += timedelta(days=1)
    return day


def add_workdays(day: date, n: int, overrides: Overrides | None = None) -> date:
    """The n-th working day after `day` (n >= 0; n == 0 gives `day` itself)."""
    current = day
    while n > 0:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            n -= 1
    return current


def workdays_between(start: date, end: date, overrides: Overrides | None = None) -> int:
    """Working days in (start, end]: how many working days `end` is after `start`."""
    if end <= start:
        return -workdays_between(end, start, overrides) if end < start else 0
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            count += 1
    return count


def add_working_hours(
    start: datetime,
    hours: float,
    zone: ZoneInfo,
    working_hours: tuple[time, time] = DEFAULT_WORKING_HOURS,
    overrides: Overrides | None = None,
) -> datetime:
    """`start` plus `hours` counted only inside working hours on working days; returns UTC."""
    opens, closes = working_hours
    remaining = timedelta(hours=hours)
    local = start.astimezone(zone)
    while True:
        day = local.date()
        day_open = datetime.combine(day, opens, zone)
        day_close = datetime.combine(day, closes, zone)
        if not is_workday(day, overrides) or local >= day_close:
            local = datetime.combine(next_workday(day + timedelta(days=1), overrides), opens, zone)
            continue
        local = max(local, day_open)
        available = day_close - local
        if remaining <= available:
            return (local + remaining).astimezone(UTC)
        remaining -= available
        local = day_close


# --- the app's clock and zone -----------------------------------------------------------------

def now() -> datetime:
    """The current time, timezone-aware UTC. Every feature asks this, so tests can move it."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """CMS_TIMEZONE of the running app (Asia/Shanghai outside an app)."""
    from flask import current_app, has_app_context

    name = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone())


def today() -> date:
    """Today's date in CMS_TIMEZONE."""
    return local(now()).date()


def working_hours() -> tuple[time, time]:
    """CMS_WORKING_HOURS ("09:00-18:00") of the running app."""
    from flask import current_app, has_app_context

    text = current_app.config.get("WORKING_HOURS", "09:00-18:00") if has_app_context() else "09:00-18:00"
    opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
    if closes <= opens:
        raise ValueError(f"CMS_WORKING_HOURS must be HH:MM-HH:MM with the end after the start, not {text!r}")
    return opens, closes
