"""Channels: one WeChat official account, Toutiao-style account or website feed (C1 C2).
Credentials, quotas and publications come with the publishing feature."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

PLATFORMS = ("wechat", "toutiao", "website")
CHANNEL_TYPES = ("brand", "sales", "employee_tools", "other")           # C1
AUDIENCES = ("employees", "partners", "public")                          # C1
LEVELS = ("group", "subsidiary", "employee_interactive", "department")   # C2


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

    def theme_obj(self):
        from cms.content.themes import theme_from_dict

        return theme_from_dict(self.theme or {})
