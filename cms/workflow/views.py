"""The reviewer's day in the browser: the inbox, the review page, submit/decide/withdraw/reassign,
delegations, the "publish today" queue, the editorial calendar and chain templates. Thin views:
the rules live in cms.workflow.engine, the writing in cms.workflow.service."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cms import workdays
from cms.auth.models import User
from cms.channels.models import Channel
from cms.content import service as content
from cms.content.forms import CATEGORY_LABELS
from cms.content.models import Post
from cms.errors import Refused
from cms.extensions import db
from cms.navigation import counted
from cms.permissions import SELF
from cms.ui import user_roles
from cms.web import requires
from cms.workflow import engine, policy, queries, service, templates
from cms.workflow.forms import (
    CsrfForm,
    DecisionForm,
    DelegationForm,
    RuleForm,
    push_from,
    reasons_from,
    steps_from,
)
from cms.worklist import provider

bp = Blueprint("workflow", __name__)


@counted("workflow.inbox")
def _inbox_count(user) -> int:
    return queries.inbox_count(user)


@provider
def _waiting_reviews(user):
    """Home page: the steps waiting for this reviewer, overdue first in red."""
    if not user.holds("post.review"):  # a home page section; the inbox lists the steps routed to them
        return None
    now = workdays.now()
    subs = db.session.scalars(queries.inbox_query(user)).all()
    return {"title": _("Waiting for my review"), "empty": _("Nothing is waiting for your review."),
            "items": [{"label": s.post.title, "url": url_for("workflow.review", post_id=s.post_id),
                       "due": s.due_at, "overdue": engine.is_overdue(s.due_at, now)} for s in subs]}


@provider
def _returned_to_me(user):
    """Home page of an author: posts a reviewer returned."""
    posts = db.session.scalars(select(Post).where(Post.created_by_id == user.id, Post.status == "rejected")
                               .order_by(Post.updated_at.desc())).all()
    if not posts:
        return None
    return {"title": _("Returned to me"), "items": [
        {"label": p.title, "url": url_for("workflow.review", post_id=p.id), "overdue": True} for p in posts]}


@bp.app_context_processor
def _helpers():
    return {"workflow_panel": _panel, "workflow_signatures": queries.signatures, "scope_label": _scope_label}


def _scope_label(scope: str) -> str:
    return _(engine.SCOPES.get(scope, scope))


def _panel(post: Post) -> dict:
    """What the post page shows of the chain: state, current step, and the author's actions."""
    sub = queries.active_submission(post)
    author_side = service.is_author_side(current_user, post)
    findings = content.findings(post) if author_side and post.status in engine.SUBMITTABLE else []
    return {"sub": sub, "step": queries.step_view(post, sub if sub and sub.state == "active" else None),
            "may_submit": author_side and post.status in engine.SUBMITTABLE,
            "may_withdraw": author_side and post.status in ("in_review", "approved"),
            "warnings": [f for f in findings if f.severity == "warning"],
            "errors": [f for f in findings if f.severity == "error"],
            "may_review": bool(sub and sub.state == "active" and service.acting_for(current_user, sub)[0]),
            "form": CsrfForm()}


def _back(post_id: int, to: str = "content.post_view"):
    return redirect(url_for(to, post_id=post_id))


def _check_csrf():
    if not CsrfForm().validate_on_submit():
        abort(400)


# --- submit and withdraw -------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/submit", methods=["POST"])
@requires(SELF)
def submit(post_id: int):
    post = content.get_post(current_user, post_id)
    _check_csrf()
    try:
        sub = service.submit(current_user, post, reasons_from(request.form))
    except Refused as e:
        flash(e.message, "danger")
        for fid in e.extra.get("findings", []):
            flash(_("Needs attention: %(id)s", id=fid), "warning")
        return _back(post_id)
    names = "、".join(a.user.real_name for a in sub.assignees) or _("an administrator (nobody holds the step)")
    flash(_("Submitted for review: the first step is with %(names)s.", names=names), "success")
    return _back(post_id)


@bp.route("/posts/<int:post_id>/withdraw", methods=["POST"])
@requires(SELF)
def withdraw(post_id: int):
    post = content.get_post(current_user, post_id)
    _check_csrf()
    try:
        service.withdraw(current_user, post, request.form.get("reason", ""))
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("Withdrawn: the post is a draft again."), "success")
    return _back(post_id)


BULK_MAX = 100  # posts in one bulk action


@bp.app_template_global("bulk_reviewers")
def _bulk_reviewers():
    """Reviewers the post list's "assign" bulk action offers: only to who manages review chains."""
    if not (current_user.is_authenticated and current_user.holds("workflow.manage")):
        return []
    return queries.reviewers_for_reassign()


