"""Reads of the review workflow: inboxes, queues, timelines, what a step shows, the calendar, the
active submission and delegations. No writes."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from cms import workdays
from cms.auth.models import RoleAssignment, User
from cms.content.models import Post
from cms.extensions import db
from cms.workflow import engine
from cms.workflow.models import (
    Assignee,
    Delegation,
    Review,
    Submission,
)


def inbox_query(user):
    """Submissions whose current step waits for `user` (directly or as a deputy)."""
    holders = [h for h, d in active_delegations().items() if d == user.id]
    # IN, not JOIN + DISTINCT: PostgreSQL cannot compare the JSON columns DISTINCT would
    # each row shows its post (department, author) and step (version, assignees): loaded with the rows
    return (select(Submission).where(
        Submission.state == "active",
        Submission.id.in_(select(Assignee.submission_id).where(Assignee.user_id.in_([user.id, *holders]))))
        .options(joinedload(Submission.post).joinedload(Post.department),
                 joinedload(Submission.post).joinedload(Post.created_by),
                 joinedload(Submission.version), selectinload(Submission.assignees).joinedload(Assignee.user))
        .order_by(Submission.due_at))


def inbox_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(inbox_query(user).subquery())) or 0


def publish_queue() -> list[Submission]:
    """Every approved post not yet out (approved, or scheduled with a channel still to go), by its
    C8 day, the overdue first (issue 19: a post due on a later day is on the queue from the day it
    is approved, not only on its day)."""
    # each row's post and its channels are read (who may publish it): loaded with the rows
    return db.session.scalars(select(Submission).join(Post).where(
        Submission.state == "approved", Post.status.in_(("approved", "scheduled")))
        .options(contains_eager(Submission.post).selectinload(Post.channels))
        .order_by(Submission.publish_day, Submission.approved_at, Submission.id)).all()


def timeline(post: Post) -> list[Review]:
    return db.session.scalars(select(Review).where(Review.post_id == post.id).order_by(Review.id)).all()


def signatures(post: Post) -> list[Review]:
    """C11: every decision, with name, role, time, revision and comment."""
    return [r for r in timeline(post) if r.action in ("approve", "reject")]


def diff_base(user, post: Post, sub: Submission | None) -> int | None:
    # Approvals from earlier submissions count as stale: a reviewer's own still serves as their base.
    sigs = [engine.Signature(r.user_id, r.step if r.step is not None else -1, r.revision, r.action,
                             r.stale or sub is None or r.submission_id != sub.id)
            for r in signatures(post)]
    base = engine.diff_base(sigs, user.id, sub.step if sub else None)
    return base if base is not None and base != post.current.number else None


def step_view(post: Post, sub: Submission | None) -> dict | None:
    if sub is None or sub.step is None:
        return None
    steps = sub.version.step_objs()
    step = steps[sub.step]
    position = engine.chain_position(steps, sub.step, sub.post.important, sub.escalated)
    return {"index": sub.step, "role": step.role, "n": position["n"] or sub.step + 1, "total": position["total"],
            "optional": [steps[i].role for i in position["optional"]],
            "chain": [{"role": s.role, "optional": i in position["optional"], "current": i == sub.step,
                       "done": i < sub.step} for i, s in enumerate(steps)], "assignees": [a.user for a in sub.assignees],
            "due_at": sub.due_at, "may_edit": step.may_edit, "decides_push": step.decides_push,
            "may_escalate": step.may_escalate, "routing": sub.routing,
            "overdue": engine.is_overdue(sub.due_at, workdays.now())}


def reviewers_for_reassign() -> list[User]:
    return db.session.scalars(select(User).join(RoleAssignment).where(
        User.state == "active", RoleAssignment.role.in_(engine.REVIEW_ROLES)).distinct().order_by(User.id)).all()


def calendar_month(user, month, channel_id: int | None = None) -> dict:
    """Day → [entry] for the month of `month`, entry = {"post", "kind", "planned"}: what happened
    and what is planned (issue 19).

    - kind "published": the day it went out on a channel (its local day; once per day), a fact;
    - for a post not (fully) out: the day it is planned for, planned=True: a publication's
      scheduled day ("scheduled"), else its C8 day once approved ("approved"), else its planned date
      (its status: "draft", "in_review", "rejected").
    A post published before its planned day shows on the day it went out and not again on the
    planned day (the plan was superseded by what happened)."""
    from cms.channels.models import Publication
    from cms.content.models import post_channel
    from cms.content.policy import visible_posts

    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    zone = workdays.zone()
    t0 = datetime.combine(start, datetime.min.time(), zone)
    t1 = datetime.combine(end, datetime.min.time(), zone)
    latest = (select(Submission.post_id, func.max(Submission.id).label("sid"))
              .where(Submission.state == "approved").group_by(Submission.post_id).subquery())
    pubs_in_month = select(Publication.post_id).where(
        ((Publication.published_at >= t0) & (Publication.published_at < t1))
        | ((Publication.state == "scheduled") & (Publication.due_at >= t0) & (Publication.due_at < t1)))
    day = func.coalesce(Submission.publish_day, Post.planned_date)
    q = (select(Post, Submission.publish_day).outerjoin(latest, latest.c.post_id == Post.id)
         .outerjoin(Submission, Submission.id == latest.c.sid)
         .where(Post.status != "withdrawn", ((day >= start) & (day < end)) | Post.id.in_(pubs_in_month)))
    if channel_id:
        q = q.where(Post.id.in_(select(post_channel.c.post_id).where(post_channel.c.channel_id == channel_id)))
    rows = db.session.execute(visible_posts(user, q).order_by(Post.id)).all()
    pubs: dict[int, list] = {}
    if rows:
        pq = select(Publication).where(Publication.post_id.in_([p.id for p, _d in rows]))
        if channel_id:
            pq = pq.where(Publication.channel_id == channel_id)
        for pub in db.session.scalars(pq.order_by(Publication.post_id, Publication.channel_id,
                                                  Publication.generation.desc())):
            pubs.setdefault(pub.post_id, []).append(pub)
    days: dict = {}

    def put(d, post, kind, planned):
        if d is not None and start <= d < end and not any(e["post"] is post and e["kind"] == kind
                                                          for e in days.get(d, [])):
            days.setdefault(d, []).append({"post": post, "kind": kind, "planned": planned})

    for post, publish_day in rows:
        newest: dict[int, object] = {}
        for pub in pubs.get(post.id, []):
            newest.setdefault(pub.channel_id, pub)
        out = [p for p in newest.values() if p.published_at is not None and p.state in ("published",
                                                                                       "withdrawn",
                                                                                       "removed_by_platform")]
        for pub in out:
            put(workdays.local(pub.published_at).date(), post, "published", False)
        if post.status == "published":
            continue
        waiting = [p for p in newest.values() if p.state == "scheduled"]
        if waiting:
            for pub in waiting:
                put(workdays.local(pub.due_at).date(), post, "scheduled", True)
        elif not out:
            put(publish_day or post.planned_date, post, "approved" if publish_day else post.status, True)
    return days


def active_delegations(now: datetime | None = None) -> dict[int, int]:
    now = now or workdays.now()
    rows = db.session.scalars(select(Delegation).where(
        Delegation.starts_at <= now, Delegation.ends_at > now, Delegation.revoked_at.is_(None))).all()
    return {d.user_id: d.deputy_id for d in rows}


def active_submission(post: Post) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.post_id == post.id, Submission.state.in_(
        ("active", "approved"))).order_by(Submission.id.desc()).limit(1))


def latest_submission(post: Post) -> Submission | None:
    """The active submission, else the post's last one (approved, rejected, withdrawn...)."""
    return active_submission(post) or db.session.scalar(
        select(Submission).where(Submission.post_id == post.id).order_by(Submission.id.desc()).limit(1))
