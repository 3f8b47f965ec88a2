"""Channels. (Credentials, publications and the outbox come with the publishing feature.)"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from cms.audit.service import record
from cms.content.themes import theme_from_dict, theme_to_dict
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.publishing.models import Channel


def channels() -> list[Channel]:
    return list(db.session.scalars(select(Channel).order_by(Channel.id)))


def get_channel(channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(_("No such channel."), code="not_found")
    return channel


def set_theme(channel: Channel, values: dict) -> Channel:
    """The channel's theme (C10: one format for every post of a channel). Revisions already saved
    keep the HTML they were rendered with; the next save of a post uses the new theme."""
    try:
        theme = theme_from_dict(values)
    except ValueError as e:
        raise Refused(str(e), code="C10", fields={"theme": [str(e)]}) from None
    before = dict(channel.theme or {})
    channel.theme = theme_to_dict(theme)
    record("channel.theme_changed", channel, before=before, after=channel.theme)
    db.session.commit()
    return channel
