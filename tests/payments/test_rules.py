"""The WeChat Pay rules as tables (P4 P5): fen at the boundary, the override's day and ceiling, working
time across the 2026 National Day holiday and its swapped working days."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cms import workdays
from cms.payments import rules

SH = ZoneInfo("Asia/Shanghai")
HOURS = (time(9, 0), time(18, 0))


@pytest.mark.parametrize("text, fen", [
    ("1", 100), ("0.01", 1), ("0.1", 10), ("1234.5", 123450), ("1,234.50", 123450), ("¥12", 1200),
    (" 4999.99 ", 499999), ("5000", 500000), ("5000.01", 500001), ("0.29", 29), ("19.99", 1999),
])
def test_parse_yuan_reads_text_into_whole_fen(text, fen):
    assert rules.parse_yuan(text) == fen
    assert isinstance(rules.parse_yuan(text), int)


@pytest.mark.parametrize("text", ["", "0", "0.00", "-1", "1.234", "1e3", "abc", "1.2.3", "nan", "inf", ".5",
                                  "99999999999"])
def test_parse_yuan_refuses_what_is_not_an_amount(text):
    with pytest.raises(rules.BadAmount):
        rules.parse_yuan(text)


@pytest.mark.parametrize("fen, shown", [
    (0, "¥0.00"), (1, "¥0.01"), (29, "¥0.29"), (123450, "¥1,234.50"), (499999, "¥4,999.99"),
    (500000, "¥5,000.00"), (500001, "¥5,000.01"), (-5, "-¥0.05"), (None, ""),
])
def test_format_fen(fen, shown):
    assert rules.format_fen(fen) == shown


def test_format_fen_refuses_a_float():
    with pytest.raises(TypeError):
        rules.format_fen(12.5)


# P5 at the fen boundary: spent + amount may reach the limit, never pass it.
@pytest.mark.parametrize("spent, amount, fits", [
    (0, 499999, True), (0, 500000, True), (0, 500001, False),
    (499999, 1, True), (499999, 2, False), (500000, 1, False), (250000, 250000, True), (250000, 250001, False),
])
def test_daily_limit_at_the_fen_boundary(spent, amount, fits):
    assert rules.fits_limit(amount, rules.DEFAULT_DAILY_LIMIT_FEN, spent) is fits


D = date(2026, 12, 8)


@pytest.mark.parametrize("override, day, limit", [
    (None, D, 500000),
    (rules.Override(D, 2_000_000, "major_activity"), D, 2_000_000),
    (rules.Override(D, 2_000_000, "emergency"), date(2026, 12, 9), 500000),  # it expires with its day
    (rules.Override(date(2026, 12, 7), 2_000_000), D, 500000),
])
def test_effective_limit_is_the_overrides_only_on_its_day(override, day, limit):
    assert rules.effective_limit(500000, override, day) == limit


@pytest.mark.parametrize("limit, spent, override, day, remaining", [
    (500000, 0, None, None, 500000), (500000, 499999, None, None, 1), (500000, 500000, None, None, 0),
    (500000, 600000, None, None, 0), (500000, 500000, rules.Override(D, 800000), D, 300000),
    (500000, 400000, rules.Override(D, 800000), date(2026, 12, 9), 100000),
])
def test_remaining_today(limit, spent, override, day, remaining):
    assert rules.remaining_today(limit, spent, override, day) == remaining


def _workday(day):
    return workdays.is_workday(day)


@pytest.mark.parametrize("when, inside", [
    (datetime(2026, 9, 30, 10, 0), True),    # Wednesday before the holiday
    (datetime(2026, 10, 1, 10, 0), False),   # National Day
    (datetime(2026, 10, 5, 10, 0), False),   # a Monday inside the holiday
    (datetime(2026, 10, 7, 10, 0), False),   # last day of the holiday (chinese-calendar: 10-01..07)
    (datetime(2026, 10, 8, 10, 0), True),    # Thursday after it
    (datetime(2026, 9, 25, 10, 0), False),   # Mid-Autumn Festival (Friday)
    (datetime(2026, 10, 10, 10, 0), True),   # a swapped working Saturday
    (datetime(2026, 9, 20, 10, 0), True),    # a swapped working Sunday before the holiday
    (datetime(2026, 9, 27, 10, 0), False),   # an ordinary Sunday
    (datetime(2026, 9, 30, 8, 59), False), (datetime(2026, 9, 30, 9, 0), True),
    (datetime(2026, 9, 30, 17, 59), True), (datetime(2026, 9, 30, 18, 0), False),
])
def test_working_time_across_national_day_2026(when, inside):
    import chinese_calendar

    if when.date() in (date(2026, 9, 20), date(2026, 10, 10)):
        assert chinese_calendar.is_workday(when.date())  # the calendar's swapped days
    assert rules.within_working_time(when.replace(tzinfo=SH), HOURS, _workday) is inside


def test_an_administrators_entry_wins():
    holiday = date(2026, 9, 30)
    assert not rules.within_working_time(datetime(2026, 9, 30, 10, 0, tzinfo=SH), HOURS,
                                         lambda d: workdays.is_workday(d, {holiday: False}))


@pytest.mark.parametrize("amount, spent, room, fits", [
    (100000, 0, 100000, True), (100000, 99999, 1, True), (100000, 100000, 0, False), (100000, 150000, 0, False),
])
def test_budget_room(amount, spent, room, fits):
    assert rules.budget_room(amount, spent) == room
    assert rules.fits_budget(1, amount, spent) is fits


def test_classify_flags_over_limit_and_outside_hours_by_running_total():
    t = datetime(2026, 12, 8, 10, 0, tzinfo=SH)
    items = rules.running_totals([(2, 300000, t.replace(hour=11)), (1, 200000, t), (3, 1, t.replace(hour=19))])
    assert [(p.id, p.running_total_fen) for p in items] == [(1, 200000), (2, 500000), (3, 500001)]
    kinds = {p.id: rules.classify(p, 500000, HOURS, lambda d: True) for p in items}
    assert kinds == {1: [], 2: [], 3: ["over_limit", "outside_hours"]}
