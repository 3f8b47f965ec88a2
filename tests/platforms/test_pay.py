"""cms/platforms/pay.py against the sandbox's WeChat Pay v2, over real HTTP through wechatpy's own
stack (nothing mocked): transfers and their idempotency, the query after an unknown outcome, the
platform's refusals in Chinese, answers with a forged sign refused, the fund-flow bill read and
reconciled (cms/payments/bill.py), planted anomalies found."""

from __future__ import annotations

import os
import socket
import stat
from datetime import date, datetime, timedelta

import pytest

from cms.payments.bill import PaymentRecord, match, parse_fundflow
from cms.platforms.calls import CallError
from cms.platforms.pay import (
    BEIJING,
    PayCredentials,
    classify_pay,
    describe_pay,
    download_fundflow,
    is_not_found,
    make_pay_client,
    query_transfer,
    transfer,
)
from cms.sandbox.pay import SANDBOX_PAY_KEY

MCH = "1900000109"
CREDS = PayCredentials("wxsandbox00000001", MCH, SANDBOX_PAY_KEY)
TRANSFERS = "mmpaymkttransfers/promotion/transfers"


@pytest.fixture
def base(sandbox_url):
    return f"{sandbox_url}/mch/"


def pay(base, no="P20261207001", amount=1234, openid="o-author-1", creds=CREDS, **kw):
    return transfer(creds, partner_trade_no=no, openid=openid, amount_fen=amount, desc="稿费", base_url=base, **kw)


def refused(call, *args, **kw) -> CallError:
    with pytest.raises(CallError) as caught:
        call(*args, **kw)
    return caught.value


def today() -> date:
    return datetime.now(BEIJING).date()


def test_a_transfer_succeeds_once_per_partner_trade_no(base, sandbox_state):
    before = sandbox_state.pay.balance(MCH) if MCH in sandbox_state.pay.merchants else None
    first = pay(base)
    assert first.state == "SUCCESS" and first.payment_no and first.amount_fen == 1234
    assert first.payment_time.tzinfo is not None
    assert abs(first.payment_time - datetime.now(BEIJING)) < timedelta(minutes=5)
    again = pay(base)  # a retry of the same payment: the first one answered again, nothing paid twice
    assert again.payment_no == first.payment_no
    assert len(sandbox_state.pay.transfers) == 1
    assert before is None and sandbox_state.pay.balance(MCH) == 100_000_000 - 1234
    found = query_transfer(CREDS, "P20261207001", base_url=base)
    assert (found.state, found.payment_no, found.amount_fen) == ("SUCCESS", first.payment_no, 1234)


def test_a_used_partner_trade_no_with_another_amount_is_refused(base):
    pay(base)
    error = refused(pay, base, amount=1235)
    assert error.errcode == "FATAL_ERROR"
    assert "单号" in describe_pay(error.errcode, error.errmsg)
    assert classify_pay(error.errcode) == "permanent"


def test_after_a_systemerror_the_query_finds_the_transfer_and_a_retry_pays_nothing_twice(base, sandbox_state):
    sandbox_state.pay.fail_next("SYSTEMERROR", applied=True)  # paid, but the answer says SYSTEMERROR
    error = refused(pay, base)
    assert error.errcode == "SYSTEMERROR" and classify_pay(error.errcode) == "retry"
    assert "先查询" in describe_pay(error.errcode)
    found = query_transfer(CREDS, "P20261207001", base_url=base)
    assert found.state == "SUCCESS"
    assert pay(base).payment_no == found.payment_no
    assert sandbox_state.pay.balance(MCH) == 100_000_000 - 1234


def test_a_systemerror_before_paying_leaves_nothing_to_find_and_the_retry_pays(base, sandbox_state):
    sandbox_state.inject_fault(TRANSFERS, errcode="SYSTEMERROR")
    assert refused(pay, base).errcode == "SYSTEMERROR"
    missing = refused(query_transfer, CREDS, "P20261207001", base_url=base)
    assert missing.errcode == "NOT_FOUND" and is_not_found(missing)
    assert pay(base).state == "SUCCESS"
    assert len(sandbox_state.pay.transfers) == 1


def test_notenough_is_shown_in_chinese_and_the_same_number_works_after_topping_up(base, sandbox_state):
    sandbox_state.pay.add_merchant(MCH, balance_fen=1000)
    error = refused(pay, base)
    assert error.errcode == "NOTENOUGH"
    assert describe_pay(error.errcode, error.errmsg) == "商户账户余额不足，请充值后用原商户订单号重试"
    assert classify_pay(error.errcode) == "permanent"
    sandbox_state.pay.set_balance(MCH, 5000)
    assert pay(base).state == "SUCCESS"
    assert sandbox_state.pay.balance(MCH) == 5000 - 1234


