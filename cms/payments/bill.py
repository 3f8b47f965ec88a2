"""The WeChat Pay fund-flow bill (资金账单, pay/downloadfundflow) read and reconciled with our
payments. Pure: no database, no Flask, no clock.

    lines = parse_fundflow(text)              # list[BillLine]; BillFormatError names the line
    result = match(lines, [PaymentRecord(id, reference, amount_fen, paid_at), ...])
    result.matched    -> [(BillLine, PaymentRecord), ...]
    result.anomalies  -> [Anomaly(kind, line, payment, detail), ...]

The bill (WECHAT_API.md 6): a header line, one line per movement with every field prefixed by a
backtick (so a spreadsheet keeps long numbers as text), then the summary header and one line of
totals. Amounts are yuan with up to two decimals, read to fen without floats. Times are Beijing time.
A note holding a comma is read whole: fields are split at ",`" when the line is backticked.

Matching (only 支出 lines: money going out): first by reference: a payment whose `reference` (our
partner_trade_no, or the number a person copied from a hand payment) equals a line's 业务凭证号 or
微信支付业务单号; the same amount is a match, another amount "amount_differs". Then payments without a
reference (paid by hand, nothing copied) by the same amount and the nearest time within `window`.
What is left: lines → "unmatched_line" (money left the account and we recorded nothing), payments →
"missing_line" (we recorded a payment the bill does not show). Give `match` the payments that belong
in that day's bill (their Beijing date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
HEADER = ("记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型", "收支类型", "收支金额（元）",
          "账户结余（元）", "资金变更提交申请人", "备注", "业务凭证号")
SUMMARY = ("资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额")
DIRECTIONS = ("收入", "支出")
_YUAN = re.compile(r"(-?)(\d+)(?:\.(\d{1,2}))?")
_COUNT = re.compile(r"(\d+)(?:\.0+)?")

AnomalyKind = Literal["unmatched_line", "amount_differs", "missing_line"]


class BillFormatError(ValueError):
    """The text is not a fund-flow bill; `line_no` (1-based, None: the whole text) says where."""

    def __init__(self, line_no: int | None, message: str):
        super().__init__(f"第 {line_no} 行：{message}" if line_no else message)
        self.line_no, self.message = line_no, message


@dataclass(frozen=True)
class BillLine:
    booked_at: datetime  # aware, Asia/Shanghai
    business_no: str  # 微信支付业务单号 (a transfer's payment_no)
    flow_no: str  # 资金流水单号
    business_name: str
    business_type: str
    direction: str  # 收入 | 支出
    amount_fen: int  # positive
    balance_fen: int  # the account's balance after this movement
    applicant: str
    note: str
    voucher_no: str  # 业务凭证号 (a transfer's partner_trade_no)
    line_no: int = 0  # where it stood in the text


@dataclass(frozen=True)
class PaymentRecord:
    id: int | str
    reference: str | None  # partner_trade_no, or the number of a hand payment; None/"": none
    amount_fen: int
    paid_at: datetime  # aware


@dataclass(frozen=True)
class Anomaly:
    kind: AnomalyKind
    line: BillLine | None
    payment: PaymentRecord | None
    detail: str


@dataclass
class Reconciliation:
    matched: list[tuple[BillLine, PaymentRecord]] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.anomalies


def yuan_to_fen(text: str) -> int:
    """"12.34" → 1234, "12.3" → 1230, "-0.05" → -5; ValueError otherwise (no floats involved)."""
    m = _YUAN.fullmatch(text.strip())
    if not m:
        raise ValueError(f"“{text}” 不是金额（元，最多两位小数）")
    sign, whole, cents = m.groups()
    fen = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -fen if sign else fen


def fen_to_yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _fields(line: str) -> list[str]:
    if line.startswith("`"):
        return line[1:].split(",`")
    return [f.strip() for f in line.split(",")]


def _header(line: str) -> tuple[str, ...]:
    return tuple(f.strip().lstrip("`") for f in line.split(","))


def _amount(text: str, line_no: int, what: str) -> int:
    try:
        return yuan_to_fen(text)
    except ValueError as e:
        raise BillFormatError(line_no, f"{what}：{e}") from None


def _line(fields: list[str], line_no: int) -> BillLine:
    if len(fields) != len(HEADER):
        raise BillFormatError(line_no, f"应有 {len(HEADER)} 个字段，实有 {len(fields)} 个")
    when, business_no, flow_no, name, kind, direction, amount, balance, applicant, note, voucher = fields
    try:
        booked_at = datetime.strptime(when.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        raise BillFormatError(line_no, f"记账时间“{when}”不是 YYYY-MM-DD HH:MM:SS") from None
    if direction.strip() not in DIRECTIONS:
        raise BillFormatError(line_no, f"收支类型“{direction}”应为 收入 或 支出")
    amount_fen = _amount(amount, line_no, "收支金额")
    if amount_fen < 0:
        raise BillFormatError(line_no, f"收支金额“{amount}”不应为负（方向由收支类型表示）")
    return BillLine(booked_at, business_no.strip(), flow_no.strip(), name.strip(), kind.strip(),
                    direction.strip(), amount_fen, _amount(balance, line_no, "账户结余"), applicant.strip(),
                    note.strip(), voucher.strip(), line_no)


def _count(text: str, line_no: int, what: str) -> int:
    m = _COUNT.fullmatch(text.strip())
    if not m:
        raise BillFormatError(line_no, f"{what}“{text}”不是笔数")
    return int(m.group(1))


def parse_fundflow(text: str) -> list[BillLine]:
    """The movements of a fund-flow bill, checked against its summary."""
    rows = [(n, row) for n, row in enumerate(text.lstrip("\ufeff").splitlines(), start=1) if row.strip()]
    if not rows:
        raise BillFormatError(None, "账单是空的")
    n, first = rows[0]
    if _header(first) != HEADER:
        raise BillFormatError(n, "不是资金账单的表头（应为 " + ",".join(HEADER) + "）")
    lines: list[BillLine] = []
    summary_at = None
    for i, (n, row) in enumerate(rows[1:], start=1):
        if _header(row) == SUMMARY:
            summary_at = i
            break
        lines.append(_line(_fields(row), n))
    if summary_at is None:
        raise BillFormatError(None, "账单缺少汇总行（" + ",".join(SUMMARY) + "）")
    after = rows[summary_at + 1:]
    if not after:
        raise BillFormatError(rows[summary_at][0], "汇总表头后缺少汇总数据")
    n, totals_row = after[0]
    if len(after) > 1:
        raise BillFormatError(after[1][0], "汇总数据之后还有内容")
    totals = _fields(totals_row)
    if len(totals) != len(SUMMARY):
        raise BillFormatError(n, f"汇总数据应有 {len(SUMMARY)} 个字段，实有 {len(totals)} 个")
    total = _count(totals[0], n, "资金流水总笔数")
    in_count, in_fen = _count(totals[1], n, "收入笔数"), _amount(totals[2], n, "收入金额")
    out_count, out_fen = _count(totals[3], n, "支出笔数"), _amount(totals[4], n, "支出金额")
    income = [x.amount_fen for x in lines if x.direction == "收入"]
    expense = [x.amount_fen for x in lines if x.direction == "支出"]
    checks = [
        ("资金流水总笔数", str(total), str(len(lines))),
        ("收入笔数", str(in_count), str(len(income))),
        ("收入金额", fen_to_yuan(in_fen), fen_to_yuan(sum(income))),
        ("支出笔数", str(out_count), str(len(expense))),
        ("支出金额", fen_to_yuan(out_fen), fen_to_yuan(sum(expense))),
    ]
    for what, stated, counted in checks:
        if stated != counted:
            raise BillFormatError(n, f"汇总的{what}为 {stated}，明细合计为 {counted}")
    return lines


def _refs(line: BillLine) -> set[str]:
    return {x for x in (line.voucher_no, line.business_no) if x}


def match(lines: list[BillLine], payments: list[PaymentRecord], *,
          window: timedelta = timedelta(hours=36)) -> Reconciliation:
    """Reconcile a bill's 支出 lines with our payments (see the module docstring)."""
    result = Reconciliation()
    open_lines = [x for x in lines if x.direction == "支出"]
    by_ref: dict[str, BillLine] = {}
    for line in open_lines:
        for ref in _refs(line):
            by_ref.setdefault(ref, line)
    used: set[int] = set()  # id() of the lines taken
    unreferenced: list[PaymentRecord] = []
    for payment in payments:
        ref = (payment.reference or "").strip()
        if not ref:
            unreferenced.append(payment)
            continue
        line = by_ref.get(ref)
        if line is None or id(line) in used:
            result.anomalies.append(Anomaly("missing_line", None, payment,
                                            f"账单中没有业务凭证号或业务单号为 {ref} 的支出（记录金额 "
                                            f"{fen_to_yuan(payment.amount_fen)} 元）"))
            continue
        used.add(id(line))
        if line.amount_fen == payment.amount_fen:
            result.matched.append((line, payment))
        else:
            result.anomalies.append(Anomaly("amount_differs", line, payment,
                                            f"{ref}：账单 {fen_to_yuan(line.amount_fen)} 元，记录 "
                                            f"{fen_to_yuan(payment.amount_fen)} 元"))
    # Payments without a reference: same amount, nearest in time (pairs taken closest first).
    candidates = sorted(
        (abs(line.booked_at - payment.paid_at), line.line_no, i, line, payment)
        for i, payment in enumerate(unreferenced)
        for line in open_lines
        if id(line) not in used and line.amount_fen == payment.amount_fen
        and abs(line.booked_at - payment.paid_at) <= window
    )
    taken: set[int] = set()
    for _gap, _no, i, line, payment in candidates:
        if i in taken or id(line) in used:
            continue
        taken.add(i)
        used.add(id(line))
        result.matched.append((line, payment))
    for i, payment in enumerate(unreferenced):
        if i not in taken:
            result.anomalies.append(Anomaly("missing_line", None, payment,
                                            f"账单中没有与这笔手工付款（{fen_to_yuan(payment.amount_fen)} 元，"
                                            f"{payment.paid_at.astimezone(BEIJING):%Y-%m-%d %H:%M}）相符的支出"))
    for line in open_lines:
        if id(line) not in used:
            result.anomalies.append(Anomaly("unmatched_line", line, None,
                                            f"账单第 {line.line_no} 行支出 {fen_to_yuan(line.amount_fen)} 元"
                                            f"（{line.business_name}，凭证号 {line.voucher_no or '无'}）没有对应的付款记录"))
    return result
