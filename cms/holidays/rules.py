"""Holidays and swapped working days (调休上班日) an administrator enters by hand: pure rules.

chinese-calendar knows the official calendar only up to the year of its latest release; for the
years after that the product counts Monday-Friday unless an administrator enters the year's list
(the State Council publishes it each November). Two rules live here, plain data in and out:
- `parse_list`: a pasted list of dates, one a line, each optionally followed by a name;
- `uncovered_days` / `missing_years`: which of the next days fall in a year that neither
  chinese-calendar nor the stored entries know, so the settings page and the home page warn.

Messages are English msgids marked with N_ and translated where shown."""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta


def N_(s: str) -> str:  # marks a msgid for extraction; translated where it is shown
    return s


HOLIDAY, WORKDAY = "holiday", "workday"
KINDS = (HOLIDAY, WORKDAY)
NAME_MAX = 50
MAX_LINES = 500
FIRST_YEAR, LAST_YEAR = 2000, 2099
WARNING_DAYS = 60  # the home page warns this many days ahead of a year without data

# 2027-02-06, 2027/2/6; then, unless the line ends, a separator (space, tab, comma, 、 or colon) or
# the name at once ("2027-02-06春节"). The same separator twice: "2027-02/06" is not a date.
_LINE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?![\d/-])[\s,，、:：;；|]*(.*)")
_LOOKS_LIKE_A_DATE = re.compile(r"\d{4}\s*[-/.年]")


@dataclass(frozen=True)
class Line:
    """One pasted line that parsed: its number (from 1), the day and the name (may be empty)."""
    number: int
    day: date
    name: str


@dataclass(frozen=True)
class LineError:
    """A line refused: its number (from 1), its text and why (an N_ msgid with its arguments)."""
    number: int
    text: str
    message: str
    args: Mapping[str, object]


def parse_list(text: str) -> tuple[list[Line], list[LineError]]:
    """The days of a pasted list. Blank lines and lines starting with # are skipped. Each other
    line is a day in YYYY-MM-DD or YYYY/MM/DD, then optionally a name. Every bad line is reported;
    the caller saves nothing while there is one."""
    lines: list[Line] = []
    errors: list[LineError] = []
    seen: dict[date, int] = {}
    raw = (text or "").lstrip("\ufeff").splitlines()
    if len(raw) > MAX_LINES:
        return [], [LineError(MAX_LINES + 1, "", N_("At most %(n)d lines at a time."), {"n": MAX_LINES})]
    for number, original in enumerate(raw, start=1):
        stripped = original.strip().replace("\u3000", " ")
        if not stripped or stripped.startswith("#"):
            continue
        shown = stripped[:80]
        m = _LINE.fullmatch(stripped)
        if m is None:
            message = (N_("Write the date as YYYY-MM-DD or YYYY/MM/DD.") if _LOOKS_LIKE_A_DATE.match(stripped)
                       else N_("A line starts with a date (YYYY-MM-DD or YYYY/MM/DD), then the name if any."))
            errors.append(LineError(number, shown, message, {}))
            continue
        year, _sep, month, day_of_month, name = m.groups()
        try:
            day = date(int(year), int(month), int(day_of_month))
        except ValueError:
            errors.append(LineError(number, shown, N_("There is no such date."), {}))
            continue
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors.append(LineError(number, shown, N_("The year must be between %(first)d and %(last)d."),
                                    {"first": FIRST_YEAR, "last": LAST_YEAR}))
            continue
        name = name.strip()
        if len(name) > NAME_MAX:
            errors.append(LineError(number, shown, N_("The name is at most %(n)d characters."), {"n": NAME_MAX}))
            continue
        if day in seen:
            errors.append(LineError(number, shown, N_("%(day)s is already on line %(other)d."),
                                    {"day": day.isoformat(), "other": seen[day]}))
            continue
        seen[day] = number
        lines.append(Line(number, day, name))
    return lines, errors


@dataclass(frozen=True)
class Change:
    """What storing (day, kind, name) does to the entries: "add", "change" or "same"."""
    action: str
    day: date
    kind: str
    name: str
    before: tuple[str, str] | None = None  # (kind, name) stored before, for "change" and "same"


def plan(stored: Mapping[date, tuple[str, str]], wanted: list[tuple[date, str, str]]) -> list[Change]:
    """Each wanted (day, kind, name) against what is stored (day → (kind, name)): a new day is
    added, a stored day with another kind or name is changed, the rest stay as they are."""
    out = []
    for day, kind, name in wanted:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        before = stored.get(day)
        if before is None:
            out.append(Change("add", day, kind, name))
        elif before != (kind, name):
            out.append(Change("change", day, kind, name, before))
        else:
            out.append(Change("same", day, kind, name, before))
    return out


def as_overrides(entries: Mapping[date, str]) -> dict[date, bool]:
    """day → kind as cms.workdays wants it: day → is it a working day."""
    return {day: kind == WORKDAY for day, kind in entries.items()}


def uncovered_days(today: date, calendar_years: Collection[int], stored_years: Collection[int],
                   days: int = WARNING_DAYS) -> list[date]:
    """The days from today on (`days` of them, today included) whose year neither chinese-calendar
    (`calendar_years`: the years it knows) nor any stored entry (`stored_years`) covers: there the
    product can only assume Monday-Friday."""
    covered = set(calendar_years) | set(stored_years)
    return [d for d in (today + timedelta(days=i) for i in range(days)) if d.year not in covered]


def missing_years(today: date, calendar_years: Collection[int], stored_years: Collection[int],
                  days: int = WARNING_DAYS) -> list[tuple[int, date]]:
    """(year, its first uncovered day) for each year `uncovered_days` reaches, in order."""
    firsts: dict[int, date] = {}
    for d in uncovered_days(today, calendar_years, stored_years, days):
        firsts.setdefault(d.year, d)
    return sorted(firsts.items())
