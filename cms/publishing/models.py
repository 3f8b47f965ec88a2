"""Withdrawals and corrections of published posts (C4 C7 C13); channels and publications are in
cms/channels/models.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

# --- withdrawing and correcting -----------------------------------------------------------------

WITHDRAWAL_KINDS = ("withdraw", "correct")  # correct: withdrawn, then a corrected revision re-published
WITHDRAWAL_STATES = ("pending", "approved", "rejected", "done", "failed")


class Withdrawal(db.Model):
    """A request to take a published post down (`withdraw`), or down for a corrected re-publish
    (`correct`), on some or all of its channels, with a reason; it is carried out only once the
    platform supervisor approves it (DESIGN.md roles). Audited; the archive keeps every version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="withdraw")
    reason: Mapped[str] = mapped_column(Text, default="")
    channel_ids: Mapped[list] = mapped_column(JSON, default=list)  # the channels it takes the post off
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")  # in Chinese: what a platform refused

    post = relationship("Post")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<Withdrawal {self.id} post {self.post_id} {self.kind} {self.state}>"
