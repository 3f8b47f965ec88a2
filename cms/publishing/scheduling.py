"""Scheduling: an approved post queued for its channels the same day (C8), checked again for
C4 and C5, audited; a failed publication tried again; the worker asked to run them at their time.

    schedule(user, post, at=None, override_reason=None) -> [Publication]   C4 C5 C8, audited
    check_day(user, sub, at, override_reason, channels=None) -> (at, reason)
                                     C8: the values gathered for rules.same_day, Refused if it refuses
    queue_channel(user, post, sub, channel, at, reason, push=...) one channel (bundles.py uses it too)
    retry(user, publication) -> Publication                 a failed one, once fixed
    parse_at(value) / approved_for_sending(post)            the API's time; C4 C5 before queueing
    enqueue(post_id, at=None)                               the Huey task, with `at` as its ETA

Who may: cms/publishing/policy.py (can_schedule, can_override_day, can_publish_on).

Timing: a publication scheduled for later is enqueued (Huey ETA) PREARM seconds early and its task
waits for the exact time (runner.wait_until), since Huey moves due tasks to the queue only once a
second (bench/schedule_lateness.py).
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from flask_babel import gettext as _

from cms import workdays
from cms.audit.service import record
from cms.channels import policy as channels_policy
from cms.channels.models import Channel, Publication
from cms.content.models import Post
from cms.content.rules import publishing_blockers
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.publishing import policy, rules
from cms.publishing.queries import approved_submission, latest_publication
from cms.publishing.states import set_state, settle_post
from cms.transactions import operation

log = logging.getLogger(__name__)

PREARM = 1.0  # seconds a scheduled task fires early, then waits for its exact time


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
    sub = approved_submission(post)
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
    now) to `channels` (default: all the post's). Policy C8, decided by rules.same_day: its day is
    the later of the approval day and the planned day; a later one only by the platform supervisor
    of every one of those channels, with a reason. Raises Refused (code C8)."""
    may_override = policy.can_override_day(user, sub.post.channels if channels is None else channels)
    decision = rules.same_day(sub.publish_day, at, workdays.now(), workdays.zone(),
                              may_override=may_override, override_reason=override_reason)
    if not decision.allowed:
        raise Refused(_(decision.message, **decision.params), code=decision.code,
                      fields={decision.field: [_(decision.field_message)]})
    return decision.at, decision.reason


@operation
def schedule(user, post: Post, at: datetime | None = None, override_reason: str | None = None) -> list[Publication]:
    """Queue the approved post for each of its channels at `at` (default now) today in
    CMS_TIMEZONE. Refused: a post not approved (C4), a confidential one (C5), a later day than its
    C8 day unless the supervisor overrides with a reason (recorded and audited). A publication not
    started yet is moved to the new time; a failed one is tried again; one in flight or published
    is left alone."""
    if not policy.can_schedule(user, post):
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
    latest = latest_publication(post.id, channel.id)
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
        set_state(latest, "cancelled", note="superseded by a newer revision")
    generation = latest.generation + 1 if latest is not None else 1
    pub = Publication(post_id=post.id, channel_id=channel.id, generation=generation, submission_id=sub.id,
                      revision_number=rev.number, content_hash=rev.content_hash, push=push, state="scheduled",
                      due_at=at, next_attempt_at=at, client_ref=uuid.uuid4().hex, override_reason=reason,
                      scheduled_by_id=user.id, progress={}, image_urls={}, created_at=now, updated_at=now, **bundled)
    db.session.add(pub)
    db.session.flush()
    record("publication.scheduled", pub, after=_audit_facts(pub), actor=user)
    return pub


@operation
def retry(user, pub: Publication) -> Publication:
    """Try a failed publication again once its cause is fixed (the platform's reason was shown).
    What it already holds (images, cover, draft) is kept; a failed publish or push starts afresh.
    A 多图文 bundle is tried again whole (its failed members, under its headline)."""
    if not channels_policy.can_publish_on(user, pub.channel):
        raise Refused(_("Only the channel's account administrator retries its publications."),
                      code="forbidden", status=403)
    if pub.state != "failed":
        raise Conflict(_("Only a failed publication is retried."), code="conflict")
    post = pub.post
    if post.status not in rules.SENDABLE_POST_STATES or approved_submission(post) is None \
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
        settle_post(p.post)
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
