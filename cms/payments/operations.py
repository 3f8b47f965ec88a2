"""WeChat Pay operations (seed §9): each owns its transaction (`@operation`) and audits (U7).

    request_account / decide_request          P2: open, change, close, only on finance's approval
    file_enrolment / review_enrolment         P3: the application form, enabled or refused by finance
    set_budget_line                           P4: a budget line per account and year
    create_payment                            P4 P5 P6: every check, then the day's sum under the account lock
    grant_override                            P5: a leader's ceiling for one account-day
    report_anomaly / clear_report             P6: a report locks the account until finance clears it

Refusals name their policy (Refused code P3/P4/P5/P6); an archived (reconciled) account-day
refuses every change with 409. Execution and reconciliation: cms/payments/execution.py and
cms/payments/reconcile.py."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from cms import workdays
from cms.audit.service import record
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.holidays import service as calendar
from cms.payments import policy, rules
from cms.payments.models import (
    REPORT_KINDS,
    SECRET_FIELDS,
    AnomalyReport,
    BudgetLine,
    LimitOverride,
    PayAccount,
    PayAccountRequest,
    PayDay,
    PayEnrolment,
    Payment,
)
from cms.transactions import operation

ACCOUNT_FIELDS = ("name", "mch_id", "app_id", "custodian_id", "department_id", "daily_limit_fen")


def forbidden() -> Refused:
    return Refused(_("You may not do this."), code="forbidden", status=403)


def _get(model, ident, message):
    obj = db.session.get(model, ident) if isinstance(ident, int) else None
    if obj is None:
        raise NotFound(message, code="not_found")
    return obj


def get_account(account_id) -> PayAccount:
    return _get(PayAccount, account_id, _("No such WeChat Pay account."))


def get_payment(payment_id) -> Payment:
    return _get(Payment, payment_id, _("No such payment."))


def get_enrolment(enrolment_id) -> PayEnrolment:
    return _get(PayEnrolment, enrolment_id, _("No such application form."))


def get_request(request_id) -> PayAccountRequest:
    return _get(PayAccountRequest, request_id, _("No such account request."))


def get_report(report_id) -> AnomalyReport:
    return _get(AnomalyReport, report_id, _("No such report."))


# --- the day: limit, lock, archive ---------------------------------------------------------------

def default_limit(account: PayAccount) -> int:
    return account.daily_limit_fen or int(current_app.config.get("PAYMENT_DAILY_LIMIT_FEN", rules.DEFAULT_DAILY_LIMIT_FEN))


def override_for(account: PayAccount, day: date) -> LimitOverride | None:
    return db.session.scalar(select(LimitOverride).where(LimitOverride.account_id == account.id,
                                                         LimitOverride.day == day))


def day_limit(account: PayAccount, day: date) -> int:
    o = override_for(account, day)
    return rules.effective_limit(default_limit(account),
                                 rules.Override(o.day, o.limit_fen, o.reason) if o else None, day)


def spent_on(account: PayAccount, day: date, exclude_id: int | None = None) -> int:
    """P5: every payment of the account-day that counts (planned, paid, reconciled, anomaly)."""
    q = select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
        Payment.account_id == account.id, Payment.day == day, Payment.state.in_(rules.COUNTED_STATES))
    if exclude_id is not None:
        q = q.where(Payment.id != exclude_id)
    return int(db.session.scalar(q))


def budget_spent(line: BudgetLine, exclude_id: int | None = None) -> int:
    q = select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
        Payment.budget_line_id == line.id, Payment.state.in_(rules.COUNTED_STATES))
    if exclude_id is not None:
        q = q.where(Payment.id != exclude_id)
    return int(db.session.scalar(q))


def lock_account(account: PayAccount) -> None:
    """Serialise everything that sums an account's day (P5): on PostgreSQL SELECT ... FOR UPDATE of
    the account row; on SQLite an UPDATE of it, the first write of the transaction, which takes the
    database's write lock (a second payment waits here until the first commits, then sees it)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(PayAccount.id).where(PayAccount.id == account.id).with_for_update())
    else:
        db.session.execute(update(PayAccount).where(PayAccount.id == account.id)
                           .values(lock_seq=PayAccount.lock_seq + 1).execution_options(synchronize_session=False))


def archived(account: PayAccount, day: date) -> bool:
    return db.session.scalar(select(PayDay.id).where(PayDay.account_id == account.id, PayDay.day == day,
                                                     PayDay.state == "reconciled")) is not None


