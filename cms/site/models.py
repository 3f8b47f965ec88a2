"""Website pages: the live version of one post on one website channel (the archive keeps every
version that was ever live; this row is replaced by a correction and closed by a withdrawal)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db


class SitePage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    # `<post id>-<random hex>`: ASCII, unguessable, kept for good once made (corrections reuse it).
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    revision_number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(64), default="")
    digest: Mapped[str] = mapped_column(String(400), default="")
    html: Mapped[str] = mapped_column(Text)  # sanitised; /assets/<id> images are rewritten when served
    cover_asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    first_published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)  # this version
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    channel = relationship("Channel")

    __table_args__ = (
        UniqueConstraint("channel_id", "post_id", name="uq_site_page_channel_post"),
        Index("ix_site_page_channel_live", "channel_id", "withdrawn_at", "published_at"),
    )

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None
