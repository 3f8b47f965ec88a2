"""WeChat Pay v2 in the sandbox (WECHAT_API.md 6): the merchants, their transfers (企业付款到零钱),
the account's movements and the fund-flow bill (资金账单). The HTTP side is pay_http.py (/mch/...,
the page /sandbox/pay/ and POST /sandbox/pay/control).

Merchants: `state.pay.add_merchant(mch_id, api_key, appid)`; any other mch_id is registered on first
use when its request is signed with SANDBOX_PAY_KEY. Every request's sign is checked with the
merchant's key (MD5, or HMAC-SHA256 when `sign_type` says so) and every answer is signed the same way.

Transfers: idempotent by partner_trade_no (the same payee and amount again answers the first payment;
a different one FATAL_ERROR), AMOUNT_LIMIT under 0.30 yuan or over the merchant's limit, SENDNUM_LIMIT
past the day's count for one openid, NOTENOUGH past the balance. Failures on purpose:
`state.inject_fault("mmpaymkttransfers/promotion/transfers", errcode="SYSTEMERROR")` answers that
code before anything happens (http_status too); `state.pay.fail_next("SYSTEMERROR", applied=True)`
makes the transfer and then answers SYSTEMERROR (the case where only a query tells);
`state.pay.corrupt_next_sign()` signs the next answer wrongly.

Bill: one line per movement of the day (Beijing time), the balance running, then the summary. A day
without movements answers 20002 No Bill Exist. `plant(mch_id, day, kind)` puts an anomaly in a day's
bill: "unmatched_line" (an extra 支出 line no transfer made), "amount_differs" (a transfer's line off
by a few fen), "missing_line" (a transfer left out). `add_movement(...)` books a movement by hand (a
payment made in the WeChat app), so the CMS's hand-recorded payments have a line to match. The
sandbox serves a day's bill at once (the platform: ~10:00 the next day).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from cms.sandbox import pay_bill
from cms.sandbox.models import BEIJING, beijing
from cms.sandbox.pay_bill import HEADER, KINDS, SUMMARY, Movement, yuan

__all__ = ["HEADER", "KINDS", "SUMMARY", "SANDBOX_PAY_KEY", "Movement", "PayError", "PayState", "sign", "yuan"]

if TYPE_CHECKING:
    from cms.sandbox.core import Core

SANDBOX_PAY_KEY = "sandbox-pay-key-" + "0" * 16  # a v2 API key has 32 characters
DEFAULT_BALANCE_FEN = 100_000_000  # 1 000 000.00 yuan
MIN_AMOUNT_FEN = 30  # 0.30 yuan (unconfirmed)
DEFAULT_MAX_AMOUNT_FEN = 2_000_000  # 20 000.00 yuan a transfer (unconfirmed; per merchant)
DEFAULT_DAILY_SENDNUM = 10  # transfers to one openid in a day (unconfirmed; per merchant)
ERR_DES = {
    "SYSTEMERROR": "系统繁忙，请稍后再试。",
    "NOTENOUGH": "余额不足",
    "AMOUNT_LIMIT": "付款金额超出限制。",
    "SENDNUM_LIMIT": "该用户今日付款次数超过限制",
    "FREQ_LIMIT": "超过频率限制，请稍后再试。",
    "FATAL_ERROR": "已存在该单，并且订单信息不一致",
    "NOT_FOUND": "指定单号数据不存在",
    "PARAM_ERROR": "参数错误",
    "SIGN_ERROR": "签名错误",
    "NO_AUTH": "没有该接口权限",
}


class PayError(Exception):
    """A refusal. `err_code` set: return_code SUCCESS + result_code FAIL (the transfer calls);
    `error_code` set: return_code FAIL + error_code (the bill); neither: return_code FAIL."""

    def __init__(self, message: str, *, err_code: str | None = None, error_code: str | None = None):
        super().__init__(message)
        self.message, self.err_code, self.error_code = message, err_code, error_code


def sign(params: dict, key: str, sign_type: str = "MD5") -> str:
    """The v2 sign (the sandbox's own code: it does not trust the client's library)."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in (None, ""))
    text = f"{text}&key={key}".encode()
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode(), text, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(text).hexdigest().upper()  # noqa: S324 - the platform's algorithm


@dataclass
class Merchant:
    mch_id: str
    api_key: str
    appid: str | None = None  # None: any AppID
    name: str = ""
    opening_fen: int = DEFAULT_BALANCE_FEN  # the balance before the first movement
    max_amount_fen: int = DEFAULT_MAX_AMOUNT_FEN
    daily_sendnum: int = DEFAULT_DAILY_SENDNUM


