"""Supervision reports (P7): per account per day and per month (totals, count, limit use,
overrides), the anomalies and how they were resolved, and the monthly inspection checklist
(P6 P7: finance ticks each item; stored and audited). CSV and XLSX exports. Money stays integer fen;
the exports write yuan as text made from fen (rules.fen_to_yuan_text), never a float."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cms import exports, workdays
from cms.audit.service import record
from cms.errors import Refused
from cms.extensions import db
from cms.payments import operations as ops
from cms.payments import policy, rules
from cms.payments.models import InspectionCheck, LimitOverride, PayAccount, PayAnomaly, PayDay, Payment
from cms.transactions import operation

INSPECTION_ITEMS = {
    "custodian": _l("The custodian still holds the account and no one else uses it (P1)"),
    "password": _l("The payment password was kept secret and changed if needed (P6)"),
    "credentials": _l("The API key and certificate are stored only in the CMS, encrypted (P6)"),
    "enrolled": _l("Every enabled payer still needs WeChat Pay for their work (P3)"),
    "reconciled": _l("Every day with payments was reconciled and archived (P3)"),
    "limits": _l("Every raised limit had a leader's approval naming the case (P5)"),
    "anomalies": _l("Every anomaly was resolved with a note (P6)"),
}


def month_bounds(month: str) -> tuple[date, date]:
    """"2026-12" → (2026-12-01, 2027-01-01); ValueError otherwise."""
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    nxt = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return first, nxt


def daily_rows(month: str) -> list[dict]:
    """One row per account and day with payments: total, count, limit, use in percent (integer),
    override."""
    first, nxt = month_bounds(month)
    totals: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    for p in db.session.scalars(select(Payment).where(Payment.day >= first, Payment.day < nxt,
                                                      Payment.state.in_(rules.COUNTED_STATES))):
        t = totals[(p.account_id, p.day)]
        t[0] += p.amount_fen
        t[1] += 1
    overrides = {(o.account_id, o.day): o for o in db.session.scalars(
        select(LimitOverride).where(LimitOverride.day >= first, LimitOverride.day < nxt))}
    for key in overrides:
        totals.setdefault(key, [0, 0])
    days = {(d.account_id, d.day): d.state for d in db.session.scalars(
        select(PayDay).where(PayDay.day >= first, PayDay.day < nxt))}
    rows = []
    for (account_id, day), (total, count) in sorted(totals.items(), key=lambda x: (x[0][1], x[0][0])):
        account = db.session.get(PayAccount, account_id)
        limit = ops.day_limit(account, day)
        o = overrides.get((account_id, day))
        rows.append({"account": account.name, "day": day, "total_fen": total, "count": count, "limit_fen": limit,
                     "use_percent": total * 100 // limit if limit else 0,
                     "override": f"{o.reason} {rules.format_fen(o.limit_fen)} {o.note}" if o else "",
                     "reconciled": days.get((account_id, day)) == "reconciled"})
    return rows


def monthly_rows(month: str) -> list[dict]:
    by_account: dict[str, dict] = {}
    for r in daily_rows(month):
        m = by_account.setdefault(r["account"], {"account": r["account"], "month": month, "total_fen": 0, "count": 0,
                                                 "days": 0, "max_use_percent": 0, "overrides": 0, "reconciled_days": 0})
        m["total_fen"] += r["total_fen"]
        m["count"] += r["count"]
        m["days"] += 1 if r["count"] else 0
        m["max_use_percent"] = max(m["max_use_percent"], r["use_percent"])
        m["overrides"] += 1 if r["override"] else 0
        m["reconciled_days"] += 1 if r["reconciled"] else 0
    return list(by_account.values())


def anomaly_rows(month: str) -> list[dict]:
    first, nxt = month_bounds(month)
    q = (select(PayAnomaly).join(PayDay).where(PayDay.day >= first, PayDay.day < nxt)
         .order_by(PayDay.day, PayAnomaly.id))
    return [{"account": a.pay_day.account.name, "day": a.pay_day.day, "kind": a.kind,
             "payment": a.payment_id or "", "detail": (a.details or {}).get("detail", ""), "state": a.state,
             "note": a.note, "resolved_by": a.resolved_by.real_name if a.resolved_by else "",
             "resolved_at": workdays.local(a.resolved_at).strftime("%Y-%m-%d %H:%M") if a.resolved_at else ""}
            for a in db.session.scalars(q)]


def inspection(account: PayAccount, month: str) -> InspectionCheck | None:
    return db.session.scalar(select(InspectionCheck).where(InspectionCheck.account_id == account.id,
                                                           InspectionCheck.month == month))


@operation
def save_inspection(user, account: PayAccount, month: str, ticked: list[str], note: str = "") -> InspectionCheck:
    """P6 P7: finance's monthly check of an account, each item ticked or not; audited."""
    if not policy.is_finance(user):
        raise ops.forbidden()
    try:
        month_bounds(month)
    except ValueError:
        raise Refused(_("A month YYYY-MM."), fields={"month": [_("Not a month.")]}) from None
    unknown = [t for t in ticked if t not in INSPECTION_ITEMS]
    if unknown:
        raise Refused(_("Unknown checklist items."), fields={"items": unknown})
    check = inspection(account, month)
    before = dict(check.items) if check else None
    if check is None:
        check = InspectionCheck(account_id=account.id, month=month)
        db.session.add(check)
    check.items = {t: True for t in ticked}
    check.note, check.checked_by_id, check.checked_at = (note or "").strip()[:500], user.id, workdays.now()
    db.session.flush()
    record("payment_inspection.saved", ("pay_inspection", check.id), before=before,
           after={"account": account.id, "month": month, "items": check.items, "note": check.note})
    db.session.commit()
    return check


# --- exports ----------------------------------------------------------------------------------

def _table(kind: str, month: str) -> tuple[list[str], list[list]]:
    y = rules.fen_to_yuan_text
    if kind == "daily":
        head = [_("Account"), _("Day"), _("Total (yuan)"), _("Count"), _("Limit (yuan)"), _("Limit use (percent)"),
                _("Override"), _("Reconciled")]
        rows = [[r["account"], r["day"].isoformat(), y(r["total_fen"]), r["count"], y(r["limit_fen"]),
                 r["use_percent"], r["override"], _("yes") if r["reconciled"] else _("no")] for r in daily_rows(month)]
    elif kind == "monthly":
        head = [_("Account"), _("Month"), _("Total (yuan)"), _("Count"), _("Days with payments"),
                _("Highest limit use (percent)"), _("Overrides"), _("Reconciled days")]
        rows = [[r["account"], r["month"], y(r["total_fen"]), r["count"], r["days"], r["max_use_percent"],
                 r["overrides"], r["reconciled_days"]] for r in monthly_rows(month)]
    else:
        head = [_("Account"), _("Day"), _("Anomaly"), _("Payment"), _("Detail"), _("State"), _("How it was resolved"),
                _("Resolved by"), _("Resolved at")]
        rows = [[r["account"], r["day"].isoformat(), r["kind"], r["payment"], r["detail"], r["state"], r["note"],
                 r["resolved_by"], r["resolved_at"]] for r in anomaly_rows(month)]
    return head, rows


def export_csv(kind: str, month: str) -> str:
    return exports.csv_text(*_table(kind, month))


def export_xlsx(kind: str, month: str) -> bytes:
    return exports.xlsx_bytes(*_table(kind, month), sheet=kind)


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"
