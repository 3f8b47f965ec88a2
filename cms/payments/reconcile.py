"""Finance reconciles an account's day (P3 steps 4-5, P6): the day's fund-flow bill (downloaded
through cms/platforms/pay.py, or an uploaded file in the official format) is matched line by line
with the payments made (cms/payments/bill.py). Every outgoing (支出) line without a payment, every
amount that differs, every payment without a line, and every payment over the day's limit (P5) or
outside working hours (P4) becomes an anomaly finance resolves with a note. Then the day is archived
(state reconciled): from then on every operation touching that account-day refuses with 409."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from cms import workdays
from cms.audit.service import record
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.holidays import service as calendar
from cms.payments import bill, policy, rules
from cms.payments import operations as ops
from cms.payments.models import PayAccount, PayAnomaly, PayDay, Payment
from cms.platforms import pay
from cms.platforms.calls import CallError
from cms.transactions import operation

EXECUTED = ("paid", "reconciled", "anomaly")


def fetch_bill(account: PayAccount, day: date) -> str:
    """The day's fund-flow bill from WeChat Pay; a day without movements is an empty bill."""
    try:
        return pay.download_fundflow(account.credentials(), day)
    except CallError as e:
        if e.errcode == "20002":
            return ""
        raise Refused(pay.describe_pay(e.errcode, e.errmsg), code="platform", status=422) from e


def _line_json(line: bill.BillLine | None) -> dict:
    if line is None:
        return {}
    return {"line_no": line.line_no, "booked_at": line.booked_at.isoformat(), "business_no": line.business_no,
            "voucher_no": line.voucher_no, "business_name": line.business_name, "amount_fen": line.amount_fen,
            "note": line.note}


@operation
def reconcile_day(user, account: PayAccount, day: date, text: str | None = None, source: str = "download") -> PayDay:
    """Match the day's bill with the day's payments; the findings replace those of an earlier run."""
    if not policy.can_reconcile(user, account):
        raise ops.forbidden()
    ops.refuse_if_archived(account, day)
    if day >= workdays.today() and source == "download":
        raise Refused(_("The bill of a day is ready the next day (about 10:00)."), code="invalid")
    if text is None:
        text = fetch_bill(account, day)
    try:
        lines = bill.parse_fundflow(text) if text.strip() else []
    except bill.BillFormatError as e:
        raise Refused(_("The bill cannot be read: %(problem)s", problem=str(e)), code="invalid",
                      fields={"bill": [str(e)]}) from e
    ops.lock_account(account)
    payments = list(db.session.scalars(select(Payment).where(
        Payment.account_id == account.id, Payment.day == day, Payment.state.in_(EXECUTED)).order_by(Payment.id)))
    records = [bill.PaymentRecord(p.id, p.partner_trade_no if p.method == "transfer" else None, p.amount_fen,
                                  p.paid_at or p.planned_at) for p in payments]
    result = bill.match(lines, records)

    pd = db.session.scalar(select(PayDay).where(PayDay.account_id == account.id, PayDay.day == day))
    if pd is None:
        pd = PayDay(account_id=account.id, day=day)
        db.session.add(pd)
        db.session.flush()
    else:
        for old in db.session.scalars(select(PayAnomaly).where(PayAnomaly.pay_day_id == pd.id)):
            db.session.delete(old)
    pd.state, pd.source, pd.checked_by_id, pd.checked_at = "open", source, user.id, workdays.now()
    pd.bill_lines = [_line_json(x) for x in lines if x.direction == "支出"]

    found: list[PayAnomaly] = []
    for a in result.anomalies:
        found.append(PayAnomaly(pay_day_id=pd.id, kind=a.kind, payment_id=a.payment.id if a.payment else None,
                                details={"detail": a.detail, "line": _line_json(a.line)}))
    limit = ops.day_limit(account, day)
    totals = rules.running_totals([(p.id, p.amount_fen, workdays.local(p.paid_at or p.planned_at)) for p in payments])
    for dp in totals:
        for kind in rules.classify(dp, limit, workdays.working_hours(), calendar.is_workday):
            detail = (_("The day's payments reach %(total)s, over the limit of %(limit)s (P5).",
                        total=rules.format_fen(dp.running_total_fen), limit=rules.format_fen(limit))
                      if kind == "over_limit" else
                      _("Paid at %(at)s, outside working hours (P4).", at=dp.at_local.strftime("%Y-%m-%d %H:%M")))
            found.append(PayAnomaly(pay_day_id=pd.id, kind=kind, payment_id=dp.id, details={"detail": detail}))
    db.session.add_all(found)
    flagged = {a.payment_id for a in found if a.payment_id}
    for p in payments:
        p.state = "anomaly" if p.id in flagged else "reconciled"
    db.session.flush()
    record("payment_day.checked", ("pay_day", pd.id),
           after={"account": account.id, "day": day.isoformat(), "source": source, "lines": len(pd.bill_lines),
                  "matched": len(result.matched), "anomalies": [a.kind for a in found]})
    db.session.commit()
    return pd


