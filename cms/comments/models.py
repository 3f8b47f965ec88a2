"""What the CMS keeps of follower comments (issue 15, C16).

A CommentThread is one article's comments on one channel: the platform keys them by the message's
msg_data_id (freepublish/submit or a mass send gives it) and the article's 0-based index in it.
A FollowerComment is one comment, unique per (channel, msg_data_id, index, user_comment_id): a
sync that runs twice, or two syncs at once, never stores one twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db


class CommentThread(db.Model):
    __tablename__ = "comment_thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"), index=True)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id", ondelete="SET NULL"),
                                                       index=True)
    msg_data_id: Mapped[str] = mapped_column(String(32))
    index: Mapped[int] = mapped_column(default=0)  # 0-based: the article's place in the message
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    open: Mapped[bool] = mapped_column(default=True)  # comments open (comment/open, comment/close)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sync_error: Mapped[str] = mapped_column(Text, default="")  # in Chinese, the last failed sync
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    channel = relationship("Channel")
    publication = relationship("Publication")

    __table_args__ = (UniqueConstraint("channel_id", "msg_data_id", "index", name="uq_comment_thread_article"),)

    def __repr__(self) -> str:
        return f"<CommentThread {self.id} channel {self.channel_id} {self.msg_data_id}/{self.index}>"


class FollowerComment(db.Model):
    __tablename__ = "follower_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("comment_thread.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"), index=True)
    msg_data_id: Mapped[str] = mapped_column(String(32))
    index: Mapped[int] = mapped_column(default=0)
    user_comment_id: Mapped[int] = mapped_column(BigInteger)
    openid: Mapped[str] = mapped_column(String(64), default="")
    nickname: Mapped[str | None] = mapped_column(String(64))  # when the platform gives it
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the platform's create_time
    featured: Mapped[bool] = mapped_column(default=False)  # 精选 (comment_type 1)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who answered in the CMS; None with a reply: answered on the platform (the MP console).
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Gone from the platform's list (deleted in the MP console, or by the follower).
    gone_on_platform: Mapped[bool] = mapped_column(default=False)
    # Deleted by a moderator in the CMS (comment/delete), with the reason.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    delete_reason: Mapped[str] = mapped_column(String(500), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    thread: Mapped[CommentThread] = relationship()
    channel = relationship("Channel")
    replied_by = relationship("User", foreign_keys=[replied_by_id])
    deleted_by = relationship("User", foreign_keys=[deleted_by_id])

    __table_args__ = (
        UniqueConstraint("channel_id", "msg_data_id", "index", "user_comment_id", name="uq_follower_comment_key"),
        Index("ix_follower_comment_queue", "channel_id", "created_at"),
    )

    @property
    def deleted(self) -> bool:
        return self.gone_on_platform or self.deleted_at is not None

    @property
    def who(self) -> str:
        return self.nickname or self.openid

    def __repr__(self) -> str:
        return f"<FollowerComment {self.id} {self.msg_data_id}/{self.index}#{self.user_comment_id}>"


class ReplyTemplate(db.Model):
    """A saved reply moderators insert into the reply box (each reply is still screened)."""

    __tablename__ = "reply_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    created_by = relationship("User", foreign_keys=[created_by_id])
