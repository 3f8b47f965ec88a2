"""Work-group rules (G1-G12), pure: no database, no Flask, no clock. Every function takes what it
decides on (the dates, the calendar overrides, the category's settings) as arguments, so the table
tests in tests/groups/test_rules.py can ask them directly.

    categories(raw) -> {key: Category}            G1 G4 G8: CMS_GROUP_CATEGORIES parsed, defaults filled
    eligible_from(hire_date, is_workday) -> date  G5: the day a new hire may be invited
    removal_due(left_at, hours=48) -> datetime    G6
    work_ended_at(ends_on, zone) -> datetime      G7: the end of a temporary group's last day
    dissolution_due(ended_at, days=5) -> datetime G7
    dissolution_notice(name, reason, day, operator) -> str   G7: the seed's notice text
    expected_nickname(fmt, ...) / nickname_matches(expected, actual)   G4
    in_scope(scope, person, group_department_id) -> bool               G8
    over_group_limit(count, limit) -> bool                             G9
    penalty_due(assigned_at, answered_at, now, minutes=30) -> bool     G11
    assessment rates                                                   G12
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FILED, APPROVED, ACTIVE, REFUSED, DISSOLVED = "filed", "approved", "active", "refused", "dissolved"
STATES = (FILED, APPROVED, ACTIVE, REFUSED, DISSOLVED)

# G11: amounts in fen (integer money, API.md)
LATE_ANSWER_FEN = 100_00      # a same-day task unanswered after 30 minutes (§8 / §18: 100 元)
SHIRK_FEN = 50_00             # shirking or delaying, each time (50 元)
ANSWER_MINUTES = 30

NICKNAME_FORMATS = ("{name}-{department}", "{name}-{title}", "{name}-{department}-{phone}", "{name}")


@dataclass(frozen=True)
class Scope:
    """G8: who may be a member. Empty: anyone in the company. Otherwise a person matches when
    their title is in `titles`, their department's name in `departments`, one of their roles in
    `roles`, or (own_department) they work in the group's department. `externals`: named outside
    partners may be members (partner groups)."""

    titles: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    own_department: bool = False
    externals: bool = False

    @property
    def anyone(self) -> bool:
        return not (self.titles or self.departments or self.roles or self.own_department)

    def describe(self) -> str:
        parts = []
        if self.own_department:
            parts.append("本部门人员")
        if self.titles:
            parts.append("岗位：" + "、".join(self.titles))
        if self.departments:
            parts.append("部门：" + "、".join(self.departments))
        if self.roles:
            parts.append("角色：" + "、".join(self.roles))
        return "；".join(parts) if parts else "公司全体员工"


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    nickname: str = "{name}-{department}"
    temporary: bool = False
    scope: Scope = field(default_factory=Scope)


LEADERS = ("董事长", "总裁", "副总裁", "总经理", "副总经理")

# The seeds' categories (G1: §4's four, §7's platform/department/project/partner and its president
# group) with §4's and §8's nickname formats (G4) and §7's membership scopes (G8).
DEFAULT_CATEGORIES: dict[str, dict] = {
    "company": {"label": "公司级工作群", "nickname": "{name}-{department}"},
    "department": {"label": "部门级工作群", "nickname": "{name}-{title}",
                   "scope": {"own_department": True, "titles": list(LEADERS)}},
    "special": {"label": "专项工作群", "nickname": "{name}-{title}"},
    "temporary": {"label": "临时性工作群", "nickname": "{name}-{department}-{phone}", "temporary": True},
    "platform": {"label": "平台工作群", "nickname": "{name}-{department}"},
    "president": {"label": "总裁工作群", "nickname": "{name}-{title}",
                  "scope": {"titles": ["董事长", "总裁", "副总裁"]}},
    "project": {"label": "项目工作群", "nickname": "{name}-{department}"},
    "partner": {"label": "合作伙伴工作群", "nickname": "{name}-{department}", "scope": {"externals": True}},
}


class SettingError(ValueError):
    """CMS_GROUP_CATEGORIES is not what it must be (named in the message)."""


def _scope(raw) -> Scope:
    if raw is None:
        return Scope()
    if not isinstance(raw, Mapping):
        raise SettingError("scope must be an object")
    unknown = set(raw) - {"titles", "departments", "roles", "own_department", "externals"}
    if unknown:
        raise SettingError(f"unknown scope keys {sorted(unknown)}")
    lists = {}
    for key in ("titles", "departments", "roles"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingError(f"scope {key} must be a list of strings")
        lists[key] = tuple(value)
    return Scope(**lists, own_department=bool(raw.get("own_department")), externals=bool(raw.get("externals")))


def categories(raw: str | Mapping | None) -> dict[str, Category]:
    """CMS_GROUP_CATEGORIES (a JSON object, or the parsed object) → categories. None or "": the
    seeds' defaults. A category given replaces the default of its key; others stay."""
    if isinstance(raw, str):
        raw = json.loads(raw) if raw.strip() else None
    merged: dict = {**DEFAULT_CATEGORIES, **(raw or {})}
    out = {}
    for key, spec in merged.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("label"), str):
            raise SettingError(f"category {key!r} needs a label")
        fmt = spec.get("nickname", "{name}-{department}")
        if fmt not in NICKNAME_FORMATS:
            raise SettingError(f"category {key!r}: nickname must be one of {NICKNAME_FORMATS}")
        out[key] = Category(key=key, label=spec["label"], nickname=fmt, temporary=bool(spec.get("temporary")),
                            scope=_scope(spec.get("scope")))
    return out


