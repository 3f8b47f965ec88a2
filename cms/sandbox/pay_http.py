"""WeChat Pay v2 over HTTP in the sandbox: POST /mch/mmpaymkttransfers/promotion/transfers,
/mch/mmpaymkttransfers/gettransferinfo and /mch/pay/downloadfundflow (XML in, XML or the bill's CSV
out), the page /sandbox/pay/ (merchants, transfers, bills, the anomaly switch), a day's bill as text
at /sandbox/pay/bill/<mch_id>/<YYYYMMDD>, /sandbox/pay/state.json and

    POST /sandbox/pay/control   (JSON; all keys optional, applied in this order)
        {"reset": true,                                   (only the Pay part)
         "add_merchant": {"mch_id", "api_key"?, "appid"?, "balance_fen"?, "name"?, "max_amount_fen"?,
                          "daily_sendnum"?},
         "set_balance": {"mch_id", "balance_fen"},
         "fail_next": {"err_code", "path"?: "promotion/transfers", "times"?, "applied"?, "mch_id"?},
         "bad_sign": {"times": 1},
         "add_movement": {"mch_id", "when": "2026-12-07 10:00:00" (Beijing), "amount_fen", "note"?,
                          "voucher_no"?, "direction"?: "支出"|"收入"},
         "plant": {"mch_id", "date": "2026-12-07", "kind": "unmatched_line"|"amount_differs"|"missing_line"}}
      → {"ok": true} or HTTP 400 {"ok": false, "error": "..."}

The page's forms post to /sandbox/pay/form (the same switches). The shared switches apply too:
latency, `inject_fault("pay/downloadfundflow", http_status=500)` or an errcode such as "SYSTEMERROR"
(answered before the call does anything).
"""

from __future__ import annotations

import json
import secrets
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, redirect, render_template_string, request, url_for

from cms.sandbox.http import json_response
from cms.sandbox.models import BEIJING
from cms.sandbox.pay import ERR_DES, KINDS, SANDBOX_PAY_KEY, PayError, PayState, sign, yuan

if TYPE_CHECKING:
    from cms.sandbox.state import SandboxState

PREFIX = "/mch/"
CALLS = {
    "mmpaymkttransfers/promotion/transfers": "transfer",
    "mmpaymkttransfers/gettransferinfo": "query",
    "pay/downloadfundflow": "fundflow",
}


def parse_xml(raw: bytes) -> dict:
    """The <xml> request's fields as strings, exactly as sent (the sign covers them)."""
    if not raw.strip():
        raise PayError("post 数据为空")
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise PayError("XML 格式错误（不接受 DTD）")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise PayError("XML 格式错误") from None
    if root.tag != "xml":
        raise PayError("XML 格式错误（根元素须为 xml）")
    return {child.tag: child.text or "" for child in root}


def to_xml(data: dict) -> str:
    parts = ["<xml>"]
    for key, value in data.items():
        if value is None:
            continue
        value = str(value)
        if value.isdigit():
            parts.append(f"<{key}>{value}</{key}>")
        else:
            parts.append(f"<{key}><![CDATA[{value.replace(']]>', ']]]]><![CDATA[>')}]]></{key}>")
    parts.append("</xml>")
    return "".join(parts)


def xml_response(data: dict) -> Response:
    return Response(to_xml(data), mimetype="text/xml", headers={"Cache-Control": "no-store"})


def _refusal(call: str, error: PayError) -> dict:
    if call != "fundflow" and error.err_code:
        return {"return_code": "SUCCESS", "return_msg": error.message, "result_code": "FAIL",
                "err_code": error.err_code, "err_code_des": error.message}
    return {"return_code": "FAIL", "return_msg": error.message, "error_code": error.error_code or error.err_code}


