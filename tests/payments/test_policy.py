"""The WeChat Pay policy as a matrix (issue 13 style): every role of the table, in and out of the
account's department (财务部, the matrices' "out" department), plus the account's custodian (P1) and
an employee finance enabled (P3), against accounts, forms, payments and days in each state."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cms.extensions import db
from cms.payments import operations as ops
from cms.payments import policy
from cms.payments.models import PayAccount, PayDay
from tests.payments.conftest import get, pay
from tests.policy_matrix import ROLE_CASES, assert_matrix, make_user, role_users

NOBODY: list[str] = []


def _users(account):
    users = role_users()
    users["custodian"] = get("payment_custodian")
    enabled = make_user("enabledpayer")
    e = ops.file_enrolment(enabled, account, "采购")
    ops.review_enrolment(get("finance"), e, "enable", "")
    users["enabled payer"] = enabled
    return users


def _table(**rows) -> dict[str, list[str]]:
    table = {label: NOBODY for label, _roles in ROLE_CASES}
    table.update({"custodian": NOBODY, "enabled payer": NOBODY})
    table.update({k.replace("_at_", "@").replace("__", " "): v for k, v in rows.items()})
    return table


def test_the_payment_policy_matrix(app, morning, account):
    users = _users(account)
    closed = PayAccount(name="已注销账户", mch_id="1900000999", custodian_id=get("payment_custodian").id,
                        department_id=account.department_id, state="closed")
    db.session.add(closed)
    db.session.commit()
    accounts = {"open": account, "closed": closed}
    assert_matrix(policy.can_view_account, users, accounts, _table(
        finance=["open", "closed"], leader_at_out=["open", "closed"], custodian=["open", "closed"],
        enabled__payer=["open"]), name="view account")
    assert_matrix(policy.can_pay_from, users, accounts, _table(custodian=["open"], enabled__payer=["open"]),
                  name="pay from")
    assert_matrix(policy.can_override, users, accounts, _table(leader_at_out=["open"]), name="override (P5)")
    everyone_else = {label: ["open"] for label in users if label not in ("custodian", "enabled payer")}
    assert_matrix(policy.can_enrol, users, accounts, _table(**everyone_else), name="enrol (P3)")
    assert_matrix(policy.can_clear_lock, users, accounts, _table(), name="clear lock (nothing locked)")

    filed = ops.file_enrolment(get("contributor"), account, "市场活动")
    enabled = db.session.scalar(select(type(filed)).where(type(filed).state == "enabled"))
    assert_matrix(policy.enrolment_policy.can_review, users, {"filed": filed, "enabled": enabled},
                  _table(finance=["filed"]), name="review enrolment (P3)")

    planned = pay("payment_custodian", account, 100)
    assert_matrix(policy.payment_policy.can_view, users, {"planned": planned}, _table(
        finance=["planned"], leader_at_out=["planned"], custodian=["planned"]), name="view payment")
    assert_matrix(policy.payment_policy.can_execute, users, {"planned": planned}, _table(custodian=["planned"]),
                  name="execute payment")

    open_day = PayDay(account_id=account.id, day=date(2026, 12, 7), state="open")
    done_day = PayDay(account_id=account.id, day=date(2026, 12, 4), state="reconciled")
    db.session.add_all([open_day, done_day])
    db.session.commit()
    assert_matrix(policy.day_policy.can_reconcile, users, {"open": open_day, "reconciled": done_day},
                  _table(finance=["open"]), name="reconcile day")
