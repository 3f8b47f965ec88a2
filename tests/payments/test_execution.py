"""Paying out and reconciling (P3 P4 P5 P6) against the sandbox's WeChat Pay over real HTTP: a
transfer idempotent by our payment's number, the query before a retry, a hand payment; the next day's
fund-flow bill matched, anomalies resolved with a note, the day archived (then 409)."""
from __future__ import annotations

from datetime import date

import pytest

from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.payments import execution, reconcile
from cms.payments import operations as ops
from tests.payments.conftest import at, get, pay

MCH = "1900000109"
DAY = date(2026, 12, 8)


def transfer(account, amount, username="payment_custodian", **kw):
    return pay(username, account, amount, payee_openid="o-payee-1", **kw)


def test_a_transfer_pays_once_and_the_next_days_bill_reconciles_it(app, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    p = transfer(account, 123450)
    p, message = execution.execute_transfer(get("payment_custodian"), p)
    assert message is None and p.state == "paid" and p.payment_no and p.method == "transfer"
    assert len(paysandbox.pay.transfers) == 1
    with pytest.raises(Conflict):  # paid: not again
        execution.execute_transfer(get("payment_custodian"), p)
    clock.set("2026-12-09 10:30")
    pd = reconcile.reconcile_day(get("finance"), account, DAY)
    from cms.payments import queries

    assert pd.state == "open" and queries.anomalies(pd) == []
    db.session.expire_all()
    assert p.state == "reconciled"
    reconcile.archive_day(get("finance"), pd)
    assert pd.state == "reconciled"
    with pytest.raises(Conflict) as e:
        reconcile.reconcile_day(get("finance"), account, DAY)
    assert e.value.status == 409


def test_after_an_unknown_outcome_the_retry_queries_first(app, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    p = transfer(account, 5000)
    paysandbox.pay.fail_next("SYSTEMERROR", applied=True)  # paid, but the answer says SYSTEMERROR
    p, message = execution.execute_transfer(get("payment_custodian"), p)
    assert p.state == "planned" and "查询" in message
    p, message = execution.execute_transfer(get("payment_custodian"), p)
    assert message is None and p.state == "paid"
    assert len(paysandbox.pay.transfers) == 1  # one payment out, not two


def test_execution_checks_the_limit_and_working_time_again(app, clock, account, paysandbox):
    clock.set("2026-12-08 08:30")
    p = transfer(account, 400000)
    ops.grant_override(get("leader"), account, DAY, 900000, "major_activity", "年会")
    q = transfer(account, 400000)
    with pytest.raises(Refused) as e:
        execution.execute_transfer(get("payment_custodian"), p)  # 08:30: before working hours
    assert e.value.code == "P4"
    clock.set("2026-12-08 10:00")
    assert execution.execute_transfer(get("payment_custodian"), p)[0].state == "paid"
    assert execution.execute_transfer(get("payment_custodian"), q)[0].state == "paid"
    assert paysandbox.pay.transfers


def test_planted_anomalies_are_resolved_with_a_note_before_the_day_is_archived(app, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    for amount in (10000, 20000):
        execution.execute_transfer(get("payment_custodian"), transfer(account, amount))
    hand = pay("payment_custodian", account, 30000)
    clock.set("2026-12-08 20:00")
    execution.record_manual(get("payment_custodian"), hand, paid_at=at("19:30"), reference="4200001234")
    paysandbox.pay.add_movement(MCH, at("19:30"), 30000, note="手工付款")
    paysandbox.pay.plant(MCH, DAY, "amount_differs")
    paysandbox.pay.plant(MCH, DAY, "unmatched_line")
    clock.set("2026-12-09 10:30")
    pd = reconcile.reconcile_day(get("finance"), account, DAY)
    from cms.payments import queries

    kinds = sorted(a.kind for a in queries.anomalies(pd))
    assert kinds == ["amount_differs", "outside_hours", "unmatched_line"]
    with pytest.raises(Refused) as e:
        reconcile.archive_day(get("finance"), pd)
    assert e.value.code == "P6"
    for a in queries.anomalies(pd):
        with pytest.raises(Refused):
            reconcile.resolve_anomaly(get("finance"), a, "")
        reconcile.resolve_anomaly(get("finance"), a, "已与出纳核对，差额由微信退回")
    reconcile.archive_day(get("finance"), pd)
    assert pd.state == "reconciled"


def test_an_archived_day_refuses_every_change_with_409(app, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    pd = reconcile.reconcile_day(get("finance"), account, DAY, text="", source="upload")
    reconcile.archive_day(get("finance"), pd)
    with pytest.raises(Conflict):
        pay("payment_custodian", account, 100)
    with pytest.raises(Conflict):
        ops.grant_override(get("leader"), account, DAY, 900000, "emergency", "抢修")
    pay("payment_custodian", account, 100, planned_at=at("10:00", "2026-12-09"))  # another day is open


def test_only_finance_reconciles(app, clock, account, paysandbox):
    clock.set("2026-12-09 10:30")
    with pytest.raises(Refused) as e:
        reconcile.reconcile_day(get("payment_custodian"), account, DAY)
    assert e.value.status == 403


def test_an_unreadable_uploaded_bill_is_refused_naming_the_problem(app, clock, account):
    clock.set("2026-12-09 10:30")
    with pytest.raises(Refused) as e:
        reconcile.reconcile_day(get("finance"), account, DAY, text="这不是账单\n1,2,3", source="upload")
    assert e.value.code == "invalid" and e.value.fields["bill"]


def test_paying_out_counts_the_day_it_happens_on(app, clock, account, paysandbox):
    """P5 again at execution: a payment planned for tomorrow paid out today counts against today."""
    clock.set("2026-12-08 09:30")
    transfer(account, 400000)
    early = transfer(account, 200000, planned_at=at("10:00", "2026-12-09"))
    with pytest.raises(Refused) as e:
        execution.execute_transfer(get("payment_custodian"), early)
    assert e.value.code == "P5" and e.value.extra["remaining_fen"] == 100000
    assert paysandbox.pay.transfers == {}


def test_a_platform_refusal_is_told_in_chinese_and_the_payment_stays_planned(app, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    paysandbox.pay.set_balance(MCH, 100)
    p, message = execution.execute_transfer(get("payment_custodian"), transfer(account, 5000))
    assert p.state == "planned" and "余额不足" in message
    paysandbox.pay.set_balance(MCH, 1_000_000)
    p, message = execution.execute_transfer(get("payment_custodian"), p)  # topped up: the same number again
    assert message is None and p.state == "paid" and len(paysandbox.pay.transfers) == 1


def test_a_day_with_a_payment_still_planned_is_not_archived(app, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    p = transfer(account, 5000)
    clock.set("2026-12-09 10:30")
    pd = reconcile.reconcile_day(get("finance"), account, DAY)
    with pytest.raises(Refused) as e:
        reconcile.archive_day(get("finance"), pd)
    assert e.value.code == "P3"
    execution.cancel(get("payment_custodian"), p, "供应商改为对公转账")
    assert ops.spent_on(account, DAY) == 0
    reconcile.archive_day(get("finance"), pd)