def refuse_if_archived(account: PayAccount, day: date) -> None:
    """P3: a reconciled day is archived: nothing of it changes any more."""
    if archived(account, day):
        raise Conflict(_("%(day)s of %(account)s is reconciled and archived: it can no longer change (P3).",
                         day=day.isoformat(), account=account.name), code="archived")


def refuse_if_locked(account: PayAccount) -> None:
    if account.locked:
        raise Refused(_("Payments from %(account)s are locked after a reported anomaly until finance clears it (P6).",
                        account=account.name), code="P6")


def within_working_time(at: datetime) -> bool:
    return rules.within_working_time(workdays.local(at), workdays.working_hours(), calendar.is_workday)


def _state(p: Payment) -> dict:
    return {"account": p.account_id, "amount_fen": p.amount_fen, "state": p.state, "day": p.day.isoformat(),
            "payee": p.payee_name, "budget_line": p.budget_line_id, "method": p.method, "payment_no": p.payment_no}


# --- accounts (P1 P2) ----------------------------------------------------------------------------

def _check_account_values(kind: str, values: dict, account: PayAccount | None) -> dict:
    from cms.auth.models import User

    errors: dict[str, list[str]] = {}
    out = {}
    if kind in ("open", "change"):
        name = (values.get("name") or "").strip()
        if kind == "open" or name:
            if not name or len(name) > 64:
                errors["name"] = [_("A name of up to 64 characters.")]
            elif db.session.scalar(select(PayAccount.id).where(PayAccount.name == name,
                                                               PayAccount.id != (account.id if account else 0))):
                errors["name"] = [_("Another account has this name.")]
            out["name"] = name
        mch = (values.get("mch_id") or "").strip()
        if kind == "open" or mch:
            if not mch.isdigit() or len(mch) > 32:
                errors["mch_id"] = [_("The merchant number (商户号): digits.")]
            out["mch_id"] = mch
        if values.get("app_id") is not None:
            out["app_id"] = (values.get("app_id") or "").strip()[:64]
        cid = values.get("custodian_id")
        if kind == "open" or cid:
            custodian = db.session.get(User, cid) if isinstance(cid, int) else None
            if custodian is None or not custodian.is_active or not custodian.has_permission("payment.pay"):
                errors["custodian_id"] = [_("Name an active payment custodian (P1).")]
            else:
                out["custodian_id"] = custodian.id
                out["department_id"] = custodian.department_id
        limit = values.get("daily_limit_fen")
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= rules.MAX_FEN:
                errors["daily_limit_fen"] = [_("A positive amount in fen.")]
            else:
                out["daily_limit_fen"] = limit
    if errors:
        raise Refused(_("Please correct the marked fields."), fields=errors)
    return out


@operation
def request_account(user, kind: str, values: dict, secrets: dict | None = None, account: PayAccount | None = None,
                    reason: str = "") -> PayAccountRequest:
    """P2: ask finance to open (no account), change or close an account. The credentials are sealed
    into the request at once and moved to the account only on approval."""
    if kind not in ("open", "change", "close") or (kind == "open") != (account is None):
        raise Refused(_("Choose open, change or close."), code="invalid", fields={"kind": [_("Not one of the choices.")]})
    if not policy.can_request_change(user, account):
        raise forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reason for the request (P2)."), code="P2", fields={"reason": [_("Required.")]})
    clean = _check_account_values(kind, values or {}, account)
    req = PayAccountRequest(kind=kind, account_id=account.id if account else None, values=clean,
                            reason=reason[:500], requested_by_id=user.id, created_at=workdays.now())
    from cms.channels.models import encrypt

    stored = []
    for name in SECRET_FIELDS:
        value = (secrets or {}).get(name)
        if value:
            setattr(req, f"{name}_enc", encrypt(value))
            stored.append(name)
    db.session.add(req)
    db.session.flush()
    record("payment_account.requested", ("pay_account_request", req.id),
           after={"kind": kind, "account": req.account_id, "values": clean, "sealed": stored, "reason": req.reason})
    db.session.commit()
    return req


