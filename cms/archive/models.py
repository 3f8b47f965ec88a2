"""Archive records (C13): what went out, where, when, and with whose approval. Never changed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

ACTIONS = ("published", "corrected", "withdrawn")


class ArchiveRecord(db.Model):
    """One publishing outcome of one post on one channel. Every field is a copy taken at that
    moment (title, HTML, image hashes, the signatures), so later edits, renames or new reviews
    never change what the record says went out."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now, index=True)
    action: Mapped[str] = mapped_column(String(12))  # published | corrected | withdrawn
    # No ON DELETE: a post or channel with archive records cannot be deleted out from under them.
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))  # indexed with channel_id below
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"), index=True)
    channel_name: Mapped[str] = mapped_column(String(64))
    channel_platform: Mapped[str] = mapped_column(String(16))
    revision_number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(64), default="")
    digest: Mapped[str] = mapped_column(String(400), default="")
    html: Mapped[str] = mapped_column(Text)
    # [{"src", "role": body|cover, "asset_id", "sha256", "format", "bytes"} | {"src", "role", "external": true}]
    images: Mapped[list] = mapped_column(JSON, default=list)
    # The C11 signatures: [{"username", "real_name", "role", "action", "step", "round", "revision",
    # "hash", "comment", "at", "stale", "on_behalf_of", "on_behalf_of_name"}]
    approvals: Mapped[list] = mapped_column(JSON, default=list)
    # The C11 request form's fields: department, contributor, category, source, dates, reasons.
    request: Mapped[dict] = mapped_column(JSON, default=dict)
    remote_ids: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(1000), default="")
    push: Mapped[bool | None]
    recorded_by: Mapped[str] = mapped_column(String(64), default="")  # username, "" for the worker

    __table_args__ = (Index("ix_archive_record_post_channel", "post_id", "channel_id"),)


@event.listens_for(ArchiveRecord, "before_update")
@event.listens_for(ArchiveRecord, "before_delete")
def _records_are_immutable(mapper, connection, target):  # C13: kept as published
    raise PermissionError("an archive record is never changed or deleted")
