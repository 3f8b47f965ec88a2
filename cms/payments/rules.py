"""WeChat Pay rules (P3-P6), pure: no database, no Flask, no clock. Money is integer fen
everywhere; yuan typed by a person is parsed as text (never a float) and shown as ¥1,234.50.

    parse_yuan("1234.5") -> 123450            format_fen(123450) -> "¥1,234.50"
    effective_limit(default, override, day)    the day's ceiling (P5)
    remaining_today(limit, spent, override)    fen still allowed today (P5)
    within_working_time(dt_local, hours, is_workday)   P4
    budget_room(amount, spent)                 P4
    classify(...)                              which anomalies a payment of a reconciled day shows
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

DEFAULT_DAILY_LIMIT_FEN = 500_000  # seed §9 第九条: 5,000 yuan a day (P5)
MAX_FEN = 2**31 - 1  # what every database's integer column holds

OVERRIDE_REASONS = ("major_activity", "emergency")  # seed §9 第十条 (P5)
# Payments that count against the day's limit: everything filed and not failed (P5). A refused
# payment is never stored.
COUNTED_STATES = ("planned", "paid", "reconciled", "anomaly")
PAYMENT_STATES = ("planned", "paid", "failed", "reconciled", "anomaly")
ANOMALY_KINDS = ("unmatched_line", "amount_differs", "missing_line", "over_limit", "outside_hours")

_YUAN = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")


class BadAmount(ValueError):
    """Not an amount in yuan with at most two decimals."""


def parse_yuan(text: str | None) -> int:
    """ "1,234.5" / "¥12" / "0.01" → fen as an int, parsed as text (no float ever sees it). Zero,
    negative, more than two decimals or anything else raises BadAmount."""
    raw = (text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    m = _YUAN.match(raw)
    if not m:
        raise BadAmount(raw)
    yuan, cents = m.group(1), (m.group(2) or "").ljust(2, "0")
    fen = int(yuan) * 100 + int(cents)
    if fen <= 0 or fen > MAX_FEN:
        raise BadAmount(raw)
    return fen


def format_fen(fen: int | None) -> str:
    """123450 → "¥1,234.50"; -5 → "-¥0.05"; None → "" (integer arithmetic only)."""
    if fen is None:
        return ""
    if isinstance(fen, float):
        raise TypeError("money is integer fen, never a float")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def fen_to_yuan_text(fen: int) -> str:
    """123450 → "1234.50" (for CSV cells and form defaults)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan}.{cents:02d}"


@dataclass(frozen=True)
class Override:
    """A leader's raised ceiling for one account on one day (P5)."""
    day: date
    limit_fen: int
    reason: str = "major_activity"


def effective_limit(default_fen: int, override: Override | None, day: date) -> int:
    """The day's ceiling: the override's when it is for this day (it expires with its day)."""
    if override is not None and override.day == day:
        return override.limit_fen
    return default_fen


def remaining_today(limit_fen: int, spent_fen: int, override: Override | None = None,
                    day: date | None = None) -> int:
    """Fen still allowed on the day (never below 0). With an override for `day` (or with no day
    given), its ceiling replaces the limit."""
    ceiling = limit_fen if override is None or (day is not None and override.day != day) else override.limit_fen
    return max(0, ceiling - spent_fen)


def fits_limit(amount_fen: int, limit_fen: int, spent_fen: int) -> bool:
    """P5: spent + amount may reach the ceiling exactly, never pass it."""
    return spent_fen + amount_fen <= limit_fen


def within_working_time(dt_local: datetime, working_hours: tuple[time, time],
                        is_workday: Callable[[date], bool]) -> bool:
    """P4: on a working day, from the opening time up to (not including) the closing time."""
    opens, closes = working_hours
    return is_workday(dt_local.date()) and opens <= dt_local.time().replace(tzinfo=None) < closes


def budget_room(amount_fen: int, spent_fen: int) -> int:
    """Fen left on a budget line (never below 0)."""
    return max(0, amount_fen - spent_fen)


def fits_budget(amount_fen: int, line_amount_fen: int, line_spent_fen: int) -> bool:
    return line_spent_fen + amount_fen <= line_amount_fen


@dataclass(frozen=True)
class DayPayment:
    """What classification needs of one payment of the day being reconciled."""
    id: int
    amount_fen: int
    at_local: datetime  # when it was paid (else planned), in CMS_TIMEZONE
    running_total_fen: int  # the day's total up to and including this payment, in order of time


def classify(p: DayPayment, limit_fen: int, working_hours: tuple[time, time],
             is_workday: Callable[[date], bool]) -> list[str]:
    """The anomalies a payment shows on reconciliation beyond the bill's: over the day's limit
    (P5) and outside working hours (P4)."""
    kinds = []
    if p.running_total_fen > limit_fen:
        kinds.append("over_limit")
    if not within_working_time(p.at_local, working_hours, is_workday):
        kinds.append("outside_hours")
    return kinds


def running_totals(items: list[tuple[int, int, datetime]]) -> list[DayPayment]:
    """(id, amount_fen, at_local) in any order → DayPayments in order of time with running totals."""
    total, out = 0, []
    for pid, amount, at in sorted(items, key=lambda x: (x[2], x[0])):
        total += amount
        out.append(DayPayment(pid, amount, at, total))
    return out