def get_anomaly(anomaly_id) -> PayAnomaly:
    a = db.session.get(PayAnomaly, anomaly_id) if isinstance(anomaly_id, int) else None
    if a is None:
        raise NotFound(_("No such anomaly."), code="not_found")
    return a


@operation
def resolve_anomaly(user, a: PayAnomaly, note: str) -> PayAnomaly:
    """P6: finance says how an anomaly was resolved; a payment whose anomalies are all resolved is
    reconciled."""
    pd = a.pay_day
    if not policy.day_policy.can_reconcile(user, pd):
        if pd.state == "reconciled":
            raise Conflict(_("This day is archived."), code="archived")
        raise ops.forbidden()
    if a.state != "open":
        raise Conflict(_("This anomaly was already resolved."), code="conflict")
    note = (note or "").strip()
    if not note:
        raise Refused(_("Say how it was resolved (P6)."), code="P6", fields={"note": [_("Required.")]})
    a.state, a.note, a.resolved_by_id, a.resolved_at = "resolved", note[:500], user.id, workdays.now()
    db.session.flush()
    if a.payment is not None and not db.session.scalar(select(PayAnomaly.id).where(
            PayAnomaly.payment_id == a.payment_id, PayAnomaly.pay_day_id == pd.id, PayAnomaly.state == "open")):
        a.payment.state = "reconciled"
    record("payment_anomaly.resolved", ("pay_anomaly", a.id), before={"state": "open"},
           after={"kind": a.kind, "payment": a.payment_id, "note": a.note})
    db.session.commit()
    return a


@operation
def archive_day(user, pd: PayDay, note: str = "") -> PayDay:
    """P3 step 5: the reconciled day is archived; it can no longer change."""
    if pd.state == "reconciled":
        raise Conflict(_("This day is archived."), code="archived")
    if not policy.day_policy.can_reconcile(user, pd):
        raise ops.forbidden()
    ops.lock_account(pd.account)
    open_count = db.session.scalar(select(db.func.count(PayAnomaly.id)).where(
        PayAnomaly.pay_day_id == pd.id, PayAnomaly.state == "open"))
    if open_count:
        raise Refused(_("%(n)d anomalies are not resolved yet (P6).", n=open_count), code="P6")
    planned = db.session.scalar(select(db.func.count(Payment.id)).where(
        Payment.account_id == pd.account_id, Payment.day == pd.day, Payment.state == "planned"))
    if planned:
        raise Refused(_("%(n)d payments of the day are still planned: pay or cancel them first (P3).", n=planned),
                      code="P3")
    late = db.session.scalar(select(db.func.count(Payment.id)).where(
        Payment.account_id == pd.account_id, Payment.day == pd.day, Payment.state == "paid"))
    if late:
        raise Refused(_("Payments were made after the bill was checked: check it again."), code="P3")
    pd.state, pd.reconciled_by_id, pd.reconciled_at = "reconciled", user.id, workdays.now()
    record("payment_day.archived", ("pay_day", pd.id), before={"state": "open"},
           after={"account": pd.account_id, "day": pd.day.isoformat(), "state": "reconciled",
                  "note": (note or "").strip()[:500]})
    db.session.commit()
    return pd
