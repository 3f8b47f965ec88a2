"""Who may do what with WeChat Pay (seed §9), asked with the object and its scope:

- the account's custodian (P1: the user named on it, holding payment.pay) pays from it;
- an enabled payer (P3: an employee whose application form finance enabled for that account) pays
  from it;
- finance (payment.finance) approves account requests (P2), reviews application forms (P3),
  reconciles and archives days, clears anomaly reports (P6), ticks the inspection checklist (P7);
- the leader in charge of the account's department (payment.override for that department) raises
  its limit for one day (P5).
Pure of Flask globals: every function takes the user."""
from __future__ import annotations

from sqlalchemy import select

from cms.extensions import db
from cms.payments.models import (
    AnomalyReport,
    LimitOverride,
    PayAccount,
    PayAccountRequest,
    PayDay,
    PayEnrolment,
    Payment,
)
from cms.permissions import policy_for


def active(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def is_finance(user) -> bool:
    return active(user) and user.has_permission("payment.finance")


def is_custodian(user, account: PayAccount) -> bool:
    return active(user) and account.custodian_id == user.id and user.has_permission("payment.pay")


def is_enabled(user, account: PayAccount) -> bool:
    """P3: finance enabled this user's application form for this account."""
    if not active(user) or account.id is None:
        return False
    return db.session.scalar(select(PayEnrolment.id).where(
        PayEnrolment.account_id == account.id, PayEnrolment.user_id == user.id,
        PayEnrolment.state == "enabled").limit(1)) is not None


def leads(user, account: PayAccount) -> bool:
    """The leader in charge of the account's department (P5)."""
    if not active(user):
        return False
    if account.department_id is None:
        return user.has_global_permission("payment.override")
    return user.has_permission("payment.override", ("department", account.department_id))


# --- accounts ------------------------------------------------------------------------------------

def can_view_account(user, account: PayAccount) -> bool:
    return is_finance(user) or is_custodian(user, account) or is_enabled(user, account) or leads(user, account)


def can_pay_from(user, account: PayAccount) -> bool:
    """P1 P3: the custodian or an enabled payer, while the account is open. (A locked account is
    refused by the operation naming P6, so the payer learns why.)"""
    return account.state == "active" and (is_custodian(user, account) or is_enabled(user, account))


def can_enrol(user, account: PayAccount) -> bool:
    """Any active employee files the application form for an open account they cannot pay from yet."""
    return active(user) and account.state == "active" and not can_pay_from(user, account)


def can_request_change(user, account: PayAccount | None = None) -> bool:
    """P2: ask to open (no account), change or close one: its custodian, a payment custodian for a
    new one, or finance. Finance decides."""
    if not active(user):
        return False
    if account is None or account.id is None:
        return user.has_permission("payment.pay") or is_finance(user)
    return account.state == "active" and (is_custodian(user, account) or is_finance(user))


def can_report(user, account: PayAccount) -> bool:
    """P6: every employee reports an anomaly or a leaked password."""
    return active(user)


def can_clear_lock(user, account: PayAccount) -> bool:
    return is_finance(user) and account.locked


def can_override(user, account: PayAccount) -> bool:
    return account.state == "active" and leads(user, account)


def can_reconcile(user, account: PayAccount) -> bool:
    return is_finance(user)


class _AccountPolicy:
    can_view = staticmethod(can_view_account)
    can_pay = staticmethod(can_pay_from)
    can_enrol = staticmethod(can_enrol)
    can_request_change = staticmethod(can_request_change)
    can_report = staticmethod(can_report)
    can_clear_lock = staticmethod(can_clear_lock)
    can_override = staticmethod(can_override)
    can_reconcile = staticmethod(can_reconcile)


# --- account requests (P2) -------------------------------------------------------------------------

class _RequestPolicy:
    @staticmethod
    def can_view(user, req: PayAccountRequest) -> bool:
        return is_finance(user) or (active(user) and req.requested_by_id == user.id)

    @staticmethod
    def can_decide(user, req: PayAccountRequest) -> bool:
        """Finance, on a pending request, not their own (two people for every account change)."""
        return is_finance(user) and req.state == "requested" and req.requested_by_id != user.id


# --- enrolments (P3) -----------------------------------------------------------------------------

class _EnrolmentPolicy:
    @staticmethod
    def can_view(user, e: PayEnrolment) -> bool:
        return is_finance(user) or (active(user) and e.user_id == user.id)

    @staticmethod
    def can_review(user, e: PayEnrolment) -> bool:
        """Finance, on a filed form not their own."""
        return is_finance(user) and e.state == "filed" and e.user_id != user.id


# --- payments ------------------------------------------------------------------------------------

class _PaymentPolicy:
    @staticmethod
    def can_view(user, p: Payment) -> bool:
        return active(user) and (p.payer_id == user.id or is_finance(user) or is_custodian(user, p.account)
                                 or leads(user, p.account))

    @staticmethod
    def can_execute(user, p: Payment) -> bool:
        """Pay a planned payment out: its payer (still allowed to pay) or the account's custodian."""
        return p.state == "planned" and (
            (p.payer_id == getattr(user, "id", None) and can_pay_from(user, p.account))
            or is_custodian(user, p.account))


class _OverridePolicy:
    @staticmethod
    def can_view(user, o: LimitOverride) -> bool:
        return can_view_account(user, o.account)


class _DayPolicy:
    @staticmethod
    def can_view(user, d: PayDay) -> bool:
        return can_view_account(user, d.account)

    @staticmethod
    def can_reconcile(user, d: PayDay) -> bool:
        return is_finance(user) and d.state != "reconciled"


class _ReportPolicy:
    @staticmethod
    def can_view(user, r: AnomalyReport) -> bool:
        return is_finance(user) or (active(user) and r.reported_by_id == user.id)

    @staticmethod
    def can_clear(user, r: AnomalyReport) -> bool:
        return is_finance(user) and r.state == "open"


account_policy, request_policy, enrolment_policy = _AccountPolicy, _RequestPolicy, _EnrolmentPolicy
payment_policy, override_policy, day_policy, report_policy = _PaymentPolicy, _OverridePolicy, _DayPolicy, _ReportPolicy
policy_for(PayAccount, account_policy)
policy_for(PayAccountRequest, request_policy)
policy_for(PayEnrolment, enrolment_policy)
policy_for(Payment, payment_policy)
policy_for(LimitOverride, override_policy)
policy_for(PayDay, day_policy)
policy_for(AnomalyReport, report_policy)
