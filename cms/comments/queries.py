"""What the comment pages and the API read (issue 15, C16): the moderation queue with each
comment's reply deadline, the articles, the saved replies and the response-time figures. Only the
channels the user moderates (comment.moderate for the channel, or globally)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from cms import workdays
from cms.channels.models import Channel
from cms.comments import policy, rules
from cms.comments.models import CommentThread, FollowerComment, ReplyTemplate
from cms.extensions import db


def reply_hours() -> float:
    return float(current_app.config.get("COMMENT_REPLY_HOURS") or 24)


def deadline_mode() -> str:
    mode = current_app.config.get("COMMENT_DEADLINE_MODE") or "working_hours"
    return mode if mode in rules.DEADLINE_MODES else "working_hours"


def due_at(created_at: datetime) -> datetime:
    """A comment's reply deadline by CMS_COMMENT_REPLY_HOURS and CMS_COMMENT_DEADLINE_MODE (C16)."""
    from cms.holidays import service as holidays

    return rules.reply_due(created_at, reply_hours(), deadline_mode(), holidays.overrides(),
                           workdays.working_hours(), workdays.zone())


@dataclass
class Row:
    comment: FollowerComment
    due_at: datetime
    state: str  # deleted | answered | overdue | unanswered

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


def row(comment: FollowerComment, now: datetime | None = None) -> Row:
    due = due_at(comment.created_at)
    return Row(comment, due, rules.comment_state(bool(comment.reply_text), comment.deleted, due,
                                                 now or workdays.now()))


def moderated_channels(user) -> list[Channel]:
    channels = db.session.scalars(select(Channel).where(Channel.platform == "wechat").order_by(Channel.id)).all()
    return [c for c in channels if policy.moderates(user, c.id)]


def threads(user, channel_id: int | None = None) -> list[CommentThread]:
    ids = [c.id for c in moderated_channels(user)]
    if channel_id is not None:
        ids = [i for i in ids if i == channel_id]
    if not ids:
        return []
    return db.session.scalars(select(CommentThread).where(CommentThread.channel_id.in_(ids))
                              .order_by(CommentThread.id.desc())).all()


def queue(user, channel_id: int | None = None, thread_id: int | None = None, state: str | None = None) -> list[Row]:
    """Comments of the user's channels. By state: unanswered (overdue included) and overdue oldest
    first; answered, featured, deleted and all newest first. Default: unanswered."""
    state = state or "unanswered"
    ids = [c.id for c in moderated_channels(user)]
    if channel_id is not None:
        ids = [i for i in ids if i == channel_id]
    if not ids:
        return []
    q = select(FollowerComment).where(FollowerComment.channel_id.in_(ids))
    if thread_id is not None:
        q = q.where(FollowerComment.thread_id == thread_id)
    live = FollowerComment.gone_on_platform.is_(False) & FollowerComment.deleted_at.is_(None)
    if state in ("unanswered", "overdue"):
        q = q.where(live, FollowerComment.reply_text.is_(None)).order_by(FollowerComment.created_at,
                                                                           FollowerComment.id)
    elif state == "answered":
        q = q.where(live, FollowerComment.reply_text.is_not(None)).order_by(FollowerComment.created_at.desc())
    elif state == "featured":
        q = q.where(live, FollowerComment.featured.is_(True)).order_by(FollowerComment.created_at.desc())
    elif state == "deleted":
        q = q.where(~live).order_by(FollowerComment.created_at.desc())
    else:
        q = q.order_by(FollowerComment.created_at.desc())
    now = workdays.now()
    rows = [row(c, now) for c in db.session.scalars(q)]
    if state == "overdue":
        rows = [r for r in rows if r.overdue]
    return rows


def templates() -> list[ReplyTemplate]:
    return db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)).all()


# --- figures --------------------------------------------------------------------------------------

@dataclass
class FigureRow:
    label: str
    count: int
    median_hours: str
    mean_hours: str
    late: int  # answered after the deadline
    overdue: int = 0  # unanswered and past the deadline now


def figures(user) -> dict[str, list[FigureRow]]:
    """Response time (comment → reply made in the CMS), median and mean in hours, per moderator
    and per channel; replies made late; comments overdue now. The user's channels only."""
    from cms.auth.models import User

    channels = {c.id: c for c in moderated_channels(user)}
    if not channels:
        return {"moderators": [], "channels": []}
    answered = db.session.scalars(select(FollowerComment).where(
        FollowerComment.channel_id.in_(list(channels)), FollowerComment.replied_by_id.is_not(None),
        FollowerComment.replied_at.is_not(None))).all()
    samples_user, samples_channel, late_user, late_channel = [], [], {}, {}
    for c in answered:
        seconds = (c.replied_at - c.created_at).total_seconds()
        samples_user.append((c.replied_by_id, seconds))
        samples_channel.append((c.channel_id, seconds))
        if c.replied_at > due_at(c.created_at):
            late_user[c.replied_by_id] = late_user.get(c.replied_by_id, 0) + 1
            late_channel[c.channel_id] = late_channel.get(c.channel_id, 0) + 1
    overdue: dict[int, int] = {}
    for r in queue(user, state="overdue"):
        overdue[r.comment.channel_id] = overdue.get(r.comment.channel_id, 0) + 1
    by_user = rules.response_figures(samples_user)
    by_channel = rules.response_figures(samples_channel)
    names = {u.id: u.real_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_(list(by_user) or [0])))}
    moderators = [FigureRow(names.get(uid, str(uid)), f["count"], rules.hours_text(f["median"]),
                            rules.hours_text(f["mean"]), late_user.get(uid, 0))
                  for uid, f in sorted(by_user.items(), key=lambda kv: names.get(kv[0], ""))]
    per_channel = []
    for cid, channel in channels.items():
        f = by_channel.get(cid)
        per_channel.append(FigureRow(channel.name, f["count"] if f else 0,
                                     rules.hours_text(f["median"]) if f else "",
                                     rules.hours_text(f["mean"]) if f else "", late_channel.get(cid, 0),
                                     overdue.get(cid, 0)))
    return {"moderators": moderators, "channels": per_channel}
