"""WeChat Pay over the API (API.md "WeChat Pay"): the same operations and policy as the pages
(cms/payments). Money is integer fen; refusals name their policy (P3-P6), a P5 refusal carries
`remaining_fen`."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.api.schemas import (
    BOOL,
    DATE,
    ID,
    INT,
    SCHEMAS,
    STR,
    TIME,
    array,
    enum,
    nullable,
    obj,
    operation,
    query,
    ref,
)
from cms.api.util import date_arg, field, id_arg, json_body, optional_json_body
from cms.dbtypes import db_int
from cms.errors import NotFound, Refused
from cms.payments import operations as ops
from cms.payments import policy, queries, rules
from cms.payments.models import ENROLMENT_STATES
from cms.permissions import SELF
from cms.web import requires

MONEY = {"type": "integer", "minimum": 1, "maximum": rules.MAX_FEN, "description": "integer fen"}
SCHEMAS.update({
    "PayAccount": obj({"id": INT, "name": STR, "mch_id": STR, "custodian": nullable(STR), "daily_limit_fen": INT,
                       "state": enum(("active", "closed")), "locked": BOOL,
                       "may_pay": BOOL}),
    "PayAccounts": obj({"items": array(ref("PayAccount")), "page": INT, "per_page": INT, "total": INT}),
    "EnrolmentInput": obj({"account_id": ID, "reason": {"type": "string", "minLength": 1, "maxLength": 500}}),
    "EnrolmentReview": obj({"decision": enum(("enable", "refuse")), "comment": nullable({"type": "string",
                                                                                        "maxLength": 500})},
                           required=["decision"]),
    "Enrolment": obj({"id": INT, "account_id": INT, "user": STR, "reason": STR, "state": enum(ENROLMENT_STATES),
                      "comment": STR, "reviewed_by": nullable(STR)}),
    "PaymentInput": obj({
        "account_id": ID, "amount_fen": MONEY, "purpose": {"type": "string", "minLength": 1, "maxLength": 500},
        "budget_line": {"oneOf": [ID, {"type": "string", "minLength": 1, "maxLength": 64}],
                        "description": "the budget line's id, or its name for the planned year"},
        "payee": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 64},
                            obj({"name": {"type": "string", "minLength": 1, "maxLength": 64},
                                 "openid": nullable({"type": "string", "maxLength": 64})}, required=["name"])]},
        "planned_at": {**TIME, "description": "with its zone, e.g. 2026-12-08T10:00:00+08:00"},
    }),
    "Payment": obj({"id": INT, "account_id": INT, "amount_fen": INT, "amount": STR, "purpose": STR,
                    "budget_line": obj({"id": INT, "name": STR, "year": INT}), "payee": STR, "payee_openid": STR,
                    "planned_at": TIME, "day": DATE, "state": enum(rules.PAYMENT_STATES), "payer": nullable(STR),
                    "method": STR, "payment_no": STR, "paid_at": nullable(TIME)}),
    "Payments": obj({"items": array(ref("Payment")), "page": INT, "per_page": INT, "total": INT, "date": DATE,
                     "limit_fen": nullable(INT), "spent_fen": nullable(INT), "remaining_fen": nullable(INT)}),
    "OverrideInput": obj({"account_id": ID, "date": DATE, "limit_fen": MONEY,
                          "reason": enum(rules.OVERRIDE_REASONS), "note": {"type": "string", "minLength": 1,
                                                                           "maxLength": 500}}),
    "Override": obj({"id": INT, "account_id": INT, "date": DATE, "limit_fen": INT,
                     "reason": enum(rules.OVERRIDE_REASONS), "note": STR, "approved_by": nullable(STR)}),
})


def _name(user) -> str | None:
    return user.username if user is not None else None


def account_json(a) -> dict:
    return {"id": a.id, "name": a.name, "mch_id": a.mch_id, "custodian": _name(a.custodian),
            "daily_limit_fen": ops.default_limit(a), "state": a.state, "locked": a.locked,
            "may_pay": policy.can_pay_from(current_user, a)}


def enrolment_json(e) -> dict:
    return {"id": e.id, "account_id": e.account_id, "user": e.user.username, "reason": e.reason, "state": e.state,
            "comment": e.comment, "reviewed_by": _name(e.reviewed_by)}


def payment_json(p) -> dict:
    line = p.budget_line
    return {"id": p.id, "account_id": p.account_id, "amount_fen": p.amount_fen, "amount": rules.format_fen(p.amount_fen),
            "purpose": p.purpose, "budget_line": {"id": line.id, "name": line.name, "year": line.year},
            "payee": p.payee_name, "payee_openid": p.payee_openid, "planned_at": p.planned_at.isoformat(),
            "day": p.day.isoformat(), "state": p.state, "payer": _name(p.payer), "method": p.method,
            "payment_no": p.payment_no, "paid_at": p.paid_at.isoformat() if p.paid_at else None}


def override_json(o) -> dict:
    return {"id": o.id, "account_id": o.account_id, "date": o.day.isoformat(), "limit_fen": o.limit_fen,
            "reason": o.reason, "note": o.note, "approved_by": _name(o.approved_by)}


def _account(data: dict):
    return ops.get_account(field(data, "account_id", int))


def _text(data: dict, name: str, max_len: int, *, required: bool = True) -> str:
    """A string of at most `max_len` characters (non-empty when required), as the schema says."""
    value = field(data, name, str, required=required, default="")
    if len(value) > max_len or (required and not value):
        raise Refused(_("%(field)s must be 1 to %(n)d characters.", field=name, n=max_len), code="invalid",
                      status=400, fields={name: [_("1 to %(n)d characters.", n=max_len)]})
    return value


def _money(data: dict, name: str) -> int:
    value = field(data, name, int)
    if not 0 < value <= rules.MAX_FEN:
        raise Refused(_("%(field)s must be a positive amount in fen.", field=name), code="invalid", status=400,
                      fields={name: [_("A positive amount in fen.")]})
    return value


@bp.get("/payments/accounts")
@operation(answer="PayAccounts", errors=())
@requires(SELF)  # any employee sees the accounts to file the application form (P3); never a credential
def payments_accounts():
    """WeChat Pay merchant accounts: id, name, custodian, daily_limit_fen, and whether the caller may pay from it."""
    items = [account_json(a) for a in queries.accounts()]
    return jsonify(items=items, page=1, per_page=max(len(items), 1), total=len(items))


@bp.post("/payments/enrolments")
@operation(ok=201, answer="Enrolment", body="EnrolmentInput", errors=(400, 404, 409, 422))
@requires(SELF)  # any employee files the WeChat Pay application form (P3)
def payments_enrolments_create():
    """The WeChat Pay application form (P3): {account_id, reason} → 201, waiting for finance."""
    data = json_body()
    account = _account(data)
    e = ops.file_enrolment(current_user, account, _text(data, "reason", 500))
    return jsonify(enrolment_json(e)), 201


@bp.post("/payments/enrolments/<int:enrolment_id>/review")
@operation(answer="Enrolment", body="EnrolmentReview", errors=(400, 403, 404, 409, 422))
@requires("payment.finance")
def payments_enrolments_review(enrolment_id: int):
    """Finance enables WeChat Pay for the applicant or refuses with a reason (P3): {decision: enable|refuse, comment}."""
    data = json_body()
    e = ops.get_enrolment(enrolment_id)
    e = ops.review_enrolment(current_user, e, field(data, "decision", str), _text(data, "comment", 500, required=False))
    return jsonify(enrolment_json(e))


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _planned_at(data: dict) -> datetime:
    raw = field(data, "planned_at", str)
    try:  # RFC 3339 as the schema says: date, "T" or a space, time with seconds, and the zone
        value = datetime.fromisoformat(raw) if _RFC3339.match(raw) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Refused(_("planned_at must be a time with its zone, e.g. 2026-12-08T10:00:00+08:00."), code="invalid",
                      status=400, fields={"planned_at": [_("Not a time.")]})
    return value


@bp.post("/payments")
@operation(ok=201, answer="Payment", body="PaymentInput", errors=(400, 403, 404, 409, 422))
@requires(SELF)  # the account's custodian or an enabled payer (P1 P3), asked by the operation
def payments_create():
    """File a payment: {account_id, amount_fen, purpose, budget_line, payee, planned_at} → 201; 422 P5 with
    remaining_fen past the day's limit; 422 P4 outside working hours or days, without purpose or over the
    budget line; 422 P6 while the account is locked; 403 P3 when the caller is not enabled."""
    data = json_body()
    account = _account(data)
    payee = data.get("payee")
    if isinstance(payee, dict):
        name, openid = payee.get("name"), payee.get("openid") or ""
    else:
        name, openid = payee, ""
    if not isinstance(name, str) or not isinstance(openid, str) or not 0 < len(name) <= 64 or len(openid) > 64:
        raise Refused(_("payee is a name, or {name, openid}."), code="invalid", status=400,
                      fields={"payee": [_("Wrong type.")]})
    line = data.get("budget_line")
    if not ((isinstance(line, str) and 0 < len(line) <= 64) or db_int(line) and line > 0):
        raise Refused(_("budget_line is the line's id or name."), code="invalid", status=400,
                      fields={"budget_line": [_("Wrong type.")]})
    p = ops.create_payment(current_user, account, amount_fen=_money(data, "amount_fen"),
                           purpose=_text(data, "purpose", 500), budget_line=line, payee_name=name,
                           payee_openid=openid, planned_at=_planned_at(data))
    return jsonify(payment_json(p)), 201


@bp.get("/payments")
@operation(answer="Payments", errors=(400, 404),
           params=[query("date", DATE, "the day in CMS_TIMEZONE (default today)"),
                   query("account", ID, "one account's id")])
@requires(SELF)  # each payment is asked: the payment policy's can_view
def payments_list():
    """The day's payments the caller may see, with state (planned, paid, failed, reconciled, anomaly); with
    `account`, that account's limit, spent and remaining fen."""
    from cms import workdays

    day = date_arg("date") or workdays.today()
    account_id = id_arg("account")
    account = ops.get_account(account_id) if account_id else None
    if account is not None and not policy.can_view_account(current_user, account):
        raise NotFound(_("No such WeChat Pay account."), code="not_found")
    items = [payment_json(p) for p in queries.payments_of_day(current_user, day, account)]
    extra = {"limit_fen": None, "spent_fen": None, "remaining_fen": None}
    if account is not None:
        limit, spent = ops.day_limit(account, day), ops.spent_on(account, day)
        extra = {"limit_fen": limit, "spent_fen": spent, "remaining_fen": max(0, limit - spent)}
    return jsonify(items=items, page=1, per_page=max(len(items), 1), total=len(items), date=day.isoformat(), **extra)