@pytest.mark.parametrize("amount", [29, 2_000_001])
def test_amounts_out_of_limits_are_refused(base, amount):
    error = refused(pay, base, amount=amount)
    assert error.errcode == "AMOUNT_LIMIT"
    assert "限" in describe_pay(error.errcode)


def test_too_many_transfers_to_one_person_in_a_day(base, sandbox_state):
    sandbox_state.pay.add_merchant(MCH, daily_sendnum=2)
    pay(base, "A1")
    pay(base, "A2")
    assert refused(pay, base, "A3").errcode == "SENDNUM_LIMIT"
    assert pay(base, "A4", openid="o-author-2").state == "SUCCESS"


def test_an_answer_with_a_forged_sign_is_refused(base, sandbox_state):
    sandbox_state.pay.corrupt_next_sign()
    error = refused(pay, base)
    assert error.errcode == "SIGNERROR"
    assert "签名" in describe_pay(error.errcode, error.errmsg)
    assert classify_pay(error.errcode, error.errmsg) == "retry"  # what happened is unknown: query
    sandbox_state.pay.corrupt_next_sign()
    assert refused(query_transfer, CREDS, "P20261207001", base_url=base).errcode == "SIGNERROR"
    assert query_transfer(CREDS, "P20261207001", base_url=base).state == "SUCCESS"


def test_a_wrong_api_key_is_refused_by_the_platform(base, sandbox_state):
    sandbox_state.pay.add_merchant(MCH, api_key="k" * 32)
    error = refused(pay, base)
    assert error.errcode == "SIGNERROR" and classify_pay(error.errcode, error.errmsg) == "permanent"
    assert sandbox_state.pay.transfers == {}
    ok = PayCredentials(CREDS.app_id, MCH, "k" * 32)
    assert pay(base, creds=ok).state == "SUCCESS"


def test_no_answer_is_a_callerror_without_code(base, sandbox_state):
    sandbox_state.inject_fault(TRANSFERS, http_status=502)
    error = refused(pay, base)
    assert error.errcode is None and error.http_status == 502 and classify_pay(None) == "retry"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    error = refused(pay, f"http://127.0.0.1:{port}/mch/")
    assert error.errcode is None and "无法访问" in describe_pay(None, error.errmsg)


def _payments(sandbox_state):
    return [PaymentRecord(i, t.partner_trade_no, t.amount_fen, datetime.fromtimestamp(t.at, BEIJING))
            for i, t in enumerate(sandbox_state.pay.transfers.values())]


def test_the_fundflow_bill_reconciles_to_the_transfers(base, sandbox_state):
    pay(base, "B1", 1234)
    pay(base, "B2", 50_000, openid="o-author-2")
    pay(base, "B3", 30)
    text = download_fundflow(CREDS, today(), base_url=base)
    lines = parse_fundflow(text)
    assert [(x.voucher_no, x.amount_fen, x.direction) for x in lines] == [
        ("B1", 1234, "支出"), ("B2", 50_000, "支出"), ("B3", 30, "支出")]
    assert lines[-1].balance_fen == sandbox_state.pay.balance(MCH)
    assert lines[0].business_no == sandbox_state.pay.transfers[(MCH, "B1")].payment_no
    result = match(lines, _payments(sandbox_state))
    assert result.clean and len(result.matched) == 3


def test_a_hand_payment_booked_in_the_bill_matches_its_record(base, sandbox_state):
    pay(base, "B1", 1234)
    now = datetime.now(BEIJING).replace(microsecond=0)
    sandbox_state.pay.add_movement(MCH, now, 8800, "手工付稿费", "")
    lines = parse_fundflow(download_fundflow(CREDS, today(), base_url=base))
    hand = PaymentRecord("hand-1", None, 8800, now + timedelta(minutes=20))
    assert match(lines, [*_payments(sandbox_state), hand]).clean
    assert [a.kind for a in match(lines, _payments(sandbox_state)).anomalies] == ["unmatched_line"]


@pytest.mark.parametrize("kind", ["unmatched_line", "amount_differs", "missing_line"])
def test_each_planted_anomaly_is_found(base, sandbox_state, kind):
    pay(base, "B1", 1234)
    pay(base, "B2", 2000)
    sandbox_state.pay.plant(MCH, today(), kind)
    lines = parse_fundflow(download_fundflow(CREDS, today(), base_url=base))
    result = match(lines, _payments(sandbox_state))
    assert [a.kind for a in result.anomalies] == [kind]
    assert len(result.matched) == (2 if kind == "unmatched_line" else 1)


def test_a_day_without_movements_has_no_bill(base, sandbox_state):
    pay(base, "B1", 1234)
    error = refused(download_fundflow, CREDS, today() - timedelta(days=1), base_url=base)
    assert error.errcode == "20002"
    assert describe_pay(error.errcode) == "这一天没有账单（当天没有资金变动）"
    bad = refused(download_fundflow, CREDS, today(), account_type="Savings", base_url=base)
    assert bad.errcode == "20001" and classify_pay(bad.errcode) == "permanent"
    assert refused(download_fundflow, CREDS, today() + timedelta(days=1), base_url=base).errcode == "20001"


