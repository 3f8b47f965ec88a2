"""Review chains: what the views and the API call. Gathers facts, asks cms.workflow.engine,
writes the answer down with an audit entry and notifications, and owns the transaction
(policies C4 C5 C7 C8 C11 C18)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from cms import workdays
from cms.audit.service import record
from cms.auth.models import RoleAssignment, User, users_with_role
from cms.content.checks import ERROR, WARNING
from cms.content.models import Post, Revision
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.publishing import service as publishing
from cms.publishing.models import Channel, Publication
from cms.workflow import engine
from cms.workflow.models import (
    Assignee,
    Delegation,
    Review,
    Submission,
    WorkflowRule,
    WorkflowTemplate,
    WorkflowVersion,
)


def _refuse(r: engine.Refusal, **fields):
    cls = Conflict if r.status == 409 else Refused
    raise cls(_(r.message, **r.params) if "%(" in r.message else _(r.message), code=r.code, status=r.status,
              fields=fields, extra={k: v for k, v in r.params.items() if k != "n"})


# --- templates and rules -------------------------------------------------------------------------

def ensure_templates() -> None:
    """The three chain shapes of the seeds (C7) and the default rule, when missing."""
    for key, (name, steps) in engine.TEMPLATES.items():
        if db.session.scalar(select(WorkflowTemplate.id).where(WorkflowTemplate.key == key)):
            continue
        t = WorkflowTemplate(key=key, name=_(name))
        db.session.add(t)
        db.session.flush()
        db.session.add(WorkflowVersion(template_id=t.id, number=1, steps=[s.to_dict() for s in steps],
                                       note=_("Shipped with the product (C7).")))
    if not db.session.scalar(select(WorkflowRule.id).where(WorkflowRule.channel_id.is_(None),
                                                           WorkflowRule.category.is_(None))):
        full = db.session.scalar(select(WorkflowTemplate).where(WorkflowTemplate.key == "full"))
        db.session.add(WorkflowRule(channel_id=None, category=None, template_id=full.id))
    db.session.commit()


def templates() -> list[WorkflowTemplate]:
    return db.session.scalars(select(WorkflowTemplate).order_by(WorkflowTemplate.id)).all()


def get_template(template_id: int) -> WorkflowTemplate:
    t = db.session.get(WorkflowTemplate, template_id)
    if t is None:
        raise NotFound(_("No such chain template."), code="not_found")
    return t


def save_template(user, template: WorkflowTemplate, steps: list[dict], note: str = "") -> WorkflowVersion:
    """An edit is a new immutable version; posts in flight keep theirs."""
    parsed, errors = engine.validate_steps(steps)
    if errors:
        messages = {str(i): [_(m) for m in ms] for i, ms in errors.items()}
        first = next(iter(errors.values()))[0]
        raise Refused(_(first), code="C4" if "C4" in first else "invalid", fields=messages)
    latest = template.latest
    if [s.to_dict() for s in parsed] == latest.steps:
        return latest
    v = WorkflowVersion(template_id=template.id, number=latest.number + 1, steps=[s.to_dict() for s in parsed],
                        note=note[:200], created_by_id=user.id)
    db.session.add(v)
    db.session.flush()
    record("workflow.version_saved", template, before={"version": latest.number, "steps": latest.steps},
           after={"version": v.number, "steps": v.steps, "note": v.note})
    db.session.commit()
    return v


def rules() -> list[WorkflowRule]:
    return db.session.scalars(select(WorkflowRule).order_by(
        WorkflowRule.channel_id.is_(None), WorkflowRule.channel_id, WorkflowRule.category.is_(None),
        WorkflowRule.category)).all()


def set_rule(user, channel_id: int | None, category: str | None, template_id: int) -> WorkflowRule:
    get_template(template_id)
    if channel_id is not None and db.session.get(Channel, channel_id) is None:
        raise Refused(_("No such channel."), fields={"channel": [_("No such channel.")]})
    rule = db.session.scalar(select(WorkflowRule).where(
        WorkflowRule.channel_id.is_(None) if channel_id is None else WorkflowRule.channel_id == channel_id,
        WorkflowRule.category.is_(None) if category is None else WorkflowRule.category == category))
    before = {"template": rule.template_id} if rule else None
    if rule is None:
        rule = WorkflowRule(channel_id=channel_id, category=category, template_id=template_id)
        db.session.add(rule)
    rule.template_id = template_id
    db.session.flush()
    record("workflow.rule_set", rule, before=before,
           after={"channel": channel_id, "category": category, "template": template_id})
    db.session.commit()
    return rule


def delete_rule(user, rule_id: int) -> None:
    rule = db.session.get(WorkflowRule, rule_id)
    if rule is None:
        raise NotFound(_("No such rule."), code="not_found")
    if rule.channel_id is None and rule.category is None:
        raise Refused(_("The default rule stays: change its chain instead (C4)."), code="C4")
    record("workflow.rule_deleted", rule, before={"channel": rule.channel_id, "category": rule.category,
                                                  "template": rule.template_id})
    db.session.delete(rule)
    db.session.commit()


def pick_version(post: Post) -> WorkflowVersion:
    """The most specific rule for the post's channels and category wins (channel and category,
    then channel, then category, then the default); between equally specific rules the longer
    chain, the stricter one."""
    if not db.session.scalar(select(WorkflowRule.id).limit(1)):
        ensure_templates()
    channel_ids = [c.id for c in post.channels]
    candidates = db.session.scalars(select(WorkflowRule).where(
        or_(WorkflowRule.channel_id.is_(None), WorkflowRule.channel_id.in_(channel_ids)),
        or_(WorkflowRule.category.is_(None), WorkflowRule.category == post.category))).all()

    def rank(rule):
        return (2 * (rule.channel_id is not None) + (rule.category is not None), len(rule.template.latest.steps))

    return max(candidates, key=rank).template.latest


# --- who holds a step ----------------------------------------------------------------------------

def _holders(role: str, scope: str, post: Post) -> list[User]:
    if scope == "author_department" or scope == "leader_of_department":
        return users_with_role(role, ("department", post.department_id))
    if scope == "channel":
        found = {u.id: u for c in post.channels for u in users_with_role(role, ("channel", c.id))}
        return list(found.values()) or users_with_role(role)
    return users_with_role(role)


def _route(step: engine.Step, post: Post) -> tuple[list[int], str]:
    holders = _holders(step.role, step.scope, post)
    up_role = engine.ROLE_UP.get(step.role)
    up = _holders(up_role, engine.ROLE_SCOPES[up_role][0], post) if up_role else []
    excluded = {post.created_by_id, post.current.written_by_id}
    return engine.route([u.id for u in holders], excluded, {u.id: u.deputy_id for u in holders},
                        [u.id for u in up])


def _active_delegations(now: datetime | None = None) -> dict[int, int]:
    now = now or workdays.now()
    rows = db.session.scalars(select(Delegation).where(
        Delegation.starts_at <= now, Delegation.ends_at > now, Delegation.revoked_at.is_(None))).all()
    return {d.user_id: d.deputy_id for d in rows}


def acting_for(user, sub: Submission) -> tuple[bool, int | None]:
    """(may act at the current step, on whose behalf when through a delegation)."""
    ids = [a.user_id for a in sub.assignees]
    if user.id in ids:
        return True, None
    for holder, deputy in _active_delegations().items():
        if deputy == user.id and holder in ids:
            return True, holder
    return False, None


def _review(sub: Submission, action: str, user, *, comment: str = "", on_behalf_of: int | None = None,
            **detail) -> Review:
    post = sub.post
    step = sub.version.step_objs()[sub.step] if sub.step is not None else None
    r = Review(post_id=post.id, submission_id=sub.id, action=action, step=sub.step, role=step.role if step else "",
               round=sub.round, user_id=user.id, on_behalf_of_id=on_behalf_of, revision=post.current.number,
               revision_hash=post.current.content_hash, comment=comment, detail=detail)
    db.session.add(r)
    return r


def _start_step(sub: Submission, index: int, actor) -> None:
    post = sub.post
    step = sub.version.step_objs()[index]
    now = workdays.now()
    sub.step = index
    sub.step_started_at = now
    sub.due_at = workdays.add_working_hours(now, step.due_hours, workdays.zone(), workdays.working_hours())
    sub.reminded_at = None
    ids, how = _route(step, post)
    _assign(sub, ids, how)
    if how != "role":
        _review(sub, "route", actor, how=how, assignees=ids)
    _notify_assignees(sub, "review_requested")


def _assign(sub: Submission, ids: list[int], how: str) -> None:
    sub.assignees.clear()
    db.session.flush()
    sub.assignees.extend(Assignee(user_id=i) for i in ids)
    sub.routing = how


# --- notifications -------------------------------------------------------------------------------

def _notify(users, kind: str, text: str, post: Post) -> None:
    from cms.notify import service as notify

    notify.notify(users, kind, text, f"/posts/{post.id}/review", post=post)  # also from the worker


def _notify_assignees(sub: Submission, kind: str) -> None:
    post = sub.post
    ids = engine.with_delegates([a.user_id for a in sub.assignees], _active_delegations())
    users = [db.session.get(User, i) for i in ids]
    step = sub.version.step_objs()[sub.step]
    if kind == "review_requested":
        text = _("「%(title)s」 waits for your review: %(role)s, due %(due)s.", title=post.title,
                 role=_role_label(step.role), due=_local(sub.due_at))
    else:
        text = _("Overdue: 「%(title)s」 was due for review at %(due)s.", title=post.title, due=_local(sub.due_at))
    _notify(users, kind, text, post)


def _role_label(role: str) -> str:
    from cms.permissions import role_label

    return role_label(role)


def _local(dt: datetime | None) -> str:
    return workdays.local(dt).strftime("%m-%d %H:%M") if dt else ""


# --- submitting ----------------------------------------------------------------------------------

def is_author_side(user, post: Post) -> bool:
    """The author, or a contributor or head of the post's department (who edit its drafts)."""
    from cms.content.policy import is_author_side as author_side

    return author_side(user, post)