@bp.post("/payments/overrides")
@operation(ok=201, answer="Override", body="OverrideInput", errors=(400, 403, 404, 409, 422))
@requires("payment.override")  # the leader in charge of the account's department (policy.can_override)
def payments_overrides_create():
    """A leader raises one account's limit for one day (P5): {account_id, date, limit_fen, reason:
    major_activity|emergency, note} → 201."""
    data = json_body()
    account = _account(data)
    o = ops.grant_override(current_user, account, field(data, "date", date), _money(data, "limit_fen"),
                           field(data, "reason", str), _text(data, "note", 500))
    return jsonify(override_json(o)), 201



# --- paying out, reporting, reconciling: the pages' operations -------------------------------------

SCHEMAS.update({
    "ExecuteInput": obj({"method": enum(("transfer", "manual")),
                         "paid_at": {**TIME, "description": "manual: when it was paid in the WeChat app"},
                         "reference": {"type": "string", "minLength": 1, "maxLength": 64,
                                       "description": "manual: the WeChat app's transaction number"}},
                        required=["method"]),
    "Execution": obj({"payment": ref("Payment"), "message": nullable(STR)}),
    "ReportInput": obj({"account_id": ID, "kind": enum(("anomaly", "leaked_password")),
                        "text": {"type": "string", "minLength": 1, "maxLength": 1000}}),
    "Report": obj({"id": INT, "account_id": INT, "kind": STR, "state": STR, "locked": BOOL}),
    "DayInput": obj({"account_id": ID, "date": DATE,
                     "bill": {"type": "string", "maxLength": 5_000_000,
                              "description": "the fund-flow bill's CSV; left out: downloaded from WeChat Pay"}},
                    required=["account_id", "date"]),
    "PayDay": obj({"id": INT, "account_id": INT, "date": DATE, "state": enum(("open", "reconciled")),
                   "source": STR, "anomalies": array(obj({
                       "id": INT, "kind": enum(rules.ANOMALY_KINDS), "payment_id": nullable(INT), "detail": STR,
                       "state": enum(("open", "resolved")), "note": STR}))}),
    "NoteInput": obj({"note": {"type": "string", "minLength": 1, "maxLength": 500}}),
    "ArchiveInput": obj({"note": nullable({"type": "string", "maxLength": 500, "description": "kept in the audit trail"})},
                        required=[]),
})