@dataclass
class Transfer:
    mch_id: str
    appid: str
    partner_trade_no: str
    openid: str
    amount_fen: int
    desc: str
    re_user_name: str
    payment_no: str
    at: float
    status: str = "SUCCESS"  # SUCCESS | FAILED | PROCESSING (set_status)
    reason: str = ""


@dataclass
class Plant:
    mch_id: str
    day: date
    kind: str
    seq: int


@dataclass
class PlannedFailure:
    err_code: str
    path: str
    times: int
    applied: bool
    mch_id: str | None = None
    err_code_des: str = ""


class PayState:
    """`state.pay`: shares the core's lock and clock, reset with it."""

    def __init__(self, core: Core):
        self.core = core
        self.lock = core.lock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.merchants: dict[str, Merchant] = {}
            self.transfers: dict[tuple[str, str], Transfer] = {}
            self.movements: list[Movement] = []
            self.plants: list[Plant] = []
            self.failures: list[PlannedFailure] = []
            self.bad_signs = 0
            self._seq = itertools.count(1)

    # --- merchants and switches ----------------------------------------------------------------

    def add_merchant(self, mch_id: str, api_key: str = SANDBOX_PAY_KEY, appid: str | None = None, *,
                     balance_fen: int | None = None, name: str = "", max_amount_fen: int | None = None,
                     daily_sendnum: int | None = None) -> Merchant:
        if not mch_id or not api_key:
            raise ValueError("a merchant needs mch_id and api_key")
        with self.lock:
            old = self.merchants.get(mch_id)
            merchant = Merchant(mch_id, api_key, appid or None, name or f"沙箱商户 {mch_id}",
                                max_amount_fen=int(max_amount_fen or DEFAULT_MAX_AMOUNT_FEN),
                                daily_sendnum=int(daily_sendnum or DEFAULT_DAILY_SENDNUM))
            if old is not None:
                merchant.opening_fen = old.opening_fen
            self.merchants[mch_id] = merchant
            if balance_fen is not None:
                self.set_balance(mch_id, balance_fen)
            return merchant

    def merchant(self, mch_id: str) -> Merchant:
        with self.lock:
            if mch_id not in self.merchants:
                self.add_merchant(mch_id)
            return self.merchants[mch_id]

    def _net(self, mch_id: str, before: float | None = None) -> int:
        return sum((m.amount_fen if m.direction == "收入" else -m.amount_fen) for m in self.movements
                   if m.mch_id == mch_id and (before is None or m.at < before))

    def balance(self, mch_id: str) -> int:
        with self.lock:
            return self.merchant(mch_id).opening_fen + self._net(mch_id)

    def set_balance(self, mch_id: str, balance_fen: int) -> None:
        """The balance now becomes `balance_fen` (the movements so far stay)."""
        with self.lock:
            self.merchant(mch_id).opening_fen = int(balance_fen) - self._net(mch_id)

    def fail_next(self, err_code: str, *, path: str = "promotion/transfers", times: int = 1,
                  applied: bool = False, mch_id: str | None = None, err_code_des: str = "") -> None:
        """The next `times` calls to `path` answer `err_code`; `applied`: after doing the work (a
        transfer made whose answer says SYSTEMERROR)."""
        with self.lock:
            self.failures.append(PlannedFailure(str(err_code), path.strip("/"), int(times), bool(applied),
                                                mch_id, err_code_des or ERR_DES.get(str(err_code), "")))

    def corrupt_next_sign(self, times: int = 1) -> None:
        with self.lock:
            self.bad_signs += int(times)

    def set_status(self, mch_id: str, partner_trade_no: str, status: str, reason: str = "") -> None:
        """What gettransferinfo says of a transfer from now on: PROCESSING, or FAILED (with the
        reason; the money goes back and the bill no longer shows it), or SUCCESS again."""
        if status not in ("SUCCESS", "FAILED", "PROCESSING"):
            raise ValueError("status is SUCCESS, FAILED or PROCESSING")
        with self.lock:
            made = self.transfers[(mch_id, partner_trade_no)]
            made.status, made.reason = status, reason if status == "FAILED" else ""
            for m in self.movements:
                if m.transfer and m.mch_id == mch_id and m.voucher_no == partner_trade_no:
                    m.amount_fen = 0 if status == "FAILED" else made.amount_fen

    def take_failure(self, path: str, mch_id: str | None) -> PlannedFailure | None:
        with self.lock:
            for plan in self.failures:
                if plan.times > 0 and path.rstrip("/").endswith(plan.path) and plan.mch_id in (None, mch_id):
                    plan.times -= 1
                    return plan
            return None

    def take_bad_sign(self) -> bool:
        with self.lock:
            if self.bad_signs > 0:
                self.bad_signs -= 1
                return True
            return False

    def plant(self, mch_id: str, day: date, kind: str) -> Plant:
        """Put an anomaly in `mch_id`'s bill of `day` (see the module docstring)."""
        if kind not in KINDS:
            raise ValueError(f"kind is one of {KINDS}")
        with self.lock:
            self.merchant(mch_id)
            if kind != "unmatched_line":
                targeted = sum(1 for p in self.plants if p.mch_id == mch_id and p.day == day and p.kind != "unmatched_line")
                if targeted >= len(self._day_movements(mch_id, day, transfers_only=True)):
                    raise ValueError(f"no transfer left on {day.isoformat()} for {kind}")
            plant = Plant(mch_id, day, kind, next(self._seq))
            self.plants.append(plant)
            return plant

    def add_movement(self, mch_id: str, when: datetime | float, amount_fen: int, note: str = "",
                     voucher_no: str = "", *, direction: str = "支出", business_name: str = "转账") -> Movement:
        """Book a movement by hand (naive `when`: Beijing time)."""
        if direction not in ("支出", "收入"):
            raise ValueError("direction is 支出 or 收入")
        if int(amount_fen) <= 0:
            raise ValueError("amount_fen must be positive")
        if isinstance(when, datetime):
            when = (when if when.tzinfo else when.replace(tzinfo=BEIJING)).timestamp()
        with self.lock:
            self.merchant(mch_id)
            movement = Movement(mch_id, float(when), int(amount_fen), direction, self._number("4"),
                                self._number("2"), business_name, business_name, f"{mch_id}@{mch_id}",
                                note, voucher_no)
            self.movements.append(movement)
            return movement

    def _number(self, lead: str) -> str:
        return f"{lead}{beijing(self.core.now()):%Y%m%d%H%M%S}{next(self._seq):013d}"

    # --- the API calls (under the lock; a PayError is the refusal) --------------------------

    def transfer(self, params: dict) -> dict:
        with self.lock:
            for name in ("mch_appid", "mchid", "partner_trade_no", "openid", "check_name", "amount", "desc"):
                if not params.get(name):
                    raise PayError(f"缺少参数 {name}", err_code="PARAM_ERROR")
            merchant = self.merchants[params["mchid"]]
            if merchant.appid and params["mch_appid"] != merchant.appid:
                raise PayError("mch_appid 与 mchid 不匹配", err_code="PARAM_ERROR")
            if params["check_name"] not in ("NO_CHECK", "FORCE_CHECK"):
                raise PayError("check_name 只能是 NO_CHECK 或 FORCE_CHECK", err_code="PARAM_ERROR")
            if params["check_name"] == "FORCE_CHECK" and not params.get("re_user_name"):
                raise PayError("FORCE_CHECK 时 re_user_name 必填", err_code="PARAM_ERROR")
            try:
                amount = int(params["amount"])
            except ValueError:
                raise PayError("amount 须为整数（分）", err_code="PARAM_ERROR") from None
            no, openid = params["partner_trade_no"], params["openid"]
            old = self.transfers.get((merchant.mch_id, no))
            if old is not None:
                if (old.openid, old.amount_fen) != (openid, amount):
                    raise PayError(ERR_DES["FATAL_ERROR"], err_code="FATAL_ERROR")
                return self._transfer_answer(old, params)
            if amount < MIN_AMOUNT_FEN or amount > merchant.max_amount_fen:
                raise PayError(f"付款金额超出限制。低于最小金额 {yuan(MIN_AMOUNT_FEN)} 元或超过 "
                               f"{yuan(merchant.max_amount_fen)} 元。", err_code="AMOUNT_LIMIT")
            now = self.core.now()
            today = beijing(now).date()
            sent = sum(1 for t in self.transfers.values()
                       if t.mch_id == merchant.mch_id and t.openid == openid and beijing(t.at).date() == today)
            if sent >= merchant.daily_sendnum:
                raise PayError(ERR_DES["SENDNUM_LIMIT"], err_code="SENDNUM_LIMIT")
            if self.balance(merchant.mch_id) < amount:
                raise PayError(ERR_DES["NOTENOUGH"], err_code="NOTENOUGH")
            payment_no = f"10{merchant.mch_id[-10:]:0>10}{beijing(now):%Y%m%d}{next(self._seq):08d}"
            made = Transfer(merchant.mch_id, params["mch_appid"], no, openid, amount, params["desc"],
                            params.get("re_user_name") or "", payment_no, now)
            self.transfers[(merchant.mch_id, no)] = made
            self.movements.append(Movement(merchant.mch_id, now, amount, "支出", payment_no, self._number("1"),
                                           "企业付款", "企业付款", "API", params["desc"], no, transfer=True))
            return self._transfer_answer(made, params)

    def _transfer_answer(self, made: Transfer, params: dict) -> dict:
        return {"mch_appid": params["mch_appid"], "mchid": made.mch_id, "device_info": params.get("device_info"),
                "partner_trade_no": made.partner_trade_no, "payment_no": made.payment_no,
                "payment_time": f"{beijing(made.at):%Y-%m-%d %H:%M:%S}"}

    def query(self, params: dict) -> dict:
        with self.lock:
            if not params.get("partner_trade_no"):
                raise PayError("缺少参数 partner_trade_no", err_code="PARAM_ERROR")
            made = self.transfers.get((params.get("mch_id") or params.get("mchid"), params["partner_trade_no"]))
            if made is None:
                raise PayError(ERR_DES["NOT_FOUND"], err_code="NOT_FOUND")
            when = f"{beijing(made.at):%Y-%m-%d %H:%M:%S}"
            return {"partner_trade_no": made.partner_trade_no, "appid": made.appid, "mch_id": made.mch_id,
                    "detail_id": made.payment_no, "status": made.status, "reason": made.reason, "openid": made.openid,
                    "transfer_name": made.re_user_name, "payment_amount": str(made.amount_fen),
                    "transfer_time": when, "payment_time": when, "desc": made.desc}

    def fundflow(self, params: dict) -> str:
        with self.lock:
            if params.get("sign_type") != "HMAC-SHA256":
                raise PayError("sign_type 须为 HMAC-SHA256", error_code="20001")
            try:
                day = datetime.strptime(str(params.get("bill_date") or ""), "%Y%m%d").date()
            except ValueError:
                raise PayError("invalid bill_date", error_code="20001") from None
            if params.get("account_type") not in ("Basic", "Operation", "Fees"):
                raise PayError("invalid account_type", error_code="20001")
            if params.get("tar_type") not in (None, ""):
                raise PayError("the sandbox sends the bill as text only (no tar_type)", error_code="20001")
            today = beijing(self.core.now()).date()
            if day > today or day < today - timedelta(days=90):
                raise PayError("invalid bill_date: the bill of that day is not available", error_code="20001")
            mch_id = params.get("mch_id") or params.get("mchid")
            text = self.bill_text(mch_id, day) if params["account_type"] == "Basic" else None
            if text is None:
                raise PayError("No Bill Exist", error_code="20002")
            return text

    # --- the bill ------------------------------------------------------------------------------

    def _day_movements(self, mch_id: str, day: date, *, transfers_only: bool = False) -> list[Movement]:
        return sorted((m for m in self.movements if m.mch_id == mch_id and beijing(m.at).date() == day
                       and m.amount_fen and (m.transfer or not transfers_only)), key=lambda m: (m.at, m.flow_no))

    def bill_lines(self, mch_id: str, day: date) -> list[Movement]:
        """The movements a day's bill shows, the planted anomalies applied (copies)."""
        with self.lock:
            plants = [p for p in self.plants if p.mch_id == mch_id and p.day == day]
            return pay_bill.planted(self._day_movements(mch_id, day), plants, mch_id, day)

    def bill_text(self, mch_id: str, day: date) -> str | None:
        """The CSV text of a day's fund-flow bill, None when there is no movement that day."""
        with self.lock:
            lines = self.bill_lines(mch_id, day)
            if not lines and not self._day_movements(mch_id, day):
                return None  # (a day whose only line was planted away still has its bill, empty)
            start = datetime.combine(day, time(0), BEIJING).timestamp()
            return pay_bill.render(lines, self.merchant(mch_id).opening_fen + self._net(mch_id, before=start))

    def bill_days(self, mch_id: str) -> list[date]:
        with self.lock:
            days = {beijing(m.at).date() for m in self.movements if m.mch_id == mch_id}
            days |= {p.day for p in self.plants if p.mch_id == mch_id}
            return sorted(days, reverse=True)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "merchants": [{**vars(m), "balance_fen": self.balance(m.mch_id)} for m in self.merchants.values()],
                "transfers": [{**vars(t), "at": datetime.fromtimestamp(t.at, UTC).isoformat()}
                              for t in self.transfers.values()],
                "plants": [{**vars(p), "day": p.day.isoformat()} for p in self.plants],
                "movements": len(self.movements),
            }
