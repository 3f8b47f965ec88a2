"""The WeChat Pay API (API.md): the same rules as the pages, refusals naming P3/P4/P5, money in fen."""
from __future__ import annotations

from tests.payments.conftest import enable


def body(account, amount_fen, **kw):
    return {"account_id": account.id, "amount_fen": amount_fen, "purpose": "采购打印纸", "budget_line": "日常采购",
            "payee": {"name": "文具店", "openid": "oUser123"}, "planned_at": "2026-12-08T10:00:00+08:00", **kw}


def test_accounts_list_shows_no_credentials(app, api, account):
    r = api("contributor")("GET", "/payments/accounts")
    assert r.status_code == 200
    item = r.get_json()["items"][0]
    assert item["name"] == "星海科技微信支付" and item["custodian"] == "payment_custodian"
    assert item["daily_limit_fen"] == 500000 and item["may_pay"] is False
    assert "sandbox-pay-key" not in r.get_data(as_text=True) and "api_key" not in r.get_data(as_text=True)


def test_enrol_review_pay_and_the_limit(app, api, morning, account):
    contributor, finance = api("contributor"), api("finance")
    r = contributor("POST", "/payments", json=body(account, 100))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "P3"
    r = contributor("POST", "/payments/enrolments", json={"account_id": account.id, "reason": "市场活动采购"})
    assert r.status_code == 201 and r.get_json()["state"] == "filed"
    eid = r.get_json()["id"]
    assert contributor("POST", f"/payments/enrolments/{eid}/review", json={"decision": "enable"}).status_code == 403
    r = finance("POST", f"/payments/enrolments/{eid}/review", json={"decision": "enable"})
    assert r.status_code == 200 and r.get_json()["state"] == "enabled"
    r = contributor("POST", "/payments", json=body(account, 450000))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["amount"] == "¥4,500.00" and r.get_json()["state"] == "planned"
    r = contributor("POST", "/payments", json=body(account, 50001))
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "P5" and err["remaining_fen"] == 50000
    r = contributor("POST", "/payments", json=body(account, 100, planned_at="2026-12-08T19:00:00+08:00"))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "P4"
    r = contributor("GET", f"/payments?date=2026-12-08&account={account.id}")
    data = r.get_json()
    assert [p["amount_fen"] for p in data["items"]] == [450000]
    assert (data["limit_fen"], data["spent_fen"], data["remaining_fen"]) == (500000, 450000, 50000)


def test_leader_override_over_the_api(app, api, morning, account):
    leader = api("leader")
    r = leader("POST", "/payments/overrides", json={"account_id": account.id, "date": "2026-12-08",
                                                    "limit_fen": 1000000, "reason": "emergency", "note": "设备抢修"})
    assert r.status_code == 201 and r.get_json()["limit_fen"] == 1000000
    assert api("finance")("POST", "/payments/overrides", json={}).status_code == 403
    r = api("payment_custodian")("POST", "/payments", json=body(account, 900000))
    assert r.status_code == 201


def test_bad_input_is_a_4xx(app, api, morning, account):
    custodian = api("payment_custodian")
    for bad in ({"amount_fen": 12.5}, {"amount_fen": "100"}, {"planned_at": "tomorrow"},
                {"planned_at": "2026-12-08T10:00:00"}, {"payee": 5}, {"budget_line": None}, {"account_id": 99999}):
        r = custodian("POST", "/payments", json=body(account, 100) | bad)
        assert 400 <= r.status_code < 500, (bad, r.status_code)
    assert custodian("GET", "/payments?date=bad").status_code == 400


def test_the_payment_list_shows_only_what_the_caller_may_see(app, api, morning, account):
    enable("contributor", account)
    api("payment_custodian")("POST", "/payments", json=body(account, 100))
    assert api("contributor")("GET", "/payments?date=2026-12-08").get_json()["items"] == []
    assert len(api("finance")("GET", "/payments?date=2026-12-08").get_json()["items"]) == 1
    assert api("auditor")("GET", f"/payments?account={account.id}").status_code == 404


def test_pay_out_report_and_reconcile_over_the_api(app, api, clock, account, paysandbox):
    clock.set("2026-12-08 09:30")
    custodian, finance = api("payment_custodian"), api("finance")
    p = custodian("POST", "/payments", json=body(account, 20000)).get_json()
    assert api("contributor")("POST", f"/payments/{p['id']}/execute", json={"method": "transfer"}).status_code == 404
    r = custodian("POST", f"/payments/{p['id']}/execute", json={"method": "transfer"})
    assert r.status_code == 200 and r.get_json()["payment"]["state"] == "paid", r.get_json()
    q = custodian("POST", "/payments", json=body(account, 30000, payee="文具店")).get_json()
    r = custodian("POST", f"/payments/{q['id']}/execute",
                  json={"method": "manual", "paid_at": "2026-12-08T08:00:00+08:00", "reference": "4200000001"})
    assert r.get_json()["payment"]["method"] == "manual"
    clock.set("2026-12-09 10:30")
    r = finance("POST", "/payments/days", json={"account_id": account.id, "date": "2026-12-08"})
    day = r.get_json()
    assert r.status_code == 200 and {a["kind"] for a in day["anomalies"]} == {"missing_line", "outside_hours"}
    assert custodian("POST", f"/payments/days/{day['id']}/archive").status_code == 403
    assert finance("POST", f"/payments/days/{day['id']}/archive").get_json()["error"]["code"] == "P6"
    for a in day["anomalies"]:
        finance("POST", f"/payments/anomalies/{a['id']}/resolve", json={"note": "出纳提前付款，已补登记"})
    r = finance("POST", f"/payments/days/{day['id']}/archive")
    assert r.status_code == 200 and r.get_json()["state"] == "reconciled"
    r = finance("POST", "/payments/days", json={"account_id": account.id, "date": "2026-12-08"})
    assert r.status_code == 409
    r = api("editor")("POST", "/payments/reports", json={"account_id": account.id, "kind": "anomaly",
                                                         "text": "收到陌生验证码"})
    assert r.status_code == 201 and r.get_json()["locked"] is True
    r = custodian("POST", "/payments", json=body(account, 100, planned_at="2026-12-09T11:00:00+08:00"))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "P6"
