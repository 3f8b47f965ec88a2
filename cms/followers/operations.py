"""The state changes of the follower side, each audited (never with a follower's words: the audit
trail outlives the retention of the messages).

    store_message(event) -> bool          a follower's text message (a stored CallbackEvent of kind
                                         text) into the inbox, in the callback's transaction (no
                                         commit); once per MsgId however often it is handled
    answer(user, channel, openid, text, confirmed) -> FollowerMessage
                                         a customer-service message (1.7) inside the 48-hour window
                                         (rules.window_open), screened like a post (C15, C16)
    purge(now=None) -> {channel id: deleted}
                                         messages older than CMS_FOLLOWER_MESSAGE_RETENTION_DAYS
    fetch_figures(channel, begin, end, user=None) -> dict
                                         datacube figures of the days, upserted per channel/day/msgid
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from cms import workdays
from cms.audit.service import record
from cms.channels.models import Channel
from cms.errors import Refused
from cms.extensions import db
from cms.followers import platform, policy, queries, rules
from cms.followers.models import IN, OUT, ArticleFigure, FollowerMessage, UserFigure
from cms.followers.screening import screen
from cms.transactions import operation

OPENID_MAX = 64


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# --- messages in -------------------------------------------------------------------------------

def store_message(event) -> bool:
    """The follower's text message of a stored callback event into the inbox (the caller commits).
    True when the message is in the inbox (now or before)."""
    fields = event.payload or {}
    msg_id, openid = _text(fields.get("MsgId"))[:64], _text(fields.get("FromUserName"))[:OPENID_MAX]
    if not msg_id or not openid:
        return False
    exists = db.session.scalar(select(FollowerMessage.id).where(
        FollowerMessage.channel_id == event.channel_id, FollowerMessage.msg_id == msg_id))
    if exists is not None:
        return True
    try:
        sent_at = datetime.fromtimestamp(int(_text(fields.get("CreateTime"))), UTC)
    except (ValueError, OverflowError, OSError):
        sent_at = event.received_at or workdays.now()
    message = FollowerMessage(channel_id=event.channel_id, openid=openid, direction=IN, msg_id=msg_id,
                              content=_text(fields.get("Content"))[:4000], sent_at=sent_at)
    db.session.add(message)
    db.session.flush()
    record("follower.message_received", message, after={"channel": event.channel_id, "openid": openid,
                                                        "msg_id": msg_id, "callback_event": event.id})
    return True


# --- answering -----------------------------------------------------------------------------------

def _field(message) -> dict:
    return {"text": [message]}


@operation
def answer(user, channel: Channel, openid: str, text: str, confirmed: bool = False) -> FollowerMessage:
    """Send `text` to the follower as a customer-service message. Refused (the text stays with the
    caller): not the moderator of this channel; empty or too long; the 48-hour window closed
    (1.7); an error of the screening (C15) or a warning not confirmed (C16); the platform's
    refusal, in Chinese (45015, 45047, ...)."""
    if not policy.can_answer(user, channel):
        raise Refused(_("You do not moderate this channel's followers."), code="forbidden", status=403)
    openid = _text(openid)
    last = queries.last_message_at(channel.id, openid) if openid else None
    if last is None:
        raise Refused(_("This follower has sent no message to this channel: there is nothing to answer."),
                      code="not_found", status=404)
    text = (text or "").strip()
    problem = rules.check_reply(text)
    if problem == "empty":
        raise Refused(_("Write the answer first."), code="invalid", status=422, fields=_field(_("Write the answer first.")))
    if problem == "too_long":
        msg = _("The answer is too long: at most %(n)d characters.", n=rules.REPLY_MAX)
        raise Refused(msg, code="invalid", status=422, fields=_field(msg))
    now = workdays.now()
    if not rules.window_open(last, now):
        closed = workdays.local(rules.window_closes_at(last)).strftime("%Y-%m-%d %H:%M")
        msg = _("The 48-hour window to answer closed at %(closed)s: WeChat takes a customer-service message "
                "only within 48 hours of the follower's last message. Wait for the follower to write again.",
                closed=closed)
        raise Refused(msg, code="45015", status=422, fields=_field(msg))
    from cms.content.service import wordlist

    errors, warnings = screen(text, wordlist())
    if errors:
        raise Refused(_("The answer cannot go out (C15, C16): %(why)s",
                        why="；".join(f.message for f in errors)), code="C15", status=422,
                      fields={"text": [f.message for f in errors]})
    if warnings and not confirmed:
        raise Refused(_("Check the answer (C16): %(why)s Tick the confirmation to send it as it is.",
                        why="；".join(f.message for f in warnings)), code="C16", status=422,
                      fields={"confirm": [f.message for f in warnings]})
    try:
        platform.send_text(channel, openid, text)
    except platform.FollowerCallError as e:
        code = str(e.errcode) if e.errcode is not None else "platform"
        raise Refused(_("WeChat did not take the answer: %(why)s", why=e.message), code=code, status=422,
                      fields=_field(e.message)) from None
    message = FollowerMessage(channel_id=channel.id, openid=openid, direction=OUT, content=text, sent_at=now,
                              author_id=user.id)
    db.session.add(message)
    db.session.flush()
    record("follower.answered", message, after={"channel": channel.id, "openid": openid, "length": len(text),
                                                "warnings_confirmed": [f.check for f in warnings]})
    db.session.commit()
    return message


# --- retention -----------------------------------------------------------------------------------

def retention_days() -> int:
    return max(1, int(current_app.config.get("FOLLOWER_MESSAGE_RETENTION_DAYS", 180)))


@operation
def purge(now: datetime | None = None) -> dict[int, int]:
    """Delete the messages (both ways) sent before the retention cutoff; one audit entry per channel
    that lost any: the count, the cutoff, the channel; never a message's content."""
    days = retention_days()
    cutoff = rules.purge_cutoff(now or workdays.now(), days)
    counts = dict(db.session.execute(
        select(FollowerMessage.channel_id, func.count(FollowerMessage.id))
        .where(FollowerMessage.sent_at < cutoff).group_by(FollowerMessage.channel_id)).all())
    for channel_id in sorted(counts):
        db.session.execute(delete(FollowerMessage).where(FollowerMessage.channel_id == channel_id,
                                                         FollowerMessage.sent_at < cutoff))
        channel = db.session.get(Channel, channel_id)
        record("follower.messages_purged", channel, after={
            "channel": channel.name if channel else channel_id, "deleted": counts[channel_id],
            "cutoff": cutoff.isoformat(), "retention_days": days})
    db.session.commit()
    return counts


