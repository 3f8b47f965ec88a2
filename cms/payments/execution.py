"""Paying a planned payment out (P3 step 3): a transfer through cms/platforms/pay.py, or a payment
made by hand in the WeChat app and recorded here (who, when, its reference).

A transfer is idempotent by our payment's partner_trade_no (the same for every attempt): the
attempt is counted and committed before the call, so after an error or a timeout (the outcome
unknown) the next attempt asks query_transfer first and transfers again, with the same number,
only when the platform has none. The day's limit (P5) and working time (P4) are checked again, under
the account lock, when the payment is executed; the account lock is not held across the call."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from cms import workdays
from cms.audit.service import record
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.payments import operations as ops
from cms.payments import policy
from cms.payments.models import Payment
from cms.platforms import pay
from cms.platforms.calls import CallError
from cms.transactions import operation

# Errors after which a person must act but the same payment may be tried again (top up, tomorrow).
_STAYS_PLANNED = {"NOTENOUGH", "SENDNUM_LIMIT", "MONEY_LIMIT", "FREQ_LIMIT"}


def _check_executable(user, p: Payment) -> None:
    if p.state != "planned":
        raise Conflict(_("This payment is %(state)s already.", state=p.state), code="conflict")
    if not policy.payment_policy.can_execute(user, p):
        raise ops.forbidden()
    ops.refuse_if_locked(p.account)


def _paid(p: Payment, user, *, method: str, payment_no: str, paid_at: datetime, before: dict) -> None:
    p.state, p.method, p.payment_no, p.paid_at, p.paid_by_id = "paid", method, payment_no, paid_at, user.id
    p.last_error = ""
    record("payment.paid", ("payment", p.id), before=before, after=ops._state(p))


@operation
def _begin_transfer(user, p: Payment) -> bool:
    """Checks, then one more attempt counted and committed; True when an earlier one may have gone out."""
    _check_executable(user, p)
    if not p.payee_openid:
        raise Refused(_("A transfer needs the payee's WeChat openid; otherwise pay in the WeChat app and record it "
                        "by hand."), fields={"payee_openid": [_("Required.")]})
    now = workdays.now()
    if not ops.within_working_time(now):
        raise Refused(_("Payments are made inside working hours on working days (P4)."), code="P4")
    today = workdays.today()
    ops.refuse_if_archived(p.account, today)
    ops.lock_account(p.account)
    limit, spent = ops.day_limit(p.account, today), ops.spent_on(p.account, today, exclude_id=p.id)
    if spent + p.amount_fen > limit:
        raise ops.limit_refusal(p.account, today, limit, spent, p.amount_fen)
    earlier = p.attempts > 0
    p.attempts += 1
    p.day = today
    db.session.commit()
    return earlier


@operation
def _finish(user, p: Payment, result: pay.TransferResult | None, error: CallError | None) -> str | None:
    before = ops._state(p)
    if result is not None and result.state == "SUCCESS":
        _paid(p, user, method="transfer", payment_no=result.payment_no or "", before=before,
              paid_at=result.payment_time or workdays.now())
        message = None
    elif result is not None and result.state == "FAILED":
        p.state, p.method, p.last_error = "failed", "transfer", result.reason or _("The transfer failed.")
        record("payment.failed", ("payment", p.id), before=before, after={**ops._state(p), "reason": p.last_error})
        message = p.last_error
    else:
        text = pay.describe_pay(error.errcode, error.errmsg) if error is not None else _(
            "WeChat Pay is still processing the transfer: query it again later.")
        p.last_error = text
        if error is not None and pay.classify_pay(error.errcode) == "permanent" and error.errcode not in _STAYS_PLANNED:
            p.state, p.method = "failed", "transfer"
        record("payment.transfer_error", ("payment", p.id), before=before,
               after={**ops._state(p), "error": error.errcode if error else "PROCESSING", "message": text})
        message = text
    db.session.commit()
    return message


def execute_transfer(user, p: Payment) -> tuple[Payment, str | None]:
    """Pay `p` out by transfer. (payment, None) when paid; else the platform's words in Chinese (the
    payment stays planned when it may be tried again, else failed)."""
    earlier = _begin_transfer(user, p)
    creds, trade_no = p.account.credentials(), p.partner_trade_no
    result = error = None
    try:
        if earlier:  # an earlier attempt's outcome may be unknown: the platform says first
            try:
                result = pay.query_transfer(creds, trade_no)
            except CallError as e:
                if not pay.is_not_found(e):
                    raise
        if result is None:
            result = pay.transfer(creds, partner_trade_no=trade_no, openid=p.payee_openid, amount_fen=p.amount_fen,
                                  desc=p.purpose[:100])
    except CallError as e:
        error = e
    return p, _finish(user, p, result, error)


@operation
def record_manual(user, p: Payment, *, paid_at: datetime, reference: str) -> Payment:
    """A payment made by hand in the WeChat app (the custodian or the payer says who, when and its
    reference). Outside working hours or past the day's limit it is still recorded (the money has
    gone): reconciliation then shows it as an anomaly (P4 P5) for finance to resolve."""
    _check_executable(user, p)
    reference = (reference or "").strip()
    errors = {}
    if not reference:
        errors["reference"] = [_("The transaction number the WeChat app shows.")]
    if paid_at is None or paid_at.tzinfo is None:
        errors["paid_at"] = [_("Not a time.")]
    elif paid_at > workdays.now():
        errors["paid_at"] = [_("This time has not come yet.")]
    if errors:
        raise Refused(_("Please correct the marked fields."), fields=errors)
    day = workdays.local(paid_at).date()
    ops.refuse_if_archived(p.account, day)
    ops.refuse_if_archived(p.account, p.day)
    before = ops._state(p)
    p.day = day
    _paid(p, user, method="manual", payment_no=reference[:64], paid_at=paid_at, before=before)
    db.session.commit()
    return p


@operation
def cancel(user, p: Payment, reason: str) -> Payment:
    """A planned payment that will not be made: no longer counted against the day (state failed)."""
    _check_executable_cancel(user, p)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reason."), fields={"reason": [_("Required.")]})
    ops.refuse_if_archived(p.account, p.day)
    before = ops._state(p)
    p.state, p.last_error = "failed", _("Cancelled: %(reason)s", reason=reason[:400])
    record("payment.cancelled", ("payment", p.id), before=before, after={**ops._state(p), "reason": reason})
    db.session.commit()
    return p


def _check_executable_cancel(user, p: Payment) -> None:
    if p.state != "planned":
        raise Conflict(_("This payment is %(state)s already.", state=p.state), code="conflict")
    if not (policy.payment_policy.can_execute(user, p) or policy.is_finance(user)):
        raise ops.forbidden()
