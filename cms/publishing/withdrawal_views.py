"""Withdrawing or correcting a published post in the browser: the post's withdrawal page (the open
request, the request form, the history), the supervisor's decision, the retry; the pending requests
in the supervisor's "Waiting for me" (list and navigation count) and on the home page, and the
panel on the post page. Thin views: the rules are in withdrawal_rules, the writing in withdrawals."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms.channels.forms import LABELS, ActionForm
from cms.content.service import get_post
from cms.errors import Refused
from cms.navigation import counted
from cms.permissions import SELF
from cms.publishing import withdrawals as service
from cms.publishing.queries import publications_for
from cms.publishing.withdrawal_forms import STATE_BADGES, STATE_LABELS, DecisionForm, WithdrawalForm
from cms.web import requires
from cms.worklist import provider

bp = Blueprint("withdrawals", __name__)


def _page(post, form=None, decision=None, status=200):
    allowed = service.may_request_channels(current_user, post)
    published = [p for p in publications_for(post) if p.state == "published"]
    form = form or WithdrawalForm(formdata=None)
    form.channels.choices = [(p.channel_id, p.channel.name) for p in published if p.channel_id in allowed]
    history = service.for_post(post)
    return render_template(
        "publishing/withdrawals.html", post=post, form=form, decision=decision or DecisionForm(formdata=None),
        action=ActionForm(), history=history, open=service.open_for(post), allowed=allowed,
        published=published, states=STATE_LABELS, badges=STATE_BADGES, labels=LABELS, svc=service,
        may_request=bool(allowed) and bool(published) and post.status == "published"), status


@bp.route("/posts/<int:post_id>/withdrawals")
@requires(SELF)  # whoever may see the post (get_post answers 404 to others); the form only for requesters
def post_withdrawals(post_id: int):
    return _page(get_post(current_user, post_id))


@bp.route("/posts/<int:post_id>/withdrawals", methods=["POST"])
@requires("publish.request_withdraw")  # and, per channel, its account administrator or supervisor
def request_withdrawal(post_id: int):
    post = get_post(current_user, post_id)
    form = WithdrawalForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _page(post, form, status=400)
    try:
        w = service.request(current_user, post, form.kind.data or "", form.reason.data or "",
                            list(form.channels.data or []))
    except Refused as e:
        flash(e.message, "danger")  # the whole reason, and beside the fields it names
        for name, messages in e.fields.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, *messages]
        return _page(post, form, status=e.status)
    names = "、".join(u.real_name for u in service.deciders(w)) or _("another platform supervisor (none is named yet)")
    flash(_("Request filed: %(names)s decides it.", names=names), "success")
    return redirect(url_for("withdrawals.post_withdrawals", post_id=post.id))


@bp.route("/withdrawals/<int:withdrawal_id>/decision", methods=["POST"])
@requires("publish.approve_withdraw")  # and a supervisor of every channel the request names
def decide(withdrawal_id: int):
    w = service.get_withdrawal(withdrawal_id)
    post = get_post(current_user, w.post_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = bool(form.approve.data) and not form.reject.data
    try:
        w = service.decide(current_user, w, approve, form.note.data or "")
    except Refused as e:
        flash(e.message, "danger")
        return _page(post, decision=form, status=e.status)
    _flash_outcome(w)
    return redirect(url_for("withdrawals.post_withdrawals", post_id=post.id))


@bp.route("/withdrawals/<int:withdrawal_id>/retry", methods=["POST"])
@requires("publish.request_withdraw")  # and, per channel, its account administrator or supervisor
def retry(withdrawal_id: int):
    w = service.get_withdrawal(withdrawal_id)
    post = get_post(current_user, w.post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        w = service.retry(current_user, w)
    except Refused as e:
        flash(e.message, "danger")
        return _page(post, status=e.status)
    _flash_outcome(w)
    return redirect(url_for("withdrawals.post_withdrawals", post_id=post.id))


def _flash_outcome(w) -> None:
    if w.state == "rejected":
        flash(_("Rejected: the post stays published."), "success")
    elif w.state == "done" and w.kind == "correct":
        flash(_("Taken down: the post is back with its author for a corrected revision, which passes its review "
                "chain again (C4)."), "success")
    elif w.state == "done":
        flash(_("Taken down from every channel the request named."), "success")
    else:
        flash(_("Not every channel could be withdrawn: %(error)s", error=w.last_error), "danger")


# --- what waits for whom -------------------------------------------------------------------------

@counted("workflow.inbox")
def _waiting_count(user) -> int:
    return len(service.waiting_for(user))


@provider
def _withdrawals_waiting(user):
    """Home page: requests waiting for this supervisor; the requester's failed ones (to retry); the
    author's posts taken down for correction."""
    items = [{"label": _("To decide: %(kind)s 「%(title)s」 (%(who)s)", kind=service.kind_label(w.kind),
                         title=w.post.title, who=w.requested_by.real_name if w.requested_by else ""),
              "url": url_for("withdrawals.post_withdrawals", post_id=w.post_id)}
             for w in service.waiting_for(user)]
    items += [{"label": _("Failed, to retry: 「%(title)s」: %(error)s", title=w.post.title, error=w.last_error),
               "url": url_for("withdrawals.post_withdrawals", post_id=w.post_id), "overdue": True}
              for w in service.failed_of(user)]
    items += [{"label": _("To correct: 「%(title)s」: %(reason)s", title=w.post.title, reason=w.reason),
               "url": url_for("content.post_view", post_id=w.post_id), "overdue": True}
              for w in service.to_correct(user)]
    if not items:
        return None
    return {"title": _("Withdrawals and corrections"), "items": items}


class _Pages:
    """What templates outside this blueprint ask: the inbox section and the post page's panel."""

    states = STATE_LABELS
    badges = STATE_BADGES

    @staticmethod
    def kind(kind: str) -> str:
        return service.kind_label(kind)

    @staticmethod
    def waiting():
        return service.waiting_for(current_user)

    @staticmethod
    def panel(post) -> dict:
        allowed = service.may_request_channels(current_user, post)
        return {"open": service.open_for(post), "count": len(service.for_post(post)),
                "may_request": bool(allowed) and post.status == "published"}


@bp.app_context_processor
def _withdrawal_pages():
    return {"withdrawal_pages": _Pages}
