"""The work-group rules as tables (G4-G12): pure functions, no app."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cms import workdays
from cms.groups import rules

SH = ZoneInfo("Asia/Shanghai")

# G5 (§8): invited after 3 working days of employment: the working day after the first three.
# 2026 from chinese-calendar: National Day 10-01..10-07 off, Sunday 09-20 and Saturday 10-10 worked
# (调休); Mid-autumn 09-25..09-27 off.
ELIGIBLE = [
    ("hired Monday: Mon Tue Wed served → Thursday", date(2026, 11, 23), {}, date(2026, 11, 26)),
    ("hired Thursday: Thu Fri Mon → Tuesday", date(2026, 11, 26), {}, date(2026, 12, 1)),
    ("hired Saturday: counts from Monday", date(2026, 11, 28), {}, date(2026, 12, 3)),
    ("hired 09-30 before National Day: 09-30, 10-08, 10-09 → the swapped Saturday 10-10", date(2026, 9, 30), {},
     date(2026, 10, 10)),
    ("hired on National Day (a holiday): 10-08 10-09 10-10 → Monday 10-12", date(2026, 10, 1), {}, date(2026, 10, 12)),
    ("hired Friday 09-18: the swapped Sunday 09-20 counts → Tuesday 09-22", date(2026, 9, 18), {}, date(2026, 9, 22)),
    ("hired 09-24 before Mid-autumn: 09-24, 09-28, 09-29 → 09-30", date(2026, 9, 24), {}, date(2026, 9, 30)),
    # 2027: chinese-calendar 1.11 has no data (Monday-Friday) — the administrator's entries win
    ("2027 without entries: Monday to Friday", date(2027, 2, 5), {}, date(2027, 2, 10)),
    ("2027 with the Spring Festival entered as holidays", date(2027, 2, 5),
     {date(2027, 2, d): False for d in range(8, 13)}, date(2027, 2, 17)),
    ("2027 with a swapped working Saturday entered", date(2027, 2, 5),
     {**{date(2027, 2, d): False for d in range(8, 13)}, date(2027, 2, 6): True}, date(2027, 2, 16)),
]


@pytest.mark.parametrize("why, hired, overrides, expected", ELIGIBLE, ids=[c[0] for c in ELIGIBLE])
def test_eligible_from(why, hired, overrides, expected):
    assert rules.eligible_from(hired, lambda day: workdays.is_workday(day, overrides)) == expected


def test_calendar_facts_the_table_relies_on():
    import chinese_calendar

    assert chinese_calendar.is_workday(date(2026, 10, 10)) and chinese_calendar.is_workday(date(2026, 9, 20))
    assert not chinese_calendar.is_workday(date(2026, 10, 7))


T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
REMOVAL = [
    ("48 hours, whatever the calendar", T0, 48, T0 + timedelta(hours=48)),
    ("over the National Day holiday too (hours, not working days)", datetime(2026, 9, 30, 8, tzinfo=UTC), 48,
     datetime(2026, 10, 2, 8, tzinfo=UTC)),
    ("a stricter setting", T0, 24, T0 + timedelta(hours=24)),
]


@pytest.mark.parametrize("why, left, hours, due", REMOVAL, ids=[c[0] for c in REMOVAL])
def test_removal_due(why, left, hours, due):
    assert rules.removal_due(left, hours) == due


def test_dissolution_due_and_notice():
    ended = rules.work_ended_at(date(2026, 11, 20), SH)
    assert ended == datetime(2026, 11, 21, 0, 0, tzinfo=SH)
    assert rules.dissolution_due(ended) == datetime(2026, 11, 26, 0, 0, tzinfo=SH)
    later = datetime(2026, 12, 1, tzinfo=SH)
    assert rules.dissolution_due(ended, extended_until=later) == later
    text = rules.dissolution_notice("团建临时联络群", "专题项目完结", date(2026, 11, 26), "孙丽")
    assert text == "本工作群（团建临时联络群）因专题项目完结，将于11月26日解散，望大家知悉。操作人：孙丽"


NICKNAMES = [
    ("{name}-{department}", ("张晓雯", "市场部", "市场专员", "138"), "张晓雯-市场部"),
    ("{name}-{title}", ("张晓雯", "市场部", "市场专员", "138"), "张晓雯-市场专员"),
    ("{name}-{department}-{phone}", ("张晓雯", "市场部", "市场专员", "13800000000"), "张晓雯-市场部-13800000000"),
]


@pytest.mark.parametrize("fmt, person, expected", NICKNAMES)
def test_expected_nickname(fmt, person, expected):
    assert rules.expected_nickname(fmt, *person) == expected


MATCHES = [
    ("张晓雯-市场部", "张晓雯-市场部", True),
    ("张晓雯-市场部", "张晓雯 - 市场部", True),
    ("张晓雯-市场部", "张晓雯－市场部", True),   # a full-width dash
    ("张晓雯-市场部", "张晓雯+市场部", True),    # §4 writes "姓名+部门"
    ("张晓雯-市场部", "晓雯", False),
    ("张晓雯-市场部", "张晓雯-市场专员", False),
    ("张晓雯-市场部", "", False),
    ("张晓雯-市场部", None, False),
]


@pytest.mark.parametrize("expected, actual, ok", MATCHES)
def test_nickname_matches(expected, actual, ok):
    assert rules.nickname_matches(expected, actual) is ok


PRESIDENT = rules.Scope(titles=("董事长", "总裁", "副总裁"))
DEPARTMENT = rules.Scope(own_department=True, titles=rules.LEADERS)
SCOPES = [
    ("president group: the president", PRESIDENT, rules.Person(title="总裁", department_id=1), 9, True),
    ("president group: a clerk", PRESIDENT, rules.Person(title="市场专员", department_id=1), 9, False),
    ("department group: its own staff", DEPARTMENT, rules.Person(title="市场专员", department_id=4), 4, True),
    ("department group: a leader from elsewhere", DEPARTMENT, rules.Person(title="副总经理", department_id=2), 4, True),
    ("department group: staff of another department", DEPARTMENT, rules.Person(title="会计", department_id=6), 4,
     False),
    ("by department name (a unit above counts)", rules.Scope(departments=("星海科技有限公司",)),
     rules.Person(department_id=6, department_names=("财务部", "星海科技有限公司")), 1, True),
    ("by role", rules.Scope(roles=("group_admin",)), rules.Person(roles=("group_admin",)), 1, True),
    ("open scope: anyone", rules.Scope(), rules.Person(title="会计"), 1, True),
    ("an outsider only where partners may join", rules.Scope(), rules.Person(external=True), 1, False),
    ("an outsider in a partner group", rules.Scope(externals=True), rules.Person(external=True), 1, True),
]


@pytest.mark.parametrize("why, scope, person, group_dep, ok", SCOPES, ids=[c[0] for c in SCOPES])
def test_in_scope(why, scope, person, group_dep, ok):
    assert rules.in_scope(scope, person, group_dep) is ok


@pytest.mark.parametrize("count, limit, over", [(10, 10, False), (11, 10, True), (50, 0, False), (3, None, False)])
def test_over_group_limit(count, limit, over):
    assert rules.over_group_limit(count, limit) is over


A = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PENALTY = [
    ("unanswered at 29 minutes", None, A + timedelta(minutes=29), False),
    ("unanswered at exactly 30 minutes", None, A + timedelta(minutes=30), False),
    ("unanswered at 31 minutes", None, A + timedelta(minutes=31), True),
    ("answered at 12 minutes", A + timedelta(minutes=12), A + timedelta(hours=5), False),
    ("answered at 45 minutes: late", A + timedelta(minutes=45), A + timedelta(hours=5), True),
]


@pytest.mark.parametrize("why, answered, now, due", PENALTY, ids=[c[0] for c in PENALTY])
def test_penalty_due(why, answered, now, due):
    assert rules.penalty_due(A, answered, now) is due


def test_amounts_are_fen():
    assert rules.LATE_ANSWER_FEN == 10000 and rules.SHIRK_FEN == 5000


def test_assessment_arithmetic():
    assert rules.rate(3, 4) == 0.75 and rules.percent(rules.rate(3, 4)) == "75%"
    assert rules.rate(0, 0) is None and rules.percent(None) == "—"
    assert rules.done_late(A, None) is None
    assert rules.done_late(A, A - timedelta(minutes=1)) is False and rules.done_late(A, A + timedelta(seconds=1))
    start, end = rules.month_bounds(2026, 12, SH)
    assert (start.month, end.year, end.month) == (12, 2027, 1)


def test_categories_setting():
    """G1: the seeds' group categories (§4 company, department, special, temporary; §7 platform,
    project, partner; the president's group) by default, each with its nickname format (G4) and
    membership scope (G8); CMS_GROUP_CATEGORIES adds or replaces one and is refused when malformed."""
    cats = rules.categories(None)
    assert {"company", "department", "special", "temporary", "platform", "project", "partner", "president"} <= set(cats)
    assert cats["temporary"].temporary and cats["company"].nickname == "{name}-{department}"
    assert cats["department"].nickname == "{name}-{title}"
    custom = rules.categories('{"interest": {"label": "兴趣群", "nickname": "{name}"}}')
    assert custom["interest"].label == "兴趣群" and "company" in custom
    with pytest.raises(rules.SettingError):
        rules.categories({"x": {"label": "坏", "nickname": "{name}{salary}"}})
    with pytest.raises(rules.SettingError):
        rules.categories({"x": {"label": "坏", "scope": {"salary": []}}})