def test_certificates_live_in_private_files_while_the_client_lives(base):
    creds = PayCredentials(CREDS.app_id, MCH, SANDBOX_PAY_KEY, cert_pem=b"-----CERT-----\n", key_pem=b"-----KEY-----\n")
    client = make_pay_client(creds, base)
    try:
        paths = [client.mch_cert, client.mch_key]
        for path, content in zip(paths, (creds.cert_pem, creds.key_pem), strict=True):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            with open(path, "rb") as f:
                assert f.read() == content
    finally:
        client.close()
    assert not any(os.path.exists(p) for p in paths)
    assert make_pay_client(CREDS, base).mch_cert is None
    assert "api_key=***" in repr(creds) and SANDBOX_PAY_KEY not in repr(creds)


def test_the_base_url_follows_the_setting_and_the_sandbox(templates, tmp_path, app):
    from cms.platforms.pay import REAL_BASE_URL, pay_base_url
    from cms.sandbox import get_state
    from tests.conftest import served_sandbox_app

    assert pay_base_url(app) == REAL_BASE_URL  # CMS_SANDBOX off: the real host
    app.config["WECHATPAY_API_BASE_URL"] = "https://pay.example.test/"
    assert pay_base_url(app) == "https://pay.example.test/"
    (tmp_path / "served").mkdir()
    with served_sandbox_app(templates, tmp_path / "served") as served:
        assert pay_base_url() == served.config["SANDBOX_URL"] + "mch/"
        result = transfer(CREDS, partner_trade_no="S1", openid="o-1", amount_fen=100, desc="稿费")  # no base_url
        assert result.state == "SUCCESS"
        assert (MCH, "S1") in get_state(served).pay.transfers


def test_the_query_tells_a_transfer_that_failed_or_is_still_processing(base, sandbox_state):
    pay(base, "B1", 1234)
    pay(base, "B2", 2000)
    sandbox_state.pay.set_status(MCH, "B1", "PROCESSING")
    assert query_transfer(CREDS, "B1", base_url=base).state == "PROCESSING"
    sandbox_state.pay.set_status(MCH, "B1", "FAILED", "收款用户账户异常")
    failed = query_transfer(CREDS, "B1", base_url=base)
    assert (failed.state, failed.reason, failed.amount_fen) == ("FAILED", "收款用户账户异常", 1234)
    assert sandbox_state.pay.balance(MCH) == 100_000_000 - 2000  # the money came back
    lines = parse_fundflow(download_fundflow(CREDS, today(), base_url=base))
    assert [x.voucher_no for x in lines] == ["B2"]


def test_a_wechatpy_pay_call_inside_translated_leaves_as_the_same_callerror(base, sandbox_state):
    from cms.platforms.calls import translated

    sandbox_state.pay.add_merchant(MCH, balance_fen=10)
    client = make_pay_client(CREDS, base)
    try:
        with pytest.raises(CallError) as caught, translated():
            client.transfer.transfer("o-1", 1234, "稿费", client_ip="127.0.0.1", check_name="NO_CHECK", out_trade_no="T1")
    finally:
        client.close()
    assert caught.value.errcode == "NOTENOUGH"


def test_an_answer_signed_hmac_sha256_is_checked_with_that_algorithm(base, sandbox_state):
    from cms.platforms.calls import translated

    pay(base, "H1")
    client = make_pay_client(CREDS, base)
    data = {"appid": CREDS.app_id, "partner_trade_no": "H1", "sign_type": "HMAC-SHA256"}
    try:
        assert client.post("mmpaymkttransfers/gettransferinfo", data=dict(data))["status"] == "SUCCESS"
        sandbox_state.pay.corrupt_next_sign()
        with pytest.raises(CallError) as caught, translated():
            client.post("mmpaymkttransfers/gettransferinfo", data=dict(data))
    finally:
        client.close()
    assert caught.value.errcode == "SIGNERROR"


def test_the_same_transfer_sent_at_once_from_several_threads_is_paid_once(base, sandbox_state):
    from concurrent.futures import ThreadPoolExecutor

    from cms.platforms.pay import SANDBOX_PAY_KEY as KEY
    from cms.platforms.pay import sandbox_credentials

    assert KEY == SANDBOX_PAY_KEY  # the platform side's copy of the sandbox's key
    creds = sandbox_credentials(CREDS.app_id)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: pay(base, "C1", creds=creds), range(6)))
    assert len({r.payment_no for r in results}) == 1
    assert len(sandbox_state.pay.transfers) == 1
    assert sandbox_state.pay.balance(MCH) == 100_000_000 - 1234
