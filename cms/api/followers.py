"""GET /followers/messages and GET /followers/figures (issue 15): a WeChat channel's follower
messages (and our answers), and the platform's figures, for its comment moderator
(comment.moderate, globally or for the channel)."""
from __future__ import annotations

from datetime import timedelta

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cms import workdays
from cms.api import bp
from cms.api.schemas import (
    DATE,
    ID,
    INT,
    PAGE,
    SCHEMAS,
    STR,
    TIME,
    array,
    enum,
    listing,
    nullable,
    obj,
    operation,
    query,
)
from cms.api.util import date_arg, id_arg, page_args
from cms.api.util import listing as paged
from cms.channels.models import Channel
from cms.errors import Refused
from cms.extensions import db
from cms.followers import policy, queries, rules
from cms.followers.models import FollowerMessage
from cms.web import requires

SCHEMAS.update({
    "FollowerMessage": obj({"id": INT, "channel_id": INT, "openid": STR, "direction": enum(("in", "out")),
                            "msg_id": nullable(STR), "content": STR, "sent_at": TIME,
                            "author": nullable(STR)}),
    "FollowerMessages": listing("FollowerMessage"),
    "Figures": obj({
        "channel": obj({"id": INT, "name": STR}), "begin": DATE, "end": DATE,
        "articles": array(obj({"msgid": STR, "title": STR, "read_user": INT, "read_count": INT, "share_user": INT,
                               "share_count": INT, "fav_user": INT, "days": INT, "post_id": nullable(INT)})),
        "users": array(obj({"date": DATE, "new_user": INT, "cancel_user": INT, "cumulate_user": nullable(INT)}))}),
})

CHANNEL = query("channel", {**ID}, "the WeChat channel's id (required)")


def _channel() -> Channel:
    channel_id = id_arg("channel")
    if channel_id is None:
        raise Refused(_("Name the channel: ?channel=<id>."), code="invalid", status=400,
                      fields={"channel": [_("Required.")]})
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.platform != "wechat":
        raise Refused(_("No such WeChat channel."), code="not_found", status=404)
    if not policy.can_view(current_user, channel):
        raise Refused(_("You do not moderate this channel's followers."), code="forbidden", status=403)
    return channel


def message_json(m: FollowerMessage) -> dict:
    return {"id": m.id, "channel_id": m.channel_id, "openid": m.openid, "direction": m.direction, "msg_id": m.msg_id,
            "content": m.content, "sent_at": m.sent_at.isoformat(),
            "author": m.author.username if m.author is not None else None}


@bp.get("/followers/messages")
@operation(answer="FollowerMessages", errors=(400, 403, 404), params=[
    CHANNEL, query("openid", {"type": "string", "maxLength": 64}, "one follower's conversation"), *PAGE])
@requires("comment.moderate")
def followers_messages():
    """A channel's follower messages and our answers, newest first (kept CMS_FOLLOWER_MESSAGE_RETENTION_DAYS)."""
    channel = _channel()
    page, per_page = page_args()
    q = select(FollowerMessage).where(FollowerMessage.channel_id == channel.id)
    openid = request.args.get("openid")
    if openid is not None:
        q = q.where(FollowerMessage.openid == openid[:64])
    q = q.order_by(FollowerMessage.sent_at.desc(), FollowerMessage.id.desc())
    return paged(db.paginate(q, page=page, per_page=per_page, error_out=False), message_json)


@bp.get("/followers/figures")
@operation(answer="Figures", errors=(400, 403, 404), params=[
    CHANNEL, query("from", DATE, "first day (default: 30 days before yesterday)"),
    query("to", DATE, "last day, inclusive (default: yesterday; at most 366 days)")])
@requires("comment.moderate")
def followers_figures():
    """The platform's figures of a channel as fetched (datacube): per article the reads and shares, per day the followers."""
    channel = _channel()
    default_begin, default_end = rules.fetch_range(workdays.today(), 30)
    begin, end = date_arg("from") or default_begin, date_arg("to") or default_end
    if end < begin or (end - begin) > timedelta(days=365):
        raise Refused(_("The days must run forward, at most 366 of them."), code="invalid", status=400,
                      fields={"to": [_("Not a valid range.")]})
    return jsonify(
        channel={"id": channel.id, "name": channel.name}, begin=begin.isoformat(), end=end.isoformat(),
        articles=[vars(a) for a in queries.article_rows(channel.id, begin, end)],
        users=[{"date": u.ref_date.isoformat(), "new_user": u.new_user, "cancel_user": u.cancel_user,
                "cumulate_user": u.cumulate_user} for u in queries.user_days(channel.id, begin, end)])