def handle(state: SandboxState, pay: PayState, call: str, raw: bytes) -> Response:
    try:
        params = parse_xml(raw)
    except PayError as e:
        return xml_response({"return_code": "FAIL", "return_msg": e.message})
    mch_id = params.get("mchid") or params.get("mch_id")
    if not mch_id:
        return xml_response({"return_code": "FAIL", "return_msg": "缺少参数 mch_id"})
    sign_type = params.get("sign_type") or "MD5"
    with pay.lock:
        merchant = pay.merchants.get(mch_id)
        if merchant is None and params.get("sign") == sign(params, SANDBOX_PAY_KEY, sign_type):
            merchant = pay.add_merchant(mch_id)
    if merchant is None or params.get("sign") != sign(params, merchant.api_key, sign_type):
        return xml_response(_refusal(call, PayError("签名错误", err_code="SIGN_ERROR")))

    def signed(data: dict) -> Response:
        data = {"nonce_str": secrets.token_hex(16), **data}
        value = sign(data, merchant.api_key, sign_type)
        data["sign"] = "0" * 32 if pay.take_bad_sign() else value
        return xml_response(data)

    fault = state.switches.take_fault(request.path, mch_id)
    if fault is not None:
        if fault.http_status is not None:
            return Response(f"sandbox: injected HTTP {fault.http_status}\n", status=fault.http_status,
                            mimetype="text/plain")
        code = str(fault.errcode)
        error = PayError(fault.errmsg or ERR_DES.get(code, "injected fault"), err_code=code, error_code=code)
        return signed(_refusal(call, error)) if call != "fundflow" else xml_response(_refusal(call, error))
    planned = pay.take_failure(request.path, mch_id)
    try:
        if planned is not None and not planned.applied:
            raise PayError(planned.err_code_des, err_code=planned.err_code, error_code=planned.err_code)
        result = getattr(pay, call)(params)
        if planned is not None:
            raise PayError(planned.err_code_des, err_code=planned.err_code, error_code=planned.err_code)
    except PayError as e:
        return signed(_refusal(call, e)) if call != "fundflow" else xml_response(_refusal(call, e))
    if isinstance(result, str):  # the bill
        return Response(result, mimetype="text/plain", headers={"Cache-Control": "no-store"})
    return signed({"return_code": "SUCCESS", "return_msg": "", "result_code": "SUCCESS", **result})


def _day(value) -> date:
    """"2026-12-07" or "20261207"."""
    text = str(value).strip()
    return date.fromisoformat(text) if "-" in text else datetime.strptime(text, "%Y%m%d").date()


def _when(value) -> datetime:
    """"2026-12-07 10:00[:00]" in Beijing time."""
    text = str(value).strip().replace("T", " ")
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)