@operation
def decide_request(user, req: PayAccountRequest, approve: bool, comment: str = "") -> PayAccountRequest:
    """P2: finance approves (the account is opened, changed or closed now) or refuses with a reason."""
    if not policy.request_policy.can_decide(user, req):
        if req.state != "requested":
            raise Conflict(_("This request was already decided."), code="conflict")
        raise forbidden()
    comment = (comment or "").strip()
    if not approve and not comment:
        raise Refused(_("Give the reason for refusing."), code="P2", fields={"comment": [_("Required.")]})
    account = req.account
    if approve:
        if req.kind == "open":
            account = PayAccount(created_at=workdays.now(), **{k: v for k, v in req.values.items() if k in ACCOUNT_FIELDS})
            db.session.add(account)
        elif req.kind == "change":
            for k, v in req.values.items():
                if k in ACCOUNT_FIELDS:
                    setattr(account, k, v)
        else:
            account.state = "closed"
        for name in SECRET_FIELDS:
            enc = getattr(req, f"{name}_enc")
            if enc:
                setattr(account, f"{name}_enc", enc)
        db.session.flush()
        req.account_id = account.id
    req.state = "approved" if approve else "refused"
    req.decided_by_id, req.decided_at, req.comment = user.id, workdays.now(), comment[:500]
    record("payment_account.approved" if approve else "payment_account.refused", ("pay_account_request", req.id),
           before={"state": "requested"}, after={"state": req.state, "kind": req.kind, "account": req.account_id,
                                                 "comment": req.comment})
    db.session.commit()
    return req


# --- enrolment (P3) ------------------------------------------------------------------------------

@operation
def file_enrolment(user, account: PayAccount, reason: str) -> PayEnrolment:
    """微信支付申请表 (P3): an employee asks finance to enable WeChat Pay for them on this account."""
    reason = (reason or "").strip()
    if not policy.can_enrol(user, account):
        if policy.can_pay_from(user, account):
            raise Conflict(_("You may already pay from %(account)s.", account=account.name), code="conflict")
        raise Refused(_("This account is closed."), code="P2", status=409)
    if not reason:
        raise Refused(_("Give the business reason (P3)."), code="P3", fields={"reason": [_("Required.")]})
    if db.session.scalar(select(PayEnrolment.id).where(PayEnrolment.account_id == account.id,
                                                       PayEnrolment.user_id == user.id, PayEnrolment.state == "filed")):
        raise Conflict(_("Your application form for this account is waiting for finance."), code="conflict")
    e = PayEnrolment(account_id=account.id, user_id=user.id, reason=reason[:500], created_at=workdays.now())
    db.session.add(e)
    db.session.flush()
    record("payment_enrolment.filed", ("pay_enrolment", e.id), after={"account": account.id, "reason": e.reason})
    db.session.commit()
    return e


@operation
def review_enrolment(user, e: PayEnrolment, decision: str, comment: str = "") -> PayEnrolment:
    """P3: finance enables WeChat Pay for the applicant, or refuses with a reason."""
    if decision not in ("enable", "refuse"):
        raise Refused(_("Choose enable or refuse."), code="invalid", status=400,
                      fields={"decision": [_("Not one of the choices.")]})
    if e.state != "filed":
        raise Conflict(_("This application form was already reviewed."), code="conflict")
    if not policy.enrolment_policy.can_review(user, e):
        raise forbidden()
    comment = (comment or "").strip()
    if decision == "refuse" and not comment:
        raise Refused(_("Give the reason for refusing (P3)."), code="P3", fields={"comment": [_("Required.")]})
    e.state = "enabled" if decision == "enable" else "refused"
    e.reviewed_by_id, e.reviewed_at, e.comment = user.id, workdays.now(), comment[:500]
    record(f"payment_enrolment.{e.state}", ("pay_enrolment", e.id), before={"state": "filed"},
           after={"state": e.state, "comment": e.comment, "user": e.user_id, "account": e.account_id})
    db.session.commit()
    return e


# --- budget lines (P4) ---------------------------------------------------------------------------

@operation
def set_budget_line(user, account: PayAccount, year: int, name: str, amount_fen: int) -> BudgetLine:
    if not policy.is_finance(user):
        raise forbidden()
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise Refused(_("A name of up to 64 characters."), fields={"name": [_("A name of up to 64 characters.")]})
    if not isinstance(amount_fen, int) or not 0 < amount_fen <= rules.MAX_FEN:
        raise Refused(_("A positive amount."), fields={"amount": [_("A positive amount.")]})
    line = db.session.scalar(select(BudgetLine).where(BudgetLine.account_id == account.id, BudgetLine.year == year,
                                                      BudgetLine.name == name))
    before = {"amount_fen": line.amount_fen} if line else None
    if line is None:
        line = BudgetLine(account_id=account.id, year=year, name=name, amount_fen=amount_fen)
        db.session.add(line)
    line.amount_fen = amount_fen
    db.session.flush()
    record("payment_budget.set", ("pay_budget_line", line.id), before=before,
           after={"account": account.id, "year": year, "name": name, "amount_fen": amount_fen})
    db.session.commit()
    return line


