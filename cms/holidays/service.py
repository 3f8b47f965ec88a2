"""The working-day calendar every rule uses: chinese-calendar plus the days an administrator
entered (which win), and the settings page's changes to those days, each audited (U7).

`overrides()` is the one place the stored days are read: once per request (or worker task, each
of which runs in its own app context and database session), kept in the session's `info` and
dropped when this process changes them. Every working-day rule asks through here: C12's "one working day ahead" (content checks) and
the review steps' due times in working hours (workflow). cms/workdays.py stays pure: it takes the
overrides as an argument."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from cms import workdays
from cms.audit.service import record_many
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.holidays import rules
from cms.holidays.models import CalendarDay
from cms.transactions import operation

_CACHE_KEY = "calendar_overrides"  # in the session's info: one unit of work (request, task)


# --- what every working-day rule asks ------------------------------------------------------------

def overrides() -> dict[date, bool]:
    """day → is it a working day, for every stored day (read once per request or task)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is None:
        rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
        cached = db.session.info[_CACHE_KEY] = rules.as_overrides({day: kind for day, kind in rows})
    return cached


def _changed() -> None:
    db.session.info.pop(_CACHE_KEY, None)


def is_workday(day: date) -> bool:
    """A working day by chinese-calendar and the stored days (Monday-Friday where both are silent)."""
    return workdays.is_workday(day, overrides())


def add_working_hours(start: datetime, hours: float) -> datetime:
    """`start` plus `hours` of CMS_WORKING_HOURS on working days, in CMS_TIMEZONE; UTC."""
    return workdays.add_working_hours(start, hours, workdays.zone(), workdays.working_hours(), overrides())


# --- coverage: the years nobody knows ------------------------------------------------------------

def missing_years(today: date | None = None, days: int = rules.WARNING_DAYS) -> list[tuple[int, date]]:
    """(year, first day) for each year within the next `days` days that neither chinese-calendar
    nor a stored entry covers."""
    today = today or workdays.today()
    years = list(range(today.year, today.year + days // 365 + 2))
    known = [y for y in years if y not in workdays.calendar_gaps(years)]
    return rules.missing_years(today, known, {d.year for d in overrides()}, days)


def warnings(today: date | None = None) -> list[tuple[int, str]]:
    """(year, message) for the settings page and the home page."""
    return [(year, _("The %(year)d holidays are not entered yet: chinese-calendar has no data for %(year)d, so "
                     "from %(day)s working days are counted Monday to Friday, and official holidays such as the "
                     "Spring Festival count as working days. Enter the holidays and swapped working days the "
                     "State Council published.", year=year, day=first.isoformat()))
            for year, first in missing_years(today)]


# --- the settings page --------------------------------------------------------------------------

def entries(year: int) -> list[CalendarDay]:
    return list(db.session.scalars(select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)).order_by(CalendarDay.day)))


def year_counts() -> dict[int, Counter]:
    """year → Counter of kinds, for every year with a stored day."""
    out: dict[int, Counter] = {}
    for day, kind in db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all():
        out.setdefault(day.year, Counter())[kind] += 1
    return dict(sorted(out.items()))


def get(entry_id: int) -> CalendarDay:
    entry = db.session.get(CalendarDay, entry_id)
    if entry is None:
        raise NotFound(_("No such day is entered."))
    return entry


def kind_label(kind: str) -> str:
    return _("holiday") if kind == rules.HOLIDAY else _("swapped working day")


def _check(day: date | None, kind: str, name: str) -> tuple[date, str, str]:
    if day is None:
        raise Refused(_("Enter the date."), fields={"day": [_("Required.")]})
    if not rules.FIRST_YEAR <= day.year <= rules.LAST_YEAR:
        raise Refused(_("The year must be between %(first)d and %(last)d.", first=rules.FIRST_YEAR,
                        last=rules.LAST_YEAR), fields={"day": [_("Out of range.")]})
    if kind not in rules.KINDS:
        raise Refused(_("Choose holiday or swapped working day."), fields={"kind": [_("Required.")]})
    name = (name or "").strip()
    if len(name) > rules.NAME_MAX:
        raise Refused(_("The name is at most %(n)d characters.", n=rules.NAME_MAX), fields={"name": [_("Too long.")]})
    return day, kind, name


