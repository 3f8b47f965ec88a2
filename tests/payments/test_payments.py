"""Filing payments (P3 P4 P5 P6): each refusal names its policy; the day's limit holds at the fen
and under concurrent requests, on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.payments import operations as ops
from cms.payments.models import Payment
from tests.payments.conftest import WORKDAY, at, enable, get, line, pay


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Payment.id)))


def refused(fn, *args, **kw) -> Refused:
    with pytest.raises(Refused) as e:
        fn(*args, **kw)
    return e.value


def test_the_custodian_pays_within_the_rules(app, morning, account):
    p = pay("payment_custodian", account, 123450)
    assert (p.state, p.amount_fen, p.day) == ("planned", 123450, date(2026, 12, 8))


def test_an_employee_pays_only_once_finance_enabled_them(app, morning, account):
    e = refused(pay, "contributor", account, 100)
    assert (e.code, e.status) == ("P3", 403)
    form = ops.file_enrolment(get("contributor"), account, "市场活动采购")
    assert refused(pay, "contributor", account, 100).code == "P3"  # filed is not enabled
    e = refused(ops.review_enrolment, get("finance"), form, "refuse", "")
    assert e.code == "P3" and "comment" in e.fields  # refusing needs a reason
    ops.review_enrolment(get("finance"), form, "enable", "")
    assert pay("contributor", account, 100).state == "planned"
    assert count() == 1


def test_daily_limit_at_the_fen_boundary(app, morning, account):
    pay("payment_custodian", account, 499999)
    e = refused(pay, "payment_custodian", account, 2)
    assert e.code == "P5" and e.extra["remaining_fen"] == 1
    pay("payment_custodian", account, 1)  # exactly 500000: allowed
    e = refused(pay, "payment_custodian", account, 1)
    assert e.code == "P5" and e.extra["remaining_fen"] == 0
    assert "¥0.00" in e.message
    assert count() == 2


def test_the_limit_counts_every_payer_of_the_account_and_only_that_day(app, morning, account):
    enable("contributor", account)
    pay("payment_custodian", account, 300000)
    assert refused(pay, "contributor", account, 200001).extra["remaining_fen"] == 200000
    pay("contributor", account, 300000, planned_at=at("10:00", "2026-12-09"))  # another day, its own limit


def test_a_leaders_override_raises_one_day_and_expires_with_it(app, morning, account):
    pay("payment_custodian", account, 500000)
    e = refused(ops.grant_override, get("leader"), account, date(2026, 12, 8), 800000, "holiday", "")
    assert e.code == "P5" and {"reason", "note"} <= set(e.fields)
    assert refused(ops.grant_override, get("finance"), account, date(2026, 12, 8), 800000, "emergency",
                   "x").status == 403
    ops.grant_override(get("leader"), account, date(2026, 12, 8), 800000, "major_activity", "年会物资采购")
    pay("payment_custodian", account, 300000)
    assert refused(pay, "payment_custodian", account, 1).extra["remaining_fen"] == 0
    pay("payment_custodian", account, 500000, planned_at=at("10:00", "2026-12-09"))
    assert refused(pay, "payment_custodian", account, 1, planned_at=at("11:00", "2026-12-09")).code == "P5"


@pytest.mark.parametrize("when, day", [("08:59", WORKDAY), ("18:00", WORKDAY), ("10:00", "2026-12-12"), ("17:59:59", "2026-12-19"),
                                       ("10:00", "2026-12-13")])
def test_outside_working_hours_or_days_is_p4(app, morning, account, when, day):
    e = refused(pay, "payment_custodian", account, 100, planned_at=at(when, day))
    assert e.code == "P4" and "planned_at" in e.fields
    assert count() == 0


def test_purpose_and_budget_are_p4(app, morning, account):
    e = refused(pay, "payment_custodian", account, 100, purpose="  ")
    assert e.code == "P4" and "purpose" in e.fields
    small = ops.set_budget_line(get("finance"), account, 2026, "零星支出", 10000)
    pay("payment_custodian", account, 9999, budget_line=small.id)
    e = refused(pay, "payment_custodian", account, 2, budget_line=small.id)
    assert e.code == "P4" and e.extra["budget_room_fen"] == 1
    assert refused(pay, "payment_custodian", account, 1, budget_line="没有这一项").code == "P4"
    next_year = line(account, year=2027).id  # a line of another year is not this payment's budget
    assert refused(pay, "payment_custodian", account, 1, budget_line=next_year).code == "P4"
    assert count() == 1


def test_a_reported_anomaly_locks_the_account_until_finance_clears_it(app, morning, account):
    report = ops.report_anomaly(get("contributor"), account, "leaked_password", "支付密码可能被旁人看到")
    e = refused(pay, "payment_custodian", account, 100)
    assert e.code == "P6"
    assert refused(ops.clear_report, get("finance"), report, "").code == "P6"
    ops.clear_report(get("finance"), report, "已更换支付密码并核对流水")
    assert pay("payment_custodian", account, 100).state == "planned"


def test_account_changes_happen_only_on_finance_approval(app, morning, account):
    custodian = get("payment_custodian")
    req = ops.request_account(custodian, "open", {"name": "星海集团微信支付", "mch_id": "1900000110",
                                                  "custodian_id": custodian.id},
                              {"api_key": "NewMerchantKey0123456789abcdefgh"}, reason="集团活动收付款")
    from cms.payments.models import PayAccount

    assert db.session.scalar(select(func.count(PayAccount.id))) == 1  # not yet
    with pytest.raises(Refused):
        ops.decide_request(custodian, req, True)  # not finance
    ops.decide_request(get("finance"), req, True)
    new = db.session.scalar(select(PayAccount).where(PayAccount.name == "星海集团微信支付"))
    assert new.has_api_key and "NewMerchantKey" not in (new.api_key_enc or "")
    with pytest.raises(Conflict):
        ops.decide_request(get("finance"), req, False, "重复")
    close = ops.request_account(custodian, "close", {}, account=new, reason="活动结束")
    assert new.state == "active"
    ops.decide_request(get("finance"), close, True)
    assert new.state == "closed"
    assert refused(pay, "payment_custodian", new, 100, budget_line="日常采购").status == 409


def _race(app, username_a: str, username_b: str, account_id: int, amount: int) -> list:
    """Two payments filed at once by two threads, each with its own app context and session."""
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i, username):
        with app.app_context():
            from cms.payments.models import PayAccount

            user, acct = get(username), db.session.get(PayAccount, account_id)
            planned, budget = at("10:00"), line(acct).id
            user.has_permission("payment.pay")  # warm the user's roles before the race
            barrier.wait(timeout=30)
            try:
                ops.create_payment(user, acct, amount_fen=amount, purpose="抢额度", budget_line=budget,
                                   payee_name="供应商", planned_at=planned)
                results[i] = "paid"
            except Refused as e:
                results[i] = e.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate((username_a, username_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_payments_racing_for_the_last_room_cannot_both_pass(app, morning, account):
    """P5 under concurrency: the account row is locked before the day is summed (without
    lock_account both threads sum 400000 and both insert: this test then fails)."""
    enable("contributor", account)
    for _round in range(3):
        db.session.execute(Payment.__table__.delete())
        db.session.commit()
        pay("payment_custodian", account, 400000)
        results = _race(app, "payment_custodian", "contributor", account.id, 60000)
        assert sorted(results, key=str) == ["P5", "paid"], results
        db.session.expire_all()
        assert ops.spent_on(account, date(2026, 12, 8)) == 460000


def test_a_change_takes_effect_on_approval_and_keeps_credentials_sealed(app, morning, account):
    from cms.payments.models import PayAccountRequest

    finance = get("finance")
    req = ops.request_account(get("payment_custodian"), "change", {"daily_limit_fen": 300000},
                              {"api_key": "ChangedMerchantKey0123456789abcd"}, account=account, reason="降低限额")
    assert ops.default_limit(account) == 500000  # not before finance approves
    e = refused(ops.decide_request, finance, req, False, "")
    assert e.code == "P2"
    ops.decide_request(finance, req, True)
    assert ops.default_limit(account) == 300000
    assert account.credentials().api_key == "ChangedMerchantKey0123456789abcd"
    assert "ChangedMerchantKey" not in (db.session.get(PayAccountRequest, req.id).api_key_enc or "")
    assert refused(pay, "payment_custodian", account, 300001).extra["remaining_fen"] == 300000
    from cms.audit.models import AuditEntry

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("payment_account.%"))).all()
    assert [x.action for x in entries] == ["payment_account.requested", "payment_account.approved"]
    assert "ChangedMerchantKey" not in str([(x.before, x.after) for x in entries])
