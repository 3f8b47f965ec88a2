"""The sandbox's fund-flow bill (资金账单) as the platform writes it: a header, one backticked line
per movement with the balance running, the summary header and its totals (WECHAT_API.md 6), and the
anomalies planted in it (pay.py `plant`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from cms.sandbox.models import BEIJING, beijing

KINDS = ("unmatched_line", "amount_differs", "missing_line")
HEADER = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号"
SUMMARY = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"


def yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


@dataclass
class Movement:
    mch_id: str
    at: float
    amount_fen: int  # positive (0: a transfer that FAILED)
    direction: str  # 支出 | 收入
    business_no: str
    flow_no: str
    business_name: str
    business_type: str
    applicant: str
    note: str = ""
    voucher_no: str = ""
    transfer: bool = False  # made by a transfer (the anomalies alter only these)


def planted(movements: list[Movement], plants: list, mch_id: str, day: date) -> list[Movement]:
    """Copies of a day's movements with the plants applied, in their order: "unmatched_line" adds
    a 支出 line (after the last one, at noon at the earliest), "amount_differs" adds 3 fen to the
    next transfer not yet altered, "missing_line" leaves the next one out."""
    lines = [replace(m) for m in movements]
    transfers = [m for m in lines if m.transfer]
    noon = datetime.combine(day, time(12, 0), BEIJING).timestamp()
    for plant in plants:
        if plant.kind == "unmatched_line":
            at = max([m.at + 60 for m in lines] + [noon])
            lines.append(Movement(mch_id, at, 1000 + 11 * plant.seq, "支出", f"4SBXUNMATCHED{plant.seq:08d}",
                                  f"2SBXUNMATCHED{plant.seq:08d}", "转账", "转账", f"{mch_id}@{mch_id}",
                                  "沙箱：无对应付款的支出", ""))
        elif transfers:
            target = transfers.pop(0)
            if plant.kind == "missing_line":
                lines.remove(target)
            else:
                target.amount_fen += 3
    return sorted(lines, key=lambda m: (m.at, m.flow_no))


def render(lines: list[Movement], opening_fen: int) -> str:
    """The bill's CSV text (\\r\\n line ends), the balance running from `opening_fen`."""
    balance = opening_fen
    rows = [HEADER]
    income, expense = [0, 0], [0, 0]
    for m in lines:
        balance += m.amount_fen if m.direction == "收入" else -m.amount_fen
        tally = income if m.direction == "收入" else expense
        tally[0] += 1
        tally[1] += m.amount_fen
        fields = [f"{beijing(m.at):%Y-%m-%d %H:%M:%S}", m.business_no, m.flow_no, m.business_name, m.business_type,
                  m.direction, yuan(m.amount_fen), yuan(balance), m.applicant, m.note, m.voucher_no]
        rows.append(",".join("`" + f for f in fields))
    rows.append(SUMMARY)
    rows.append(",".join("`" + f for f in (str(len(lines)), str(income[0]), yuan(income[1]),
                                           str(expense[0]), yuan(expense[1]))))
    return "\r\n".join(rows) + "\r\n"