def day_json(pd) -> dict:
    return {"id": pd.id, "account_id": pd.account_id, "date": pd.day.isoformat(), "state": pd.state,
            "source": pd.source, "anomalies": [
                {"id": a.id, "kind": a.kind, "payment_id": a.payment_id, "detail": (a.details or {}).get("detail", ""),
                 "state": a.state, "note": a.note} for a in queries.anomalies(pd)]}


def _payment_for(payment_id: int):
    p = ops.get_payment(payment_id)
    if not policy.payment_policy.can_view(current_user, p):
        raise NotFound(_("No such payment."), code="not_found")
    return p


@bp.post("/payments/<int:payment_id>/execute")
@operation(answer="Execution", body="ExecuteInput", errors=(400, 403, 404, 409, 422))
@requires(SELF)  # the payment policy's can_execute: its payer or the account's custodian
def payments_execute(payment_id: int):
    """Pay a planned payment out: {method: "transfer"} through WeChat Pay (idempotent; P4 P5 checked
    again), or {method: "manual", paid_at, reference} for a payment made by hand in the WeChat app."""
    from cms.payments import execution

    data = json_body()
    p = _payment_for(payment_id)
    method = field(data, "method", str)
    if method == "transfer":
        p, message = execution.execute_transfer(current_user, p)
    elif method == "manual":
        raw = field(data, "paid_at", str)
        try:
            paid_at = datetime.fromisoformat(raw) if _RFC3339.match(raw) else None
        except ValueError:
            paid_at = None
        if paid_at is None:
            raise Refused(_("planned_at must be a time with its zone, e.g. 2026-12-08T10:00:00+08:00."),
                          code="invalid", status=400, fields={"paid_at": [_("Not a time.")]})
        p = execution.record_manual(current_user, p, paid_at=paid_at, reference=_text(data, "reference", 64))
        message = None
    else:
        raise Refused(_("Choose transfer or manual."), code="invalid", status=400,
                      fields={"method": [_("Not one of the choices.")]})
    return jsonify(payment=payment_json(p), message=message)


