"""WeChat Pay pages (微信支付, seed §9): the accounts and my payments, the application form (P3),
filing a payment (P4 P5), paying it out (transfer or by hand), a leader's override (P5), account
requests (P2), reporting an anomaly (P6). Finance's reconciliation and reports: day_views.py.
Thin: each asks the policy, calls one operation, shows its refusal on the form."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms import workdays
from cms.errors import Refused
from cms.payments import execution, forms, policy, queries, rules
from cms.payments import operations as ops
from cms.payments.models import SECRET_FIELDS
from cms.permissions import SELF
from cms.web import flash_refusal, requires

bp = Blueprint("payments", __name__)


def _account(account_id: int):
    try:
        return ops.get_account(account_id)
    except Refused:
        abort(404)


def _when(day_text: str | None, time_text: str | None) -> datetime | None:
    try:
        day = date.fromisoformat((day_text or "").strip())
        hh, mm = (int(x) for x in (time_text or "").strip().split(":")[:2])
        return datetime(day.year, day.month, day.day, hh, mm, tzinfo=workdays.zone())
    except (ValueError, TypeError):
        return None


@bp.route("/")
@requires(SELF)  # every employee: the accounts to apply for, their own forms and payments
def index():
    user = current_user
    accounts = queries.accounts(include_closed=policy.is_finance(user))
    today = workdays.today()
    rows = [{"account": a, "may_pay": policy.can_pay_from(user, a), "may_view": policy.can_view_account(user, a),
             "may_enrol": policy.can_enrol(user, a),
             "limit": ops.day_limit(a, today), "spent": ops.spent_on(a, today)} for a in accounts]
    finance = policy.is_finance(user)
    return render_template(
        "payments/index.html", rows=rows, today=today, fmt=rules.format_fen,
        mine=queries.my_payments(user), my_forms=queries.enrolments(user=user), finance=finance,
        waiting=queries.enrolments("filed") if finance else [],
        requests=queries.account_requests("requested") if finance else [],
        reports=queries.open_reports() if finance else [], action=forms.ReviewForm(),
        may_request=policy.can_request_change(user))


@bp.route("/accounts/<int:account_id>")
@requires(SELF)  # the account policy: finance, its custodian, an enabled payer, the leader in charge
def account(account_id: int):
    acct = _account(account_id)
    if not policy.can_view_account(current_user, acct):
        abort(403)
    return render_account(acct)


def render_account(acct, budget_form=None, status: int = 200):
    """The account's page; `budget_form` is finance's refused budget line, shown again as typed."""
    day = workdays.today()
    lines = [{"line": x, "spent": ops.budget_spent(x)} for x in queries.budget_lines(acct)]
    return render_template(
        "payments/account.html", account=acct, day=day, limit=ops.day_limit(acct, day), spent=ops.spent_on(acct, day),
        override=ops.override_for(acct, day), overrides=queries.overrides(acct), lines=lines, fmt=rules.format_fen,
        payments=queries.payments_of_day(current_user, None, acct)[-50:],
        budget_form=budget_form or forms.BudgetForm(formdata=None),
        finance=policy.is_finance(current_user), default_limit=ops.default_limit(acct)), status


@bp.route("/accounts/<int:account_id>/enrol", methods=["GET", "POST"])
@requires(SELF)  # any employee files the WeChat Pay application form (P3)
def enrol(account_id: int):
    acct = _account(account_id)
    form = forms.EnrolForm()
    status = 200
    if form.validate_on_submit():
        try:
            ops.file_enrolment(current_user, acct, form.reason.data)
        except Refused as e:
            flash_refusal(e, form)
            status = e.status if e.status != 403 else 422
        else:
            flash(_("Your application form was sent to finance (P3)."), "success")
            return redirect(url_for("payments.index"))
    return render_template("payments/enrol.html", account=acct, form=form), status


@bp.route("/enrolments/<int:enrolment_id>/review", methods=["POST"])
@requires("payment.finance")
def review(enrolment_id: int):
    try:
        e = ops.get_enrolment(enrolment_id)
    except Refused:
        abort(404)
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    decision = request.form.get("decision", "")
    try:
        ops.review_enrolment(current_user, e, decision, form.comment.data)
    except Refused as err:
        if err.status == 403:
            abort(403)
        flash(err.message, "danger")
    else:
        flash(_("WeChat Pay is enabled for %(name)s on %(account)s.", name=e.user.real_name, account=e.account.name)
              if e.state == "enabled" else _("The application form was refused."), "success")
    return redirect(url_for("payments.index"))


@bp.route("/new", methods=["GET", "POST"])
@requires(SELF)  # the custodian or an enabled payer of the chosen account (P1 P3)
def new():
    acct = _account(request.args.get("account", type=int) or 0)
    if not policy.can_pay_from(current_user, acct):
        abort(403)
    form = forms.PaymentForm()
    today = workdays.today()
    form.budget_line.choices = [(str(x.id), f"{x.year} {x.name}") for x in queries.budget_lines(acct)
                                if x.year >= today.year]
    status = 200
    if form.validate_on_submit():
        amount = form.amount_fen()
        planned = _when(form.planned_date.data, form.planned_time.data)
        if planned is None:
            form.planned_time.errors = [_("Not a time.")]
        if amount is not None and planned is not None:
            line = int(form.budget_line.data) if (form.budget_line.data or "").isdigit() else None
            try:
                p = ops.create_payment(current_user, acct, amount_fen=amount, purpose=form.purpose.data,
                                       budget_line=line, payee_name=form.payee_name.data,
                                       payee_openid=form.payee_openid.data, planned_at=planned)
            except Refused as e:
                flash_refusal(e, form, {"amount": "amount", "payee": "payee_name", "planned_at": "planned_time"})
                if e.code in ("P4", "P5", "P6", "P3"):
                    flash(e.message, "danger")
                status = 422
            else:
                flash(_("Payment of %(amount)s filed.", amount=rules.format_fen(p.amount_fen)), "success")
                return redirect(url_for("payments.payment", payment_id=p.id))
        else:
            status = 422
    elif request.method == "POST":
        status = 400
    else:
        form.planned_date.data = today.isoformat()
        form.planned_time.data = workdays.local(workdays.now()).strftime("%H:%M")
    limit, spent = ops.day_limit(acct, today), ops.spent_on(acct, today)
    return render_template("payments/new.html", account=acct, form=form, limit=limit, spent=spent,
                           fmt=rules.format_fen), status


def _payment(payment_id: int):
    try:
        p = ops.get_payment(payment_id)
    except Refused:
        abort(404)
    if not policy.payment_policy.can_view(current_user, p):
        abort(404)
    return p


@bp.route("/<int:payment_id>")
@requires(SELF)  # the payment policy: its payer, the custodian, finance, the leader in charge
def payment(payment_id: int):
    p = _payment(payment_id)
    manual = forms.ManualForm(formdata=None)
    manual.paid_date.data = workdays.today().isoformat()
    manual.paid_time.data = workdays.local(workdays.now()).strftime("%H:%M")
    return render_template("payments/payment.html", p=p, fmt=rules.format_fen, manual=manual,
                           action=forms.ActionForm(), cancel=forms.CancelForm(formdata=None),
                           may_execute=policy.payment_policy.can_execute(current_user, p))


@bp.route("/<int:payment_id>/execute", methods=["POST"])
@requires(SELF)  # can_execute: the payer or the custodian
def execute(payment_id: int):
    p = _payment(payment_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        p, message = execution.execute_transfer(current_user, p)
    except Refused as e:
        if e.status == 403:
            abort(403)
        flash(e.message, "danger")
    else:
        flash(_("Paid: %(amount)s to %(payee)s.", amount=rules.format_fen(p.amount_fen), payee=p.payee_name)
              if message is None else message, "success" if message is None else "danger")
    return redirect(url_for("payments.payment", payment_id=payment_id))


@bp.route("/<int:payment_id>/manual", methods=["POST"])
@requires(SELF)  # can_execute: the payer or the custodian
def manual(payment_id: int):
    p = _payment(payment_id)
    form = forms.ManualForm()
    if form.validate_on_submit():
        try:
            execution.record_manual(current_user, p, paid_at=_when(form.paid_date.data, form.paid_time.data),
                                    reference=form.reference.data)
        except Refused as e:
            if e.status == 403:
                abort(403)
            flash_refusal(e, form, {"paid_at": "paid_time"})
            return render_template("payments/payment.html", p=p, fmt=rules.format_fen, manual=form,
                                   action=forms.ActionForm(), cancel=forms.CancelForm(formdata=None),
                                   may_execute=policy.payment_policy.can_execute(current_user, p)), e.status
        flash(_("Recorded as paid by hand."), "success")
    return redirect(url_for("payments.payment", payment_id=payment_id))


@bp.route("/<int:payment_id>/cancel", methods=["POST"])
@requires(SELF)  # the payer, the custodian or finance
def cancel(payment_id: int):
    p = _payment(payment_id)
    form = forms.CancelForm()
    if form.validate_on_submit():
        try:
            execution.cancel(current_user, p, form.reason.data)
        except Refused as e:
            if e.status == 403:
                abort(403)
            flash(e.message, "danger")
        else:
            flash(_("The payment was cancelled."), "success")
    return redirect(url_for("payments.payment", payment_id=payment_id))


@bp.route("/accounts/<int:account_id>/override", methods=["GET", "POST"])
@requires("payment.override")  # the leader in charge of the account's department (policy.can_override)
def override(account_id: int):
    acct = _account(account_id)
    if not policy.can_override(current_user, acct):
        abort(403)
    form = forms.OverrideForm()
    status = 200
    if form.validate_on_submit():
        try:
            limit = rules.parse_yuan(form.limit.data)
        except rules.BadAmount:
            form.limit.errors = [_("An amount in yuan with at most two decimals, e.g. 1234.50.")]
            status = 422
        else:
            try:
                ops.grant_override(current_user, acct, form.day.data, limit, form.reason.data, form.note.data)
            except Refused as e:
                flash_refusal(e, form, {"date": "day"})
                status = e.status
            else:
                flash(_("The limit of %(account)s is %(limit)s on %(day)s (P5).", account=acct.name,
                        limit=rules.format_fen(limit), day=form.day.data.isoformat()), "success")
                return redirect(url_for("payments.account", account_id=acct.id))
    elif request.method == "POST":
        status = 422
    else:
        form.day.data = workdays.today()
    return render_template("payments/override.html", account=acct, form=form,
                           default=rules.format_fen(ops.default_limit(acct))), status


@bp.route("/accounts/request", methods=["GET", "POST"])
@requires(SELF)  # policy.can_request_change: a payment custodian, the account's custodian, finance (P2)
def request_account():
    acct_id = request.args.get("account", type=int)
    acct = _account(acct_id) if acct_id else None
    if not policy.can_request_change(current_user, acct):
        abort(403)
    from sqlalchemy import select

    from cms.auth.models import RoleAssignment, User
    from cms.extensions import db

    form = forms.AccountRequestForm()
    custodians = db.session.scalars(select(User).join(RoleAssignment).where(
        RoleAssignment.role == "payment_custodian", User.state == "active").distinct().order_by(User.id))
    form.custodian_id.choices = [("", "—")] + [(str(u.id), f"{u.real_name}（{u.username}）") for u in custodians]
    status = 200
    if form.validate_on_submit():
        kind = form.kind.data if acct else "open"
        values = {"name": form.name.data, "mch_id": form.mch_id.data, "app_id": form.app_id.data or None,
                  "custodian_id": int(form.custodian_id.data) if (form.custodian_id.data or "").isdigit() else None}
        try:
            if (form.daily_limit.data or "").strip():
                values["daily_limit_fen"] = rules.parse_yuan(form.daily_limit.data)
            secrets = {"api_key": form.api_key.data}
            for name in ("cert_pem", "key_pem"):
                upload = getattr(form, name).data
                if upload and getattr(upload, "filename", ""):
                    secrets[name] = upload.read(64 * 1024).decode("utf-8", "replace")
            ops.request_account(current_user, kind, values, secrets, account=acct, reason=form.reason.data)
        except rules.BadAmount:
            form.daily_limit.errors = [_("An amount in yuan with at most two decimals, e.g. 1234.50.")]
            status = 422
        except Refused as e:
            flash_refusal(e, form, {"daily_limit_fen": "daily_limit"})
            status = e.status
        else:
            flash(_("The request was sent to finance (P2). The credentials are stored encrypted and not shown again."),
                  "success")
            return redirect(url_for("payments.index"))
    elif request.method == "POST":
        status = 422
    return render_template("payments/request.html", form=form, account=acct, secret_fields=SECRET_FIELDS), status


@bp.route("/requests/<int:request_id>/decide", methods=["POST"])
@requires("payment.finance")
def decide(request_id: int):
    try:
        req = ops.get_request(request_id)
    except Refused:
        abort(404)
    form = forms.DecideForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.decide_request(current_user, req, request.form.get("decision") == "approve", form.comment.data)
    except Refused as e:
        if e.status == 403:
            abort(403)
        flash(e.message, "danger")
    else:
        flash(_("The account request was %(state)s.", state=_("approved") if req.state == "approved" else _("refused")),
              "success")
    return redirect(url_for("payments.index"))


@bp.route("/report", methods=["GET", "POST"])
@requires(SELF)  # every employee reports an anomaly or a leaked password (P6)
def report():
    form = forms.ReportForm()
    form.account_id.choices = [(str(a.id), a.name) for a in queries.accounts()]
    status = 200
    if form.validate_on_submit():
        try:
            acct = ops.get_account(int(form.account_id.data) if (form.account_id.data or "").isdigit() else 0)
            ops.report_anomaly(current_user, acct, form.kind.data, form.text.data)
        except Refused as e:
            flash_refusal(e, form, {"account": "account_id"})
            status = e.status
        else:
            flash(_("Reported to finance. Payments from %(account)s are locked until finance checks it (P6).",
                    account=acct.name), "success")
            return redirect(url_for("payments.index"))
    elif request.method == "POST":
        status = 422
    return render_template("payments/report.html", form=form), status


@bp.route("/reports/<int:report_id>/clear", methods=["POST"])
@requires("payment.finance")
def clear(report_id: int):
    try:
        r = ops.get_report(report_id)
    except Refused:
        abort(404)
    form = forms.NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.clear_report(current_user, r, form.note.data)
    except Refused as e:
        if e.status == 403:
            abort(403)
        flash(e.message, "danger")
    else:
        flash(_("The report was cleared."), "success")
    return redirect(url_for("payments.index"))


from cms.payments import day_views  # noqa: E402,F401  (finance's routes on the same blueprint)
