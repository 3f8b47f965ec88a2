"""The outbox: one Publication per post and channel, scheduled the same day (C8) and run through the
channel's adapter by the worker, exactly once, with the push decision honoured (C18) and every
success archived (C13).

    schedule(user, post, at=None, override_reason=None) -> [Publication]   C4 C5 C8, audited
    retry(user, publication) -> Publication                                 a failed one, once fixed
    run_due(post_id=None) -> {id: state}     claim what is due (the post's first, then any) and run it
                                             on a bounded thread pool, refilled as threads free up
    run_publication(id, owner) -> state      one publication, as far as it goes now
    sweep() -> n                             enqueue a run for every post with something due
    publications_for(post) / queue_today() / in_flight() / failures()   (the API's JSON: cms/api/serializers.py)
    pushes_used(channel)                     C18: pushes sent in the channel's current period

Claiming: a worker takes a row by setting its lease (`lease_owner`, `lease_until`) with a
conditional UPDATE, after `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (on SQLite writers are
serialised, so the conditional UPDATE alone decides; one worker is the design there, though a
second would be safe). Every save renews the
lease and fails if another worker took the row, so two workers never drive one publication; a
killed worker's lease runs out (CMS_PUBLISH_LEASE_SECONDS) and the next run resumes from the
remote ids saved so far.

SQLite: the shared token storage writes on its own connection, so no platform is ever called while
this session holds an uncommitted write: each step commits before the adapter calls out, and each
remote id is committed the moment it is known.

Settings (app config, CMS_* in the environment):
    PUBLISH_MAX_ATTEMPTS (5)           tries before a retryable error fails the publication
    PUBLISH_POOL (200)                 threads one run uses, one per publication in flight (fan-out:
                                       a post's channels in parallel, bench/publish_fanout.py; all
                                       that fall due together started at once, starts.py)
    PUBLISH_LEASE_SECONDS (120)        how long a claim lasts without a save
    PUBLISH_INLINE_WAIT_SECONDS (5)    retries and status checks due within this wait in the same run;
                                       later ones go back to the queue with their time as ETA
    PUBLISH_POLL_SECONDS (2)           first status check after submitting; doubles up to 5 minutes
    PUBLISH_RETRY_SCALE (1.0)          multiplies every retry and poll delay (0 in tests)
    PUBLISH_BATCH (200)                publications one claim takes at most

Timing: a publication scheduled for later is enqueued (Huey ETA) PREARM seconds early and its task
waits for the exact time, since Huey moves due tasks to the queue only once a second. When many fall
due together, one transaction takes the first step of them all (cms/publishing/begin.py), then the
worker starts them in turn and each makes its first call before any makes a later one
(cms/publishing/starts.py; bench/schedule_lateness.py).
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from cms import workdays
from cms.archive import service as archive
from cms.audit.service import record
from cms.content import images
from cms.content.models import Asset, Post, Revision
from cms.content.rules import publishing_blockers
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.platforms import retry_delay
from cms.publishing import policy, rules, starts
from cms.publishing.channels import adapter_for
from cms.publishing.channels.base import LOCAL_ASSET, Article, PlatformError, Status, local_images
from cms.publishing.models import ACTIVE_STATES, FINAL_STATES, Channel, Publication

log = logging.getLogger(__name__)

POLL_MAX = 300  # seconds between status checks at most
INLINE_POLLS = 3  # status checks one run makes before it leaves the rest to a later run
PREARM = 1.0  # seconds a scheduled task fires early, then waits for its exact time
STEP_LABELS = {
    "images": "上传正文图片",
    "cover": "上传封面",
    "draft": "创建草稿",
    "publish": "发表",
    "push": "群发推送",
    "status": "查询发布状态",
    "withdraw": "撤回",
}


def setting(name: str):
    return current_app.config[name]  # defaults in cms/config.py (CMS_PUBLISH_*)


class LeaseLost(Exception):
    """Another worker holds this publication now (our lease ran out): stop touching it."""


# --- reading -------------------------------------------------------------------------------------

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


def _latest(post_id: int, channel_id: int) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.post_id == post_id,
                                                       Publication.channel_id == channel_id)
                             .order_by(Publication.generation.desc()).limit(1))


def _day_bounds(day) -> tuple[datetime, datetime]:
    zone = workdays.zone()
    start = datetime.combine(day, datetime.min.time(), zone)
    return start, start + timedelta(days=1)


def queue_today(channel_ids: list[int] | None = None) -> list[Publication]:
    """Publications due today (CMS_TIMEZONE) and everything still waiting from before, by time."""
    _start, end = _day_bounds(workdays.today())
    q = select(Publication).where(Publication.state == "scheduled", Publication.due_at < end)
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(q.order_by(Publication.due_at, Publication.id)))


def in_flight(channel_ids: list[int] | None = None) -> list[Publication]:
    q = select(Publication).where(Publication.state.in_(("sending", "submitted")))
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(q.order_by(Publication.due_at, Publication.id)))


def failures(channel_ids: list[int] | None = None, days: int = 30) -> list[Publication]:
    since = workdays.now() - timedelta(days=days)
    q = select(Publication).where(Publication.state == "failed", Publication.updated_at >= since)
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(q.order_by(Publication.updated_at.desc())))


def published_today(channel_ids: list[int] | None = None) -> list[Publication]:
    start, end = _day_bounds(workdays.today())
    q = select(Publication).where(Publication.state == "published", Publication.published_at >= start,
                                  Publication.published_at < end)
    if channel_ids is not None:
        q = q.where(Publication.channel_id.in_(channel_ids))
    return list(db.session.scalars(q.order_by(Publication.published_at.desc())))


def pushes_used(channel: Channel) -> dict:
    """C18: pushes sent (a mass send reached the platform) in the channel's current period."""
    allowed, period = rules.push_allowance(channel.account_kind, channel.push_quota)
    now = workdays.local(workdays.now())
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    # A 多图文 bundle is one push: its members share one msg_id.
    used = db.session.scalar(select(func.count(func.distinct(Publication.msg_id))).where(
        Publication.channel_id == channel.id, Publication.push.is_(True), Publication.msg_id.is_not(None),
        Publication.updated_at >= start)) or 0
    return {"used": used, "allowed": allowed, "period": period, "left": max(allowed - used, 0)}


