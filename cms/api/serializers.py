"""What the API answers for each kind of object (API.md). Every function here has its JSON schema
in cms/api/schemas.py, which /api/v1/openapi.json publishes and tests/api/test_schemathesis.py holds
every answer to. Never a credential, never a password hash."""
from __future__ import annotations

from datetime import date, datetime

from cms.content import service as content


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


# --- people --------------------------------------------------------------------------------------

def user_json(u) -> dict:
    return {
        "id": u.id, "username": u.username, "real_name": u.real_name,
        "department": {"id": u.department_id, "name": u.department.name},
        "title": u.title, "phone": u.phone,
        "roles": [{"role": r.role, "scope_type": r.scope_type, "scope_id": r.scope_id} for r in u.roles],
        "hire_date": iso(u.hire_date), "leave_date": iso(u.leave_date), "state": u.state,
    }


# --- channels ------------------------------------------------------------------------------------

def channel_json(c) -> dict:
    """API.md: id, name, platform, type, level, audience (and, for WeChat, the account kind)."""
    return {"id": c.id, "name": c.name, "platform": c.platform, "type": c.channel_type, "level": c.level,
            "audience": c.audience, "account_kind": c.account_kind if c.platform == "wechat" else None,
            "active": c.active}


# --- posts, revisions, checks --------------------------------------------------------------------

def revision_json(rev) -> dict:
    return {"number": rev.number, "hash": rev.content_hash, "title": rev.title, "author": rev.author,
            "digest": rev.digest, "body": {"format": rev.body_format, "text": rev.body_source}, "html": rev.html,
            "source": {"kind": rev.source_kind, "name": rev.source_name, "url": rev.source_url,
                       "author": rev.source_author},
            "cover_asset_id": rev.cover_asset_id, "cover_focus": {"x": rev.cover_focus_x, "y": rev.cover_focus_y},
            "written_by": rev.written_by.username,
            "created_at": rev.created_at.isoformat(), "based_on": rev.based_on, "note": rev.note}


def finding_json(f) -> dict:
    return {"id": f.id, "check": f.check, "severity": f.severity, "policy": f.policy, "where": f.where,
            "message": f.message, "fix": f.fix}


def post_json(post, *, full: bool = True) -> dict:
    out = {"id": post.id, "status": post.status, "title": post.title, "category": post.category,
           "department": post.department.name, "author": post.created_by.username,
           "channels": [c.id for c in post.channels], "urgency": post.urgency, "important": post.important,
           "confidential": post.confidential, "open_comments": post.open_comments,
           "planned_date": iso(post.planned_date),
           "created_at": post.created_at.isoformat(), "updated_at": post.updated_at.isoformat()}
    if full:
        from cms.publishing.queries import publications_for
        from cms.workflow import queries as workflow

        out["revision"] = revision_json(post.current)
        out["checks"] = [finding_json(f) for f in content.findings(post)]
        out["workflow"] = workflow_json(post)
        out["reviews"] = [review_json(r) for r in workflow.timeline(post)]
        out["publications"] = [publication_json(p) for p in publications_for(post)]
    return out


# --- review chains -------------------------------------------------------------------------------

def workflow_json(post) -> dict | None:
    from cms.workflow import queries as workflow

    sub = workflow.latest_submission(post)
    if sub is None:
        return None
    sv = workflow.step_view(post, sub if sub.state == "active" else None)
    return {
        "template": sub.version.template.key, "version": sub.version.number, "state": sub.state,
        "round": sub.round, "escalated": sub.escalated, "steps": sub.version.steps,
        "current_step": None if sv is None else {
            "index": sv["index"], "role": sv["role"], "assignees": [u.username for u in sv["assignees"]],
            "due_at": iso(sv["due_at"]), "may_edit": sv["may_edit"],
            "decides_push": sv["decides_push"], "routing": sv["routing"]},
        "reasons": sub.reasons, "push": sub.push,
        "approved_at": iso(sub.approved_at), "publish_day": iso(sub.publish_day),
    }


def review_json(r) -> dict:
    return {"action": r.action, "step": r.step, "role": r.role, "round": r.round, "user": r.user.username,
            "on_behalf_of": r.on_behalf_of.username if r.on_behalf_of else None, "revision": r.revision,
            "hash": r.revision_hash, "comment": r.comment, "detail": r.detail, "stale": r.stale,
            "at": r.created_at.isoformat()}


# --- the outbox ----------------------------------------------------------------------------------

def publication_json(pub) -> dict:
    """What the API shows of a publication: never a credential. `progress` holds only the steps'
    records ({state, at, ...}); the failed step and a retry's history are kept beside them in the
    same JSON column and shown as their own fields."""
    raw = pub.progress or {}
    return {
        "id": pub.id, "post_id": pub.post_id, "generation": pub.generation,
        "channel": {"id": pub.channel.id, "name": pub.channel.name, "platform": pub.channel.platform},
        "state": pub.state, "revision": pub.revision_number, "hash": pub.content_hash, "push": pub.push,
        "due_at": iso(pub.due_at), "next_attempt_at": iso(pub.next_attempt_at) if pub.active else None,
        "attempts": pub.attempts,
        "last_error": ({"code": pub.last_error_code, "message": pub.last_error, "at": iso(pub.last_error_at)}
                       if pub.last_error else None),
        "progress": {step: dict(value) for step, value in raw.items() if isinstance(value, dict)},
        "failed_step": raw.get("failed_step") if isinstance(raw.get("failed_step"), str) else None,
        "history": [dict(h) for h in raw.get("history", []) if isinstance(h, dict)],
        "remote_ids": pub.remote_ids(), "url": pub.url, "published_at": iso(pub.published_at),
        "override_reason": pub.override_reason or None,
        "bundle": {"id": pub.bundle_id, "index": pub.bundle_index} if pub.bundle_id is not None else None,
    }


def bundle_json(bundle) -> dict:
    from cms.publishing import bundles

    return {
        "id": bundle.id, "channel": {"id": bundle.channel.id, "name": bundle.channel.name},
        "due_at": bundle.due_at.isoformat(), "state": bundles.state(bundle),
        "created_by": bundle.created_by.username if bundle.created_by else None,
        "members": [{"index": p.bundle_index, "post_id": p.post_id, "title": p.post.current.title,
                     "publication": publication_json(p)} for p in bundles.members(bundle)],
    }


def withdrawal_json(w) -> dict:
    from cms.publishing.withdrawals import channel_states

    def username(u):
        return u.username if u is not None else None

    return {
        "id": w.id, "post_id": w.post_id, "kind": w.kind, "reason": w.reason, "state": w.state,
        "channels": [{"id": s["channel"].id, "name": s["channel"].name, "platform": s["channel"].platform,
                      "publication": s["publication"].id if s["publication"] is not None else None,
                      "generation": s["publication"].generation if s["publication"] is not None else None,
                      "state": s["state"]} for s in channel_states(w) if s["channel"] is not None],
        "requested_by": username(w.requested_by), "requested_at": iso(w.requested_at),
        "decided_by": username(w.decided_by), "decided_at": iso(w.decided_at),
        "decision_note": w.decision_note or None, "done_at": iso(w.done_at), "last_error": w.last_error or None,
    }


# --- the audit trail (U7) ------------------------------------------------------------------------

def audit_json(e) -> dict:
    return {"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor_name or None, "action": e.action,
            "target": {"type": e.target_type, "id": e.target_id}, "before": e.before, "after": e.after,
            "ip": e.ip, "hash": e.hash, "prev_hash": e.prev_hash}
