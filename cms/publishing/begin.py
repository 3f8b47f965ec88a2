"""The first step of many publications in one transaction, when they fall due together.

A publication's run starts with one short transaction: the C4/C5 check (the post still approved,
unchanged and not confidential), the attempt counted, `sending` audited (U7), committed before the
platform is called. Two hundred publications due at the same second would take two hundred such
transactions one after another, in the worker's one interpreter and, on SQLite, under its one
write lock, before the last of them could make its first call (bench/schedule_lateness.py).

begin() takes that step for every claimed publication that goes out alone and is `scheduled`: one
statement reads the C4/C5 facts of all their posts (queries.send_facts, rules.send_blocker), one
flush moves them all to `sending`, the audit chain gets their entries in one append
(audit.record_many), and one commit ends it. Their threads then go straight to their first call.
Whatever it leaves alone starts in its own thread as before (job.run_publication): a publication
the check would stop (it is finished there, with the reason), a 多图文 bundle, one being retried or
resumed. A publication whose lease another worker holds now is not touched; should one be taken
between the read and the flush, the transaction is rolled back and each goes its own way.

    begin(ids, owner) -> set[int]   the ids begun: `sending`, their attempt counted, audited, committed
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cms import workdays
from cms.audit.service import record_many
from cms.channels.models import Publication
from cms.extensions import db
from cms.publishing import rules
from cms.publishing.job import setting
from cms.publishing.queries import send_facts
from cms.publishing.states import state_change


def begin(ids: list[int], owner: str) -> set[int]:
    if not ids:
        return set()
    pubs = db.session.scalars(select(Publication).where(
        Publication.id.in_(ids), Publication.lease_owner == owner, Publication.state == "scheduled",
        Publication.bundle_id.is_(None))).all()
    facts = send_facts({p.post_id for p in pubs}) if pubs else {}
    ready = [p for p in pubs if p.post_id in facts
             and rules.send_blocker(facts[p.post_id], p.revision_number, p.content_hash) is None]
    if not ready:
        db.session.rollback()
        return set()
    now = workdays.now()
    lease = now + timedelta(seconds=float(setting("PUBLISH_LEASE_SECONDS")))
    changes = []
    for pub in ready:
        pub.attempts += 1
        pub.lease_until = lease
        changes.append(state_change(pub, "sending"))
    record_many(changes)  # flushes the publications first
    begun = [p.id for p in ready]
    held = db.session.scalar(select(func.count(Publication.id)).where(Publication.id.in_(begun),
                                                                      Publication.lease_owner == owner))
    if held != len(begun):  # another worker took some (our lease ran out): each goes its own way
        db.session.rollback()
        return set()
    db.session.commit()
    return set(begun)