# --- scheduling (C4 C5 C8) -----------------------------------------------------------------------

def may_schedule(user, post: Post) -> bool:
    """The account administrator or the platform supervisor of every target channel (issue 13:
    asked per channel, cms/publishing/policy.py)."""
    return policy.can_schedule(user, post)


def may_publish_channel(user, channel: Channel) -> bool:
    return policy.can_publish_on(user, channel)


def _approved_submission(post: Post):
    from cms.workflow.service import active_submission

    sub = active_submission(post)
    return sub if sub is not None and sub.state == "approved" else None


def parse_at(value) -> datetime | None:
    """An ISO-8601 time with its offset (API.md), or None for now. Raises Refused (400)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise Refused(_("at must be an ISO-8601 time with its offset, e.g. 2026-05-04T15:30:00+08:00."),
                          code="invalid", status=400, fields={"at": [_("Not a time with an offset.")]}) from None
    if at.tzinfo is None:
        raise Refused(_("at must carry its UTC offset, e.g. +08:00."), code="invalid", status=400,
                      fields={"at": [_("Not a time with an offset.")]})
    return at


def approved_for_sending(post: Post):
    """The post's approved submission; Refused unless the post is approved (C4) and not
    confidential (C5)."""
    sub = _approved_submission(post)
    if post.status not in ("approved", "scheduled") or sub is None:
        raise Refused(_("Only an approved post is published: this one has not completed its review chain (C4)."),
                      code="C4")
    blockers = publishing_blockers(post.confidential)
    if blockers:
        raise Refused(_("This post is marked confidential: the platform supervisor must clear the flag before "
                        "it is published (C5)."), code=blockers[0])
    return sub


def check_day(user, sub, at: datetime | None, override_reason: str | None,
              channels: list[Channel] | None = None) -> tuple[datetime, str]:
    """(the time, the override reason kept) for sending the approved `sub`'s post at `at` (default
    now) to `channels` (default: all the post's). C8: its day is the later of the approval day and
    the planned day; a later one only by the platform supervisor of every one of those channels,
    with a reason."""
    may_override = policy.can_override_day(user, sub.post.channels if channels is None else channels)
    now = workdays.now()
    at = max(at or now, now)
    reason = (override_reason or "").strip()[:500]
    day = workdays.local(at).date()
    c8_day = max(workdays.today(), sub.publish_day or workdays.today())
    if day > c8_day:
        if not may_override:
            raise Refused(_("An approved post goes out the same day (C8): %(day)s is later than %(c8)s. Only the "
                            "platform supervisor may set a later day, with a reason.", day=day.isoformat(),
                            c8=c8_day.isoformat()), code="C8", fields={"at": [_("Today only (C8).")]})
        if not reason:
            raise Refused(_("A later day than %(c8)s breaks C8: give the reason for the exception.",
                            c8=c8_day.isoformat()), code="C8",
                          fields={"override_reason": [_("Required for a later day (C8).")]})
    elif reason and not may_override:
        reason = ""  # an override reason means nothing on the day itself
    return at, reason


def schedule(user, post: Post, at: datetime | None = None, override_reason: str | None = None) -> list[Publication]:
    """Queue the approved post for each of its channels at `at` (default now) today in
    CMS_TIMEZONE. Refused: a post not approved (C4), a confidential one (C5), a later day than its
    C8 day unless the supervisor overrides with a reason (recorded and audited). A publication not
    started yet is moved to the new time; a failed one is tried again; one in flight or published
    is left alone."""
    if not may_schedule(user, post):
        raise Refused(_("Only the account administrator or the platform supervisor of every one of the post's "
                        "channels schedules it."), code="forbidden", status=403)
    sub = approved_for_sending(post)
    channels = [c for c in post.channels]
    if not channels:
        raise Refused(_("The post has no target channel."), code="invalid", fields={"channels": [_("Required.")]})
    inactive = [c.name for c in channels if not c.active]
    if inactive:
        raise Refused(_("Channel %(names)s is inactive.", names="、".join(inactive)), code="invalid")
    now = workdays.now()
    at, reason = check_day(user, sub, at, override_reason, channels)
    touched: list[Publication] = []
    for channel in channels:
        push = bool((sub.push or {}).get(str(channel.id))) if channel.platform == "wechat" else None
        pub = queue_channel(user, post, sub, channel, at, reason, push=push)
        if pub is not None:
            touched.append(pub)
    if not touched:
        raise Conflict(_("Every channel of this post is already publishing or published."), code="conflict")
    before = post.status
    post.status = "scheduled"
    post.updated_at = now
    record("post.scheduled", post, before={"status": before},
           after={"status": "scheduled", "at": at.isoformat(), "override_reason": reason or None,
                  "channels": [p.channel_id for p in touched]}, actor=user)
    db.session.commit()
    enqueue(post.id, at)
    return touched


def queue_channel(user, post: Post, sub, channel: Channel, at: datetime, reason: str, *, push: bool | None,
                  bundle=None, index: int | None = None) -> Publication | None:
    """The post's current revision queued for one channel at `at` (in a bundle at `index`, or
    alone), audited, not committed. A publication not started yet is moved; a failed one is tried
    again; one in flight or out, or waiting in a 多图文 bundle, is left alone (None): never sent
    twice. A scheduled one of an older revision is cancelled and a new generation made."""
    now, rev = workdays.now(), post.current
    latest = _latest(post.id, channel.id)
    if latest is not None and latest.state in ("sending", "submitted", "published"):
        return None
    if latest is not None and latest.active and latest.bundle_id is not None and bundle is None:
        return None  # it goes out with its bundle (bundles.py)
    bundled = {"bundle_id": bundle.id if bundle is not None else None, "bundle_index": index}
    if latest is not None and latest.state in ("scheduled", "failed") and latest.revision_number == rev.number:
        before = {"state": latest.state, "due_at": latest.due_at.isoformat(), "bundle": latest.bundle_id}
        if latest.state == "failed":
            _reset_for_retry(latest, at)
        latest.due_at = latest.next_attempt_at = at
        latest.push, latest.override_reason = push, reason
        latest.bundle_id, latest.bundle_index = bundled["bundle_id"], index
        latest.updated_at = now
        action = "publication.rescheduled" if before["state"] == "scheduled" else "publication.scheduled"
        record(action, latest, before=before, after=_audit_facts(latest), actor=user)
        return latest
    if latest is not None and latest.state == "scheduled":
        _set_state(latest, "cancelled", note="superseded by a newer revision")
    generation = latest.generation + 1 if latest is not None else 1
    pub = Publication(post_id=post.id, channel_id=channel.id, generation=generation, submission_id=sub.id,
                      revision_number=rev.number, content_hash=rev.content_hash, push=push, state="scheduled",
                      due_at=at, next_attempt_at=at, client_ref=uuid.uuid4().hex, override_reason=reason,
                      scheduled_by_id=user.id, progress={}, image_urls={}, created_at=now, updated_at=now, **bundled)
    db.session.add(pub)
    db.session.flush()
    record("publication.scheduled", pub, after=_audit_facts(pub), actor=user)
    return pub


def retry(user, pub: Publication) -> Publication:
    """Try a failed publication again once its cause is fixed (the platform's reason was shown).
    What it already holds (images, cover, draft) is kept; a failed publish or push starts afresh.
    A 多图文 bundle is tried again whole (its failed members, under its headline)."""
    if not may_publish_channel(user, pub.channel):
        raise Refused(_("Only the channel's account administrator retries its publications."),
                      code="forbidden", status=403)
    if pub.state != "failed":
        raise Conflict(_("Only a failed publication is retried."), code="conflict")
    post = pub.post
    if post.status not in rules.SENDABLE_POST_STATES or _approved_submission(post) is None \
            or post.current.number != pub.revision_number:
        raise Refused(_("The post changed after this publication was scheduled: it goes out again once the new "
                        "revision is approved (C4)."), code="C4")
    blockers = publishing_blockers(post.confidential)
    if blockers:
        raise Refused(_("This post is marked confidential: the platform supervisor must clear the flag before "
                        "it is published (C5)."), code=blockers[0])
    # The other members of its bundle go again with it; one that changed meanwhile is left out at
    # send time (C4).
    group = [pub] if pub.bundle_id is None else \
        [p for p in pub.bundle.publications if p.state == "failed" and p.bundle_index is not None]
    now = workdays.now()
    for p in group:
        _reset_for_retry(p, now)
        record("publication.retried", p, before={"state": "failed"}, after=_audit_facts(p), actor=user)
        _settle_post(p.post)
    db.session.commit()
    enqueue(group[0].post_id)
    return pub


def _reset_for_retry(pub: Publication, at: datetime) -> None:
    progress = dict(pub.progress or {})
    failed_step = progress.get("failed_step")
    if failed_step == "status":
        # The platform said the publish or push itself failed (publish_status 2-4, SEND_FAIL, or an
        # answer lost for good): send again from the draft, with a new clientmsgid (the old one names
        # the failed push). A publish or push step that failed is kept as it is: if its call is in
        # doubt, the next run resolves it (45065 for a push, 53501/40007 for a publish).
        history = list(progress.get("history", []))
        history.append({k: getattr(pub, k) for k in ("publish_id", "msg_id", "msg_data_id", "article_id")
                        if getattr(pub, k)})
        progress = {k: v for k, v in progress.items() if k not in ("publish", "push", "status")}
        progress["history"] = history
        pub.publish_id = pub.msg_id = pub.msg_data_id = pub.article_id = None
        pub.client_ref = uuid.uuid4().hex
    progress.pop("failed_step", None)
    pub.progress = progress
    pub.state = "scheduled"
    pub.attempts = 0
    pub.due_at = pub.next_attempt_at = at
    pub.lease_owner = pub.lease_until = None
    pub.updated_at = workdays.now()


def _audit_facts(pub: Publication) -> dict:
    return {"post": pub.post_id, "channel": pub.channel_id, "generation": pub.generation,
            "revision": pub.revision_number, "hash": pub.content_hash, "push": pub.push, "state": pub.state,
            "due_at": pub.due_at.isoformat(), "override_reason": pub.override_reason or None,
            **({"bundle": pub.bundle_id, "bundle_index": pub.bundle_index} if pub.bundle_id else {})}


def enqueue(post_id: int, at: datetime | None = None) -> None:
    """Ask the worker to run the post's publications at `at` (Huey ETA) or now. A lost enqueue is
    not fatal: the minute sweep finds every publication due."""
    try:
        from cms.publishing.tasks import publish_due

        if at is not None and at > workdays.now() + timedelta(seconds=PREARM):
            # Huey moves due tasks to the queue once a second: fire up to PREARM early and let the
            # task wait for the exact time (outbox lateness, bench/schedule_lateness.py).
            publish_due.schedule(args=(post_id, at.isoformat()), eta=at - timedelta(seconds=PREARM))
        elif at is not None and at > workdays.now():
            publish_due(post_id, at.isoformat())
        else:
            publish_due(post_id)
    except Exception:  # noqa: BLE001 - the queue is down: the sweep catches up
        log.exception("could not enqueue the publications of post %s; the sweep will", post_id)


def wait_until(when: str | None) -> None:
    """Sleep until `when` (ISO-8601), at most PREARM + 1 seconds: a task that fired early."""
    if not when:
        return
    try:
        at = datetime.fromisoformat(when)
    except ValueError:
        return
    delay = (at - workdays.now()).total_seconds()
    if delay > 0:
        time.sleep(min(delay, PREARM + 1))


# --- claiming ------------------------------------------------------------------------------------

# What a worker claims: a publication alone, or the headline of a 多图文 bundle (its run takes the rest).
RUNS_ITSELF = or_(Publication.bundle_id.is_(None), Publication.bundle_index == 0)


def claim(post_id: int | None = None, limit: int | None = None, owner: str | None = None,
          exclude: set[int] | frozenset = frozenset()) -> tuple[str, list[int]]:
    """Take the due, unclaimed publications (of one post, or all; none of `exclude`) for this run:
    (owner, ids)."""
    owner = owner or uuid.uuid4().hex
    now = workdays.now()
    limit = limit or int(setting("PUBLISH_BATCH"))
    free = or_(Publication.lease_until.is_(None), Publication.lease_until < now)
    q = select(Publication.id).where(Publication.state.in_(ACTIVE_STATES), Publication.next_attempt_at <= now, free,
                                     RUNS_ITSELF)
    if post_id is not None:
        q = q.where(Publication.post_id == post_id)
    if exclude:
        q = q.where(Publication.id.not_in(list(exclude)))
    q = q.order_by(Publication.next_attempt_at, Publication.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    db.session.commit()  # start from a clean transaction
    ids = list(db.session.scalars(q))
    if not ids:
        db.session.rollback()
        return owner, []
    lease = now + timedelta(seconds=float(setting("PUBLISH_LEASE_SECONDS")))
    db.session.execute(update(Publication).where(Publication.id.in_(ids), free)
                       .values(lease_owner=owner, lease_until=lease).execution_options(synchronize_session=False))
    db.session.commit()
    got = list(db.session.scalars(select(Publication.id).where(Publication.id.in_(ids),
                                                               Publication.lease_owner == owner)
                                  .order_by(Publication.id)))
    return owner, got


def _release(pub: Publication, owner: str) -> None:
    db.session.execute(update(Publication).where(Publication.id == pub.id, Publication.lease_owner == owner)
                       .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))


# --- running -------------------------------------------------------------------------------------

def run_due(post_id: int | None = None) -> dict[int, str]:
    """Run what is due: the post's publications first (or any), each channel in parallel on a
    bounded pool (CMS_PUBLISH_POOL), each thread in its own app context and session, each
    publication independent of the others (fan-out). Whenever a thread frees up it takes the next
    due publication, of this post or another one, until nothing due is left unclaimed: the tasks
    that fire together share the work instead of waiting for each other. Every claimed publication
    makes its first call before any makes a later one (cms/publishing/starts.py)."""
    from cms.publishing.begin import begin

    size = max(1, int(setting("PUBLISH_POOL")))
    owner = uuid.uuid4().hex
    app = current_app._get_current_object()
    results: dict[int, str] = {}
    begun: set[int] = set()

    def one(pub_id: int) -> str:
        starts.bind(True)  # first calls before later ones (cms/publishing/starts.py)
        try:
            with starts.STARTS.turn(pub_id), app.app_context():
                return _run_guarded(pub_id, owner, begun=pub_id in begun)
        finally:
            starts.bind(False)

    def more(free: int) -> list[int]:
        # Each publication once per run: one left due again (a retry or status check not waited
        # for) belongs to a later run, not to this loop.
        ids = claim(post_id, limit=free, owner=owner, exclude=set(results) | set(running.values()))[1] \
            if post_id is not None else []
        if len(ids) < free:
            ids += claim(None, limit=free - len(ids), owner=owner,
                         exclude=set(results) | set(running.values()) | set(ids))[1]
        return ids

    running: dict = {}
    with ThreadPoolExecutor(max_workers=size, thread_name_prefix="publish") as pool:
        while True:
            free = size - len(running)
            if free:
                ids = more(free)
                begun.update(begin(ids, owner))  # their first step in one transaction (begin.py)
                starts.STARTS.add(ids)
                for pub_id in ids:
                    running[pool.submit(one, pub_id)] = pub_id
            if not running:
                return results
            finished, _pending = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                results[running.pop(future)] = future.result()


def _run_guarded(pub_id: int, owner: str, *, begun: bool = False) -> str:
    """run_publication; an unexpected error leaves the publication for a later run, never stuck.
    While it runs, commits keep the loaded objects (the lease makes this run the row's only
    writer), which spares a reload after each of the many small commits."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        return run_publication(pub_id, owner, begun=begun)
    except LeaseLost:
        db.session.rollback()
        return "lost"
    except Exception:
        log.exception("publication %s: unexpected error", pub_id)
        db.session.rollback()
        try:
            pub = db.session.get(Publication, pub_id)
            if pub is not None and pub.lease_owner == owner and pub.active:
                pub.last_error, pub.last_error_code, pub.last_error_at = "内部错误，稍后自动重试", None, workdays.now()
                pub.next_attempt_at = workdays.now() + timedelta(seconds=60)
                pub.lease_owner = pub.lease_until = None
                db.session.commit()
        except Exception:  # noqa: BLE001 - the database itself is failing: the lease runs out
            log.exception("publication %s: could not record the error", pub_id)
            db.session.rollback()
        return "error"
    finally:
        session.expire_on_commit = expire


class Job:
    """One publication being worked on by one run: what it sends, and saving what it learns."""

    def __init__(self, pub: Publication, owner: str):
        self.publication = pub
        self.owner = owner
        self.channel = pub.channel
        self.post = pub.post
        self.revision = db.session.scalar(select(Revision).where(Revision.post_id == pub.post_id,
                                                                 Revision.number == pub.revision_number))
        self.article = self.article_of(self.post, self.revision)

    @property
    def mine(self) -> set[str]:
        """The steps this run started (their calls are not in doubt); made on first use, so a
        subclass with its own __init__ (workflow.preview.PreviewJob) has it too."""
        return self.__dict__.setdefault("_mine", set())

    @staticmethod
    def article_of(post: Post, rev: Revision) -> Article:
        """What goes out of one revision, as the platforms take it."""
        return Article(title=rev.title, author=rev.author, digest=rev.digest, html=rev.html,
                       source_url=rev.source_url or "", open_comments=bool(post.open_comments),
                       original=rev.source_kind != "reprint", has_cover=rev.cover_asset_id is not None,
                       images=local_images(rev.html))

    @property
    def push(self) -> bool:
        return bool(self.publication.push) and self.channel.platform == "wechat"

    @property
    def members(self) -> list[Job]:
        """The articles that go out together: this one alone (a bundle has several)."""
        return [self]

    @property
    def pubs(self) -> list[Publication]:
        return [m.publication for m in self.members]

    def reload(self, *names: str) -> None:
        """Read again what another process may have written meanwhile (the callback endpoint
        fills `url`, `article_id`): this run keeps its loaded rows across commits."""
        for pub in self.pubs:
            db.session.refresh(pub, list(names))

    def drop_blocked(self) -> bool:
        """Finish the publication unsent if it must not go out now (C4 C5); True: nothing left."""
        blocked = _send_blocker(self.publication)
        if blocked:
            _finish_unsent(self.publication, *blocked)
        return blocked is not None

    # --- what goes out --------------------------------------------------------------------------

    @staticmethod
    def _stored(asset: Asset) -> images.StoredImage:
        b = asset.blob
        return images.StoredImage(data=b.data, format=b.format, width=b.width, height=b.height, bytes=b.bytes,
                                  sha256=b.sha256)

    def image(self, src: str, purpose: str) -> images.StoredImage:
        m = LOCAL_ASSET.match(src)
        asset = db.session.get(Asset, int(m.group(1))) if m else None
        if asset is None:
            raise PlatformError("permanent", None, f"文章中的图片 {src} 已不存在", step="images")
        stored = self._stored(asset)
        return _fit((stored.sha256, purpose), lambda: images.fit_for_wechat(stored, purpose))

    def cover(self, purpose: str) -> images.StoredImage | None:
        rev = self.revision
        if rev.cover_asset_id is None:
            return None
        asset = db.session.get(Asset, rev.cover_asset_id)
        return _cover(self._stored(asset), (rev.cover_focus_x, rev.cover_focus_y), purpose)

    # --- saving (each commits at once) ----------------------------------------------------------

    def _commit(self) -> None:
        pub, now = self.publication, workdays.now()
        pub.updated_at = now
        db.session.flush()
        lease = now + timedelta(seconds=float(setting("PUBLISH_LEASE_SECONDS")))
        held = db.session.execute(update(Publication).where(Publication.id == pub.id,
                                                            Publication.lease_owner == self.owner)
                                  .values(lease_until=lease).execution_options(synchronize_session=False))
        if held.rowcount != 1:
            db.session.rollback()
            raise LeaseLost(pub.id)
        db.session.commit()
        self._after_first_call()

    def save(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.publication, name, value)
        self._commit()

    def save_image(self, src: str, url: str, *, last: bool = False) -> None:
        """One image's platform URL; `last`: the images step is done with it (one commit)."""
        self.publication.image_urls = {**(self.publication.image_urls or {}), src: url}
        if last:
            self.publication.progress = self._mark("images", "done")
        self._commit()

    def _mark(self, step: str, state: str) -> dict:
        progress = dict(self.publication.progress or {})
        first = progress.get(step, {}).get("ts")  # when the step first started (lost calls are looked for since)
        progress[step] = {**progress.get(step, {}), "state": state, "at": workdays.now().isoformat(),
                          **({"ts": first or time.time()} if state == "started" else {})}
        return progress

    def started(self, step: str) -> None:
        """Mark `step` under way (committed) before its call goes out; once per run."""
        if step in self.mine and self.is_started(step, mine=True):
            return
        self.mine.add(step)
        self.save(progress=self._mark(step, "started"))

    def done(self, step: str, *, then: str | None = None, **fields) -> None:
        """`step` done with the ids it got; `then`: the next step marked under way in the same commit."""
        self.publication.progress = self._mark(step, "done")
        if then is not None and not self.is_done(then):
            self.mine.add(then)
            self.publication.progress = self._mark(then, "started")
        self.save(**fields)

    def is_started(self, step: str, *, mine: bool = False) -> bool:
        """Started and not answered by an earlier run (or, `mine`, by this one): the call may have
        reached the platform (the worker died in it, or the network failed), so look before
        sending again."""
        started = (self.publication.progress or {}).get(step, {}).get("state") == "started"
        return started and (mine or step not in self.mine)

    def is_done(self, step: str) -> bool:
        return (self.publication.progress or {}).get(step, {}).get("state") == "done"

    def started_at(self, step: str) -> float | None:
        return (self.publication.progress or {}).get(step, {}).get("ts")

    def calling(self) -> None:
        """A platform call is about to go out: nothing uncommitted may be held (SQLite: the token
        storage writes on its own connection), and no connection either (the token storage takes
        one of its own from the same pool while this thread waits on the platform)."""
        if db.session.new or db.session.dirty:
            self._commit()
        elif db.session().in_transaction():
            db.session.commit()  # read-only: ends the transaction, hands the connection back
        if self.__dict__.get("_called"):
            self._after_first_call()
            return
        self._called = True
        now = workdays.now()
        for pub in self.pubs:
            if pub.first_call_at is None:
                pub.first_call_at = now  # kept in memory, saved with the answer (no write held across the call)
        if starts.in_run():
            starts.STARTS.first_call(self.publication.id)

    def _after_first_call(self) -> None:
        """In a run, once this publication has made its first call, it lets every claimed one make
        theirs before it goes on (cms/publishing/starts.py); it waits with nothing uncommitted."""
        if self.__dict__.get("_called") and starts.in_run():
            starts.STARTS.hold()


_fitted: dict[tuple, images.StoredImage] = {}
_fitted_lock = threading.Lock()
FITTED_KEPT = 16  # images fitted for the platform kept per process: a post's go to all its channels


def _fit(key: tuple, make) -> images.StoredImage:
    """make() once for all the channels of a fan-out: an image fitted for the platform, by the
    stored image's sha256 and how it is fitted (a few recent ones are kept)."""
    with _fitted_lock:
        if key in _fitted:
            return _fitted[key]
    made = make()
    with _fitted_lock:
        if len(_fitted) >= FITTED_KEPT:
            _fitted.pop(next(iter(_fitted)))
        _fitted[key] = made
    return made


def _cover(stored: images.StoredImage, focus: tuple[float, float], purpose: str) -> images.StoredImage:
    """The 2.35:1 cover cut around its focus and fitted to `purpose`."""
    return _fit((stored.sha256, focus, purpose),
                lambda: images.fit_for_wechat(images.crop_cover(stored, "2.35:1", focus), purpose))


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


def _send_blocker(pub: Publication) -> tuple[str, str] | None:
    """("cancelled" | "failed", message) when the publication must not go out now (C4 C5), from
    the post as it is now, not as this run loaded it."""
    facts = send_facts([pub.post_id])[pub.post_id]
    post = pub.post
    for name in ("status", "confidential"):  # the loaded post follows (the run settles it later)
        if getattr(post, name) != facts[name]:
            set_committed_value(post, name, facts[name])
    return rules.send_blocker(facts, pub.revision_number, pub.content_hash)


def run_publication(pub_id: int, owner: str, *, begun: bool = False) -> str:
    """Run one claimed publication (or the 多图文 bundle it heads: every member goes with it) as far
    as it goes now; returns its state after the run. `begun`: begin.begin() has taken its first
    step already (checked, `sending`, attempt counted, committed)."""
    pub = db.session.get(Publication, pub_id, options=[joinedload(Publication.channel), joinedload(Publication.post)])
    if pub is None or pub.lease_owner != owner or not pub.active:
        return pub.state if pub is not None else "missing"
    adapter = adapter_for(pub.channel)
    if pub.bundle_id is not None:
        from cms.publishing.bundles import BundleJob

        job = BundleJob(pub, owner)
    else:
        job = Job(pub, owner)
    count_try = True
    deadline = time.monotonic() + float(setting("PUBLISH_INLINE_WAIT_SECONDS"))
    polls = 0
    while True:
        if begun:
            begun = False  # checked, counted and `sending` with the others that fell due (begin.py)
            pub, pubs = job.publication, job.pubs
        else:
            if job.publication.state in ("scheduled", "sending") and not adapter.sent(job) and job.drop_blocked():
                return job.publication.state  # nothing left to send (C4 C5)
            pub, pubs = job.publication, job.pubs  # a 多图文 bundle may have lost members, its headline too
            for p in pubs:
                if count_try:
                    p.attempts += 1
                if p.state == "scheduled":
                    _set_state(p, "sending")
            job._commit()  # nothing uncommitted while the adapter calls out
        try:
            status = adapter.run(job)
        except PlatformError as e:
            if e.errcode is None:
                job.mine.discard(e.step)  # no answer (network, 5xx): the call is in doubt
            wait = [_after_error(p, e) for p in pubs][0]
            count_try = True
        else:
            wait = [_after_status(p, status) for p in pubs][0]
            count_try = False
            polls += 1
        if wait is None:
            return pub.state
        # Wait here only for what is due soon, and poll a few times at most: else back to the queue.
        if time.monotonic() + wait > deadline or polls > INLINE_POLLS:
            for p in pubs:
                _release(p, owner)
            db.session.commit()
            enqueue(pub.post_id, pub.next_attempt_at)
            return pub.state
        job._commit()  # renew the lease across the wait
        if wait > 0:
            time.sleep(wait)


def _scale() -> float:
    return float(setting("PUBLISH_RETRY_SCALE"))


def _after_error(pub: Publication, e: PlatformError) -> float | None:
    """Record the error; fail the publication (None) or return the seconds until its next try."""
    label = STEP_LABELS.get(e.step, e.step)
    now = workdays.now()
    progress = dict(pub.progress or {})
    if e.errcode is not None and progress.get(e.step, {}).get("state") == "started":
        # The platform answered with a refusal: the call did nothing, so the next try is not in doubt.
        progress[e.step] = {**progress[e.step], "state": "refused"}
        pub.progress = progress
    pub.last_error_code = e.errcode
    pub.last_error = f"{label}：{e.message}" if label else e.message
    pub.last_error_at = now
    if e.kind != "permanent":
        delay = retry_delay(e.errcode, pub.attempts)
        if delay is not None and pub.attempts < int(setting("PUBLISH_MAX_ATTEMPTS")):
            wait = delay * _scale()
            pub.next_attempt_at = now + timedelta(seconds=wait)
            db.session.commit()
            return wait
        pub.last_error = f"{pub.last_error}（已尝试 {pub.attempts} 次）"
    pub.progress = {**(pub.progress or {}), "failed_step": e.step}
    _set_state(pub, "failed", error={"code": e.errcode, "step": e.step, "message": pub.last_error})
    _settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()
    return None


def _after_status(pub: Publication, status: Status) -> float | None:
    now = workdays.now()
    if status.state == "pending":
        if pub.state != "submitted":
            _set_state(pub, "submitted")
        progress = dict(pub.progress or {})
        polls = int(progress.get("status", {}).get("polls", 0)) + 1
        progress["status"] = {"state": "started", "polls": polls, "at": now.isoformat()}
        pub.progress = progress
        wait = min(float(setting("PUBLISH_POLL_SECONDS")) * 2 ** min(polls - 1, 10), POLL_MAX) * _scale()
        pub.next_attempt_at = now + timedelta(seconds=wait)
        db.session.commit()
        return wait
    if status.state == "published":
        _finish_published(pub, status)
        return None
    if status.state == "removed":
        pub.last_error, pub.last_error_code, pub.last_error_at = status.message, status.errcode, now
        _set_state(pub, "removed_by_platform", error={"message": status.message})
    else:
        pub.last_error, pub.last_error_code, pub.last_error_at = (
            f"{STEP_LABELS['status']}：{status.message}", status.errcode, now)
        pub.progress = {**(pub.progress or {}), "failed_step": "status"}
        _set_state(pub, "failed", error={"code": status.errcode, "step": "status", "message": pub.last_error})
    _settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()
    return None


def _finish_published(pub: Publication, status: Status) -> None:
    """Published: the state, the URL, the archive record (C13) and the post's status, in one
    transaction."""
    now = workdays.now()
    pub.url = status.url or pub.url
    pub.article_id = status.article_id or pub.article_id
    pub.published_at = now
    progress = dict(pub.progress or {})
    progress["status"] = {**progress.get("status", {}), "state": "done", "at": now.isoformat()}
    pub.progress = progress
    _set_state(pub, "published", url=pub.url)
    _archive(pub)
    _settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()


def _finish_unsent(pub: Publication, state: str, message: str) -> None:
    pub.last_error, pub.last_error_code, pub.last_error_at = message, None, workdays.now()
    _set_state(pub, state, error={"message": message})
    _settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()


def _archive(pub: Publication) -> None:
    """C13: the archive record, in the publishing transaction."""
    revision = db.session.scalar(select(Revision).where(Revision.post_id == pub.post_id,
                                                        Revision.number == pub.revision_number))
    archive.record(post=pub.post, revision=revision, channel=pub.channel, action="published",
                   remote_ids=pub.remote_ids(), url=pub.url or "", push=pub.push, at=pub.published_at)


def _set_state(pub: Publication, state: str, **facts) -> None:
    """Every state change is audited (U7), in the caller's transaction."""
    record(**state_change(pub, state, **facts))


def state_change(pub: Publication, state: str, **facts) -> dict:
    """Move the publication to `state`; what the audit trail says of it (record()'s arguments)."""
    before = pub.state
    pub.state = state
    pub.updated_at = workdays.now()
    return dict(action=f"publication.{state}", target=pub, before={"state": before},
                after={"state": state, "post": pub.post_id, "channel": pub.channel_id, "attempts": pub.attempts,
                       **{k: v for k, v in facts.items() if v is not None}})


def _settle_post(post: Post) -> None:
    """The post's status from its publications (latest generation per channel): `published` once
    all are final and one at least went out; `scheduled` while any is under way."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Post.id).where(Post.id == post.id).with_for_update())  # settle one at a time
    db.session.flush()
    pubs = publications_for(post)
    if not pubs or post.status not in ("scheduled", "published"):
        return
    if any(p.state in ACTIVE_STATES for p in pubs):
        status = "scheduled"
    elif any(p.state == "published" for p in pubs) and all(p.state in FINAL_STATES for p in pubs):
        status = "published"
    elif all(p.state == "cancelled" for p in pubs) and post.status == "scheduled":
        status = "approved"  # taken off the queue (a bundle dissolved): still approved, to schedule again
    else:
        return
    if post.status != status:
        before = post.status
        post.status = status
        post.updated_at = workdays.now()
        record(f"post.{status}", post, before={"status": before},
               after={"status": status, "channels": {str(p.channel_id): p.state for p in pubs}})


# --- the sweep -----------------------------------------------------------------------------------

def sweep() -> int:
    """Enqueue a run for every post with a publication due and not claimed (a worker was down at
    its time, an enqueue was lost, a killed worker's lease ran out). Returns how many posts."""
    now = workdays.now()
    free = or_(Publication.lease_until.is_(None), Publication.lease_until < now)
    post_ids = list(db.session.scalars(select(Publication.post_id).where(
        Publication.state.in_(ACTIVE_STATES), Publication.next_attempt_at <= now, free, RUNS_ITSELF).distinct()))
    db.session.rollback()
    for post_id in post_ids:
        enqueue(post_id)
    return len(post_ids)


def resume_leased() -> int:
    """At a worker's start: runs for publications whose lease is still held (perhaps by a worker
    that died), at the time the lease runs out. Returns how many."""
    now = workdays.now()
    rows = db.session.execute(select(Publication.post_id, func.max(Publication.lease_until)).where(
        Publication.state.in_(ACTIVE_STATES), Publication.lease_until >= now).group_by(Publication.post_id)).all()
    db.session.rollback()
    for post_id, until in rows:
        enqueue(post_id, until + timedelta(seconds=0.5))
    return len(rows)