def _audit(changes: list[rules.Change]) -> None:
    items = []
    for c in changes:
        if c.action == "same":
            continue
        before = {"kind": c.before[0], "name": c.before[1]} if c.before else None
        items.append(dict(action=f"calendar_day.{'added' if c.action == 'add' else 'changed'}",
                          target=("calendar_day", c.day.isoformat()), before=before,
                          after={"kind": c.kind, "name": c.name}))
    record_many(items)


@operation
def add(day: date | None, kind: str, name: str = "") -> CalendarDay:
    """One day typed in. Refused when that day is already entered (change it instead)."""
    day, kind, name = _check(day, kind, name)
    existing = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if existing is not None:
        raise Refused(_("%(day)s is already entered as %(kind)s: change that entry instead.", day=day.isoformat(),
                        kind=kind_label(existing.kind)), code="conflict", status=409,
                      fields={"day": [_("Already entered.")]})
    entry = CalendarDay(day=day, kind=kind, name=name, updated_at=workdays.now())
    db.session.add(entry)
    _audit(rules.plan({}, [(day, kind, name)]))
    db.session.commit()
    _changed()
    return entry


@operation
def update(entry: CalendarDay, day: date | None, kind: str, name: str = "") -> bool:
    """Change one entry (its day, kind or name); False when nothing changed."""
    day, kind, name = _check(day, kind, name)
    before = {"day": entry.day.isoformat(), "kind": entry.kind, "name": entry.name}
    if (day, kind, name) == (entry.day, entry.kind, entry.name):
        return False
    if day != entry.day and db.session.scalar(select(CalendarDay.id).where(CalendarDay.day == day)):
        raise Refused(_("%(day)s is already entered: change or delete that entry first.", day=day.isoformat()),
                      code="conflict", status=409, fields={"day": [_("Already entered.")]})
    entry.day, entry.kind, entry.name, entry.updated_at = day, kind, name, workdays.now()
    record_many([dict(action="calendar_day.changed", target=("calendar_day", before["day"]), before=before,
                      after={"day": day.isoformat(), "kind": kind, "name": name})])
    db.session.commit()
    _changed()
    return True


@operation
def delete(entry: CalendarDay) -> None:
    """Remove one entry: that day follows chinese-calendar (or Monday-Friday) again."""
    record_many([dict(action="calendar_day.deleted", target=("calendar_day", entry.day.isoformat()),
                      before={"kind": entry.kind, "name": entry.name})])
    db.session.delete(entry)
    db.session.commit()
    _changed()


def line_messages(errors: list[rules.LineError]) -> list[str]:
    return [_("Line %(n)d (%(text)s): %(problem)s", n=e.number, text=e.text or "…",
              problem=_(e.message, **e.args)) for e in errors]


@operation
def import_list(kind: str, text: str) -> tuple[Counter, date]:
    """A pasted list of days of one kind: every line is checked first and nothing is stored while
    one is bad (Refused naming each bad line). A new day is added, a stored one with another kind or
    name is changed. (Counter of "add", "change", "same"; the earliest day.)"""
    if kind not in rules.KINDS:
        raise Refused(_("Choose holiday or swapped working day."), fields={"kind": [_("Required.")]})
    lines, errors = rules.parse_list(text)
    if errors:
        messages = line_messages(errors)
        raise Refused(_("Nothing was saved: %(n)d lines need correcting.", n=len(errors)) if len(errors) > 1
                      else _("Nothing was saved: one line needs correcting."), fields={"text": messages})
    if not lines:
        raise Refused(_("Paste at least one date."), fields={"text": [_("Required.")]})
    wanted = [(line.day, kind, line.name) for line in lines]
    stored = {e.day: e for e in db.session.scalars(select(CalendarDay).where(
        CalendarDay.day.in_([d for d, _k, _n in wanted])))}
    changes = rules.plan({d: (e.kind, e.name) for d, e in stored.items()}, wanted)
    now = workdays.now()
    for c in changes:
        if c.action == "add":
            db.session.add(CalendarDay(day=c.day, kind=c.kind, name=c.name, updated_at=now))
        elif c.action == "change":
            entry = stored[c.day]
            entry.kind, entry.name, entry.updated_at = c.kind, c.name, now
    _audit(changes)
    db.session.commit()
    _changed()
    return Counter(c.action for c in changes), min(d for d, _k, _n in wanted)
