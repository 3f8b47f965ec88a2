"""The WeChat Pay pages: the same rules as the operations, a refusal shown on the form with the
user's input kept, money typed in yuan read without floats and shown as ¥1,234.50."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from cms.extensions import db
from cms.payments.models import AnomalyReport, PayEnrolment, Payment
from tests.payments.conftest import enable, line


def form(account, **kw):
    return {"amount": "1,234.5", "purpose": "采购打印纸", "budget_line": str(line(account).id), "payee_name": "文具店",
            "payee_openid": "", "planned_date": "2026-12-08", "planned_time": "10:00", **kw}


def test_the_custodian_files_a_payment_in_yuan(app, client_as, morning, account):
    c = client_as("payment_custodian")
    page = c.get("/payments/").get_data(as_text=True)
    assert "星海科技微信支付" in page and "新建付款" in page
    r = c.post(f"/payments/new?account={account.id}", data=form(account))
    assert r.status_code == 302
    p = db.session.scalar(select(Payment))
    assert p.amount_fen == 123450
    assert "¥1,234.50" in c.get(f"/payments/{p.id}").get_data(as_text=True)


def test_a_refusal_names_its_policy_and_keeps_the_input(app, client_as, morning, account):
    c = client_as("payment_custodian")
    r = c.post(f"/payments/new?account={account.id}", data=form(account, amount="5000.01"))
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "P5" in page and 'value="5000.01"' in page
    r = c.post(f"/payments/new?account={account.id}", data=form(account, planned_time="19:00", amount="12"))
    assert r.status_code == 422 and "P4" in r.get_data(as_text=True)
    r = c.post(f"/payments/new?account={account.id}", data=form(account, amount="12.345"))
    assert r.status_code == 422 and "两位小数" in r.get_data(as_text=True)
    assert db.session.scalar(select(Payment)) is None


def test_a_refused_budget_line_comes_back_as_typed(app, client_as, account):
    f = client_as("finance")
    r = f.post(f"/payments/accounts/{account.id}/budget", data={"year": "2027", "name": "年度宣传", "amount": "12.345"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "两位小数" in page
    assert 'value="2027"' in page and 'value="年度宣传"' in page and 'value="12.345"' in page
    r = f.post(f"/payments/accounts/{account.id}/budget", data={"year": "2027", "name": "宣" * 65, "amount": "100"})
    assert r.status_code == 422 and "64" in r.get_data(as_text=True) and "宣" * 65 in r.get_data(as_text=True)
    assert "年度宣传" not in f.get(f"/payments/accounts/{account.id}").get_data(as_text=True)
    r = f.post(f"/payments/accounts/{account.id}/budget", data={"year": "2027", "name": "年度宣传", "amount": "100"})
    assert r.status_code == 302
    assert "年度宣传" in f.get(f"/payments/accounts/{account.id}").get_data(as_text=True)


def test_an_employee_applies_and_finance_enables_them_on_the_page(app, client_as, morning, account):
    c = client_as("contributor")
    assert c.get(f"/payments/new?account={account.id}").status_code == 403
    assert c.post(f"/payments/accounts/{account.id}/enrol", data={"reason": "市场活动采购"}).status_code == 302
    e = db.session.scalar(select(PayEnrolment))
    f = client_as("finance")
    assert "市场活动采购" in f.get("/payments/").get_data(as_text=True)
    assert "张晓雯 的 星海科技微信支付 微信支付申请表" in f.get("/").get_data(as_text=True)  # the home page
    assert f.post(f"/payments/enrolments/{e.id}/review", data={"decision": "enable", "comment": ""}).status_code == 302
    assert c.get(f"/payments/new?account={account.id}").status_code == 200


def test_every_page_links_the_anomaly_report_and_it_locks_the_account(app, client_as, morning, account):
    c = client_as("editor")
    assert 'id="report-anomaly"' in c.get("/").get_data(as_text=True)
    r = c.post("/payments/report", data={"account_id": str(account.id), "kind": "leaked_password",
                                         "text": "看到有人抄了支付密码"})
    assert r.status_code == 302
    db.session.expire_all()
    assert account.locked and db.session.scalar(select(AnomalyReport)).state == "open"
    r = client_as("payment_custodian").post(f"/payments/new?account={account.id}", data=form(account))
    assert r.status_code == 422 and "P6" in r.get_data(as_text=True)


def test_the_account_page_says_set_never_the_key(app, client_as, account):
    page = client_as("finance").get(f"/payments/accounts/{account.id}").get_data(as_text=True)
    assert "已设置" in page and "sandbox-pay-key" not in page
    assert client_as("editor").get(f"/payments/accounts/{account.id}").status_code == 403


def test_reports_export_csv_and_xlsx(app, client_as, morning, account):
    """P7: finance's daily and monthly reports, exported, and the monthly inspection checklist kept."""
    enable("contributor", account)
    client_as("payment_custodian").post(f"/payments/new?account={account.id}", data=form(account))
    f = client_as("finance")
    assert "¥1,234.50" in f.get("/payments/reports?month=2026-12").get_data(as_text=True)
    csv = f.get("/payments/reports/daily.csv?month=2026-12").get_data(as_text=True)
    assert "1234.50" in csv and "星海科技微信支付" in csv
    xlsx = f.get("/payments/reports/monthly.xlsx?month=2026-12")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    r = f.post(f"/payments/accounts/{account.id}/inspection?month=2026-12", data={"items": ["custodian", "password"],
                                                                                 "note": "月检"})
    assert r.status_code == 302
    assert 'value="custodian" id="i1-custodian" checked' in f.get("/payments/reports?month=2026-12").get_data(as_text=True)


def test_money_is_never_a_float():
    """At the fen boundary: no float() or float literal on an amount in the WeChat Pay code."""
    root = Path(__file__).resolve().parents[2] / "cms" / "payments"
    for path in [*root.glob("*.py"), root.parent / "api" / "payments.py"]:
        text = path.read_text()
        assert not re.search(r"\bfloat\(", text), path
        assert not re.search(r"amount\w*\s*[/*]\s*100\b(?!\s*//)", text.replace("//", "#")), path
