"""What the WeChat Pay pages and the API read (no state changes): accounts, the day's payments a
user may see, enrolments and requests waiting for finance, the day's reconciliation."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cms.extensions import db
from cms.payments import policy
from cms.payments.models import (
    AnomalyReport,
    BudgetLine,
    LimitOverride,
    PayAccount,
    PayAccountRequest,
    PayAnomaly,
    PayDay,
    PayEnrolment,
    Payment,
)


def accounts(include_closed: bool = False) -> list[PayAccount]:
    q = select(PayAccount).order_by(PayAccount.id)
    if not include_closed:
        q = q.where(PayAccount.state == "active")
    return list(db.session.scalars(q))


def payable_accounts(user) -> list[PayAccount]:
    return [a for a in accounts() if policy.can_pay_from(user, a)]


def visible_accounts(user) -> list[PayAccount]:
    return [a for a in accounts(include_closed=True) if policy.can_view_account(user, a)]


def payments_of_day(user, day: date | None, account: PayAccount | None = None) -> list[Payment]:
    q = select(Payment).order_by(Payment.planned_at, Payment.id)
    if day is not None:
        q = q.where(Payment.day == day)
    if account is not None:
        q = q.where(Payment.account_id == account.id)
    return [p for p in db.session.scalars(q) if policy.payment_policy.can_view(user, p)]


def my_payments(user, limit: int = 50) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.payer_id == user.id)
                                   .order_by(Payment.planned_at.desc()).limit(limit)))


def budget_lines(account: PayAccount, year: int | None = None) -> list[BudgetLine]:
    q = select(BudgetLine).where(BudgetLine.account_id == account.id).order_by(BudgetLine.year, BudgetLine.name)
    if year is not None:
        q = q.where(BudgetLine.year == year)
    return list(db.session.scalars(q))


def enrolments(state: str | None = None, user=None) -> list[PayEnrolment]:
    q = select(PayEnrolment).order_by(PayEnrolment.id.desc())
    if state:
        q = q.where(PayEnrolment.state == state)
    if user is not None:
        q = q.where(PayEnrolment.user_id == user.id)
    return list(db.session.scalars(q))


def account_requests(state: str | None = None) -> list[PayAccountRequest]:
    q = select(PayAccountRequest).order_by(PayAccountRequest.id.desc())
    if state:
        q = q.where(PayAccountRequest.state == state)
    return list(db.session.scalars(q))


def open_reports() -> list[AnomalyReport]:
    return list(db.session.scalars(select(AnomalyReport).where(AnomalyReport.state == "open")
                                   .order_by(AnomalyReport.id)))


def overrides(account: PayAccount) -> list[LimitOverride]:
    return list(db.session.scalars(select(LimitOverride).where(LimitOverride.account_id == account.id)
                                   .order_by(LimitOverride.day.desc())))


def pay_day(account: PayAccount, day: date) -> PayDay | None:
    return db.session.scalar(select(PayDay).where(PayDay.account_id == account.id, PayDay.day == day))


def anomalies(pay_day: PayDay) -> list[PayAnomaly]:
    return list(db.session.scalars(select(PayAnomaly).where(PayAnomaly.pay_day_id == pay_day.id)
                                   .order_by(PayAnomaly.id)))