@bp.post("/payments/reports")
@operation(ok=201, answer="Report", body="ReportInput", errors=(400, 404, 422))
@requires(SELF)  # P6: every employee reports; the account's payments lock at once
def payments_reports_create():
    """Report an anomaly or a leaked password (P6): {account_id, kind, text} → 201; the account is locked."""
    data = json_body()
    account = _account(data)
    r = ops.report_anomaly(current_user, account, field(data, "kind", str), _text(data, "text", 1000))
    return jsonify(id=r.id, account_id=r.account_id, kind=r.kind, state=r.state, locked=account.locked), 201


@bp.post("/payments/days")
@operation(answer="PayDay", body="DayInput", errors=(400, 403, 404, 409, 422))
@requires("payment.finance")
def payments_days_reconcile():
    """Finance checks an account's day against its fund-flow bill (P3 P6): {account_id, date, bill?}; the
    anomalies found (unmatched_line, amount_differs, missing_line, over_limit, outside_hours)."""
    from cms.payments import reconcile

    data = json_body()
    account = _account(data)
    text = field(data, "bill", str, required=False)
    pd = reconcile.reconcile_day(current_user, account, field(data, "date", date), text=text,
                                 source="upload" if text is not None else "download")
    return jsonify(day_json(pd))


@bp.post("/payments/anomalies/<int:anomaly_id>/resolve")
@operation(answer="PayDay", body="NoteInput", errors=(400, 403, 404, 409, 422))
@requires("payment.finance")
def payments_anomalies_resolve(anomaly_id: int):
    """Finance says how an anomaly was resolved (P6): {note}."""
    from cms.payments import reconcile

    data = json_body()
    a = reconcile.resolve_anomaly(current_user, reconcile.get_anomaly(anomaly_id), _text(data, "note", 500))
    return jsonify(day_json(a.pay_day))


@bp.post("/payments/days/<int:day_id>/archive")
@operation(answer="PayDay", body="ArchiveInput", body_optional=True, errors=(400, 403, 404, 409, 422))
@requires("payment.finance")
def payments_days_archive(day_id: int):
    """Archive a reconciled day (P3): every anomaly resolved; afterwards the account-day refuses every change (409)."""
    from cms.extensions import db
    from cms.payments import reconcile
    from cms.payments.models import PayDay

    data = optional_json_body()
    note = _text(data, "note", 500, required=False)
    pd = db.session.get(PayDay, day_id)
    if pd is None:
        raise NotFound(_("No such day."), code="not_found")
    return jsonify(day_json(reconcile.archive_day(current_user, pd, note)))
