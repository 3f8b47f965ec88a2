"""WeChat Pay API v2 (XML POST, WECHAT_API.md 6): transfers to a user's change (企业付款到零钱), the
transfer query and the fund-flow bill (资金账单), through wechatpy's WeChatPay. The only importer of
wechatpy.pay.

    creds = PayCredentials(app_id, mch_id, api_key, cert_pem=..., key_pem=...)
    result = transfer(creds, partner_trade_no="P20261207001", openid="o...", amount_fen=1234, desc="稿费")
    result = query_transfer(creds, "P20261207001")        # TransferResult, state SUCCESS/FAILED/PROCESSING
    text = download_fundflow(creds, date(2026, 12, 7))   # the CSV text; cms/payments/bill.py reads it

Base URL: `base_url`, else CMS_WECHATPAY_API_BASE_URL (config key WECHATPAY_API_BASE_URL, default the
real https://api.mch.weixin.qq.com/); with CMS_SANDBOX on and the setting left at the real host, the
mounted sandbox (<CMS_SANDBOX_URL>mch/), so the real host is never called from `make run` or tests.
wechatpy's `sandbox=True` (it prefixes "sandboxnew/" and fetches a sandbox key) is never used.

Certificates: transfers and the fund-flow bill need the merchant's API certificate. wechatpy wants
file paths (it hands them to requests), so `cert_pem`/`key_pem` are written to private temporary files
(mode 0600, created by mkstemp), held open by the client and removed when the client is closed or
garbage-collected. Without them (the sandbox speaks plain HTTP) no certificate is sent.

Errors: every failure leaves as CallError (cms/platforms/calls.py) with `errcode` the platform's
code as a string ("NOTENOUGH", "SYSTEMERROR", "NOT_FOUND", "20002", ...; SIGN_ERROR is read as
SIGNERROR), None when the platform could not be reached or answered non-2xx. describe_pay() words it
in Chinese; classify_pay() says whether it may be retried: "retry" means the outcome is unknown (a
SYSTEMERROR, a timeout): query the transfer first and retry with the SAME partner_trade_no only when
the query says NOT_FOUND (the platform pays a partner_trade_no once). wechatpy never checks the sign
of an answer; here a signed answer whose sign does not verify with the API key is refused
(CallError "SIGNERROR", errmsg "response sign mismatch"), so a forged "SUCCESS" is never believed.
An answer without a sign is taken as it is (the v2 transfer answers carry none, unconfirmed).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from urllib.parse import urljoin
from xml.parsers.expat import ExpatError
from zoneinfo import ZoneInfo

import requests
import xmltodict
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay

from cms.platforms.calls import CallError
from cms.platforms.http import settle

__all__ = [
    "REAL_BASE_URL",
    "SANDBOX_MCH_ID",
    "SANDBOX_PAY_KEY",
    "PayCredentials",
    "PayClient",
    "TransferResult",
    "classify_pay",
    "describe_pay",
    "download_fundflow",
    "is_not_found",
    "make_pay_client",
    "pay_base_url",
    "pay_call_error",
    "pay_translated",
    "query_transfer",
    "sandbox_credentials",
    "sign",
    "transfer",
]

REAL_BASE_URL = "https://api.mch.weixin.qq.com/"
# The sandbox takes any mch_id whose requests are signed with this key (cms/sandbox/pay.py).
SANDBOX_MCH_ID = "1900000109"
SANDBOX_PAY_KEY = "sandbox-pay-key-0000000000000000"
BEIJING = ZoneInfo("Asia/Shanghai")
SIGN_MISMATCH = "response sign mismatch"


@dataclass(frozen=True)
class PayCredentials:
    """One merchant: the official account's AppID it pays from, the merchant id, the v2 API key
    (32 characters) and the API certificate and its key as PEM bytes (None: no certificate)."""

    app_id: str
    mch_id: str
    api_key: str
    cert_pem: bytes | None = None
    key_pem: bytes | None = None

    def __repr__(self) -> str:  # never the key in a log line
        return f"PayCredentials(app_id={self.app_id!r}, mch_id={self.mch_id!r}, api_key=***)"


def sandbox_credentials(app_id: str, mch_id: str = SANDBOX_MCH_ID) -> PayCredentials:
    """A merchant the sandbox knows without setup (make run, tests)."""
    return PayCredentials(app_id, mch_id, SANDBOX_PAY_KEY)


@dataclass
class TransferResult:
    state: Literal["SUCCESS", "FAILED", "PROCESSING"]
    partner_trade_no: str
    payment_no: str | None = None  # the platform's 付款单号 (payment_no / detail_id)
    payment_time: datetime | None = None  # aware (the platform's Beijing time)
    amount_fen: int | None = None
    reason: str | None = None  # why it FAILED, as the platform says


def sign(params: dict, api_key: str, sign_type: str = "MD5") -> str:
    """The v2 sign: non-empty params but `sign`, sorted, `k=v&...&key=<API key>`, uppercase MD5 or
    HMAC-SHA256 keyed by the API key."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in (None, ""))
    text = f"{text}&key={api_key}".encode()
    if sign_type == "HMAC-SHA256":
        return hmac.new(api_key.encode(), text, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(text).hexdigest().upper()  # noqa: S324 - the platform's algorithm


def _request_sign_type(res) -> str:
    body = getattr(getattr(res, "request", None), "body", None) or b""
    if isinstance(body, str):
        body = body.encode()
    return "HMAC-SHA256" if re.search(rb"<sign_type>\s*(<!\[CDATA\[)?HMAC-SHA256", body) else "MD5"


class PayClient(WeChatPay):
    """WeChatPay on a movable base URL that checks the sign of the answers."""

    def __init__(self, creds: PayCredentials, *, base_url: str, timeout: float | None = 10):
        self._files: list = []
        cert = key = None
        if creds.cert_pem and creds.key_pem:
            cert, key = self._private_file(creds.cert_pem), self._private_file(creds.key_pem)
        super().__init__(creds.app_id, creds.api_key, creds.mch_id, mch_cert=cert, mch_key=key, timeout=timeout)
        if not base_url.endswith("/"):
            base_url += "/"
        self.API_BASE_URL = base_url
        settle(self._http, base_url)
        self._finalizer = weakref.finalize(self, _close_files, self._files)

    def _private_file(self, content: bytes) -> str:
        handle = tempfile.NamedTemporaryFile(prefix="cms-pay-", suffix=".pem")  # noqa: SIM115 - kept open, closed with the client
        os.chmod(handle.name, 0o600)
        handle.write(content)
        handle.flush()
        self._files.append(handle)
        return handle.name

    def close(self) -> None:
        """Remove the certificate files and close the HTTP session."""
        self._finalizer()
        self._http.close()

    def _request(self, method, url_or_endpoint, **kwargs):
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except requests.RequestException as e:  # wechatpy lets connection errors through unwrapped
            raise WeChatPayException(None, errmsg=str(e), client=self, request=getattr(e, "request", None),
                                     response=getattr(e, "response", None)) from e

    def _handle_result(self, res):
        res.encoding = "utf-8-sig"
        try:
            data = xmltodict.parse(res.text).get("xml")
        except (xmltodict.ParsingInterrupted, ExpatError, AttributeError):
            data = None
        if isinstance(data, dict) and data.get("sign"):
            sign_type = data.get("sign_type") or _request_sign_type(res)
            if not hmac.compare_digest(str(data["sign"]).encode(), sign(data, self.api_key, sign_type).encode()):
                raise WeChatPayException("FAIL", "FAIL", SIGN_MISMATCH, "SIGNERROR", SIGN_MISMATCH,
                                         client=self, request=res.request, response=res)
        return super()._handle_result(res)


def _close_files(files: list) -> None:
    for handle in files:
        with contextlib.suppress(OSError):
            handle.close()
    files.clear()


def pay_base_url(app=None) -> str:
    """CMS_WECHATPAY_API_BASE_URL, or (CMS_SANDBOX on, setting left at the real host) the sandbox's."""
    from flask import current_app

    config = (app or current_app).config
    base = config.get("WECHATPAY_API_BASE_URL") or REAL_BASE_URL
    if config.get("SANDBOX") and base == REAL_BASE_URL:
        base = urljoin(config.get("SANDBOX_URL") or "http://127.0.0.1:5000/", "mch/")
    return base


def make_pay_client(creds: PayCredentials, base_url: str | None = None, *, timeout: float | None = None) -> PayClient:
    """A wechatpy WeChatPay for one merchant on `base_url` (default pay_base_url()); timeout default
    CMS_PLATFORM_TIMEOUT (10 s)."""
    if base_url is None or timeout is None:
        from flask import current_app, has_app_context

        if base_url is None:
            base_url = pay_base_url()
        if timeout is None:
            timeout = float(current_app.config.get("PLATFORM_TIMEOUT") or 10) if has_app_context() else 10
    return PayClient(creds, base_url=base_url, timeout=timeout)


# --- errors ---------------------------------------------------------------------------------------

_SYNONYMS = {"SIGN_ERROR": "SIGNERROR"}

_MESSAGES: dict[str, str] = {
    "NOTENOUGH": "商户账户余额不足，请充值后用原商户订单号重试",
    "AMOUNT_LIMIT": "付款金额超出限制（低于最低金额或超过单笔、单日限额）",
    "SENDNUM_LIMIT": "该用户今日收款次数已达上限，请明天再付",
    "MONEY_LIMIT": "已达到付款给此用户的额度上限",
    "FREQ_LIMIT": "付款过于频繁，请稍后用原商户订单号重试",
    "SYSTEMERROR": "微信支付系统繁忙，付款结果未知：请先查询，查不到再用原商户订单号重试",
    "SEND_FAILED": "付款结果未知：请先查询，以查询结果为准",
    "SIGNERROR": "签名校验失败（请求或应答的签名不符，请核对商户 API 密钥）",
    "NO_AUTH": "商户没有企业付款权限（或被风控拦截）",
    "PARAM_ERROR": "付款参数错误",
    "OPENID_ERROR": "收款用户的 OpenID 与 AppID 不匹配",
    "NAME_MISMATCH": "收款用户的真实姓名与实名信息不符",
    "FATAL_ERROR": "该商户订单号已用于另一笔不同的付款（收款人或金额不一致），请换一个单号",
    "XML_ERROR": "请求的 XML 格式错误",
    "CA_ERROR": "商户 API 证书校验失败，请检查证书",
    "V2_ACCOUNT_SIMPLE_BAN": "无法给未实名用户付款",
    "RECV_ACCOUNT_NOT_ALLOWED": "收款账户不在允许的名单内",
    "PAY_CHANNEL_NOT_ALLOWED": "商户未开通此付款渠道",
    "NOT_FOUND": "微信支付没有这笔付款（该商户订单号未付款）",
    "ORDERNOTEXIST": "微信支付没有这笔订单",
    "20001": "账单请求参数错误（日期或账户类型不对，或账单已超过保存期）",
    "20002": "这一天没有账单（当天没有资金变动）",
    "20003": "账单正在生成，请稍后再下载",
    "20007": "该商户号的账单接口权限已关闭",
    "20100": "账单下载失败，请稍后再试",
}

# The outcome of these is unknown or they pass: query first, then retry with the same partner_trade_no.
_RETRY = {None, "SYSTEMERROR", "SEND_FAILED", "FREQ_LIMIT", "20003", "20100"}


def classify_pay(errcode: str | None, errmsg: str | None = None) -> Literal["retry", "permanent"]:
    """"retry": unknown outcome or a passing condition (no answer, SYSTEMERROR, SEND_FAILED,
    FREQ_LIMIT, a bill still being made, an answer whose sign did not verify (errmsg
    SIGN_MISMATCH): what happened is unknown): query before retrying a transfer, with the same
    partner_trade_no. "permanent": a person must act (NOTENOUGH: top up; AMOUNT_LIMIT, the
    platform's SIGNERROR (our key is wrong), FATAL_ERROR, NOT_FOUND, 20002 ...)."""
    if errcode == "SIGNERROR" and errmsg == SIGN_MISMATCH:
        return "retry"
    return "retry" if errcode in _RETRY else "permanent"


def is_not_found(error: CallError) -> bool:
    """The query says the platform has no such transfer: a retry with the same number is safe."""
    return error.errcode in ("NOT_FOUND", "ORDERNOTEXIST")


def describe_pay(errcode: str | None, errmsg: str | None = None) -> str:
    """A message in Chinese for the finance staff."""
    if errcode is None:
        return f"微信支付暂时无法访问（{errmsg}），付款结果未知，请先查询" if errmsg else "微信支付暂时无法访问，付款结果未知，请先查询"
    text = _MESSAGES.get(str(errcode))
    if text is not None:
        return text
    return f"微信支付返回错误 {errcode}：{errmsg}" if errmsg else f"微信支付返回错误 {errcode}"


def _xml(response) -> dict:
    if response is None:
        return {}
    try:
        response.encoding = "utf-8-sig"
        data = xmltodict.parse(response.text).get("xml")
    except Exception:  # noqa: BLE001 - no readable body: the caller sees the missing keys
        return {}
    return dict(data) if isinstance(data, dict) else {}


def pay_call_error(e: WeChatPayException) -> CallError:
    """The CallError a WeChatPayException stands for (calls.translated() uses it too)."""
    response = getattr(e, "response", None)
    body = _xml(response)
    status = getattr(response, "status_code", None)
    code = e.errcode or body.get("err_code") or body.get("error_code")
    msg = str(e.errmsg or body.get("err_code_des") or e.return_msg or body.get("return_msg") or "")
    if e.return_code is None and (status is None or status >= 300):
        code = None  # no usable answer
    elif code is None and ("签名" in msg or msg.lower().startswith("sign")):
        code = "SIGNERROR"
    elif code is None:
        code = e.result_code or e.return_code
    code = _SYNONYMS.get(str(code), str(code)) if code is not None else None
    return CallError(code, msg, body=body, http_status=status)


@contextlib.contextmanager
def pay_translated() -> Iterator[None]:
    """Run WeChatPay calls; a failure leaves as CallError (chained, for the log)."""
    try:
        yield
    except WeChatPayException as e:
        raise pay_call_error(e) from e


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(str(text).strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@contextlib.contextmanager
def _client(creds: PayCredentials, base_url: str | None) -> Iterator[PayClient]:
    client = make_pay_client(creds, base_url)
    try:
        yield client
    finally:
        client.close()


def transfer(
    creds: PayCredentials,
    *,
    partner_trade_no: str,
    openid: str,
    amount_fen: int,
    desc: str,
    check_name: str = "NO_CHECK",
    re_user_name: str | None = None,
    base_url: str | None = None,
    client_ip: str = "127.0.0.1",
) -> TransferResult:
    """POST mmpaymkttransfers/promotion/transfers. The platform pays a partner_trade_no once: a repeat
    with the same payee and amount answers the first payment again. SUCCESS or CallError; on a
    "retry" error (classify_pay) query before trying again with the same partner_trade_no."""
    if int(amount_fen) <= 0:
        raise ValueError("amount_fen must be positive")
    with pay_translated(), _client(creds, base_url) as client:
        data = client.transfer.transfer(
            openid, int(amount_fen), desc, client_ip=client_ip, check_name=check_name,
            real_name=re_user_name, out_trade_no=partner_trade_no,
        )
    return TransferResult(
        state="SUCCESS",
        partner_trade_no=str(data.get("partner_trade_no") or partner_trade_no),
        payment_no=data.get("payment_no"),
        payment_time=_when(data.get("payment_time")),
        amount_fen=int(amount_fen),
    )


def query_transfer(creds: PayCredentials, partner_trade_no: str, base_url: str | None = None) -> TransferResult:
    """POST mmpaymkttransfers/gettransferinfo: the transfer's state; CallError NOT_FOUND when the
    platform has none under that number (is_not_found)."""
    with pay_translated(), _client(creds, base_url) as client:
        data = client.transfer.query(partner_trade_no)
    state = str(data.get("status") or "PROCESSING").upper()
    if state not in ("SUCCESS", "FAILED", "PROCESSING"):
        state = "PROCESSING"
    return TransferResult(
        state=state,  # type: ignore[arg-type]
        partner_trade_no=str(data.get("partner_trade_no") or partner_trade_no),
        payment_no=data.get("detail_id") or data.get("payment_no"),
        payment_time=_when(data.get("payment_time") or data.get("transfer_time")),
        amount_fen=_int(data.get("payment_amount")),
        reason=data.get("reason") or None,
    )


def download_fundflow(
    creds: PayCredentials, bill_date: date, account_type: str = "Basic", base_url: str | None = None
) -> str:
    """POST pay/downloadfundflow (signed HMAC-SHA256, as wechatpy does for this call): the fund-flow
    bill of `bill_date` as CSV text (cms.payments.bill.parse_fundflow reads it). CallError "20002"
    for a day without movements, "20001" for a bad parameter."""
    with pay_translated(), _client(creds, base_url) as client:
        result = client.tools.download_fundflow(bill_date, account_type)
    if isinstance(result, dict):  # an XML answer that says SUCCESS is not a bill
        raise CallError("20100", "the fund-flow answer held no bill", body=result)
    return str(result)