@bp.route("/posts/bulk", methods=["POST"])
@requires(SELF)  # each post asks its own policy: content.get_post (404 to who may not see it), then
#                  service.submit / service.withdraw (the author's side only, C4)
def bulk():
    """The post list's bulk actions (issue 19): submit or withdraw the checked posts, or (review
    chain administrators) assign their current step to one reviewer with a reason; each post
    checked on its own (seen? the author's side? checks clean, C4? a step in review?), then one
    summary: done, and refused with the reason per post. Each post is its own transaction."""
    from cms.errors import NotFound

    _check_csrf()
    action = request.form.get("action")
    if action not in ("submit", "withdraw", "assign"):
        flash(_("Choose an action for the checked posts."), "danger")
        return redirect(url_for("content.posts"))
    ids = []
    for raw in request.form.getlist("post")[:BULK_MAX]:
        if raw.isdigit() and int(raw) < 2**31 and int(raw) not in ids:
            ids.append(int(raw))
    if not ids:
        flash(_("Check the posts first."), "warning")
        return redirect(url_for("content.posts"))
    assignee = request.form.get("assignee", type=int)
    reason = (request.form.get("reason") or "").strip()[:500]
    if action == "assign" and (not assignee or not reason):
        flash(_("To assign, choose the reviewer and say why."), "danger")
        return redirect(url_for("content.posts"))
    done, refused = [], []
    for post_id in ids:
        try:
            post = content.get_post(current_user, post_id)
        except NotFound:
            refused.append(_("post %(id)d: not found", id=post_id))
            continue
        try:
            if action == "submit":
                service.submit(current_user, post, {})
            elif action == "assign":
                if not policy.can_reassign(current_user, queries.active_submission(post)):
                    raise Refused(_("Only an administrator of review chains reassigns a step in review."),
                                  code="forbidden", status=403)
                service.reassign(current_user, post, [assignee], reason)
            else:
                service.withdraw(current_user, post, "")
        except Refused as e:
            refused.append(f"「{post.title}」：{e.message}")
        else:
            done.append(post.title)
    verb = {"submit": _("submitted for review"), "withdraw": _("withdrawn to draft"),
            "assign": _("reassigned")}[action]
    if done:
        flash(_("%(n)d posts %(verb)s: %(titles)s", n=len(done), verb=verb,
                titles="、".join(f"「{t}」" for t in done)), "success")
    if refused:
        flash(_("%(n)d not done: %(why)s", n=len(refused), why="；".join(refused)), "danger")
    return redirect(url_for("content.posts"))


# --- the reviewer's pages ------------------------------------------------------------------------

@bp.route("/inbox")
@requires("post.review")
def inbox():
    subs = db.session.scalars(queries.inbox_query(current_user)).all()
    return render_template("workflow/inbox.html", subs=subs, now=workdays.now(), step_view=queries.step_view)


@bp.route("/posts/<int:post_id>/review")
@requires(SELF)
def review(post_id: int):
    post = content.get_post(current_user, post_id)
    sub = queries.active_submission(post)
    active = sub if sub and sub.state == "active" else None
    allowed, on_behalf = service.acting_for(current_user, active) if active else (False, None)
    base = queries.diff_base(current_user, post, sub)
    step = queries.step_view(post, active)
    wechat = [c for c in post.channels if c.platform == "wechat"]
    return render_template(
        "workflow/review.html", post=post, rev=post.current, sub=sub, step=step, allowed=allowed,
        on_behalf=db.session.get(User, on_behalf) if on_behalf else None, base=base,
        diff=content.diff(post, base, post.current.number) if base else None,
        findings=content.findings(post), timeline=queries.timeline(post), form=DecisionForm(),
        action=CsrfForm(), wechat=[(c, service.push_status(c)) for c in wechat],
        reassignable=queries.reviewers_for_reassign() if policy.can_reassign(current_user, active) else [],
        author_side=service.is_author_side(current_user, post))


@bp.route("/posts/<int:post_id>/review", methods=["POST"])
@requires("post.review")
def decide(post_id: int):
    post = content.get_post(current_user, post_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    data = {"decision": request.form.get("decision"), "revision": request.form.get("revision", type=int),
            "hash": request.form.get("hash"), "comment": form.comment.data or "",
            "escalate": bool(request.form.get("escalate")), "push": push_from(request.form)}
    try:
        review = service.decide(current_user, post, data)
    except Refused as e:
        flash(e.message, "danger")
        if e.status == 409:  # someone changed the post meanwhile: show them what is there now
            flash(_("The page now shows revision %(n)d.", n=post.current.number), "info")
        return _back(post_id, "workflow.review"), 303
    flash(_("Approved.") if review.action == "approve" else _("Rejected: the post is back with its author."),
          "success")
    return redirect(url_for("workflow.inbox") if current_user.holds("post.review") else
                    url_for("content.post_view", post_id=post_id))


@bp.route("/posts/<int:post_id>/reassign", methods=["POST"])
@requires("workflow.manage")
def reassign(post_id: int):
    post = content.get_post(current_user, post_id)
    _check_csrf()
    try:
        service.reassign(current_user, post, request.form.getlist("users", type=int), request.form.get("reason", ""))
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("The step is reassigned."), "success")
    return _back(post_id, "workflow.review")


