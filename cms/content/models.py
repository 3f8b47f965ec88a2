"""Posts and their immutable revisions, images, autosave buffers, forbidden words."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

CATEGORIES = ("news", "internal_activity", "promotion", "employee_tools", "recommended")  # C3
STATUSES = ("draft", "in_review", "rejected", "approved", "scheduled", "published", "withdrawn")
SOURCE_KINDS = ("original", "reprint")
IMAGE_SOURCES = ("own", "licensed", "reprint")

post_channel = Table(
    "post_channel", db.metadata,
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", ForeignKey("channel.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Post(db.Model):
    """What a contributor files. Its words live in revisions; the post keeps what lists filter on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    category: Mapped[str] = mapped_column(String(24), index=True)
    urgency: Mapped[str] = mapped_column(String(8), default="regular")
    important: Mapped[bool] = mapped_column(default=False)
    confidential: Mapped[bool] = mapped_column(default=False)  # C5: blocks final approval until cleared
    planned_date: Mapped[date | None]
    open_comments: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(String(200), default="")  # the latest revision's, for lists
    revision_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    department = relationship("Department")
    created_by = relationship("User", foreign_keys=[created_by_id])
    channels = relationship("Channel", secondary=post_channel, order_by="Channel.id")
    revisions: Mapped[list[Revision]] = relationship(back_populates="post", order_by="Revision.number",
                                                     cascade="all, delete-orphan")

    @property
    def current(self) -> Revision | None:
        return self.revisions[-1] if self.revisions else None


class Revision(db.Model):
    """One saved state of a post. Never updated after it is written."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    number: Mapped[int]
    based_on: Mapped[int | None]  # the revision number the edit started from
    written_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    note: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(64), default="")
    digest: Mapped[str] = mapped_column(String(400), default="")
    body_format: Mapped[str] = mapped_column(String(8))
    body_source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)  # rendered from the target channel's theme and sanitised
    cover_asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    # Where the 2.35:1 and 1:1 cover crops centre, as fractions of the image (0.5, 0.5 = middle).
    cover_focus_x: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    cover_focus_y: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    source_kind: Mapped[str] = mapped_column(String(8), default="")
    source_name: Mapped[str] = mapped_column(String(200), default="")
    source_url: Mapped[str] = mapped_column(String(1000), default="")
    source_author: Mapped[str] = mapped_column(String(64), default="")
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # category, channels, dates as saved
    simhash: Mapped[int] = mapped_column(BigInteger, default=0)  # signed 64-bit (C14 near-duplicates)
    content_hash: Mapped[str] = mapped_column(String(64))

    post: Mapped[Post] = relationship(back_populates="revisions")
    written_by = relationship("User")

    __table_args__ = (UniqueConstraint("post_id", "number", name="uq_revision_post_number"),)


@event.listens_for(Revision, "before_update")
def _revisions_are_immutable(mapper, connection, target):
    raise PermissionError("a revision is never changed: save a new one")


class Blob(db.Model):
    """Image bytes, stored once however often they are uploaded (by sha256)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int]
    height: Mapped[int]
    bytes: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Asset(db.Model):
    """An uploaded image with its declared source (C14)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("blob.id"), index=True)
    source: Mapped[str] = mapped_column(String(8))
    credit: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    blob: Mapped[Blob] = relationship(lazy="joined")


class AssetUse(db.Model):
    """Post P used asset A: some revision of P shows A in its body or as its cover. Written with
    each revision (revisions are never changed, so a row is never removed while the post lives);
    whoever may read P may read A (cms/content/asset_policy.py)."""

    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)


class DraftBuffer(db.Model):
    """Autosave: one mutable buffer per user and post (or per user for a new post). Typing never
    makes a revision, so it never restarts a review."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    base_revision: Mapped[int | None]
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    __table_args__ = (UniqueConstraint("user_id", "post_id", name="uq_draft_buffer_user_post"),)


class ForbiddenWord(db.Model):
    """C15: the forbidden-word list, per category, edited by administrators."""

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    term: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("category", "term", name="uq_forbidden_word_category_term"),)


class PostSearch(db.Model):
    """The text search reads: the latest title and plain body of each post. SQLite indexes it with
    an FTS5 trigram table, PostgreSQL with pg_trgm (both made by the migration)."""

    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


