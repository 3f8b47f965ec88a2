"""Scaled out (README "Scaling out"; issue 18): PostgreSQL, Redis-backed Huey and two
`flask cms worker` processes. 500 publications due together are each published exactly once, even
when one worker is killed with SIGKILL in the middle of the run (a replacement starts, as a
supervisor would start one); a worker that was down when publications fell due sweeps them on start.

Counted in the sandbox's own state: one article and one freepublish job per publication. Marked
`scale`; .ci/run runs them against its private PostgreSQL and Redis. The posts are one approved post
(through the real review chain) copied row by row, then each scheduled through the product's
schedule(): the worker sees what it would see after 500 approvals."""
from __future__ import annotations

import os
import signal
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, insert, select, update

from cms import workdays
from cms.auth.service import get_by_username
from cms.channels.models import Channel, Publication
from cms.content.models import AssetUse, Post, PostSearch, Revision, post_channel
from cms.extensions import db
from cms.publishing.scheduling import schedule
from cms.tasks import huey
from cms.workflow.models import Review, Submission
from tests.conftest import PG_URL, wait_until
from tests.publishing.test_worker import FLASK, ROOT, _stop, _worker_env

pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(not (PG_URL and os.environ.get("CMS_TEST_REDIS_URL")),
                       reason="scale-out runs on PostgreSQL and Redis (CMS_TEST_DATABASE_URL, CMS_TEST_REDIS_URL)"),
]


def _start(app, log) -> subprocess.Popen:
    """`flask cms worker` as README's recipe runs it, its output unbuffered into `log`."""
    env = {**_worker_env(app), "PYTHONUNBUFFERED": "1", "CMS_PUBLISH_POOL": "20"}
    return subprocess.Popen([FLASK, "cms", "worker", "--workers", "2"], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _copies(post: Post, n: int) -> list[int]:
    """n more posts like `post` (approved, same revision, same approved submission and reviews)."""
    conn = db.session.connection()

    def rows(model, column, value):
        table = getattr(model, "__table__", model)
        return [dict(r) for r in conn.execute(select(table).where(column == value)).mappings()]

    base = rows(Post, Post.id, post.id)[0]
    revisions = rows(Revision, Revision.post_id, post.id)
    subs = rows(Submission, Submission.post_id, post.id)
    reviews = rows(Review, Review.post_id, post.id)
    links = rows(post_channel, post_channel.c.post_id, post.id)
    uses = rows(AssetUse, AssetUse.post_id, post.id)
    search = rows(PostSearch, PostSearch.post_id, post.id)
    ids = []
    for i in range(n):
        new = conn.execute(insert(Post).values({**{k: v for k, v in base.items() if k != "id"},
                                                "title": f"{base['title']} {i + 2}"}).returning(Post.id)).scalar_one()
        ids.append(new)
        conn.execute(insert(Revision), [{**{k: v for k, v in r.items() if k != "id"}, "post_id": new} for r in revisions])
        conn.execute(insert(post_channel), [{**r, "post_id": new} for r in links])
        if uses:
            conn.execute(insert(AssetUse), [{**r, "post_id": new} for r in uses])
        conn.execute(insert(PostSearch), [{**r, "post_id": new} for r in search])
        for s in subs:
            sid = conn.execute(insert(Submission).values({**{k: v for k, v in s.items() if k != "id"},
                                                          "post_id": new}).returning(Submission.id)).scalar_one()
            conn.execute(insert(Review), [{**{k: v for k, v in r.items() if k != "id"}, "post_id": new,
                                           "submission_id": sid} for r in reviews if r["submission_id"] == s["id"]])
    db.session.commit()
    return ids


@pytest.fixture
def many(app, outbox, approved_post):
    """make(n) -> n approved posts for 星海集团 (publish only, a cover, no body image)."""
    huey.flush()
    app.config["PUBLISH_POOL"] = 8

    def make(n: int) -> list[Post]:
        first = approved_post(images=0)
        ids = [first.id, *_copies(first, n - 1)]
        return db.session.scalars(select(Post).where(Post.id.in_(ids)).order_by(Post.id)).all()

    yield make
    huey.flush()


def _count(engine, *conditions) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count(Publication.id)).where(*conditions)).scalar_one()


def _log(path):
    return lambda: path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"


def _account(state):
    group = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    return state.account(group.app_id), group.app_id


def test_two_workers_publish_500_due_together_exactly_once_though_one_is_killed(app, outbox, many, tmp_path):
    state = outbox
    posts = many(500)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log", tmp_path / "worker-a2.log"]
    workers = [_start(app, logs[0]), _start(app, logs[1])]
    try:
        wait_until(lambda: all(log.exists() and b"Worker:" in log.read_bytes() for log in logs[:2]), 60,
                   "both workers start")
        admin = get_by_username("account_admin")
        due = workdays.now() + timedelta(seconds=2)
        for post in posts:
            schedule(admin, post, due)
        assert _count(engine) == 500
        # both are at work; then one dies in the middle of the run
        wait_until(lambda: _count(engine, Publication.state == "published") >= 50, 180, _log(logs[0]))
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        in_flight = _count(engine, Publication.state.in_(("sending", "submitted")))
        workers.append(_start(app, logs[2]))  # its replacement: takes over what the dead one leased
        wait_until(lambda: _count(engine, Publication.state.in_(("published", "failed"))) == 500, 300,
                   lambda: f"{_count(engine, Publication.state == 'published')} published\n" + _log(logs[2])())
    finally:
        for w in workers:
            _stop(w)
        engine.dispose()
    db.session.expire_all()
    pubs = db.session.scalars(select(Publication)).all()
    assert {p.state for p in pubs} == {"published"}, [p.last_error for p in pubs if p.state != "published"][:3]
    account, appid = _account(state)
    assert len(account.articles) == 500 and len(account.publishes) == 500  # one article, one publish each
    assert len({p.article_id for p in pubs}) == 500 and len({p.publish_id for p in pubs}) == 500
    drafts = sum(1 for _t, path, owner in state.calls if owner == appid and path.endswith("draft/add"))
    assert drafts == 500  # no second draft for what the killed worker had started
    assert in_flight >= 0  # (how many the kill caught in flight varies; all of them ended published)


def test_a_worker_that_was_down_sweeps_what_fell_due_on_start(app, outbox, many, tmp_path):
    state = outbox
    posts = many(20)
    admin = get_by_username("account_admin")
    for post in posts:
        schedule(admin, post)
    huey.flush()  # no worker ran: the ETA tasks are gone with it, as if the queue had been lost too
    an_hour_ago = workdays.now() - timedelta(hours=1)
    db.session.execute(update(Publication).values(due_at=an_hour_ago, next_attempt_at=an_hour_ago))
    db.session.commit()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    log = tmp_path / "worker.log"
    worker = _start(app, log)
    try:
        wait_until(lambda: _count(engine, Publication.state == "published") == 20, 120, _log(log))
    finally:
        _stop(worker)
        engine.dispose()
    account, _appid = _account(state)
    assert len(account.publishes) == 20
