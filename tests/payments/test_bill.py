"""cms/payments/bill.py: the fund-flow bill read to fen and reconciled with our payments (pure:
table tests, no database, no sandbox)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cms.payments.bill import (
    BillFormatError,
    PaymentRecord,
    fen_to_yuan,
    match,
    parse_fundflow,
    yuan_to_fen,
)

BJ = ZoneInfo("Asia/Shanghai")
HEADER = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号"
SUMMARY = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"


def row(when, business_no, amount, balance, voucher, direction="支出", note="稿费", name="企业付款"):
    fields = [when, business_no, "F" + business_no, name, name, direction, amount, balance, "API", note, voucher]
    return ",".join("`" + f for f in fields)


LINES = [
    row("2026-12-07 10:00:00", "1001", "12.34", "987.66", "P1"),
    row("2026-12-07 11:00:00", "1002", "500.00", "1487.66", "", direction="收入", note="充值", name="充值"),
    row("2026-12-07 12:30:00", "1003", "0.30", "1487.36", "P2", note="稿费, 第二期"),
    row("2026-12-07 15:00:00", "1004", "88.8", "1398.56", "", name="转账", note="手工付款"),
]
TOTALS = "`4,`1,`500.00,`3,`101.44"


def bill(lines=LINES, totals=TOTALS, header=HEADER, summary=SUMMARY) -> str:
    return "\r\n".join([header, *lines, summary, totals]) + "\r\n"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BJ)


@pytest.mark.parametrize("text, fen", [("12.34", 1234), ("12.3", 1230), ("12", 1200), ("0.05", 5),
                                        ("-0.05", -5), ("100000000.99", 10000000099)])
def test_yuan_read_to_fen_without_floats(text, fen):
    assert yuan_to_fen(text) == fen
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@pytest.mark.parametrize("text", ["12.345", "1,000.00", "12.", ".5", "abc", "", "1e3"])
def test_amounts_that_are_not_yuan_are_refused(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


def test_a_bill_is_read_line_by_line():
    lines = parse_fundflow("\ufeff" + bill())
    assert [x.amount_fen for x in lines] == [1234, 50000, 30, 8880]
    first = lines[0]
    assert first.booked_at == datetime(2026, 12, 7, 10, 0, tzinfo=BJ)
    assert first.booked_at.utcoffset() == timedelta(hours=8)
    assert (first.business_no, first.flow_no, first.direction, first.balance_fen, first.voucher_no) == (
        "1001", "F1001", "支出", 98766, "P1")
    assert lines[1].direction == "收入"
    assert lines[2].note == "稿费, 第二期"  # a comma inside a backticked field stays in it
    assert lines[3].voucher_no == ""


def test_a_bill_without_movements_but_with_its_summary_is_empty():
    assert parse_fundflow(bill(lines=[], totals="`0,`0,`0.00,`0,`0.00")) == []


@pytest.mark.parametrize(
    "text, line_no, words",
    [
        (bill(header="交易时间,公众账号ID,商户号"), 1, "表头"),
        ("", None, "空"),
        (bill(lines=[row("2026-12-07 10:00:00", "1001", "12.345", "987.66", "P1")], totals="`1,`0,`0.00,`1,`12.34"),
         2, "收支金额"),
        (bill(lines=[row("2026-12-07 10:00:00", "1001", "12.34", "abc", "P1")], totals="`1,`0,`0.00,`1,`12.34"),
         2, "账户结余"),
        (bill(lines=[row("07/12/2026 10:00", "1001", "12.34", "987.66", "P1")], totals="`1,`0,`0.00,`1,`12.34"),
         2, "记账时间"),
        (bill(lines=[row("2026-12-07 10:00:00", "1001", "12.34", "987.66", "P1", direction="退款")],
              totals="`1,`0,`0.00,`1,`12.34"), 2, "收支类型"),
        (bill(lines=["`2026-12-07 10:00:00,`1001,`12.34"], totals="`1,`0,`0.00,`1,`12.34"), 2, "字段"),
        ("\r\n".join([HEADER, *LINES]), None, "缺少汇总行"),
        ("\r\n".join([HEADER, *LINES, SUMMARY]), 6, "缺少汇总数据"),
        (bill(totals="`5,`1,`500.00,`3,`101.44"), 7, "总笔数"),
        (bill(totals="`4,`1,`500.00,`3,`101.45"), 7, "支出金额"),
        (bill(totals="`4,`2,`500.00,`2,`101.44"), 7, "收入笔数"),
        (bill(totals="`4,`1,`500.00"), 7, "字段"),
        (bill() + "`extra\r\n", 8, "之后"),
    ],
    ids=["wrong-header", "empty", "bad-amount", "bad-balance", "bad-time", "bad-direction", "field-count",
         "missing-summary", "summary-without-totals", "count-differs", "expense-total-differs",
         "income-count-differs", "short-totals", "trailing-text"],
)
def test_a_malformed_bill_is_refused_naming_the_line(text, line_no, words):
    with pytest.raises(BillFormatError) as caught:
        parse_fundflow(text)
    assert caught.value.line_no == line_no
    assert words in str(caught.value)
    if line_no:
        assert str(caught.value).startswith(f"第 {line_no} 行")


# --- matching -------------------------------------------------------------------------------------

PAID = [
    PaymentRecord(1, "P1", 1234, at("2026-12-07 10:00")),
    PaymentRecord(2, "P2", 30, at("2026-12-07 12:30")),
    PaymentRecord(3, None, 8880, at("2026-12-07 14:00")),  # paid by hand, nothing copied
]


def kinds(result):
    return sorted((a.kind, a.payment.id if a.payment else None, a.line.business_no if a.line else None)
                  for a in result.anomalies)


def test_every_payment_matches_its_line_and_income_is_left_alone():
    result = match(parse_fundflow(bill()), PAID)
    assert result.clean
    assert sorted((line.business_no, p.id) for line, p in result.matched) == [("1001", 1), ("1003", 2), ("1004", 3)]


@pytest.mark.parametrize(
    "payments, expected",
    [
        # the bill shows 12.34 for P1, we recorded 12.35
        ([PaymentRecord(1, "P1", 1235, at("2026-12-07 10:00")), *PAID[1:]], [("amount_differs", 1, "1001")]),
        # a payment we recorded that the bill does not show
        ([*PAID, PaymentRecord(4, "P9", 500, at("2026-12-07 16:00"))], [("missing_line", 4, None)]),
        # a line no payment explains (the hand payment was not recorded)
        (PAID[:2], [("unmatched_line", None, "1004")]),
        # a hand payment too far in time from the line of its amount: both stand out
        ([*PAID[:2], PaymentRecord(3, None, 8880, at("2026-12-09 15:00"))],
         [("missing_line", 3, None), ("unmatched_line", None, "1004")]),
        # a hand payment of another amount
        ([*PAID[:2], PaymentRecord(3, None, 8800, at("2026-12-07 15:00"))],
         [("missing_line", 3, None), ("unmatched_line", None, "1004")]),
        # the hand payment's reference is the line's 业务单号 (copied from the app)
        ([*PAID[:2], PaymentRecord(3, "1004", 8880, at("2026-12-08 09:00"))], []),
    ],
    ids=["amount-differs", "missing-line", "unmatched-line", "hand-too-far", "hand-other-amount", "hand-by-number"],
)
def test_anomalies(payments, expected):
    result = match(parse_fundflow(bill()), payments)
    assert kinds(result) == expected
    for anomaly in result.anomalies:
        assert anomaly.detail


def test_hand_payments_of_one_amount_take_the_nearest_lines():
    lines = parse_fundflow(bill(
        lines=[row("2026-12-07 09:00:00", "2001", "50.00", "950.00", ""),
               row("2026-12-07 17:00:00", "2002", "50.00", "900.00", "")],
        totals="`2,`0,`0.00,`2,`100.00"))
    late = PaymentRecord("late", "", 5000, at("2026-12-07 16:30"))
    early = PaymentRecord("early", None, 5000, at("2026-12-07 09:10"))
    result = match(lines, [late, early])
    assert result.clean
    assert {p.id: line.business_no for line, p in result.matched} == {"early": "2001", "late": "2002"}


def test_one_line_matches_one_payment_only():
    twice = [PaymentRecord(1, "P1", 1234, at("2026-12-07 10:00")), PaymentRecord(9, "P1", 1234, at("2026-12-07 10:00"))]
    result = match(parse_fundflow(bill()), [*twice, *PAID[1:]])
    assert kinds(result) == [("missing_line", 9, None)]