def find_budget_line(account: PayAccount, ref, year: int) -> BudgetLine | None:
    """A budget line of the account by id or by name (for the payment's year)."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        line = db.session.get(BudgetLine, ref)  # a line of this account and of the payment's year (P4)
        return line if line is not None and line.account_id == account.id and line.year == year else None
    if isinstance(ref, str) and ref.strip():
        return db.session.scalar(select(BudgetLine).where(BudgetLine.account_id == account.id,
                                                          BudgetLine.year == year, BudgetLine.name == ref.strip()))
    return None


# --- payments (P4 P5 P6) -------------------------------------------------------------------------

def limit_refusal(account: PayAccount, day: date, limit: int, spent: int, amount: int) -> Refused:
    remaining = max(0, limit - spent)
    return Refused(_("Over the daily limit of %(limit)s for %(account)s on %(day)s: %(remaining)s remain, this payment "
                     "is %(amount)s (P5). A leader in charge may raise the limit for the day.",
                     limit=rules.format_fen(limit), account=account.name, day=day.isoformat(),
                     remaining=rules.format_fen(remaining), amount=rules.format_fen(amount)),
                   code="P5", fields={"amount": [_("%(remaining)s remain today (P5).",
                                                   remaining=rules.format_fen(remaining))]},
                   extra={"remaining_fen": remaining, "limit_fen": limit, "spent_fen": spent})


@operation
def create_payment(user, account: PayAccount, *, amount_fen: int, purpose: str, budget_line, payee_name: str,
                   payee_openid: str = "", planned_at: datetime) -> Payment:
    """File a payment. Checks, each naming its policy: payer enabled (P3), account open and not
    locked (P6), day not archived (409), purpose given, inside working hours on a working day,
    budget room (P4), then, under the account lock, the day's limit (P5)."""
    if not policy.can_pay_from(user, account):
        if account.state != "active":
            raise Refused(_("%(account)s is closed (P2).", account=account.name), code="P2", status=409)
        raise Refused(_("WeChat Pay is not enabled for you on %(account)s: file the application form first (P3).",
                        account=account.name), code="P3", status=403)
    refuse_if_locked(account)
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 < amount_fen <= rules.MAX_FEN:
        raise Refused(_("The amount must be more than zero."), fields={"amount": [_("A positive amount.")]})
    if planned_at.tzinfo is None:
        raise Refused(_("The planned time needs its zone."), fields={"planned_at": [_("Not a time.")]})
    day = workdays.local(planned_at).date()
    refuse_if_archived(account, day)
    purpose, payee_name = (purpose or "").strip(), (payee_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not purpose:
        errors["purpose"] = [_("State the business need (P4).")]
    if not payee_name:
        errors["payee"] = [_("Required.")]
    if day < workdays.today():
        errors["planned_at"] = [_("The planned time has passed.")]
    elif not within_working_time(planned_at):
        opens, closes = workdays.working_hours()
        errors["planned_at"] = [_("Outside working hours (%(opens)s-%(closes)s on working days, P4).",
                                  opens=opens.strftime("%H:%M"), closes=closes.strftime("%H:%M"))]
    line = find_budget_line(account, budget_line, day.year)
    if line is None:
        errors["budget_line"] = [_("Choose a budget line of this account for %(year)d (P4).", year=day.year)]
    if errors:
        code = "P4" if set(errors) & {"purpose", "planned_at", "budget_line"} else "invalid"
        first = next(iter(errors.values()))[0]
        raise Refused(first if len(errors) == 1 else _("Please correct the marked fields."), code=code, fields=errors)

    lock_account(account)  # P5: from here to the commit, no other payment of this account sums or inserts
    spent_line = budget_spent(line)
    if not rules.fits_budget(amount_fen, line.amount_fen, spent_line):
        room = rules.budget_room(line.amount_fen, spent_line)
        raise Refused(_("Over the budget line %(line)s: %(room)s left (P4).", line=line.name,
                        room=rules.format_fen(room)), code="P4",
                      fields={"budget_line": [_("%(room)s left (P4).", room=rules.format_fen(room))]},
                      extra={"budget_room_fen": room})
    limit, spent = day_limit(account, day), spent_on(account, day)
    if not rules.fits_limit(amount_fen, limit, spent):
        raise limit_refusal(account, day, limit, spent, amount_fen)
    p = Payment(account_id=account.id, payer_id=user.id, amount_fen=amount_fen, purpose=purpose[:500],
                budget_line_id=line.id, payee_name=payee_name[:64], payee_openid=(payee_openid or "").strip()[:64],
                planned_at=planned_at, day=day, state="planned", created_at=workdays.now())
    db.session.add(p)
    db.session.flush()
    record("payment.filed", ("payment", p.id), after={**_state(p), "purpose": p.purpose, "spent_before_fen": spent,
                                                      "limit_fen": limit})
    db.session.commit()
    return p


# --- the leader's override (P5) ------------------------------------------------------------------

@operation
def grant_override(user, account: PayAccount, day: date, limit_fen: int, reason: str, note: str) -> LimitOverride:
    """P5: the leader in charge raises one account's limit for one day, naming the case."""
    if not policy.can_override(user, account):
        raise forbidden()
    errors: dict[str, list[str]] = {}
    if reason not in rules.OVERRIDE_REASONS:
        errors["reason"] = [_("A major business activity or an emergency (P5).")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Name the activity or the emergency (P5).")]
    if not isinstance(limit_fen, int) or isinstance(limit_fen, bool) or not 0 < limit_fen <= rules.MAX_FEN:
        errors["limit"] = [_("A positive amount.")]
    elif limit_fen <= default_limit(account):
        errors["limit"] = [_("Above the usual limit of %(limit)s.", limit=rules.format_fen(default_limit(account)))]
    if not isinstance(day, date):
        errors["date"] = [_("Not a date.")]
    elif day < workdays.today():
        errors["date"] = [_("The day has passed.")]
    if errors:
        raise Refused(_("Please correct the marked fields."), code="P5", fields=errors)
    refuse_if_archived(account, day)
    lock_account(account)
    o = override_for(account, day)
    before = {"limit_fen": o.limit_fen, "reason": o.reason} if o else None
    if o is None:
        o = LimitOverride(account_id=account.id, day=day)
        db.session.add(o)
    o.limit_fen, o.reason, o.note, o.approved_by_id, o.created_at = limit_fen, reason, note[:500], user.id, workdays.now()
    db.session.flush()
    record("payment_limit.raised", ("pay_limit_override", o.id), before=before,
           after={"account": account.id, "day": day.isoformat(), "limit_fen": limit_fen, "reason": reason,
                  "note": o.note})
    db.session.commit()
    return o


# --- anomaly reports (P6) ------------------------------------------------------------------------

@operation
def report_anomaly(user, account: PayAccount, kind: str, text: str) -> AnomalyReport:
    """P6: an anomaly or a leaked password, reported to finance; the account's payments lock at once."""
    if not policy.can_report(user, account):
        raise forbidden()
    text = (text or "").strip()
    errors = {}
    if kind not in REPORT_KINDS:
        errors["kind"] = [_("Not one of the choices.")]
    if not text:
        errors["text"] = [_("Say what happened (P6).")]
    if errors:
        raise Refused(_("Please correct the marked fields."), code="P6", fields=errors)
    r = AnomalyReport(account_id=account.id, kind=kind, text=text[:1000], reported_by_id=user.id,
                      created_at=workdays.now())
    db.session.add(r)
    was = account.locked
    account.locked = True
    db.session.flush()
    record("payment_account.reported", ("pay_anomaly_report", r.id), before={"locked": was},
           after={"account": account.id, "kind": kind, "text": r.text, "locked": True})
    db.session.commit()
    return r


@operation
def clear_report(user, r: AnomalyReport, note: str) -> AnomalyReport:
    """P6: finance checked the report; the account unlocks when no report of it is open."""
    if r.state != "open":
        raise Conflict(_("This report was already cleared."), code="conflict")
    if not policy.report_policy.can_clear(user, r):
        raise forbidden()
    note = (note or "").strip()
    if not note:
        raise Refused(_("Say what was checked and done (P6)."), code="P6", fields={"note": [_("Required.")]})
    r.state, r.cleared_by_id, r.cleared_at, r.note = "cleared", user.id, workdays.now(), note[:500]
    db.session.flush()
    still_open = db.session.scalar(select(func.count(AnomalyReport.id)).where(
        AnomalyReport.account_id == r.account_id, AnomalyReport.state == "open"))
    r.account.locked = bool(still_open)
    record("payment_account.cleared", ("pay_anomaly_report", r.id), before={"state": "open"},
           after={"state": "cleared", "note": r.note, "locked": r.account.locked})
    db.session.commit()
    return r
