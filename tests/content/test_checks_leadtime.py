"""Lead time (policy C12): regular posts about a week ahead, urgent ones at least one working day ahead."""

from __future__ import annotations

from datetime import date

import pytest

from cms import workdays
from cms.content.checks import Article, CheckContext
from cms.content.checks.leadtime import check_lead_time, workdays_after


def make(planned: date | None, urgency: str = "regular") -> Article:
    return Article(
        title="关于端午节放假安排的通知",
        author="办公室",
        digest="",
        body_format="markdown",
        body_source="正文",
        html="<p>正文</p>",
        category="news",
        source_kind="original",
        planned_date=planned,
        urgency=urgency,
    )


TUESDAY = date(2025, 6, 10)
FRIDAY = date(2025, 6, 13)


@pytest.mark.parametrize(
    ("today", "planned", "urgency", "expected"),
    [
        (TUESDAY, date(2025, 6, 17), "regular", None),  # 7 days: enough
        (TUESDAY, date(2025, 7, 1), "regular", None),
        (TUESDAY, date(2025, 6, 16), "regular", ("leadtime.regular", "warning")),  # 6 days
        (TUESDAY, TUESDAY, "regular", ("leadtime.regular", "warning")),
        (TUESDAY, date(2025, 6, 9), "regular", ("leadtime.past", "error")),
        (TUESDAY, date(2025, 6, 9), "urgent", ("leadtime.past", "error")),
        (TUESDAY, date(2025, 6, 11), "urgent", None),  # Wednesday is a working day after today
        (FRIDAY, date(2025, 6, 16), "urgent", None),  # Monday
        (FRIDAY, date(2025, 6, 15), "urgent", ("leadtime.urgent", "warning")),  # only the weekend between
        (FRIDAY, FRIDAY, "urgent", ("leadtime.urgent", "warning")),  # the same day
    ],
)
def test_lead_time(today, planned, urgency, expected):
    findings = check_lead_time(make(planned, urgency), CheckContext(today=today))
    got = [(f.check, f.severity) for f in findings]
    assert got == ([] if expected is None else [expected])
    assert all(f.policy == "C12" and f.where == "planned_date" for f in findings)


def test_notice_days_is_a_setting():
    article = make(date(2025, 6, 13))  # 3 days after Tuesday
    assert [f.check for f in check_lead_time(article, CheckContext(today=TUESDAY))] == ["leadtime.regular"]
    assert check_lead_time(article, CheckContext(today=TUESDAY, notice_days=3)) == []


def test_message_gives_the_days_and_the_way_out():
    (finding,) = check_lead_time(make(date(2025, 6, 12)), CheckContext(today=TUESDAY))
    assert "应提前 7 天" in finding.message
    assert "仅 2 天" in finding.message
    assert "理由" in finding.message


def test_urgent_post_over_a_public_holiday_uses_the_official_calendar():
    # National Day 2024: 1-7 October are holidays (chinese-calendar); Monday-Friday would count five.
    article = make(date(2024, 10, 7), "urgent")
    ctx = CheckContext(today=date(2024, 9, 30), is_workday=workdays.is_workday)
    assert [f.check for f in check_lead_time(article, ctx)] == ["leadtime.urgent"]
    assert check_lead_time(article, CheckContext(today=date(2024, 9, 30))) == []  # the Monday-Friday default
    assert check_lead_time(make(date(2024, 10, 8), "urgent"), ctx) == []


def test_swapped_working_saturday_counts():
    # Saturday 12 October 2024 was a working day in exchange for the National Day holiday.
    ctx = CheckContext(today=date(2024, 10, 11), is_workday=workdays.is_workday)
    assert check_lead_time(make(date(2024, 10, 12), "urgent"), ctx) == []


@pytest.mark.parametrize(("planned", "today"), [(None, TUESDAY), (TUESDAY, None)])
def test_nothing_to_say_without_both_dates(planned, today):
    assert check_lead_time(make(planned), CheckContext(today=today)) == []


def test_workdays_after_counts_strictly_after_today():
    weekdays = workdays_after(FRIDAY, date(2025, 6, 20), lambda d: d.weekday() < 5)
    assert weekdays == 5  # Monday to Friday of the next week; the Friday of today is not counted
    assert workdays_after(FRIDAY, FRIDAY, lambda d: True) == 0


def test_finding_id_survives_a_day():
    article = make(date(2025, 6, 12))
    (monday,) = check_lead_time(article, CheckContext(today=date(2025, 6, 9)))
    (tuesday,) = check_lead_time(article, CheckContext(today=TUESDAY))
    assert monday.id == tuesday.id
