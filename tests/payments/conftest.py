"""WeChat Pay test helpers: the demo account (held by payment_custodian, P1), an employee enabled
on it by finance (P3), and a Tuesday morning in December 2026 (a working day)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from cms import workdays
from cms.extensions import db

WORKDAY = "2026-12-08"  # a Tuesday


def at(hhmm: str, day: str = WORKDAY) -> datetime:
    return datetime.fromisoformat(f"{day} {hhmm}").replace(tzinfo=workdays.zone())


@pytest.fixture
def morning(clock):
    return clock.set(f"{WORKDAY} 08:30")


@pytest.fixture
def account(app):
    from cms.payments.models import PayAccount

    return db.session.scalar(select(PayAccount).where(PayAccount.name == "星海科技微信支付"))


def get(username):
    from cms.auth.service import get_by_username

    return get_by_username(username)


def enable(username: str, account) -> None:
    """`username` files the application form and finance enables it (P3)."""
    from cms.payments import operations as ops

    e = ops.file_enrolment(get(username), account, "采购办公用品")
    ops.review_enrolment(get("finance"), e, "enable", "")


def line(account, name="日常采购", year=2026):
    from cms.payments.models import BudgetLine

    return db.session.scalar(select(BudgetLine).where(BudgetLine.account_id == account.id, BudgetLine.name == name,
                                                      BudgetLine.year == year))


def pay(username: str, account, amount_fen: int, when: str = "10:00", **kw):
    from cms.payments import operations as ops

    values = dict(amount_fen=amount_fen, purpose="采购打印纸", payee_name="文具店", planned_at=at(when))
    values.update(kw)
    if "budget_line" not in values:
        values["budget_line"] = line(account).id
    return ops.create_payment(get(username), account, **values)


# --- the sandbox's WeChat Pay (tests/sandbox's server, over loopback HTTP) ----------------------

from tests.sandbox import conftest as _sandbox  # noqa: E402

sandbox_server = _sandbox.sandbox_server
sandbox_url = _sandbox.sandbox_url
sandbox_state = _sandbox.sandbox_state


@pytest.fixture
def paysandbox(app, sandbox_url, sandbox_state):
    """CMS_WECHATPAY_API_BASE_URL on the sandbox; the sandbox state."""
    app.config["WECHATPAY_API_BASE_URL"] = f"{sandbox_url}/mch/"
    return sandbox_state
