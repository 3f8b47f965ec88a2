"""The violations register at /violations (G10 U8): the list (each user sees what the policy lets
them: the group administrator everything, a department head their department's people, anyone
their own), one record with its evidence and the forms its state allows, recording, and the
decisions. Thin: the operations check, change and audit."""
from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cms import workdays
from cms.auth.models import Department, User
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.navigation import counted
from cms.permissions import SELF
from cms.violations import operations, policy, queries, rules
from cms.violations.forms import ConfirmForm, DismissForm, EvidenceForm, HandleForm, RecordForm, ReportForm
from cms.web import flash_refusal, requires
from cms.worklist import provider

bp = Blueprint("violations", __name__)

ADMIN = "group.admin"


@counted("violations.index")
def _waiting(user) -> int:
    return queries.waiting(user)


@provider
def _proposals(user):
    count = queries.waiting(user)
    if not count:
        return None
    return {"title": _("Violations"),
            "items": [{"label": _("%(n)d proposed violations wait for a decision", n=count),
                       "url": url_for("violations.index", state="proposed")}]}


def _labels() -> dict:
    return {"state": rules.STATE_LABELS, "category": rules.CATEGORY_LABELS, "source": rules.SOURCE_LABELS,
            "handling": rules.HANDLING_LABELS, "fen": rules.format_fen, "local": workdays.local}


def _departments(user) -> list[Department]:
    deps = policy.visible_department_ids(user)
    q = select(Department).order_by(Department.id)
    if deps is not None:
        q = q.where(Department.id.in_(deps or {-1}))
    return list(db.session.scalars(q))


@bp.route("/")
@requires(SELF)
def index():
    args = request.args
    filters = {
        "state": args.get("state") if args.get("state") in rules.STATES else None,
        "category": args.get("category") if args.get("category") in rules.CATEGORIES else None,
        "source": args.get("source") if args.get("source") in rules.SOURCES else None,
        "department_id": args.get("department", type=int) if 0 < (args.get("department", type=int) or 0) < 2**31
        else None,
        "person": (args.get("person") or "").strip()[:64] or None,
    }
    rows = queries.register(current_user, **filters)
    return render_template("violations/index.html", rows=rows, filters=filters, labels=_labels(),
                           departments=_departments(current_user), may_record=policy.can_record(current_user))


def _record_form() -> RecordForm:
    form = RecordForm()
    people = db.session.scalars(select(User).where(User.state != "departed").order_by(User.department_id, User.id))
    form.subject_user.choices = [("", _("— someone outside the company —"))] + [
        (str(u.id), f"{u.real_name}（{u.department.name}）") for u in people if u.id != current_user.id]
    return form


def _files(field) -> list[tuple[str, bytes]]:
    return [(f.filename or "", f.read()) for f in (field.data or []) if f and getattr(f, "filename", "")]


def _fen(form, field_name: str) -> int | None:
    try:
        return rules.parse_yuan(getattr(form, field_name).data)
    except ValueError:
        message = _("An amount in yuan, such as 100 or 50.50.")
        raise Refused(message, code="U8", fields={field_name: [message]}) from None


@bp.route("/new", methods=["GET", "POST"])
@requires(ADMIN)
def new():
    if not policy.can_record(current_user):
        abort(403)
    form = _record_form()
    status = 200
    if form.validate_on_submit():
        subject = None
        if form.subject_user.data:
            subject = db.session.get(User, int(form.subject_user.data)) if form.subject_user.data.isdigit() else None
            if subject is None:
                form.subject_user.errors = [_("No such user.")]
        if not form.subject_user.errors:
            occurred = form.occurred_at.data
            if occurred is not None:
                occurred = occurred.replace(tzinfo=workdays.zone()).astimezone(UTC)
            try:
                v = operations.record_violation(
                    current_user, subject_user=subject, subject_name=form.subject_name.data or "",
                    category=form.category.data, what=form.what.data, context=form.context.data or "",
                    context_ref=form.context_ref.data or "", occurred_at=occurred, amount_fen=_fen(form, "amount"),
                    files=_files(form.files), confirm=bool(form.confirm.data))
            except Refused as e:
                flash_refusal(e, form, {"subject_name": "subject_name"})
                status = e.status if e.status < 500 else 400
            else:
                flash(_("Violation recorded."), "success")
                return redirect(url_for("violations.view", violation_id=v.id))
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("violations/new.html", form=form), status


