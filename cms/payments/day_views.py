"""Finance's WeChat Pay pages: budget lines (P4), reconciling an account's day against the fund-flow
bill (downloaded or uploaded), resolving its anomalies and archiving it (P3 P6), the reports, the
exports and the monthly inspection checklist (P7)."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms import workdays
from cms.errors import Refused
from cms.payments import forms, policy, queries, reconcile, reports, rules
from cms.payments import operations as ops
from cms.payments.views import _account, bp, render_account
from cms.web import flash_refusal, requires


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


@bp.route("/accounts/<int:account_id>/budget", methods=["POST"])
@requires("payment.finance")
def budget(account_id: int):
    acct = _account(account_id)
    form = forms.BudgetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        year = int(form.year.data or "")
        ops.set_budget_line(current_user, acct, year, form.name.data, rules.parse_yuan(form.amount.data))
    except (ValueError, rules.BadAmount):
        flash(_("A year and an amount in yuan with at most two decimals."), "danger")
    except Refused as e:
        if e.status == 403:
            abort(403)
        flash_refusal(e, form)
    else:
        flash(_("Budget line saved."), "success")
        return redirect(url_for("payments.account", account_id=acct.id))
    return render_account(acct, form, 422)  # what finance typed stays in the form


@bp.route("/accounts/<int:account_id>/days/<day>", methods=["GET", "POST"])
@requires("payment.finance")
def day(account_id: int, day: str):
    acct, d = _account(account_id), _day(day)
    form = forms.BillForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        upload = form.bill.data
        text, source = None, "download"
        if upload and getattr(upload, "filename", ""):
            raw = upload.read(5 * 1024 * 1024)
            text, source = raw.decode("utf-8-sig", "replace"), "upload"
        try:
            reconcile.reconcile_day(current_user, acct, d, text=text, source=source)
        except Refused as e:
            flash_refusal(e, form)
            status = e.status
        else:
            flash(_("The bill of %(day)s was checked against the payments.", day=d.isoformat()), "success")
            return redirect(url_for("payments.day", account_id=acct.id, day=d.isoformat()))
    pd = queries.pay_day(acct, d)
    return render_template("payments/day.html", account=acct, day=d, pd=pd,
                           anomalies=queries.anomalies(pd) if pd else [], form=form, note=forms.NoteForm(formdata=None),
                           action=forms.ActionForm(), payments=queries.payments_of_day(current_user, d, acct),
                           fmt=rules.format_fen, limit=ops.day_limit(acct, d)), status


@bp.route("/anomalies/<int:anomaly_id>/resolve", methods=["POST"])
@requires("payment.finance")
def resolve(anomaly_id: int):
    try:
        a = reconcile.get_anomaly(anomaly_id)
    except Refused:
        abort(404)
    form = forms.NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        reconcile.resolve_anomaly(current_user, a, form.note.data)
    except Refused as e:
        if e.status == 403:
            abort(403)
        flash(e.message, "danger")
    else:
        flash(_("The anomaly is resolved."), "success")
    return redirect(url_for("payments.day", account_id=a.pay_day.account_id, day=a.pay_day.day.isoformat()))


@bp.route("/accounts/<int:account_id>/days/<day>/archive", methods=["POST"])
@requires("payment.finance")
def archive(account_id: int, day: str):
    acct, d = _account(account_id), _day(day)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    pd = queries.pay_day(acct, d)
    if pd is None:
        flash(_("Check the day's bill first."), "danger")
    else:
        try:
            reconcile.archive_day(current_user, pd)
        except Refused as e:
            if e.status == 403:
                abort(403)
            flash(e.message, "danger")
        else:
            flash(_("%(day)s is reconciled and archived.", day=d.isoformat()), "success")
    return redirect(url_for("payments.day", account_id=acct.id, day=d.isoformat()))


def _month() -> str:
    month = request.args.get("month") or f"{workdays.today():%Y-%m}"
    try:
        reports.month_bounds(month)
    except ValueError:
        abort(400)
    return month


@bp.route("/reports")
@requires("payment.finance")
def report_index():
    month = _month()
    return render_template("payments/reports.html", month=month, daily=reports.daily_rows(month),
                           monthly=reports.monthly_rows(month), anomalies=reports.anomaly_rows(month),
                           fmt=rules.format_fen, accounts=queries.accounts(include_closed=True),
                           items=reports.INSPECTION_ITEMS,
                           checks={a.id: reports.inspection(a, month) for a in queries.accounts(include_closed=True)},
                           form=forms.InspectionForm(formdata=None))


@bp.route("/reports/<kind>.<fmt>")
@requires("payment.finance")
def export(kind: str, fmt: str):
    if kind not in ("daily", "monthly", "anomalies") or fmt not in ("csv", "xlsx"):
        abort(404)
    month = _month()
    name = f"wechat-pay-{kind}-{month}.{fmt}"
    if fmt == "csv":
        return Response(reports.export_csv(kind, month), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return Response(reports.export_xlsx(kind, month),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/accounts/<int:account_id>/inspection", methods=["POST"])
@requires("payment.finance")
def inspection(account_id: int):
    acct = _account(account_id)
    month = _month()
    form = forms.InspectionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        reports.save_inspection(current_user, acct, month, request.form.getlist("items"), form.note.data)
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("The inspection of %(account)s for %(month)s is saved.", account=acct.name, month=month), "success")
    return redirect(url_for("payments.report_index", month=month))


@bp.app_context_processor
def _report_link():
    """The header's "report an anomaly" link (P6) on every page for a logged-in user."""
    return {"payment_report_url": url_for("payments.report") if policy.active(current_user) else None}


from cms.worklist import provider  # noqa: E402


@provider
def _finance_work(user):
    """Finance's WeChat Pay work on the home page: application forms (P3), account requests (P2),
    reported anomalies locking an account (P6)."""
    if not policy.is_finance(user):
        return None
    items = [{"label": _("WeChat Pay application form of %(name)s for %(account)s (P3)", name=e.user.real_name,
                         account=e.account.name), "url": url_for("payments.index")}
             for e in queries.enrolments("filed") if policy.enrolment_policy.can_review(user, e)]
    items += [{"label": _("Account request: %(kind)s %(name)s (P2)", kind=r.kind,
                          name=r.values.get("name") or (r.account.name if r.account else "")),
               "url": url_for("payments.index")} for r in queries.account_requests("requested")]
    items += [{"label": _("%(account)s is locked: a reported anomaly waits for you (P6)", account=r.account.name),
               "url": url_for("payments.index"), "overdue": True} for r in queries.open_reports()]
    return {"title": _("WeChat Pay"), "items": items, "empty": _("Nothing waits for finance in WeChat Pay.")}