# --- figures -------------------------------------------------------------------------------------

def _int(value) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _day(value) -> date | None:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return None


def _upsert(model, key: dict, values: dict) -> None:
    row = db.session.scalar(select(model).filter_by(**key))
    if row is None:
        db.session.add(model(**key, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)


@operation
def fetch_figures(channel: Channel, begin: date, end: date, user=None) -> dict:
    """The platform's figures of `begin`..`end`: getarticlesummary day by day, getusersummary and
    getusercumulate at most 7 days a call (rules.article_days, user_spans), each row upserted on its
    (channel, day[, msgid]): fetched twice, the same rows. A platform error (61500, 61501, ...)
    refuses the whole fetch, in Chinese; nothing of it is kept. Audited with the counts."""
    if user is not None and not policy.can_fetch(user, channel):
        raise Refused(_("You do not moderate this channel's followers."), code="forbidden", status=403)
    if channel.platform != "wechat":
        raise Refused(_("Only a WeChat channel reports figures."), code="invalid", status=422)
    if end < begin:
        raise Refused(_("The first day is after the last."), code="invalid", status=422)
    now = workdays.now()
    articles, days = 0, 0
    try:
        for day, _last in rules.article_days(begin, end):
            for item in platform.article_summary(channel, day):
                msgid, ref = _text(item.get("msgid"))[:64], _day(item.get("ref_date")) or day
                if not msgid:
                    continue
                _upsert(ArticleFigure, {"channel_id": channel.id, "ref_date": ref, "msgid": msgid}, {
                    "title": _text(item.get("title"))[:200], "read_user": _int(item.get("int_page_read_user")),
                    "read_count": _int(item.get("int_page_read_count")), "share_user": _int(item.get("share_user")),
                    "share_count": _int(item.get("share_count")), "fav_user": _int(item.get("add_to_fav_user")),
                    "fetched_at": now})
                articles += 1
        for first, last in rules.user_spans(begin, end):
            per_day: dict[date, dict] = {}
            for item in platform.user_summary(channel, first, last):
                ref = _day(item.get("ref_date"))
                if ref is None:
                    continue
                sums = per_day.setdefault(ref, {"new_user": 0, "cancel_user": 0, "cumulate_user": None})
                sums["new_user"] += _int(item.get("new_user"))
                sums["cancel_user"] += _int(item.get("cancel_user"))
            for item in platform.user_cumulate(channel, first, last):
                ref = _day(item.get("ref_date"))
                if ref is not None:
                    per_day.setdefault(ref, {"new_user": 0, "cancel_user": 0})["cumulate_user"] = _int(
                        item.get("cumulate_user"))
            for ref, values in per_day.items():
                _upsert(UserFigure, {"channel_id": channel.id, "ref_date": ref}, {**values, "fetched_at": now})
                days += 1
    except platform.FollowerCallError as e:
        raise Refused(_("WeChat did not report the figures: %(why)s", why=e.message),
                      code=str(e.errcode) if e.errcode is not None else "platform", status=422) from None
    result = {"channel": channel.name, "begin": begin.isoformat(), "end": end.isoformat(),
              "article_rows": articles, "user_days": days}
    record("follower.figures_fetched", channel, after=result)
    db.session.commit()
    return result


def fetch_all_figures(days: int | None = None) -> dict[int, dict | str]:
    """The daily fetch: every active WeChat channel with credentials, the last `days` days up to
    yesterday (CMS_FOLLOWER_FIGURES_DAYS, default 3: the platform revises recent days). One
    channel's failure does not stop the others."""
    days = days or int(current_app.config.get("FOLLOWER_FIGURES_DAYS", 3))
    begin, end = rules.fetch_range(workdays.today(), days)
    out: dict[int, dict | str] = {}
    for channel in queries.wechat_channels():
        if not channel.app_id or not channel.has_secret:
            continue
        try:
            out[channel.id] = fetch_figures(channel, begin, end)
        except Refused as e:
            out[channel.id] = e.message
    return out
