"""What the follower pages read (no state changes)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select

from cms.channels.models import Channel, Publication
from cms.extensions import db
from cms.followers import rules
from cms.followers.models import IN, OUT, ArticleFigure, FollowerMessage, UserFigure


def wechat_channels() -> list[Channel]:
    return list(db.session.scalars(select(Channel).where(Channel.platform == "wechat", Channel.active.is_(True))
                                   .order_by(Channel.id)))


def last_message_at(channel_id: int, openid: str) -> datetime | None:
    """When the follower last wrote to the channel (the 48-hour window runs from it)."""
    return db.session.scalar(select(func.max(FollowerMessage.sent_at)).where(
        FollowerMessage.channel_id == channel_id, FollowerMessage.openid == openid, FollowerMessage.direction == IN))


@dataclass
class Conversation:
    openid: str
    last_in_at: datetime | None
    last_at: datetime
    count: int
    unanswered: bool  # the follower wrote after our last answer (or we never answered)
    preview: str

    @property
    def closes_at(self) -> datetime | None:
        return rules.window_closes_at(self.last_in_at)

    def window_open(self, now: datetime) -> bool:
        return rules.window_open(self.last_in_at, now)


def conversations(channel_id: int, limit: int = 200) -> list[Conversation]:
    """The channel's conversations by follower, newest first."""
    rows = db.session.execute(
        select(FollowerMessage.openid, FollowerMessage.direction, func.max(FollowerMessage.sent_at),
               func.count(FollowerMessage.id))
        .where(FollowerMessage.channel_id == channel_id)
        .group_by(FollowerMessage.openid, FollowerMessage.direction)).all()
    by_openid: dict[str, dict] = {}
    for openid, direction, last, count in rows:
        entry = by_openid.setdefault(openid, {"in": None, "out": None, "count": 0})
        entry[direction] = last
        entry["count"] += count
    latest = (select(func.max(FollowerMessage.id)).where(FollowerMessage.channel_id == channel_id)
              .group_by(FollowerMessage.openid).scalar_subquery())
    previews = dict(db.session.execute(select(FollowerMessage.openid, FollowerMessage.content)
                                       .where(FollowerMessage.id.in_(latest))).all())  # the newest row each
    out = []
    for openid, e in by_openid.items():
        last_in, last_out = e[IN], e[OUT]
        last_at = max(d for d in (last_in, last_out) if d is not None)
        preview = previews.get(openid) or ""
        unanswered = last_in is not None and (last_out is None or last_out < last_in)
        out.append(Conversation(openid, last_in, last_at, e["count"], unanswered, preview[:60]))
    out.sort(key=lambda c: (c.last_at, c.openid), reverse=True)
    return out[:limit]


def messages(channel_id: int, openid: str) -> list[FollowerMessage]:
    return list(db.session.scalars(select(FollowerMessage).where(
        FollowerMessage.channel_id == channel_id, FollowerMessage.openid == openid)
        .order_by(FollowerMessage.sent_at, FollowerMessage.id)))


def unanswered_count(channel_ids: list[int]) -> int:
    """Conversations of these channels whose follower wrote after our last answer (one query: the
    menu shows it on every page)."""
    if not channel_ids:
        return 0
    last_in = func.max(case((FollowerMessage.direction == IN, FollowerMessage.sent_at)))
    last_out = func.max(case((FollowerMessage.direction == OUT, FollowerMessage.sent_at)))
    rows = db.session.execute(select(last_in, last_out).where(FollowerMessage.channel_id.in_(channel_ids))
                              .group_by(FollowerMessage.channel_id, FollowerMessage.openid)).all()
    return sum(1 for i, o in rows if i is not None and (o is None or o < i))


# --- figures -------------------------------------------------------------------------------------

@dataclass
class ArticleRow:
    msgid: str
    title: str
    read_user: int
    read_count: int
    share_user: int
    share_count: int
    fav_user: int
    days: int
    post_id: int | None


def _post_by_msgid(channel_id: int) -> dict[str, int]:
    """{datacube msgid: post id} of the channel's publications that have a msg_data_id."""
    out = {}
    for pub in db.session.scalars(select(Publication).where(Publication.channel_id == channel_id,
                                                            Publication.msg_data_id.is_not(None))):
        index = (pub.bundle_index or 0) + 1
        out[rules.article_msgid(pub.msg_data_id, index)] = pub.post_id
    return out


def article_rows(channel_id: int, begin: date, end: date) -> list[ArticleRow]:
    """Per article: the figures of the days in `begin`..`end` added up, most read first."""
    rows = db.session.execute(
        select(ArticleFigure.msgid, func.max(ArticleFigure.title), func.sum(ArticleFigure.read_user),
               func.sum(ArticleFigure.read_count), func.sum(ArticleFigure.share_user),
               func.sum(ArticleFigure.share_count), func.sum(ArticleFigure.fav_user), func.count(ArticleFigure.id))
        .where(ArticleFigure.channel_id == channel_id, ArticleFigure.ref_date >= begin, ArticleFigure.ref_date <= end)
        .group_by(ArticleFigure.msgid)).all()
    posts = _post_by_msgid(channel_id)
    out = [ArticleRow(r[0], r[1] or "", int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0),
                      int(r[6] or 0), int(r[7] or 0), posts.get(r[0])) for r in rows]
    out.sort(key=lambda r: (-r.read_count, r.msgid))
    return out


def article_days(channel_id: int, begin: date, end: date) -> list[ArticleFigure]:
    return list(db.session.scalars(select(ArticleFigure).where(
        ArticleFigure.channel_id == channel_id, ArticleFigure.ref_date >= begin, ArticleFigure.ref_date <= end)
        .order_by(ArticleFigure.ref_date, ArticleFigure.msgid)))


def user_days(channel_id: int, begin: date, end: date) -> list[UserFigure]:
    return list(db.session.scalars(select(UserFigure).where(
        UserFigure.channel_id == channel_id, UserFigure.ref_date >= begin, UserFigure.ref_date <= end)
        .order_by(UserFigure.ref_date)))


def chart_data(channel_id: int, begin: date, end: date) -> dict:
    """What the figures page's charts draw: per day the reads and shares (all articles) and the
    new and cancelled followers."""
    reads: dict[str, list[int]] = {}
    for row in article_days(channel_id, begin, end):
        day = reads.setdefault(row.ref_date.isoformat(), [0, 0])
        day[0] += row.read_count
        day[1] += row.share_count
    users = {u.ref_date.isoformat(): (u.new_user, u.cancel_user) for u in user_days(channel_id, begin, end)}
    labels = sorted(set(reads) | set(users))
    return {"labels": labels,
            "reads": [reads.get(d, [0, 0])[0] for d in labels],
            "shares": [reads.get(d, [0, 0])[1] for d in labels],
            "new_user": [users.get(d, (0, 0))[0] for d in labels],
            "cancel_user": [users.get(d, (0, 0))[1] for d in labels]}
