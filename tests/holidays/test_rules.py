"""The pure rules of the working-day calendar: the pasted list and the coverage check."""
from datetime import date

import pytest

from cms.holidays import rules


@pytest.mark.parametrize("text, expected", [
    ("2027-02-06 春节", [(1, date(2027, 2, 6), "春节")]),
    ("2027/02/06 春节", [(1, date(2027, 2, 6), "春节")]),
    ("2027/2/6", [(1, date(2027, 2, 6), "")]),
    ("2027-02-06春节", [(1, date(2027, 2, 6), "春节")]),
    ("2027-02-06\t春节", [(1, date(2027, 2, 6), "春节")]),
    ("2027-02-06，春节调休", [(1, date(2027, 2, 6), "春节调休")]),
    ("\ufeff2027-02-06 春节\n\n# 国庆\n  2027-10-01 国庆节  \r\n", [(1, date(2027, 2, 6), "春节"),
                                                          (4, date(2027, 10, 1), "国庆节")]),
    ("2027-02-06\u3000春节", [(1, date(2027, 2, 6), "春节")]),
    ("", []),
])
def test_good_lists(text, expected):
    lines, errors = rules.parse_list(text)
    assert errors == []
    assert [(line.number, line.day, line.name) for line in lines] == expected


@pytest.mark.parametrize("text, number, message", [
    ("2027-02-30 春节", 1, "There is no such date."),
    ("2027-13-01", 1, "There is no such date."),
    ("2027.02.06 春节", 1, "Write the date as YYYY-MM-DD or YYYY/MM/DD."),
    ("2027年2月6日 春节", 1, "Write the date as YYYY-MM-DD or YYYY/MM/DD."),
    ("2027-02/06", 1, "Write the date as YYYY-MM-DD or YYYY/MM/DD."),
    ("2027-02-061", 1, "Write the date as YYYY-MM-DD or YYYY/MM/DD."),
    ("春节 2027-02-06", 1, "A line starts with a date (YYYY-MM-DD or YYYY/MM/DD), then the name if any."),
    ("2027-02-06 春节\n2027-02-07\n2027/2/6 除夕", 3, "%(day)s is already on line %(other)d."),
    ("1927-02-06", 1, "The year must be between %(first)d and %(last)d."),
    ("2027-02-06 " + "节" * 51, 1, "The name is at most %(n)d characters."),
])
def test_bad_lines_are_named(text, number, message):
    lines, errors = rules.parse_list(text)
    assert [(e.number, e.message) for e in errors] == [(number, message)]
    assert errors[0].text in text


def test_every_bad_line_is_reported():
    _lines, errors = rules.parse_list("2027-02-06 春节\n2027-02-31\nabc\n2027-02-08")
    assert [e.number for e in errors] == [2, 3]
    assert rules.parse_list("2027-01-01\n" * (rules.MAX_LINES + 1))[1][0].args == {"n": rules.MAX_LINES}


def test_a_duplicate_names_the_first_line():
    _lines, errors = rules.parse_list("2027-02-06 春节\n2027/02/06")
    assert errors[0].args == {"day": "2027-02-06", "other": 1}


@pytest.mark.parametrize("stored, wanted, actions", [
    ({}, [(date(2027, 2, 6), "holiday", "春节")], ["add"]),
    ({date(2027, 2, 6): ("holiday", "春节")}, [(date(2027, 2, 6), "holiday", "春节")], ["same"]),
    ({date(2027, 2, 6): ("holiday", "")}, [(date(2027, 2, 6), "holiday", "春节")], ["change"]),
    ({date(2027, 2, 6): ("workday", "春节")}, [(date(2027, 2, 6), "holiday", "春节")], ["change"]),
    ({date(2027, 2, 6): ("holiday", "春节")}, [(date(2027, 2, 6), "holiday", "春节"),
                                              (date(2027, 2, 7), "holiday", "春节")], ["same", "add"]),
])
def test_plan(stored, wanted, actions):
    assert [c.action for c in rules.plan(stored, wanted)] == actions


def test_plan_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        rules.plan({}, [(date(2027, 2, 6), "vacation", "")])


def test_overrides_say_whether_a_day_is_worked():
    assert rules.as_overrides({date(2027, 2, 6): "holiday", date(2027, 2, 20): "workday"}) == {
        date(2027, 2, 6): False, date(2027, 2, 20): True}


@pytest.mark.parametrize("today, calendar_years, stored_years, first, last", [
    (date(2026, 12, 6), {2026}, set(), date(2027, 1, 1), date(2027, 2, 3)),  # 26 days of 2026, then 34 of 2027
    (date(2026, 12, 6), {2026}, {2027}, None, None),                          # entered: covered
    (date(2026, 12, 6), {2026, 2027}, set(), None, None),                     # a newer chinese-calendar
    (date(2026, 11, 2), {2026}, set(), None, None),                           # 60 days end on 12-31
    (date(2026, 11, 3), {2026}, set(), date(2027, 1, 1), date(2027, 1, 1)),   # one day reaches 2027
    (date(2027, 3, 1), {2026}, set(), date(2027, 3, 1), date(2027, 4, 29)),   # already inside the gap
])
def test_uncovered_days(today, calendar_years, stored_years, first, last):
    days = rules.uncovered_days(today, calendar_years, stored_years)
    assert (days[0] if days else None, days[-1] if days else None) == (first, last)


def test_missing_years_names_each_year_once_with_its_first_day():
    assert rules.missing_years(date(2027, 12, 1), {2026}, set()) == [(2027, date(2027, 12, 1)),
                                                                     (2028, date(2028, 1, 1))]
    assert rules.missing_years(date(2027, 12, 1), {2026}, {2027}) == [(2028, date(2028, 1, 1))]
    assert rules.missing_years(date(2026, 6, 1), {2026}, set()) == []
