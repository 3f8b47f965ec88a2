"""The sandbox's WeChat Pay v2 (cms/sandbox/pay.py, pay_http.py) over raw HTTP: what it checks in a
request (the sign, the XML, the merchant), how it signs its answers, the bill's format and its
balance, the page, its forms and POST /sandbox/pay/control."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
import requests

from cms.sandbox.models import BEIJING
from cms.sandbox.pay import HEADER, SANDBOX_PAY_KEY, SUMMARY, sign

MCH = "1900000109"
TRANSFERS = "/mch/mmpaymkttransfers/promotion/transfers"


def xml(params: dict) -> bytes:
    return ("<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in params.items()) + "</xml>").encode()


def answer(response) -> dict:
    return {child.tag: child.text or "" for child in ET.fromstring(response.content)}


def transfer_params(no="P1", amount="1234", key=SANDBOX_PAY_KEY, mch=MCH, **extra) -> dict:
    params = {"mch_appid": "wxapp", "mchid": mch, "nonce_str": "n" * 32, "partner_trade_no": no,
              "openid": "o-1", "check_name": "NO_CHECK", "amount": amount, "desc": "稿费", **extra}
    params["sign"] = sign(params, key)
    return params


def post(url, params):
    return requests.post(url + TRANSFERS, data=xml(params), timeout=5)


def today() -> date:
    return datetime.now(BEIJING).date()


def test_a_signed_transfer_is_paid_and_the_answer_is_signed(sandbox_url, sandbox_state):
    data = answer(post(sandbox_url, transfer_params()))
    assert (data["return_code"], data["result_code"]) == ("SUCCESS", "SUCCESS")
    assert data["payment_no"] and data["partner_trade_no"] == "P1"
    assert data["sign"] == sign(data, SANDBOX_PAY_KEY)
    assert MCH in sandbox_state.pay.merchants  # registered on first use with the default key


@pytest.mark.parametrize("tamper", ["sign", "amount", "key"])
def test_a_request_whose_sign_does_not_verify_is_refused(sandbox_url, sandbox_state, tamper):
    params = transfer_params(key="x" * 32) if tamper == "key" else transfer_params()
    if tamper == "sign":
        params["sign"] = "0" * 32
    if tamper == "amount":
        params["amount"] = "999999"
    data = answer(post(sandbox_url, params))
    assert (data["result_code"], data["err_code"]) == ("FAIL", "SIGN_ERROR")
    assert sandbox_state.pay.transfers == {}


def test_a_merchant_with_its_own_key_refuses_the_default_one(sandbox_url, sandbox_state):
    sandbox_state.pay.add_merchant(MCH, api_key="k" * 32, appid="wxapp")
    assert answer(post(sandbox_url, transfer_params()))["err_code"] == "SIGN_ERROR"
    assert answer(post(sandbox_url, transfer_params(key="k" * 32)))["result_code"] == "SUCCESS"
    other_app = transfer_params(key="k" * 32, no="P2")
    other_app["mch_appid"] = "wxother"
    other_app["sign"] = sign({k: v for k, v in other_app.items() if k != "sign"}, "k" * 32)
    assert answer(post(sandbox_url, other_app))["err_code"] == "PARAM_ERROR"


@pytest.mark.parametrize("body, words", [
    (b"", "为空"),
    (b"not xml", "XML"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>', "DTD"),
    (b"<root><mchid>1</mchid></root>", "根元素"),
    (b"<xml><amount>1</amount></xml>", "mch_id"),
])
def test_malformed_requests_are_refused_plainly(sandbox_url, body, words):
    data = answer(requests.post(sandbox_url + TRANSFERS, data=body, timeout=5))
    assert data["return_code"] == "FAIL" and words in data["return_msg"]


def test_missing_fields_and_bad_amounts_are_param_errors(sandbox_url):
    params = transfer_params()
    del params["openid"]
    params["sign"] = sign({k: v for k, v in params.items() if k != "sign"}, SANDBOX_PAY_KEY)
    assert answer(post(sandbox_url, params))["err_code"] == "PARAM_ERROR"
    assert answer(post(sandbox_url, transfer_params(amount="12.5")))["err_code"] == "PARAM_ERROR"
    assert answer(post(sandbox_url, transfer_params(check_name="FORCE_CHECK")))["err_code"] == "PARAM_ERROR"


def test_what_the_sandbox_does_not_emulate_says_so(sandbox_url):
    data = answer(requests.post(sandbox_url + "/mch/pay/unifiedorder", data=b"<xml/>", timeout=5))
    assert data["return_code"] == "FAIL" and "does not emulate" in data["return_msg"]


def test_the_bill_runs_the_balance_and_ends_in_its_summary(sandbox_url, sandbox_state):
    sandbox_state.pay.add_merchant(MCH, balance_fen=100_000)
    post(sandbox_url, transfer_params("P1", "1234"))
    post(sandbox_url, transfer_params("P2", "30"))
    sandbox_state.pay.add_movement(MCH, datetime.now(BEIJING), 5000, "充值", "", direction="收入")
    text = sandbox_state.pay.bill_text(MCH, today())
    rows = text.split("\r\n")
    assert rows[0] == HEADER and rows[-3] == SUMMARY and rows[-1] == ""
    assert all(field.startswith("`") for line in rows[1:-3] for field in line.split(","))
    balances = [line.split(",")[7] for line in rows[1:-3]]
    assert balances == ["`987.66", "`987.36", "`1037.36"]
    assert rows[-2] == "`3,`1,`50.00,`2,`12.64"
    served = requests.get(f"{sandbox_url}/sandbox/pay/bill/{MCH}/{today():%Y%m%d}", timeout=5)
    assert served.status_code == 200 and served.text == text
    assert requests.get(f"{sandbox_url}/sandbox/pay/bill/{MCH}/20200101", timeout=5).status_code == 404


def test_planting_away_a_days_only_transfer_leaves_an_empty_bill_not_none(sandbox_url, sandbox_state):
    post(sandbox_url, transfer_params("P1", "1234"))
    sandbox_state.pay.plant(MCH, today(), "missing_line")
    assert sandbox_state.pay.bill_text(MCH, today()).split("\r\n")[1:3] == [SUMMARY, "`0,`0,`0.00,`0,`0.00"]
    with pytest.raises(ValueError, match="no transfer left"):
        sandbox_state.pay.plant(MCH, today(), "amount_differs")
    with pytest.raises(ValueError):
        sandbox_state.pay.plant(MCH, today(), "no_such_kind")


def test_the_control_endpoint_drives_the_switches(sandbox_url, sandbox_state):
    url = f"{sandbox_url}/sandbox/pay/control"
    ok = requests.post(url, json={
        "add_merchant": {"mch_id": MCH, "balance_fen": 10_000, "appid": "wxapp"},
        "fail_next": {"err_code": "SYSTEMERROR", "applied": True},
        "add_movement": {"mch_id": MCH, "when": f"{today()} 09:30", "amount_fen": 700, "note": "手工"},
    }, timeout=5)
    assert ok.json() == {"ok": True}
    assert answer(post(sandbox_url, transfer_params()))["err_code"] == "SYSTEMERROR"
    assert (MCH, "P1") in sandbox_state.pay.transfers  # paid despite the answer
    assert sandbox_state.pay.balance(MCH) == 10_000 - 700 - 1234
    assert requests.post(url, json={"plant": {"mch_id": MCH, "date": today().isoformat(), "kind": "unmatched_line"}},
                         timeout=5).json() == {"ok": True}
    assert len(sandbox_state.pay.plants) == 1
    for bad in ({"plant": {"mch_id": MCH, "date": today().isoformat(), "kind": "bogus"}}, {"nope": 1},
                {"add_merchant": {}}, [1]):
        refused = requests.post(url, json=bad, timeout=5)
        assert refused.status_code == 400 and refused.json()["ok"] is False
    state = requests.get(f"{sandbox_url}/sandbox/pay/state.json", timeout=5).json()
    assert state["merchants"][0]["balance_fen"] == 10_000 - 700 - 1234
    assert requests.post(url, json={"reset": True}, timeout=5).json() == {"ok": True}
    assert sandbox_state.pay.merchants == {}


def test_the_page_shows_merchants_transfers_and_bills_and_its_forms_work(sandbox_url, sandbox_state):
    post(sandbox_url, transfer_params())
    page = requests.get(f"{sandbox_url}/sandbox/pay/", timeout=5)
    assert page.status_code == 200
    assert MCH in page.text and "P1" in page.text and "12.34" in page.text and today().isoformat() in page.text
    form = f"{sandbox_url}/sandbox/pay/form"
    done = requests.post(form, data={"action": "plant", "mch_id": MCH, "date": today().isoformat(),
                                     "kind": "amount_differs"}, timeout=5, allow_redirects=False)
    assert done.status_code == 302 and sandbox_state.pay.plants[0].kind == "amount_differs"
    assert "一笔付款金额不符" in requests.get(f"{sandbox_url}/sandbox/pay/", timeout=5).text
    assert requests.post(form, data={"action": "set_balance", "mch_id": MCH, "balance_fen": "500"},
                         timeout=5, allow_redirects=False).status_code == 302
    assert sandbox_state.pay.balance(MCH) == 500
    bad = requests.post(form, data={"action": "set_balance", "mch_id": MCH, "balance_fen": "5 元"}, timeout=5)
    assert bad.status_code == 400 and "整数" in bad.text
    bad = requests.post(form, data={"action": "plant", "mch_id": MCH, "date": "2026-13-40", "kind": "missing_line"},
                        timeout=5)
    assert bad.status_code == 400
    assert "微信支付" in requests.get(f"{sandbox_url}/sandbox/", timeout=5).text
