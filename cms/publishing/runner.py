"""The due-runner: what the Huey tasks (tasks.py) call. It claims what is due, starts it on a
bounded thread pool (each publication's run is job.run_publication), refills the pool as threads
free up; the minute sweep and a worker's start catch up with whatever no task ran.

    run_due(post_id=None) -> {id: state}     claim what is due (the post's first, then any) and run it
                                             on a bounded thread pool, refilled as threads free up
    claim(post_id=None, limit=None, ...)     take due, unclaimed publications: (owner, ids)
    sweep() -> n                             enqueue a run for every post with something due
    resume_leased() -> n                     at a worker's start: runs for what is still leased
    wait_until(when)                         a task that fired early waits for its exact time

Claiming: a worker takes a row by setting its lease (`lease_owner`, `lease_until`) with a
conditional UPDATE, after `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (on SQLite writers are
serialised, so the conditional UPDATE alone decides; one worker is the design there, though a
second would be safe). Each save of a run renews the lease (job.py).

Settings (app config, CMS_* in the environment):
    PUBLISH_POOL (200)                 threads one run uses, one per publication in flight (fan-out:
                                       a post's channels in parallel, bench/publish_fanout.py; all
                                       that fall due together started at once, starts.py)
    PUBLISH_BATCH (200)                publications one claim takes at most
    PUBLISH_LEASE_SECONDS (120)        how long a claim lasts without a save

Timing: when many fall due together, one transaction takes the first step of them all
(cms/publishing/begin.py), then the worker starts them in turn and each makes its first call before
any makes a later one (cms/publishing/starts.py; bench/schedule_lateness.py).
"""
from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from cms import workdays
from cms.channels.models import ACTIVE_STATES, Publication
from cms.extensions import db
from cms.publishing import starts
from cms.publishing.job import LeaseLost, run_publication, setting
from cms.publishing.scheduling import PREARM, enqueue

log = logging.getLogger(__name__)

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
