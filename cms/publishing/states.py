"""A publication's state changes, each audited (U7), and the post's status settled from its
publications; in the caller's transaction unless said otherwise.

    state_change(pub, state, **facts) -> dict   move it; record()'s arguments (begin.py records many)
    set_state(pub, state, **facts)              move it and audit it
    settle_post(post)                           the post's status from its publications
    finish_unsent(pub, state, message)          not sent after all (C4 C5 at send time, rules.send_blocker):
                                                the reason kept, the lease released, committed
"""
from __future__ import annotations

from sqlalchemy import select

from cms import workdays
from cms.audit.service import record
from cms.channels.models import ACTIVE_STATES, FINAL_STATES, Publication
from cms.content.models import Post
from cms.extensions import db
from cms.publishing.queries import publications_for


def state_change(pub: Publication, state: str, **facts) -> dict:
    """Move the publication to `state`; what the audit trail says of it (record()'s arguments)."""
    before = pub.state
    pub.state = state
    pub.updated_at = workdays.now()
    return dict(action=f"publication.{state}", target=pub, before={"state": before},
                after={"state": state, "post": pub.post_id, "channel": pub.channel_id, "attempts": pub.attempts,
                       **{k: v for k, v in facts.items() if v is not None}})


def set_state(pub: Publication, state: str, **facts) -> None:
    """Every state change is audited (U7), in the caller's transaction."""
    record(**state_change(pub, state, **facts))


def settle_post(post: Post) -> None:
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


def finish_unsent(pub: Publication, state: str, message: str) -> None:
    pub.last_error, pub.last_error_code, pub.last_error_at = message, None, workdays.now()
    set_state(pub, state, error={"message": message})
    settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()