def active_submission(post: Post) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.post_id == post.id, Submission.state.in_(
        ("active", "approved"))).order_by(Submission.id.desc()).limit(1))


def submit(user, post: Post, reasons: dict | None = None) -> Submission:
    """Into review: checks without errors and a reason for each warning (C4)."""
    from cms.content.service import findings

    if not is_author_side(user, post):
        raise Refused(_("Only the author's side submits a post."), code="forbidden", status=403)
    reasons = {str(k): str(v).strip()[:500] for k, v in (reasons or {}).items() if isinstance(k, str)}
    found = findings(post)
    warnings = [f.id for f in found if f.severity == WARNING]
    refusal = engine.submit_refusal(post.status, [f.id for f in found if f.severity == ERROR], warnings, reasons)
    if refusal:
        _refuse(refusal)
    version = pick_version(post)
    sub = Submission(post_id=post.id, version_id=version.id, submitted_by_id=user.id,
                     reasons={w: reasons[w] for w in warnings})
    db.session.add(sub)
    db.session.flush()
    post.status = "in_review"
    post.updated_at = workdays.now()
    _review(sub, "submit", user, reasons=sub.reasons)
    first = engine.next_step(version.step_objs(), None, post.important, False)
    _start_step(sub, first, user)
    record("post.submitted", post, after={"revision": post.current.number, "template": version.template.key,
                                          "version": version.number, "reasons": sub.reasons})
    db.session.commit()
    return sub