def apply_control(pay: PayState, body) -> dict:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(body) - {"reset", "add_merchant", "set_balance", "fail_next", "bad_sign", "add_movement", "plant"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    try:
        if body.get("reset"):
            pay.reset()
        if "add_merchant" in body:
            m = body["add_merchant"]
            pay.add_merchant(m["mch_id"], m.get("api_key") or SANDBOX_PAY_KEY, m.get("appid"),
                             balance_fen=m.get("balance_fen"), name=m.get("name", ""),
                             max_amount_fen=m.get("max_amount_fen"), daily_sendnum=m.get("daily_sendnum"))
        if "set_balance" in body:
            pay.set_balance(body["set_balance"]["mch_id"], int(body["set_balance"]["balance_fen"]))
        if "fail_next" in body:
            f = body["fail_next"]
            pay.fail_next(f["err_code"], path=f.get("path", "promotion/transfers"), times=f.get("times", 1),
                          applied=f.get("applied", False), mch_id=f.get("mch_id"))
        if "bad_sign" in body:
            pay.corrupt_next_sign(int((body["bad_sign"] or {}).get("times", 1)))
        if "add_movement" in body:
            m = body["add_movement"]
            pay.add_movement(m["mch_id"], _when(m["when"]), int(m["amount_fen"]), m.get("note", ""),
                             m.get("voucher_no", ""), direction=m.get("direction", "支出"))
        if "plant" in body:
            p = body["plant"]
            pay.plant(p["mch_id"], _day(p["date"]), p["kind"])
    except (KeyError, TypeError) as e:
        raise ValueError(f"{type(e).__name__}: {e}") from e
    return {"ok": True}


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>微信支付沙箱</title></head>
<body style="margin:0;background:#f2f2f2;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#222;">
<div style="max-width:1100px;margin:0 auto;padding:16px;font-size:13px;">
  <h1 style="font-size:20px;margin:8px 0 4px;">微信支付沙箱</h1>
  <p style="color:#666;margin:0 0 12px;"><a href="{{ url_for('sandbox.index') }}">← 平台沙箱</a> ·
    接口 <code>/mch/</code>（企业付款到零钱、查询付款、资金账单），只用于开发和测试。
    任意商户号用 API 密钥 <code>{{ default_key }}</code> 签名即可使用。</p>
  {% if error %}<p style="color:#c00;">{{ error }}</p>{% endif %}
  <h2 style="font-size:17px;">商户</h2>
  <table style="background:#fff;border-collapse:collapse;width:100%;">
    <tr><th align="left">商户号</th><th align="left">名称</th><th align="left">AppID</th><th align="right">余额（元）</th><th align="left">账单</th></tr>
    {% for m in pay.merchants.values() %}
    <tr><td>{{ m.mch_id }}</td><td>{{ m.name }}</td><td>{{ m.appid or '任意' }}</td><td align="right">{{ yuan(pay.balance(m.mch_id)) }}</td>
      <td>{% for d in pay.bill_days(m.mch_id) %}<a href="{{ url_for('sandbox.pay_bill', mch_id=m.mch_id, day=d.strftime('%Y%m%d')) }}">{{ d.isoformat() }}</a> {% endfor %}</td></tr>
    {% else %}<tr><td colspan="5" style="color:#888;">还没有商户。</td></tr>{% endfor %}
  </table>
  <h2 style="font-size:17px;">企业付款（{{ pay.transfers|length }}）</h2>
  <table style="background:#fff;border-collapse:collapse;width:100%;">
    <tr><th align="left">时间</th><th align="left">商户号</th><th align="left">商户订单号</th><th align="left">付款单号</th><th align="left">OpenID</th><th align="right">金额（元）</th><th align="left">说明</th></tr>
    {% for t in pay.transfers.values()|reverse %}
    <tr><td>{{ t.at|sandbox_time }}</td><td>{{ t.mch_id }}</td><td>{{ t.partner_trade_no }}</td><td>{{ t.payment_no }}</td><td>{{ t.openid }}</td><td align="right">{{ yuan(t.amount_fen) }}</td><td>{{ t.desc }}</td></tr>
    {% else %}<tr><td colspan="7" style="color:#888;">还没有付款。</td></tr>{% endfor %}
  </table>
  {% if pay.plants %}<h2 style="font-size:17px;">已埋入账单的异常</h2><ul>
    {% for p in pay.plants %}<li>{{ p.mch_id }} {{ p.day.isoformat() }}：{{ kind_text[p.kind] }}</li>{% endfor %}</ul>{% endif %}
  <h2 style="font-size:17px;">开关</h2>
  {% set field = 'style="margin:2px 6px 2px 0;"' %}
  <form method="post" action="{{ url_for('sandbox.pay_form') }}" style="background:#fff;padding:8px;margin-bottom:8px;">
    <input type="hidden" name="action" value="add_merchant"><strong>添加商户</strong>
    <input name="mch_id" placeholder="商户号" required {{ field|safe }}><input name="api_key" placeholder="API 密钥（留空用默认）" {{ field|safe }}>
    <input name="appid" placeholder="AppID（可空）" {{ field|safe }}><input name="balance_fen" placeholder="余额（分）" {{ field|safe }}>
    <button>添加</button></form>
  <form method="post" action="{{ url_for('sandbox.pay_form') }}" style="background:#fff;padding:8px;margin-bottom:8px;">
    <input type="hidden" name="action" value="set_balance"><strong>设置余额</strong>
    <input name="mch_id" placeholder="商户号" required {{ field|safe }}><input name="balance_fen" placeholder="余额（分）" required {{ field|safe }}>
    <button>设置</button></form>
  <form method="post" action="{{ url_for('sandbox.pay_form') }}" style="background:#fff;padding:8px;margin-bottom:8px;">
    <input type="hidden" name="action" value="plant"><strong>在账单中埋入异常</strong>
    <input name="mch_id" placeholder="商户号" required {{ field|safe }}><input name="date" type="date" required {{ field|safe }}>
    <select name="kind" {{ field|safe }}>{% for k in kinds %}<option value="{{ k }}">{{ kind_text[k] }}</option>{% endfor %}</select>
    <button>埋入</button></form>
  <form method="post" action="{{ url_for('sandbox.pay_form') }}" style="background:#fff;padding:8px;margin-bottom:8px;">
    <input type="hidden" name="action" value="add_movement"><strong>手工记一笔资金变动</strong>
    <input name="mch_id" placeholder="商户号" required {{ field|safe }}><input name="when" placeholder="2026-12-07 10:00:00" required {{ field|safe }}>
    <input name="amount_fen" placeholder="金额（分）" required {{ field|safe }}><input name="note" placeholder="备注" {{ field|safe }}>
    <input name="voucher_no" placeholder="业务凭证号" {{ field|safe }}>
    <select name="direction" {{ field|safe }}><option>支出</option><option>收入</option></select><button>记入</button></form>
  <form method="post" action="{{ url_for('sandbox.pay_form') }}" style="background:#fff;padding:8px;margin-bottom:8px;">
    <input type="hidden" name="action" value="fail_next"><strong>下一次付款失败</strong>
    <select name="err_code" {{ field|safe }}>{% for c in ('SYSTEMERROR', 'NOTENOUGH', 'AMOUNT_LIMIT', 'SENDNUM_LIMIT', 'FREQ_LIMIT') %}<option>{{ c }}</option>{% endfor %}</select>
    <label><input type="checkbox" name="applied" value="1"> 付款已完成但应答报错</label> <button>设置</button></form>
</div></body></html>
"""

KIND_TEXT = {"unmatched_line": "多出一笔无对应付款的支出", "amount_differs": "一笔付款金额不符", "missing_line": "漏掉一笔付款"}


def register(bp: Blueprint, state: SandboxState) -> None:
    pay: PayState = state.pay

    for path, call in CALLS.items():
        def view(call=call):
            latency = state.setting("latency_ms")
            if latency:
                state.pause(latency / 1000)
            state.record_call(request.path, None)
            return handle(state, pay, call, request.get_data())

        bp.add_url_rule(PREFIX + path, endpoint="pay_" + path.replace("/", "_"), view_func=view, methods=["POST"])

    @bp.route("/mch/<path:rest>", methods=["GET", "POST"], endpoint="pay_not_emulated")
    def not_emulated(rest: str):
        return xml_response({"return_code": "FAIL", "return_msg": f"the sandbox does not emulate {request.path}"})

    def page(error: str = "", status: int = 200):
        with pay.lock:
            html = render_template_string(PAGE, pay=pay, yuan=yuan, kinds=KINDS, kind_text=KIND_TEXT,
                                          default_key=SANDBOX_PAY_KEY, error=error)
        return Response(html, status=status, mimetype="text/html")

    bp.add_url_rule("/sandbox/pay/", endpoint="pay", view_func=page)

    @bp.route("/sandbox/pay/bill/<mch_id>/<day>", endpoint="pay_bill")
    def bill(mch_id: str, day: str):
        try:
            text = pay.bill_text(mch_id, datetime.strptime(day, "%Y%m%d").date()) if mch_id in pay.merchants else None
        except ValueError:
            abort(404)
        if text is None:
            abort(404)
        return Response(text, mimetype="text/plain")

    @bp.route("/sandbox/pay/state.json", endpoint="pay_state_json")
    def state_json():
        return json_response(pay.snapshot())

    @bp.route("/sandbox/pay/control", methods=["POST"], endpoint="pay_control")
    def control():
        try:
            body = json.loads(request.get_data() or b"{}")
            return json_response(apply_control(pay, body))
        except ValueError as e:
            return json_response({"ok": False, "error": str(e)}, status=400)

    @bp.route("/sandbox/pay/form", methods=["POST"], endpoint="pay_form")
    def form():
        f = request.form
        action = f.get("action", "")
        fields = {k: v for k, v in f.items() if k != "action" and v != ""}
        for key in ("balance_fen", "amount_fen"):
            if key in fields:
                try:
                    fields[key] = int(fields[key])
                except ValueError:
                    return page(f"{key} 须为整数（分）", 400)
        if action == "fail_next":
            fields["applied"] = fields.get("applied") == "1"
        if action not in ("add_merchant", "set_balance", "plant", "add_movement", "fail_next"):
            return page("未知操作", 400)
        try:
            apply_control(pay, {action: fields})
        except ValueError as e:
            return page(str(e), 400)
        return redirect(url_for("sandbox.pay"))
