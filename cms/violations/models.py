"""The violations register (G10 U8): one `Violation` per thing that happened, its `Evidence`
files. States and handlings: cms/violations/rules.py. Amounts are integer fen."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from cms import workdays
from cms.auth.models import Department, User
from cms.dbtypes import UTCDateTime
from cms.extensions import db


class Violation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Who: a user of the CMS, or a person named (an external member of a group).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    subject_name: Mapped[str] = mapped_column(String(64))  # the user's real name when recorded, or the name given
    # The subject's department when recorded: a department head sees their department's violations.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # Where: a free label ("工作群：市场部工作群") and a reference another feature understands ("group:12").
    context: Mapped[str] = mapped_column(String(200), default="")
    context_ref: Mapped[str] = mapped_column(String(64), default="", index=True)
    what: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))  # rules.CATEGORIES
    source: Mapped[str] = mapped_column(String(32), default="manual")  # rules.SOURCES
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    proposed_amount_fen: Mapped[int | None]  # G11: 10000 (¥100.00), 5000 (¥50.00)

    state: Mapped[str] = mapped_column(String(16), default="proposed", index=True)  # rules.STATES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: proposed by a feature
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # confirmed or dismissed
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    handling: Mapped[str | None] = mapped_column(String(32))  # rules.HANDLINGS
    handling_amount_fen: Mapped[int | None]
    handling_note: Mapped[str] = mapped_column(Text, default="")
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # reported to legal (法务)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    report_note: Mapped[str] = mapped_column(Text, default="")

    subject: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    evidence: Mapped[list[Evidence]] = relationship(back_populates="violation", cascade="all, delete-orphan",
                                                    order_by="Evidence.id")

    __table_args__ = (Index("ix_violation_state_created", "state", "created_at"),)


class Evidence(db.Model):
    """A file kept as it was uploaded (evidence is not re-encoded): an image or a PDF, sniffed by its
    bytes, its SHA-256 in the audit trail."""

    __tablename__ = "violation_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violation.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(100))  # rules.safe_filename
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    violation: Mapped[Violation] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()