# --- deciding ------------------------------------------------------------------------------------

def push_status(channel: Channel) -> dict:
    """A WeChat channel's pushes this day and month (C18) and what is left. A push is a message:
    the pushes sent (a 多图文 bundle's posts share one), plus one for every 8 posts approved for a
    push and still waiting (they may go together as one 多图文, bundles.py)."""
    now = workdays.local(workdays.now())
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    sent = db.session.execute(select(Publication.msg_id, func.min(Publication.updated_at)).where(
        Publication.channel_id == channel.id, Publication.push.is_(True), Publication.msg_id.is_not(None),
        Publication.updated_at >= month_start).group_by(Publication.msg_id)).all()
    pushed_posts = set(db.session.scalars(select(Publication.post_id).where(
        Publication.channel_id == channel.id, Publication.push.is_(True), Publication.msg_id.is_not(None))))
    rows = db.session.execute(select(Submission.post_id, Submission.approved_at, Submission.push).where(
        Submission.state == "approved", Submission.approved_at >= month_start)).all()
    waiting = [at for post_id, at, push in rows
               if (push or {}).get(str(channel.id)) and post_id not in pushed_posts]
    waiting_today = [at for at in waiting if at >= day_start]
    month = len(sent) + -(-len(waiting) // 8)
    today = sum(1 for _m, at in sent if at >= day_start) + -(-len(waiting_today) // 8)
    allowed, period = publishing.push_allowance(channel)
    left = engine.pushes_left(allowed, period, today, month)
    joinable = len(waiting_today if period == "day" else waiting) % 8 != 0  # another post fits that message
    return {"month": month, "today": today, "allowed": allowed, "period": period, "waiting": len(waiting),
            "left": left, "may_push": left > 0 or joinable}


def _flow(post: Post, sub: Submission) -> engine.Flow:
    wechat = [c for c in post.channels if c.platform == "wechat"]
    return engine.Flow(
        status=post.status, steps=sub.version.step_objs(), step=sub.step, author=post.created_by_id,
        revision=post.current.number, revision_hash=post.current.content_hash,
        revision_writer=post.current.written_by_id, revision_step=_revision_step(post, sub),
        important=post.important, escalated=sub.escalated,
        confidential=post.confidential, push_channels=tuple(c.id for c in wechat),
        push_remaining={c.id: 1 if push_status(c)["may_push"] else 0 for c in wechat})


def _revision_step(post: Post, sub: Submission) -> int | None:
    """The may-edit step at which the current revision was written in this round, if any."""
    return db.session.scalar(select(Review.step).where(
        Review.submission_id == sub.id, Review.round == sub.round, Review.action == "edit",
        Review.revision == post.current.number).order_by(Review.id.desc()).limit(1))


def _lock(post: Post) -> Submission:
    sub = active_submission(post)
    if sub is None or sub.state != "active":
        _refuse(engine.Refusal("wrong_state", "This post is not waiting for a review.", 409))
    return db.session.get(Submission, sub.id, with_for_update=True, populate_existing=True)


def _parse_push(raw) -> dict[int, bool]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise Refused(_("push maps channel ids to true or false (C18)."), code="invalid", status=400)
    try:
        return {int(k): bool(v) for k, v in raw.items()}
    except (TypeError, ValueError):
        raise Refused(_("push maps channel ids to true or false (C18)."), code="invalid", status=400) from None


def decide(user, post: Post, data: dict) -> Review:
    """One decision at the current step, on the revision the reviewer saw."""
    sub = _lock(post)
    revision = data.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise Refused(_("Name the revision number you reviewed."), code="invalid", status=400,
                      fields={"revision": [_("Required.")]})
    d = engine.Decision(decision=str(data.get("decision", "")), revision=revision,
                        hash=data.get("hash") or None, comment=str(data.get("comment") or "").strip()[:2000],
                        escalate=bool(data.get("escalate")), push=_parse_push(data.get("push")))
    allowed, on_behalf = acting_for(user, sub)
    outcome = engine.decide(_flow(post, sub), user.id, allowed, d)
    if isinstance(outcome, engine.Refusal):
        _refuse(outcome)
    detail = {}
    if d.push:
        detail["push"] = {str(k): v for k, v in d.push.items()}
        sub.push = detail["push"]
    if d.escalate:
        detail["escalate"] = True
    review = _review(sub, d.decision, user, comment=d.comment, on_behalf_of=on_behalf, **detail)
    sub.escalated = outcome.escalated
    now = workdays.now()
    post.status = outcome.status
    post.updated_at = now
    if outcome.status == "rejected":
        sub.state, sub.step = "rejected", None
        _assign(sub, [], "role")
        _notify([post.created_by], "rejected", _("「%(title)s」 was returned by %(who)s: %(comment)s",
                                                 title=post.title, who=user.real_name, comment=d.comment), post)
    elif outcome.final:
        sub.state, sub.step = "approved", None
        sub.approved_at = now
        sub.publish_day = engine.approval_day(workdays.local(now).date(), post.planned_date)
        _assign(sub, [], "role")
        from cms.publishing.policy import publishes_any

        # the account administrators of its channels (issue 13: not another channel's)
        admins = [u for u in users_with_role("account_admin") if publishes_any(u, post)]
        _notify([post.created_by, *admins], "approved",
                _("「%(title)s」 is approved: publish it on %(day)s (C8).", title=post.title,
                  day=sub.publish_day.isoformat()), post)
    else:
        _start_step(sub, outcome.step, user)
    record(f"post.{d.decision}d" if d.decision == "approve" else "post.rejected", post,
           after={"revision": d.revision, "hash": post.current.content_hash, "step": review.step,
                  "role": review.role, "comment": d.comment, "on_behalf_of": on_behalf, **detail,
                  "status": post.status, "publish_day": sub.publish_day})
    db.session.commit()
    return review


# --- edits during review -------------------------------------------------------------------------

def may_edit(user, post: Post) -> bool:
    """Edits outside draft/rejected: the holder of a may-edit step, or the author's side (which
    restarts the chain)."""
    sub = active_submission(post)
    if sub is None:
        return False
    effect = engine.edit_effect(_flow(post, sub) if sub.state == "active" else _approved_flow(post, sub),
                                acting_for(user, sub)[0], is_author_side(user, post))
    return effect in ("continue", "restart")


def _approved_flow(post: Post, sub: Submission) -> engine.Flow:
    return engine.Flow(status=post.status, steps=sub.version.step_objs(), step=None, author=post.created_by_id,
                       revision=post.current.number, revision_hash=post.current.content_hash,
                       revision_writer=post.current.written_by_id)


def after_revision(user, post: Post, rev: Revision, previous: Revision) -> None:
    """A new revision while a submission is open: a may-edit step's holder goes on; the author's
    side restarts the chain at step one and earlier reviews go stale (kept). Called inside the
    content service's transaction."""
    sub = active_submission(post)
    if sub is None:
        return
    flow = _flow(post, sub) if sub.state == "active" else _approved_flow(post, sub)
    effect = engine.edit_effect(flow, acting_for(user, sub)[0], is_author_side(user, post))
    if isinstance(effect, engine.Refusal):
        _refuse(effect)
    if effect == "continue":
        _review(sub, "edit", user, previous=previous.number)
        return
    if effect == "restart":
        for r in db.session.scalars(select(Review).where(Review.submission_id == sub.id, Review.stale.is_(False),
                                                         Review.action.in_(("approve", "edit")))):
            r.stale = True
        sub.round += 1
        sub.state = "active"
        sub.escalated = False
        sub.push = {}
        sub.approved_at = sub.publish_day = None
        post.status = "in_review"
        _review(sub, "restart", user, previous=previous.number)
        _start_step(sub, engine.next_step(sub.version.step_objs(), None, post.important, False), user)
        record("post.review_restarted", post, after={"revision": rev.number, "round": sub.round})


def withdraw(user, post: Post, reason: str = "") -> None:
    refusal = engine.withdraw_refusal(post.status, is_author_side(user, post))
    if refusal:
        _refuse(refusal)
    sub = active_submission(post)
    _review(sub, "withdraw", user, comment=reason.strip()[:500])
    sub.state, sub.step = "withdrawn", None
    _assign(sub, [], "role")
    post.status = "draft"
    record("post.withdrawn", post, after={"reason": reason.strip()[:500]})
    db.session.commit()


def reopen_for_correction(user, post: Post, reason: str, withdrawal_id: int) -> None:
    """A published post taken down for correction goes back to the author's side as a draft: the
    approved submission is closed (its signatures stay, C11), the timeline says why, and the
    corrected revision passes the whole chain again (C4). In the caller's transaction."""
    sub = active_submission(post)
    if sub is not None:
        _review(sub, "correct", user, comment=reason.strip()[:500], withdrawal=withdrawal_id)
        sub.state, sub.step = "corrected", None
        _assign(sub, [], "role")
    before = post.status
    post.status = "draft"
    post.updated_at = workdays.now()
    record("post.reopened_for_correction", post, before={"status": before},
           after={"status": "draft", "withdrawal": withdrawal_id, "reason": reason.strip()[:500]}, actor=user)
    _notify([post.created_by], "correction_requested",
            _("「%(title)s」 was taken down for correction: %(reason)s Edit it and submit it for review again.",
              title=post.title, reason=reason.strip()[:200]), post)


# --- reassigning, delegating, reminding ----------------------------------------------------------

def reassign(user, post: Post, user_ids: list[int], reason: str) -> None:
    """An administrator names who holds the current step (the holder is away, or nobody holds it)."""
    if not reason.strip():
        raise Refused(_("Say why the step is reassigned."), fields={"reason": [_("Required.")]})
    sub = _lock(post)
    people = [u for u in (db.session.get(User, i) for i in user_ids) if u is not None and u.is_active]
    if not people:
        raise Refused(_("Choose at least one active person."), fields={"users": [_("Required.")]})
    if any(u.id in (post.created_by_id, post.current.written_by_id) for u in people):
        raise Refused(_("Nobody decides on a post or revision they wrote."), code="own_revision",
                      fields={"users": [_("Choose someone else.")]})
    before = [a.user_id for a in sub.assignees]
    _assign(sub, [u.id for u in people], "reassigned")
    _review(sub, "reassign", user, comment=reason.strip()[:500], assignees=[u.id for u in people])
    record("post.step_reassigned", post, before={"assignees": before},
           after={"assignees": [u.id for u in people], "reason": reason.strip()[:500]})
    _notify_assignees(sub, "review_requested")
    db.session.commit()


def delegate(user, deputy_id: int, starts_at: datetime, ends_at: datetime, reason: str = "") -> Delegation:
    deputy = db.session.get(User, deputy_id)
    if deputy is None or not deputy.is_active or deputy.id == user.id:
        raise Refused(_("Choose an active colleague as your deputy."), fields={"deputy": [_("Choose someone else.")]})
    if ends_at <= starts_at:
        raise Refused(_("The delegation must end after it starts."), fields={"ends_at": [_("After the start.")]})
    if ends_at - starts_at > timedelta(days=90):
        raise Refused(_("A delegation lasts at most 90 days."), fields={"ends_at": [_("Too long.")]})
    d = Delegation(user_id=user.id, deputy_id=deputy.id, starts_at=starts_at, ends_at=ends_at, reason=reason[:200])
    db.session.add(d)
    db.session.flush()
    record("workflow.delegated", d, after={"deputy": deputy.username, "starts_at": starts_at,
                                           "ends_at": ends_at, "reason": reason[:200]})
    db.session.commit()
    return d


def delegations(user) -> list[Delegation]:
    return db.session.scalars(select(Delegation).where(
        or_(Delegation.user_id == user.id, Delegation.deputy_id == user.id)).order_by(Delegation.id.desc())).all()


def revoke_delegation(user, delegation_id: int) -> None:
    d = db.session.get(Delegation, delegation_id)
    if d is None or d.user_id != user.id:
        raise NotFound(_("No such delegation."), code="not_found")
    d.revoked_at = workdays.now()
    record("workflow.delegation_revoked", d)
    db.session.commit()


def remind_overdue() -> int:
    """Remind the holders of overdue steps once per step (run by the worker)."""
    now = workdays.now()
    subs = db.session.scalars(select(Submission).where(
        Submission.state == "active", Submission.due_at < now, Submission.reminded_at.is_(None))).all()
    for sub in subs:
        _notify_assignees(sub, "overdue")
        sub.reminded_at = now
    db.session.commit()
    return len(subs)


def flag_unpublished() -> int:
    """C8: an approved post still unpublished after its approval day is flagged in the audit
    trail (once) and stands out on the dashboard."""
    today = workdays.today()
    subs = db.session.scalars(select(Submission).join(Post).where(
        Submission.state == "approved", Submission.publish_day < today, Submission.overdue_flagged_at.is_(None),
        Post.status == "approved")).all()
    for sub in subs:
        sub.overdue_flagged_at = workdays.now()
        record("post.publish_overdue", sub.post, actor=False,
               after={"publish_day": sub.publish_day, "approved_at": sub.approved_at})
    db.session.commit()
    return len(subs)


# --- what pages show -----------------------------------------------------------------------------

def inbox_query(user):
    """Submissions whose current step waits for `user` (directly or as a deputy)."""
    holders = [h for h, d in _active_delegations().items() if d == user.id]
    return (select(Submission).join(Assignee).where(
        Submission.state == "active", Assignee.user_id.in_([user.id, *holders]))
        .distinct().order_by(Submission.due_at))


def inbox_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(inbox_query(user).subquery())) or 0


def publish_queue(day=None) -> list[Submission]:
    """Approved posts whose C8 day has come and which are not out yet, the overdue first."""
    day = day or workdays.today()
    return db.session.scalars(select(Submission).join(Post).where(
        Submission.state == "approved", Submission.publish_day <= day, Post.status == "approved")
        .order_by(Submission.publish_day, Submission.approved_at)).all()


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
    step = sub.version.step_objs()[sub.step]
    return {"index": sub.step, "role": step.role, "assignees": [a.user for a in sub.assignees],
            "due_at": sub.due_at, "may_edit": step.may_edit, "decides_push": step.decides_push,
            "may_escalate": step.may_escalate, "routing": sub.routing,
            "overdue": engine.is_overdue(sub.due_at, workdays.now())}


def latest_submission(post: Post) -> Submission | None:
    """The active submission, else the post's last one (approved, rejected, withdrawn...)."""
    return active_submission(post) or db.session.scalar(
        select(Submission).where(Submission.post_id == post.id).order_by(Submission.id.desc()).limit(1))


def reviewers_for_reassign() -> list[User]:
    return db.session.scalars(select(User).join(RoleAssignment).where(
        User.state == "active", RoleAssignment.role.in_(engine.REVIEW_ROLES)).distinct().order_by(User.id)).all()


def calendar_month(user, month, channel_id: int | None = None) -> dict:
    """Day → [(post, kind)] for the month of `month`: a post sits on its C8 day once approved,
    else on its planned date. Kind is the post's status."""
    from cms.content.models import post_channel
    from cms.content.policy import visible_posts

    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    day = func.coalesce(Submission.publish_day, Post.planned_date)
    latest = (select(Submission.post_id, func.max(Submission.id).label("sid"))
              .where(Submission.state == "approved").group_by(Submission.post_id).subquery())
    q = (select(Post, Submission.publish_day).outerjoin(latest, latest.c.post_id == Post.id)
         .outerjoin(Submission, Submission.id == latest.c.sid)
         .where(day >= start, day < end, Post.status != "withdrawn"))
    if channel_id:
        q = q.where(Post.id.in_(select(post_channel.c.post_id).where(post_channel.c.channel_id == channel_id)))
    days: dict = {}
    for post, publish_day in db.session.execute(visible_posts(user, q).order_by(Post.id)).all():
        days.setdefault(publish_day or post.planned_date, []).append(post)
    return days
