"""The follower side of a WeChat channel (issue 15): the messages followers send to the account
and the customer-service answers sent back (one table, `direction`), kept for
CMS_FOLLOWER_MESSAGE_RETENTION_DAYS and then purged; and the figures the platform reports
(datacube), one row per channel, day and article (ArticleFigure) or per channel and day
(UserFigure), upserted so a fetch run twice changes nothing."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

IN, OUT = "in", "out"


class FollowerMessage(db.Model):
    __tablename__ = "follower_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))  # the follower (FromUserName / touser)
    direction: Mapped[str] = mapped_column(String(3))  # "in": the follower's; "out": our answer
    msg_id: Mapped[str | None] = mapped_column(String(64))  # the platform's MsgId of an "in" message
    content: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)  # CreateTime / our send
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))  # "out" only

    channel = relationship("Channel")
    author = relationship("User")

    __table_args__ = (
        UniqueConstraint("channel_id", "msg_id", name="uq_follower_message_msg_id"),
        Index("ix_follower_message_conversation", "channel_id", "openid", "sent_at"),
        Index("ix_follower_message_sent_at", "sent_at"),
    )

    def __repr__(self) -> str:
        return f"<FollowerMessage {self.id} {self.direction} channel {self.channel_id}>"


class ArticleFigure(db.Model):
    """getarticlesummary: one article's figures of one day."""
    __tablename__ = "article_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    ref_date: Mapped[date]
    msgid: Mapped[str] = mapped_column(String(64))  # "<msg_data_id>_<index>"
    title: Mapped[str] = mapped_column(String(200), default="")
    read_user: Mapped[int] = mapped_column(default=0)  # int_page_read_user
    read_count: Mapped[int] = mapped_column(default=0)  # int_page_read_count
    share_user: Mapped[int] = mapped_column(default=0)
    share_count: Mapped[int] = mapped_column(default=0)
    fav_user: Mapped[int] = mapped_column(default=0)  # add_to_fav_user
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    __table_args__ = (UniqueConstraint("channel_id", "ref_date", "msgid", name="uq_article_figure"),)


class UserFigure(db.Model):
    """getusersummary (summed over user_source) and getusercumulate: one channel's day."""
    __tablename__ = "user_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    ref_date: Mapped[date]
    new_user: Mapped[int] = mapped_column(default=0)
    cancel_user: Mapped[int] = mapped_column(default=0)
    cumulate_user: Mapped[int | None]
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    __table_args__ = (UniqueConstraint("channel_id", "ref_date", name="uq_user_figure"),)
