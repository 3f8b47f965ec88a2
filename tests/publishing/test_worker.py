"""A real worker (`flask cms worker`, a Huey consumer in its own process) on the test's database (a
SQLite file, or PostgreSQL in CI's second pass) and its Huey (a SQLite file, or Redis), killed with
SIGKILL in the middle of the flow: a new worker resumes the publication from the remote ids saved
so far, and the sandbox holds exactly one draft and one publication. Each call of the account is slowed down (sandbox latency) so the kill lands
while a platform call is in flight."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from cms import workdays
from cms.auth.service import get_by_username
from cms.channels.models import Channel, Publication
from cms.extensions import db
from cms.publishing.scheduling import schedule
from cms.tasks import huey
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
LEASE = 3


def _worker_env(app) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_") or k == "CMS_HUEY_URL"}
    env.update({
        "FLASK_APP": "cms",
        "CMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "CMS_SECRET_KEY": app.config["SECRET_KEY"],
        "CMS_ENCRYPTION_KEYS": json.dumps(list(app.config["ENCRYPTION_KEYS"])),
        "CMS_WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"],
        "CMS_TOUTIAO_API_BASE_URL": app.config["TOUTIAO_API_BASE_URL"],
        "CMS_PUBLISH_LEASE_SECONDS": str(LEASE),
        "CMS_PUBLISH_POLL_SECONDS": "0.2",
    })
    return env


def _start(app, log: Path) -> subprocess.Popen:
    return subprocess.Popen([FLASK, "cms", "worker", "--workers", "2"], cwd=ROOT, env=_worker_env(app),
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _read(engine, pub_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(Publication.__table__).where(Publication.id == pub_id)).mappings().one()
        return dict(row)


def _wait_for(engine, pub_id, test, timeout: float, log: Path, what: str) -> dict:
    def seen():
        row = _read(engine, pub_id)
        return row if test(row) else None

    return wait_until(seen, timeout, lambda: f"{what}: {_read(engine, pub_id)}\n--- worker log ---\n"
                                             f"{log.read_text(errors='replace')[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def queue():
    huey.flush()
    yield huey
    huey.flush()


@pytest.mark.parametrize("kill_after", ["draft_media_id", "publish_id"])
def test_a_killed_worker_resumes_without_a_second_draft_or_publish(app, outbox, approved_post, queue, tmp_path,
                                                                    kill_after):
    state = outbox
    group = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    post = approved_post()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    log = tmp_path / "worker.log"
    state.set_latency(700, appid=group.app_id)  # every call of the account is in flight 0.7 s
    (pub,) = schedule(get_by_username("account_admin"), post)
    pub_id = pub.id
    db.session.commit()
    first = _start(app, log)
    try:
        row = _wait_for(engine, pub_id, lambda r: r[kill_after], 90, log, kill_after)
        first.send_signal(signal.SIGKILL)  # in the middle of the next platform call
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert row["state"] == "sending" and row["lease_owner"]
    killed_at = _read(engine, pub_id)
    assert killed_at["state"] in ("sending", "submitted")
    state.set_latency(0, appid=group.app_id)
    # The dead worker's lease runs out: moved into the past rather than waited for (its length is
    # the worker's setting, CMS_PUBLISH_LEASE_SECONDS; the lease itself is the product's).
    with engine.begin() as conn:
        conn.execute(update(Publication.__table__).where(Publication.id == pub_id)
                     .values(lease_until=workdays.now() - timedelta(seconds=1)))
    second = _start(app, log)  # its start-up sweep finds the publication
    try:
        done = _wait_for(engine, pub_id, lambda r: r["state"] in ("published", "failed"), 90, log, "the end")
    finally:
        _stop(second)
        engine.dispose()
    assert done["state"] == "published", done["last_error"]
    assert done["draft_media_id"] == row["draft_media_id"]
    account = state.account(group.app_id)
    calls = [p for _t, p, owner in state.calls if owner == group.app_id]
    assert sum(p.endswith("draft/add") for p in calls) == 1  # exactly one draft
    assert len(account.publishes) == 1 and len(account.articles) == 1  # exactly one publication
    (article,) = account.articles.values()
    assert done["article_id"] == article.article_id and done["url"] == article.url(1)
    submits = sum(p.endswith("freepublish/submit") for p in calls)
    if kill_after == "publish_id":
        assert submits == 1
    else:  # killed in the submit: its answer was lost, and the article was found, not published again
        assert submits == 1 or (submits == 2 and done["progress"]["publish"].get("lost"))
    db.session.expire_all()
    assert db.session.get(Publication, pub_id).post.status == "published"
