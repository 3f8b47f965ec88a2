"""Channels: one WeChat official account, Toutiao-style account or website feed (C1 C2), with its
encrypted credentials and their rotation date (C17) and its push quota (C18); and what went out on
them: each post's Publication and the 多图文 Bundles pushed together.

Secrets (the AppSecret, the callback token, the EncodingAESKey) are stored only as Fernet tokens
made with the app's ENCRYPTION_KEYS (cms/keys.py). They are decrypted by `secret()` and friends,
which only the client factory (`channels.clients.mp_client` / `toutiao_client`) and the callback
endpoint call: no page, API answer, log line or audit entry ever carries them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db
from cms.platforms.storage import platform_token  # noqa: F401  (the shared token table: registered with the models)

if TYPE_CHECKING:
    from cms.auth.models import User

PLATFORMS = ("wechat", "toutiao", "website")
CHANNEL_TYPES = ("brand", "sales", "employee_tools", "other")           # C1
AUDIENCES = ("employees", "partners", "public")                          # C1
LEVELS = ("group", "subsidiary", "employee_interactive", "department")   # C2
ACCOUNT_KINDS = ("service", "subscription")                              # WECHAT_API.md 4
CREDENTIAL_PLATFORMS = ("wechat", "toutiao")                             # the ones with an AppSecret


def _fernet():
    from flask import current_app

    from cms.keys import fernet

    return fernet(current_app.config["ENCRYPTION_KEYS"])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


class Channel(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    channel_type: Mapped[str] = mapped_column(String(20), default="brand")
    audience: Mapped[str] = mapped_column(String(16), default="public")
    level: Mapped[str] = mapped_column(String(24), default="group")
    account_kind: Mapped[str] = mapped_column(String(16), default="service")  # service | subscription
    theme: Mapped[dict] = mapped_column(JSON, default=dict)  # content.themes.theme_to_dict (C10)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    # Credentials (C17). app_id: the WeChat AppID or the Toutiao-style app_id; the *_enc columns hold
    # Fernet tokens, never the values.
    app_id: Mapped[str | None] = mapped_column(String(64))
    app_secret_enc: Mapped[str | None] = mapped_column(Text)
    callback_token_enc: Mapped[str | None] = mapped_column(Text)
    encoding_aes_key_enc: Mapped[str | None] = mapped_column(Text)
    # The key it replaced: WeChat's message-encryption FAQ asks to keep it and try it when the
    # current key cannot open a push (its servers switch over a while after the MP console's change).
    encoding_aes_key_previous_enc: Mapped[str | None] = mapped_column(Text)
    # The MP console's message encryption mode the callback endpoint holds pushes to: plaintext |
    # compatible | safe; None (not chosen): safe with a stored EncodingAESKey, else plaintext
    # (cms/channels/rules.py effective_mode). The mode decides, never the push's own parameters.
    callback_mode: Mapped[str | None] = mapped_column(String(16))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Days between rotations; None: CHANNEL_SECRET_MAX_AGE_DAYS (C17).
    rotation_days: Mapped[int | None]
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The API root for this channel; None: CMS_WECHAT_API_BASE_URL / CMS_TOUTIAO_API_BASE_URL.
    api_base_url: Mapped[str | None] = mapped_column(String(255))
    # Pushes per period (C18); None: by account kind (service 4 a month, subscription 1 a day).
    push_quota: Mapped[int | None]
    # Website channels: the feed's name (/feeds/<slug>.xml).
    slug: Mapped[str | None] = mapped_column(String(64), unique=True)

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])

    def theme_obj(self):
        from cms.articles.themes import theme_from_dict

        return theme_from_dict(self.theme or {})

    # --- credentials ----------------------------------------------------------------------------

    @property
    def has_secret(self) -> bool:
        return bool(self.app_secret_enc)

    @property
    def has_callback_token(self) -> bool:
        return bool(self.callback_token_enc)

    @property
    def has_encoding_aes_key(self) -> bool:
        return bool(self.encoding_aes_key_enc)

    def secret(self) -> str | None:
        """The AppSecret in clear: for the client factory only."""
        return decrypt(self.app_secret_enc) if self.app_secret_enc else None

    def callback_token(self) -> str | None:
        """The callback (server configuration) token in clear: for the callback endpoint only."""
        return decrypt(self.callback_token_enc) if self.callback_token_enc else None

    def encoding_aes_key(self) -> str | None:
        """The EncodingAESKey in clear: for the callback endpoint only."""
        return decrypt(self.encoding_aes_key_enc) if self.encoding_aes_key_enc else None

    def encoding_aes_keys(self) -> list[str]:
        """The current EncodingAESKey and the one it replaced, in clear, in the order to try them:
        for the callback endpoint only."""
        return [decrypt(enc) for enc in (self.encoding_aes_key_enc, self.encoding_aes_key_previous_enc) if enc]

    @property
    def effective_callback_mode(self) -> str:
        from cms.channels.rules import effective_mode

        return effective_mode(self.callback_mode, self.has_encoding_aes_key)

    @property
    def has_previous_encoding_aes_key(self) -> bool:
        return bool(self.encoding_aes_key_previous_enc)

    def set_secret(self, value: str | None) -> None:
        self.app_secret_enc = encrypt(value) if value else None

    def set_callback_token(self, value: str | None) -> None:
        self.callback_token_enc = encrypt(value) if value else None

    def set_encoding_aes_key(self, value: str | None) -> None:
        """A new key keeps the one it replaces as the previous key; none clears both (plaintext)."""
        current = self.encoding_aes_key()
        if value and current and value != current:
            self.encoding_aes_key_previous_enc = self.encoding_aes_key_enc
        elif not value:
            self.encoding_aes_key_previous_enc = None
        if value != current:
            self.encoding_aes_key_enc = encrypt(value) if value else None

    def __repr__(self) -> str:  # never the credentials
        return f"<Channel {self.id} {self.name} {self.platform}>"



# --- the outbox ---------------------------------------------------------------------------------

# A publication's states (DESIGN.md "Core model"). `submitted`: the platform accepted it and is still
# working (freepublish publishing, Toutiao reviewing, a push being sent). `cancelled`: it never went
# out because the post left its approved state first (an edit restarted the chain: C4).
PUBLICATION_STATES = ("scheduled", "sending", "submitted", "published", "failed", "cancelled", "withdrawn",
                      "removed_by_platform")
ACTIVE_STATES = ("scheduled", "sending", "submitted")  # the worker still has work to do
FINAL_STATES = ("published", "failed", "cancelled", "withdrawn", "removed_by_platform")
# The remote ids a publication may hold, each saved (committed) the moment the platform gives it.
REMOTE_ID_FIELDS = ("thumb_media_id", "draft_media_id", "publish_id", "article_id", "msg_id", "msg_data_id", "url")


class Bundle(db.Model):
    """多图文: up to 8 approved posts pushed to one WeChat channel together as one message (one push
    against the quota, C18), in the order the administrator set; each post keeps its own approvals
    and its own Publication (bundle_id, bundle_index). The bundle's state is its headline's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    channel: Mapped[Channel] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])
    publications: Mapped[list[Publication]] = relationship(back_populates="bundle",
                                                           order_by="Publication.bundle_index")

    def __repr__(self) -> str:
        return f"<Bundle {self.id} channel {self.channel_id}>"