# --- delegation ----------------------------------------------------------------------------------

@bp.route("/delegations", methods=["GET", "POST"])
@requires("post.review")
def delegations():
    form = DelegationForm()
    form.deputy.choices = [(u.id, f"{u.real_name}（{user_roles(u)}）") for u in queries.reviewers_for_reassign()
                           if u.id != current_user.id]
    if request.method == "GET":
        now = workdays.local(workdays.now()).replace(second=0, microsecond=0, tzinfo=None)
        form.starts_at.data = now
        form.ends_at.data = now + timedelta(days=1)
    elif form.validate_on_submit():
        zone = workdays.zone()
        try:
            service.delegate(current_user, form.deputy.data, form.starts_at.data.replace(tzinfo=zone),
                             form.ends_at.data.replace(tzinfo=zone), form.reason.data or "")
        except Refused as e:
            for name, messages in e.fields.items():
                getattr(form, name, form.reason).errors = list(messages)
            flash(e.message, "danger")
        else:
            flash(_("Delegated: your deputy decides your steps for that period."), "success")
            return redirect(url_for("workflow.delegations"))
    status = 400 if request.method == "POST" else 200
    return render_template("workflow/delegations.html", form=form, action=CsrfForm(),
                           items=service.delegations(current_user), now=workdays.now()), status


@bp.route("/delegations/<int:delegation_id>/revoke", methods=["POST"])
@requires("post.review")
def delegation_revoke(delegation_id: int):
    _check_csrf()
    service.revoke_delegation(current_user, delegation_id)
    flash(_("The delegation is ended."), "success")
    return redirect(url_for("workflow.delegations"))


# --- after approval ------------------------------------------------------------------------------

@bp.route("/calendar")
@requires(SELF)
def editorial_calendar():
    """A month of planned, approved, scheduled and published posts, per channel."""
    today = workdays.today()
    try:
        month = date.fromisoformat((request.args.get("month") or today.strftime("%Y-%m")) + "-01")
    except ValueError:
        month = today.replace(day=1)
    channel = request.args.get("channel", type=int)
    days = queries.calendar_month(current_user, month, channel)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    prev_month = (month - timedelta(days=1)).replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    channels = db.session.scalars(select(Channel).where(Channel.active).order_by(Channel.id)).all()
    return render_template("workflow/calendar.html", month=month, weeks=weeks, days=days, today=today,
                           prev_month=prev_month, next_month=next_month, channels=channels, channel=channel)


# --- chain templates -----------------------------------------------------------------------------

@bp.route("/admin/chains", methods=["GET", "POST"])
@requires("workflow.manage")
def chains():
    form = RuleForm()
    channels = db.session.scalars(select(Channel).order_by(Channel.id)).all()
    form.channel.choices = [("", _("Any channel"))] + [(str(c.id), c.name) for c in channels]
    form.category.choices = [("", _("Any category"))] + [(k, str(v)) for k, v in CATEGORY_LABELS.items()]
    form.template.choices = [(t.id, t.name) for t in templates.templates()]
    if form.validate_on_submit():
        try:
            templates.set_rule(current_user, int(form.channel.data) if form.channel.data else None,
                             form.category.data or None, form.template.data)
        except Refused as e:
            flash(e.message, "danger")
        else:
            flash(_("The rule is saved: new submissions follow it."), "success")
            return redirect(url_for("workflow.chains"))
    return render_template("workflow/chains.html", templates=templates.templates(), rules=templates.rules(),
                           form=form, action=CsrfForm())


@bp.route("/admin/chains/rules/<int:rule_id>/delete", methods=["POST"])
@requires("workflow.manage")
def rule_delete(rule_id: int):
    _check_csrf()
    try:
        templates.delete_rule(current_user, rule_id)
    except Refused as e:
        flash(e.message, "danger")
    return redirect(url_for("workflow.chains"))


@bp.route("/admin/chains/<int:template_id>", methods=["GET", "POST"])
@requires("workflow.manage")
def chain_edit(template_id: int):
    template = templates.get_template(template_id)
    steps, errors, status = template.latest.steps, {}, 200
    if request.method == "POST":
        _check_csrf()
        steps = steps_from(request.form)
        try:
            v = templates.save_template(current_user, template, steps, request.form.get("note", ""))
        except Refused as e:
            errors, status = e.fields, 400
            flash(e.message, "danger")
        else:
            flash(_("Saved as version %(n)d. Posts already in review keep the version they started under.",
                    n=v.number), "success")
            return redirect(url_for("workflow.chain_edit", template_id=template_id))
    return render_template("workflow/chain_edit.html", template=template, steps=steps, errors=errors,
                           roles=engine.ROLE_SCOPES, action=CsrfForm(), note=request.form.get("note", "")), status