def _page(v, status: int = 200, **forms):
    forms = {"confirm_form": ConfirmForm(prefix="confirm"), "dismiss_form": DismissForm(prefix="dismiss"),
             "handle_form": HandleForm(prefix="handle"), "report_form": ReportForm(prefix="report"),
             "evidence_form": EvidenceForm(prefix="evidence")} | forms
    return render_template("violations/view.html", v=v, labels=_labels(), **forms), status


@bp.route("/<int:violation_id>")
@requires(SELF)
def view(violation_id: int):
    return _page(queries.get(current_user, violation_id))


@bp.route("/<int:violation_id>/evidence/<int:evidence_id>")
@requires(SELF)
def evidence(violation_id: int, evidence_id: int):
    item = queries.evidence(current_user, violation_id, evidence_id)
    response = Response(item.data, mimetype=item.mime)
    # Served as what it was sniffed as, never as HTML; a download keeps the record's own name.
    disposition = "inline" if item.mime.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(item.filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _decide(violation_id: int, form_cls, prefix: str, act):
    """Run `act(v, form)` for a POSTed decision form; re-render the record with the input kept when refused."""
    try:
        v = queries.get(current_user, violation_id)
    except NotFound:
        abort(404)
    form = form_cls(prefix=prefix)
    if not form.validate_on_submit():
        return _page(v, 400, **{f"{prefix}_form": form})
    try:
        act(v, form)
    except Refused as e:
        db.session.expire_all()
        flash(e.message, "danger")
        if e.fields:
            flash_refusal(e, form)
        return _page(queries.get(current_user, violation_id), e.status if e.status < 500 else 400,
                     **{f"{prefix}_form": form})
    return redirect(url_for("violations.view", violation_id=violation_id))


@bp.route("/<int:violation_id>/confirm", methods=["POST"])
@requires(ADMIN)
def confirm(violation_id: int):
    def act(v, form):
        operations.confirm(current_user, v)
        flash(_("Violation confirmed."), "success")
    return _decide(violation_id, ConfirmForm, "confirm", act)


@bp.route("/<int:violation_id>/dismiss", methods=["POST"])
@requires(ADMIN)
def dismiss(violation_id: int):
    def act(v, form):
        operations.dismiss(current_user, v, form.reason.data)
        flash(_("Violation dismissed."), "success")
    return _decide(violation_id, DismissForm, "dismiss", act)


@bp.route("/<int:violation_id>/handle", methods=["POST"])
@requires(ADMIN)
def handle(violation_id: int):
    def act(v, form):
        operations.handle(current_user, v, form.handling.data, _fen(form, "amount"), form.note.data or "")
        flash(_("Handling saved."), "success")
    return _decide(violation_id, HandleForm, "handle", act)


@bp.route("/<int:violation_id>/report", methods=["POST"])
@requires(ADMIN)
def report(violation_id: int):
    def act(v, form):
        operations.report_to_legal(current_user, v, form.note.data or "")
        flash(_("Marked as reported to legal."), "success")
    return _decide(violation_id, ReportForm, "report", act)


@bp.route("/<int:violation_id>/evidence", methods=["POST"])
@requires(ADMIN)
def add_evidence(violation_id: int):
    def act(v, form):
        operations.add_evidence(current_user, v, _files(form.files))
        flash(_("Evidence added."), "success")
    return _decide(violation_id, EvidenceForm, "evidence", act)
