"""One notification to one user: a line of Chinese text and an internal link, read or not, and what
became of its WeCom message."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.auth.models import User
from cms.content.models import Post
from cms.dbtypes import UTCDateTime
from cms.extensions import db

# wecom_status: None  no WeCom message (WeCom not configured when it was made)
#               "pending" → "sending" → "sent" | "failed: <errcode>" (e.g. "failed: 81013")
WECOM_PENDING, WECOM_SENDING, WECOM_SENT = "pending", "sending", "sent"


class Notification(db.Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # what happened, e.g. "review.requested"
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))  # Chinese, rendered when made
    url: Mapped[str] = mapped_column(String(500))  # an internal path: "/posts/12"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wecom_status: Mapped[str | None] = mapped_column(String(16))

    user: Mapped[User] = relationship()
    post: Mapped[Post | None] = relationship()

    # Serves "this user's" (the leading column) and "this user's unread" (the bell's COUNT).
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