# --- G5: a new hire after 3 working days -----------------------------------------------------------

def eligible_from(hire_date: date, is_workday: Callable[[date], bool], days: int = 3) -> date:
    """G5 (§8 新员工入职须满 3 个工作日方可邀请进群): the working day after the hire's first `days`
    working days (the hire day counts when it is a working day). Hired Monday 2026-11-23 → the
    23rd, 24th and 25th are served → Thursday 2026-11-26. `is_workday`: the calendar, with the
    administrators' stored days (cms.holidays.service.is_workday)."""
    day, served = hire_date, 0
    while served < days:
        served += is_workday(day)
        day += timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


# --- G6 G7: deadlines -------------------------------------------------------------------------------

def removal_due(left_at: datetime, hours: int = 48) -> datetime:
    """G6 (§17 48小时内移除): a leaver or transferee is out of the group 48 hours after leaving."""
    return left_at + timedelta(hours=hours)


def work_ended_at(ends_on: date, zone: ZoneInfo) -> datetime:
    """The end of a temporary group's last working day (midnight after `ends_on`, local)."""
    return datetime.combine(ends_on + timedelta(days=1), time(0, 0), zone)


def dissolution_due(ended_at: datetime, days: int = 5, extended_until: datetime | None = None) -> datetime:
    """G7 (§4 工作事项结束后5日内解散): 5 days after the work ended, or the extension's date."""
    return extended_until if extended_until is not None else ended_at + timedelta(days=days)


def dissolution_notice(group_name: str, reason: str, day: date, operator: str) -> str:
    """G7: the seed's notice (§4: "本工作群因专题项目完结,将于X月X日解散,望大家知悉,操作人:XXX")."""
    return f"本工作群（{group_name}）因{reason.strip()}，将于{day.month}月{day.day}日解散，望大家知悉。操作人：{operator}"


def overdue(due_at: datetime, now: datetime, done_at: datetime | None = None) -> bool:
    return done_at is None and now > due_at


def done_late(due_at: datetime, done_at: datetime | None) -> bool | None:
    """None while open; else whether it was done after its due time (G12)."""
    return None if done_at is None else done_at > due_at


def review_due(last_review: datetime, every_days: int) -> datetime:
    """G3 (定期检查群内成员): the next membership review."""
    return last_review + timedelta(days=every_days)


# --- G4: nicknames ----------------------------------------------------------------------------------

def expected_nickname(fmt: str, name: str, department: str = "", title: str = "", phone: str = "") -> str:
    """G4: "姓名-部门" (§4 company level), "姓名-岗位" (§4 department and special), "姓名-部门-电话" (§8)."""
    values = {"name": name.strip(), "department": department.strip(), "title": title.strip(),
              "phone": phone.strip()}
    return fmt.format(**values)


_DASHES = re.compile(r"\s*[-－—–_＿+＋·]\s*")


def _norm(text: str) -> str:
    return _DASHES.sub("-", (text or "").strip()).replace(" ", "").replace("\u3000", "").lower()


def nickname_matches(expected: str, actual: str | None) -> bool:
    """G4: the nickname the owner saw in the group is the expected one (dashes, spaces and case
    aside). No nickname entered yet is not a match."""
    return bool(actual and actual.strip()) and _norm(expected) == _norm(actual)


# --- G8 G9: who may join ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    title: str = ""
    department_id: int | None = None
    department_names: tuple[str, ...] = ()  # the department and the units above it
    roles: tuple[str, ...] = ()
    external: bool = False


def in_scope(scope: Scope, person: Person, group_department_id: int | None) -> bool:
    """G8 (§7 e.g. 总裁工作群: 董事长、总裁、副总裁)."""
    if person.external:
        return scope.externals
    if scope.anyone:
        return True
    return ((scope.own_department and person.department_id is not None
             and person.department_id == group_department_id)
            or bool(person.title) and person.title in scope.titles
            or any(d in scope.departments for d in person.department_names)
            or any(r in scope.roles for r in person.roles))


def over_group_limit(count: int, limit: int | None) -> bool:
    """G9 (§6 加入的微信群数量不超过其工作需要的合理范围): more groups than the limit (a warning)."""
    return limit is not None and limit > 0 and count > limit


# --- G11: answers and acknowledgements --------------------------------------------------------------

def answer_deadline(assigned_at: datetime, minutes: int = ANSWER_MINUTES) -> datetime:
    return assigned_at + timedelta(minutes=minutes)


def penalty_due(assigned_at: datetime, answered_at: datetime | None, now: datetime,
                minutes: int = ANSWER_MINUTES) -> bool:
    """G11 (§8): a same-day task not answered by its responsible person within 30 minutes: the
    100-yuan fine is proposed (answered late counts too: answered after the deadline)."""
    deadline = answer_deadline(assigned_at, minutes)
    if answered_at is not None:
        return answered_at > deadline
    return now > deadline


# --- G12: assessment --------------------------------------------------------------------------------

def rate(part: int, whole: int) -> float | None:
    """part / whole as a fraction (None when there is nothing to count)."""
    return None if whole == 0 else part / whole


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end