class Publication(db.Model):
    """One post to one channel: the outbox row (DESIGN.md "Core model", "Publishing").

    Unique per post, channel and generation: a correction re-published later is generation 2, a new
    row, so the first one keeps what it sent. `next_attempt_at` is when the worker looks at it next
    (its due time at first, later the time of a retry or of the next status check); a worker holds
    a row through a lease (`lease_owner`, `lease_until`) so two workers never run it at once, and a
    killed worker's lease simply runs out. Remote ids are saved step by step: a worker resumes from
    them instead of making a second draft or a second publish."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"), index=True)
    generation: Mapped[int] = mapped_column(default=1)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id", ondelete="SET NULL"))
    # What it sends: the approved revision, by number and content hash (C4).
    revision_number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    push: Mapped[bool | None]  # WeChat: the supervisor's choice (C18); None elsewhere
    state: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the time asked for (C8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)  # failed tries so far
    last_error_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")  # in Chinese, for the administrator
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # {step: {"state": "started" | "done", "at": ISO time}}; steps: images, cover, draft, publish, push, status
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    image_urls: Mapped[dict] = mapped_column(JSON, default=dict)  # local src → the platform's URL
    thumb_media_id: Mapped[str | None] = mapped_column(String(128))  # WeChat cover; Toutiao: cover image id
    draft_media_id: Mapped[str | None] = mapped_column(String(128))  # WeChat draft; Toutiao: article_id
    publish_id: Mapped[str | None] = mapped_column(String(64))
    article_id: Mapped[str | None] = mapped_column(String(128))
    msg_id: Mapped[str | None] = mapped_column(String(32))
    msg_data_id: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(1000))
    # Idempotency key sent to the platform (clientmsgid of a push, client_id on Toutiao).
    client_ref: Mapped[str] = mapped_column(String(64), unique=True)
    # 多图文: the bundle this publication goes out in, and its place there (0 = the headline). Only
    # the headline is claimed by the worker; its run drives every member (bundles.py).
    bundle_id: Mapped[int | None] = mapped_column(ForeignKey("bundle.id", ondelete="SET NULL"), index=True)
    bundle_index: Mapped[int | None]
    override_reason: Mapped[str] = mapped_column(String(500), default="")  # a later day (C8), by a supervisor
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the first platform call
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    post = relationship("Post")
    channel: Mapped[Channel] = relationship()
    bundle: Mapped[Bundle | None] = relationship(back_populates="publications")
    scheduled_by = relationship("User", foreign_keys=[scheduled_by_id])

    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", "generation", name="uq_publication_post_channel_generation"),
        Index("ix_publication_state_next_attempt", "state", "next_attempt_at"),
    )

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def remote_ids(self) -> dict:
        """Every remote id known, for pages, the API and the archive (C13)."""
        out = {name: getattr(self, name) for name in REMOTE_ID_FIELDS if getattr(self, name)}
        if self.image_urls:
            out["images"] = dict(self.image_urls)
        return out

    def __repr__(self) -> str:
        return f"<Publication {self.id} post {self.post_id} → channel {self.channel_id} {self.state}>"
