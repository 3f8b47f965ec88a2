"""Scheduling (C4 C5 C8): today only unless the supervisor overrides with a reason; only approved,
never confidential; the Huey task enqueued with the time as its ETA; the minute sweep and the
claim that keeps two workers off one publication."""
from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.channels.models import Publication
from cms.errors import Refused
from cms.extensions import db
from cms.publishing.job import run_publication
from cms.publishing.queries import publications_for
from cms.publishing.runner import claim, run_due, sweep
from cms.publishing.scheduling import PREARM, schedule
from cms.tasks import huey


@pytest.fixture
def queue():
    """The real Huey queue (SqliteHuey file, or Redis in CI), emptied before and after."""
    huey.flush()
    yield huey
    huey.flush()


def _tasks(q, name="publish_due"):
    return [t for t in [*q.pending(), *q.scheduled()] if t.name.endswith(name)]


def _tomorrow_at(hour=10):
    day = workdays.today() + timedelta(days=1)
    return workdays.local(workdays.now()).replace(year=day.year, month=day.month, day=day.day, hour=hour, minute=0,
                                                  second=0, microsecond=0)


def _later_today(minutes=30):
    now = workdays.local(workdays.now())
    at = now + timedelta(minutes=minutes)
    assert at.date() == now.date(), "use the midday fixture"
    return at


def test_schedule_for_later_today_enqueues_the_task_with_its_eta(midday, outbox, approved_post, queue):  # C8
    post = approved_post()
    at = _later_today()
    (pub,) = schedule(get_by_username("account_admin"), post, at)
    assert pub.due_at == at and pub.next_attempt_at == at and pub.state == "scheduled"
    (task,) = _tasks(queue)
    assert task.args == (post.id, at.isoformat())  # it fires a second early and waits for `at`
    eta = at.astimezone(UTC).replace(tzinfo=None) - timedelta(seconds=PREARM)  # Huey keeps UTC
    assert abs((task.eta - eta).total_seconds()) < 0.01
    assert run_due(post.id) == {}  # not due yet: nothing claimed


def test_schedule_now_enqueues_at_once(outbox, approved_post, queue):
    post = approved_post()
    schedule(get_by_username("account_admin"), post)
    (task,) = _tasks(queue)
    assert task.args == (post.id,) and task.eta is None


def test_a_later_day_is_refused(outbox, approved_post):  # C8
    post = approved_post()
    with pytest.raises(Refused) as e:
        schedule(get_by_username("account_admin"), post, _tomorrow_at(), override_reason="想明天发")
    assert e.value.code == "C8" and e.value.status == 422
    assert db.session.scalar(select(Publication.id)) is None


def test_the_supervisor_overrides_c8_with_a_reason_recorded_and_audited(outbox, approved_post, queue):  # C8
    post = approved_post()
    supervisor = get_by_username("supervisor")
    with pytest.raises(Refused) as e:
        schedule(supervisor, post, _tomorrow_at())
    assert e.value.code == "C8" and "override_reason" in e.value.fields
    (pub,) = schedule(supervisor, post, _tomorrow_at(), override_reason="配合集团统一发布时间")
    assert pub.override_reason == "配合集团统一发布时间" and pub.due_at == _tomorrow_at()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "post.scheduled")).one()
    assert entry.after["override_reason"] == "配合集团统一发布时间" and entry.actor_name == "supervisor"


def test_a_confidential_post_is_refused(outbox, approved_post):  # C5
    post = approved_post(confidential=True)
    with pytest.raises(Refused) as e:
        schedule(get_by_username("account_admin"), post)
    assert e.value.code == "C5"


def test_a_post_not_approved_is_refused(outbox, approved_post):  # C4
    post = approved_post(approve=False)
    with pytest.raises(Refused) as e:
        schedule(get_by_username("account_admin"), post)
    assert e.value.code == "C4"


def test_only_the_account_administrator_or_the_supervisor_schedules(outbox, approved_post):
    post = approved_post()
    for username in ("contributor", "editor", "auditor"):
        with pytest.raises(Refused) as e:
            schedule(get_by_username(username), post)
        assert e.value.status == 403, username


def test_rescheduling_moves_what_has_not_started(midday, outbox, approved_post, queue):
    post = approved_post()
    admin = get_by_username("account_admin")
    (first,) = schedule(admin, post, _later_today(60))
    at = _later_today(90)
    (again,) = schedule(admin, post, at)
    assert again.id == first.id and again.due_at == at and again.generation == 1
    assert db.session.scalars(select(Publication)).all() == [again]


def test_sweep_picks_up_what_no_task_ran(outbox, approved_post, queue):
    """The worker was down at the time: the minute sweep finds the due publication and runs it."""
    post = approved_post()
    schedule(get_by_username("account_admin"), post)
    queue.flush()  # the task is lost
    assert sweep() == 1
    (task,) = _tasks(queue)
    queue.execute(task)  # as the consumer would
    db.session.expire_all()
    (pub,) = publications_for(post)
    assert pub.state == "published"
    assert sweep() == 0


def test_a_claimed_publication_is_not_claimed_twice(outbox, approved_post, queue):
    post = approved_post()
    schedule(get_by_username("account_admin"), post)
    owner, ids = claim(post.id)
    assert len(ids) == 1
    assert claim(post.id)[1] == []  # held by the first claim's lease
    assert run_publication(ids[0], "someone-else") == "scheduled"  # not the lease holder: untouched
    # the first worker died: its lease runs out, and the next claim takes the row
    db.session.execute(Publication.__table__.update().values(lease_until=workdays.now() - timedelta(seconds=1)))
    db.session.commit()
    owner2, ids2 = claim(post.id)
    assert ids2 == ids and owner2 != owner
    assert run_publication(ids[0], owner2) == "published"
