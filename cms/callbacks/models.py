"""Events the platforms push to us (WECHAT_API.md 2), kept once each: WeChat retries a callback up
to 3 times, so each is deduplicated on its key (MsgId, or FromUserName + CreateTime for events).
And the nonces of the pushes taken, held while their timestamp is fresh, so that an exact replay is
refused (cms/callbacks/nonces.py; CallbackNonce is the database cache, Redis the other)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db


class CallbackEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128))  # MsgId, or FromUserName + CreateTime
    kind: Mapped[str] = mapped_column(String(40))  # the MsgType, or the Event of an event
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # the parsed fields, never a secret
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("channel_id", "key", name="uq_callback_event_channel_key"),)

    def __repr__(self) -> str:
        return f"<CallbackEvent {self.id} channel {self.channel_id} {self.kind}>"


class CallbackNonce(db.Model):
    """One push taken (channel, timestamp, nonce): a second with the same three is a replay. The
    unique constraint is what makes two processes racing on one push take it once; rows whose
    expires_at has passed (the timestamp is no longer fresh, so the push is refused anyway) are
    deleted by the next claim."""
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (UniqueConstraint("channel_id", "timestamp", "nonce", name="uq_callback_nonce"),)

    def __repr__(self) -> str:
        return f"<CallbackNonce channel {self.channel_id} {self.timestamp} {self.nonce}>"
