"""One day an administrator entered: a holiday (no work) or a swapped working day (调休上班日).
Stored entries win over chinese-calendar in every working-day rule (cms/holidays/service.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db


class CalendarDay(db.Model):
    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # "holiday" | "workday" (rules.KINDS)
    name: Mapped[str] = mapped_column(String(50), default="")  # 春节, 国庆节, 春节调休...
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    @property
    def is_workday(self) -> bool:
        return self.kind == "workday"
