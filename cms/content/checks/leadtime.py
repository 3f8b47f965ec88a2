"""Lead time (policy C12): 常规信息由各部门提前一周内提出发布需求; 重要且紧急信息需提前一个工作日.

A regular post is requested ``notice_days`` calendar days ahead (a setting, default 7); an important
and urgent one at least one working day ahead. Less notice is a warning whose reason reviewers see; a
planned date in the past is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from cms.content.checks.base import ERROR, WARNING, Article, CheckContext, Finding

__all__ = ["check_lead_time", "workdays_after"]


def _monday_to_friday(day: date) -> bool:
    return day.weekday() < 5


def workdays_after(today: date, planned: date, is_workday: Callable[[date], bool], enough: int = 0) -> int:
    """Working days in (today, planned]: strictly after today, up to and including the planned day.

    With `enough` > 0 counting stops there (the check only needs to know there is one)."""
    count, day = 0, today
    while day < planned:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
            if count == enough:
                break
    return count


def check_lead_time(article: Article, ctx: CheckContext) -> list[Finding]:
    planned, today = article.planned_date, ctx.today
    if planned is None or today is None:
        return []
    subject = planned.isoformat()  # not today's date: the id (and a recorded reason) survives a day
    if planned < today:
        return [
            Finding(
                "leadtime.past",
                ERROR,
                "C12",
                "planned_date",
                f"计划发布日期 {planned.isoformat()} 早于今天（{today.isoformat()}）。请改为今天或以后的日期。",
                subject=subject,
            )
        ]
    if article.urgency == "urgent":
        is_workday = ctx.is_workday or _monday_to_friday
        if workdays_after(today, planned, is_workday, enough=1) >= 1:
            return []
        return [
            Finding(
                "leadtime.urgent",
                WARNING,
                "C12",
                "planned_date",
                f"重要紧急稿件须至少提前一个工作日提出发布需求（C12）。今天（{today.isoformat()}）到计划发布日期"
                f" {planned.isoformat()} 之间没有工作日。请推迟发布日期，或填写理由供审核人查看。",
                subject=subject,
            )
        ]
    days = (planned - today).days
    if days >= ctx.notice_days:
        return []
    return [
        Finding(
            "leadtime.regular",
            WARNING,
            "C12",
            "planned_date",
            f"常规稿件应提前 {ctx.notice_days} 天提出发布需求（C12），计划发布日期 {planned.isoformat()}"
            f" 距今天仅 {days} 天。请推迟发布日期，或填写理由供审核人查看；确属重要紧急的，请标为“紧急”。",
            subject=subject,
        )
    ]
