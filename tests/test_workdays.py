"""Working days by chinese-calendar, with the Monday-Friday fallback and manual overrides
(the clock behind C8, C12 and G5)."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cms import workdays

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("day, expected", [
    (date(2026, 10, 1), False),   # National Day holiday (1-7 October), a Thursday
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),    # back to work on Thursday
    (date(2026, 11, 28), False),  # Saturday
    (date(2026, 11, 30), True),   # Monday
])
def test_official_calendar(day, expected):
    assert workdays.is_workday(day) is expected


def test_swapped_working_day_is_a_workday():
    import chinese_calendar

    swapped = [d for d, _name in chinese_calendar.get_workdays.__globals__["workdays"].items()
               if d.year == 2026 and d.weekday() >= 5]
    assert swapped, "2026 has weekend days made working days"
    assert all(workdays.is_workday(d) for d in swapped)


def test_year_beyond_the_calendar_falls_back_to_monday_friday(caplog):
    assert workdays.calendar_gaps(range(2025, 2029)) == [2027, 2028]
    assert workdays.is_workday(date(2027, 10, 1)) is True   # a Friday: no data, so a workday
    assert workdays.is_workday(date(2027, 10, 2)) is False  # Saturday


def test_overrides_win():
    overrides = {date(2027, 10, 1): False, date(2027, 10, 9): True}
    assert workdays.is_workday(date(2027, 10, 1), overrides) is False
    assert workdays.is_workday(date(2027, 10, 9), overrides) is True


def test_add_workdays_skips_holidays():
    assert workdays.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)  # across the Golden Week
    assert workdays.add_workdays(date(2026, 11, 27), 3) == date(2026, 12, 2)  # Fri + 3 → Wed
    assert workdays.workdays_between(date(2026, 11, 27), date(2026, 12, 2)) == 3


def test_working_hours_roll_over_the_weekend():
    friday_5pm = datetime(2026, 11, 27, 17, 0, tzinfo=SH)
    due = workdays.add_working_hours(friday_5pm, 4, SH)
    assert due == datetime(2026, 11, 30, 12, 0, tzinfo=SH).astimezone(UTC)  # 1 h Fri + 3 h Mon
    early = datetime(2026, 11, 30, 7, 30, tzinfo=SH)
    assert workdays.add_working_hours(early, 1, SH, (time(9), time(18))) == datetime(2026, 11, 30, 10, 0, tzinfo=SH)


def test_working_hours_setting(app):
    app.config["WORKING_HOURS"] = "08:30-17:30"
    assert workdays.working_hours() == (time(8, 30), time(17, 30))
    app.config["WORKING_HOURS"] = "18:00-09:00"
    with pytest.raises(ValueError):
        workdays.working_hours()


def test_today_is_in_the_configured_zone(app, clock):
    clock.set("2026-11-25 17:30:00+00:00")  # 01:30 on the 26th in Shanghai
    assert workdays.today() == date(2026, 11, 26)
    app.config["TIMEZONE"] = "UTC"
    assert workdays.today() == date(2026, 11, 25)
