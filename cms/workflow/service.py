"""Review chains: what the views and the API call. Gathers facts, asks cms.workflow.engine,
writes the answer down with an audit entry and notifications, and owns the transaction
(policies C4 C5 C7 C8 C11 C18)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from cms import workdays
from cms.audit.service import record
from cms.auth.models import User, users_with_role
from cms.channels import service as publishing
from cms.channels.models import Channel, Publication
from cms.content import review_hooks
from cms.content.checks import ERROR, WARNING
from cms.content.models import Post, Revision
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.holidays import service as holidays
from cms.transactions import operation
from cms.workflow import engine
from cms.workflow.models import (
    Assignee,
    Delegation,
    Review,
    Submission,
)
from cms.workflow.policy import reviewing_posts, takes_part
from cms.workflow.queries import active_delegations, active_submission
from cms.workflow.templates import pick_version


def _refuse(r: engine.Refusal, **fields):
    cls = Conflict if r.status == 409 else Refused
    raise cls(_(r.message, **r.params) if "%(" in r.message else _(r.message), code=r.code, status=r.status,
              fields=fields, extra={k: v for k, v in r.params.items() if k != "n"})


# --- templates and rules -------------------------------------------------------------------------


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


def acting_for(user, sub: Submission) -> tuple[bool, int | None]:
    """(may act at the current step, on whose behalf when through a delegation)."""
    ids = [a.user_id for a in sub.assignees]
    if user.id in ids:
        return True, None
    for holder, deputy in active_delegations().items():
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
    sub.due_at = holidays.add_working_hours(now, step.due_hours)  # the holidays administrators entered count
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
    ids = engine.with_delegates([a.user_id for a in sub.assignees], active_delegations())
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


@operation
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


@operation
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
        from cms.channels.policy import publishes_any

        # the account administrators of its channels (issue 13: not another channel's)
        admins = [u for u in users_with_role("account_admin") if publishes_any(u, post)]
        # The notice goes to who acts (issue 19): the account administrators publish, on the C8
        # day and for the reason worded by engine.due_reason; the author is told it is approved.
        reason, params = engine.due_reason(workdays.local(now).date(), post.planned_date)
        from cms.notify import service as notify

        notify.notify(admins, "to_publish", _("「%(title)s」 is approved: publish it by %(day)s. %(why)s",
                                              title=post.title, day=sub.publish_day.isoformat(),
                                              why=_(reason, **params)),
                      f"/channels/posts/{post.id}/publications", post=post)
        _notify([post.created_by], "approved",
                _("「%(title)s」 passed its review: the account administrator publishes it; you are told when it "
                  "is out.", title=post.title), post)
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


@operation
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

@operation
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


@operation
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


def _register_with_content() -> None:
    """The post policy and the content service ask these (content sits below the workflow)."""
    review_hooks.register(review_hooks.ReviewHooks(takes_part=takes_part, reviewing_posts=reviewing_posts,
                                                   may_edit=may_edit, after_revision=after_revision))


_register_with_content()
