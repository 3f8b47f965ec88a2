"""The outbox read: publications and what the pages, the API and the other modules ask of them.
No writes here.

    get_publication(id) -> Publication                  NotFound (404) if there is none
    publications_for(post, all_generations=False)       the latest generation per channel (or all)
    latest_publication(post_id, channel_id)             the newest generation on one channel, or None
    queue_today() / in_flight() / failures() / published_today()   the publish-today dashboard
    pushes_used(channel) -> {used, allowed, period, left}          C18: this period's pushes
    approved_submission(post)                           the post's approved submission, or None
    send_facts(post_ids) -> {post id: facts}            what C4 and C5 look at now (rules.send_blocker)
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from cms import workdays
from cms.channels import rules as rules_new
from cms.channels.models import Channel, Publication
from cms.content.models import Post, Revision
from cms.errors import NotFound
from cms.extensions import db


def get_publication(publication_id: int) -> Publication:
    pub = db.session.get(Publication, publication_id)
    if pub is None:
        raise NotFound(_("No such publication."), code="not_found")
    return pub


def publications_for(post: Post, *, all_generations: bool = False) -> list[Publication]:
    """The post's publications, the latest generation per channel (or every one), by channel."""
    rows = db.session.scalars(select(Publication).where(Publication.post_id == post.id)
                              .order_by(Publication.channel_id, Publication.generation.desc())).all()
    if all_generations:
        return list(rows)
    latest: dict[int, Publication] = {}
    for pub in rows:
        latest.setdefault(pub.channel_id, pub)
    return list(latest.values())


def latest_by_post(post_ids) -> dict[int, dict[int, Publication]]:
    """{post id: {channel id: its latest publication}} for many posts in one query (a list's rows)."""
    out: dict[int, dict[int, Publication]] = {}
    if not post_ids:
        return out
    rows = db.session.scalars(select(Publication).where(Publication.post_id.in_(list(post_ids)))
                              .order_by(Publication.channel_id, Publication.generation.desc()))
    for pub in rows:
        out.setdefault(pub.post_id, {}).setdefault(pub.channel_id, pub)
    return out


def latest_publication(post_id: int, channel_id: int) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.post_id == post_id,
                                                       Publication.channel_id == channel_id)
                             .order_by(Publication.generation.desc()).limit(1))


def _day_bounds(day) -> tuple[datetime, datetime]:
    zone = workdays.zone()
    start = datetime.combine(day, datetime.min.time(), zone)
    return start, start + timedelta(days=1)


def _shown(q):
    """The dashboard's rows name their post and channel: loaded with the rows (no query a row)."""
    return q.options(joinedload(Publication.post), joinedload(Publication.channel))


def queue_today(channel_ids: list[int] | None = None) -> list[Publication]:
    """Publications due today (CMS_TIMEZONE) and everything still waiting from before, by time."""
    _start, end = _day_bounds(workdays.today())
    q = select(Publication).where(Publication.state == "scheduled", Publication.due_at < end)
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(_shown(q).order_by(Publication.due_at, Publication.id)))


def in_flight(channel_ids: list[int] | None = None) -> list[Publication]:
    q = select(Publication).where(Publication.state.in_(("sending", "submitted")))
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(_shown(q).order_by(Publication.due_at, Publication.id)))


def failures(channel_ids: list[int] | None = None, days: int = 30) -> list[Publication]:
    since = workdays.now() - timedelta(days=days)
    q = select(Publication).where(Publication.state == "failed", Publication.updated_at >= since)
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(_shown(q).order_by(Publication.updated_at.desc())))


def published_today(channel_ids: list[int] | None = None) -> list[Publication]:
    start, end = _day_bounds(workdays.today())
    q = select(Publication).where(Publication.state == "published", Publication.published_at >= start,
                                  Publication.published_at < end)
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(_shown(q).order_by(Publication.published_at.desc())))


def pushes_used(channel: Channel) -> dict:
    """C18: pushes sent (a mass send reached the platform) in the channel's current period."""
    allowed, period = rules_new.push_allowance(channel.account_kind, channel.push_quota)
    now = workdays.local(workdays.now())
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    # A 多图文 bundle is one push: its members share one msg_id.
    used = db.session.scalar(select(func.count(func.distinct(Publication.msg_id))).where(
        Publication.channel_id == channel.id, Publication.push.is_(True), Publication.msg_id.is_not(None),
        Publication.updated_at >= start)) or 0
    return {"used": used, "allowed": allowed, "period": period, "left": max(allowed - used, 0)}


def approved_submission(post: Post):
    from cms.workflow.queries import active_submission

    sub = active_submission(post)
    return sub if sub is not None and sub.state == "approved" else None


def send_facts(post_ids) -> dict[int, dict]:
    """{post id: what C4 and C5 look at as it is now} (rules.send_blocker): the post's status and
    flag, its latest review's state and its latest revision's number and hash (not every
    revision's HTML), for many posts in one statement."""
    from cms.workflow.models import Submission

    latest = aliased(Revision)
    newest = select(func.max(latest.number)).where(latest.post_id == Post.id).correlate(Post).scalar_subquery()
    approval = select(Submission.state).where(Submission.post_id == Post.id, Submission.state.in_(
        ("active", "approved"))).order_by(Submission.id.desc()).limit(1).correlate(Post).scalar_subquery()
    rows = db.session.execute(
        select(Post.id, Post.status, Post.confidential, approval.label("submission"), Revision.number,
               Revision.content_hash.label("hash"))
        .join(Revision, (Revision.post_id == Post.id) & (Revision.number == newest))
        .where(Post.id.in_(list(post_ids))))
    return {row.id: row._asdict() for row in rows}
