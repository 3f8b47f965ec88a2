"""The WeCom (企业微信) API under /qy/cgi-bin/ (WECHAT_API.md 5): gettoken, message/send, user/get,
appchat/* (wecom_chats.py);
and its page /sandbox/wecom/ (the messages the applications sent), /sandbox/wecom/state.json and
POST /sandbox/wecom/control.

Corps appear on first use of any corpid whose secret is "sandbox-secret" (any agentid, any userid).
`state.wecom.add_corp(corpid, secret, agentid=...)` fixes the secret and the one application that
may send; `state.wecom.add_user(corpid, userid, name, status=1)` registers members, and from the
first one on only registered, active (status 1) members receive: the others come back in
`invaliduser`, and 81013 when nobody is left. The shared switches of `SandboxState` apply here too:
latency, `inject_fault("message/send", errcode=-1)` (or the full path "/qy/cgi-bin/message/send"),
`expire_tokens()`, `advance()`, `token_expires_in`.

    POST /sandbox/wecom/control
        {"reset": true,                       (only the WeCom part)
         "add_corp": {"corpid", "secret"?, "agentid"?, "name"?},
         "add_user": {"corpid", "userid", "name"?, "status"?},
         "strict_lengths": true}
      → {"ok": true} or HTTP 400 {"ok": false, "error": "..."}

Lengths: the platform cuts a textcard title over 128 bytes, a description over 512 bytes and a
button text over 4 characters without complaint (wechatpy's docstring and WeCom's documentation say
"超过会自动截断"); the sandbox does the same and marks the message "truncated". With
`strict_lengths` on it refuses such a message with 40058 instead, so tests can prove the CMS stays
within the limits.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Blueprint, render_template_string, request

from cms.sandbox import wecom_chats
from cms.sandbox.http import add_api, json_response
from cms.sandbox.models import SANDBOX_SECRET, ApiError

if TYPE_CHECKING:
    from cms.sandbox.state import SandboxState

PREFIX = "/qy/cgi-bin/"
PLATFORM = "wecom"
TITLE_MAX, DESCRIPTION_MAX, BTNTXT_MAX, URL_MAX, TOUSER_MAX = 128, 512, 4, 2048, 1000
TEXT_MAX = 2048  # bytes of a text message
MSGTYPES = ("text", "textcard", "markdown")
USER_STATUS_TEXT = {1: "已激活", 2: "已禁用", 4: "未激活", 5: "已退出"}


@dataclass
class WeComUser:
    userid: str
    name: str
    status: int = 1  # 1 active, 2 disabled, 4 inactive, 5 left


@dataclass
class Corp:
    corpid: str
    secret: str
    agentid: int | None = None  # None: any agentid sends (a corp made on first use)
    name: str = ""
    users: dict[str, WeComUser] = field(default_factory=dict)  # empty: every userid is a member
    token: str | None = None


@dataclass
class SentMessage:
    msgid: str
    corpid: str
    agentid: int
    msgtype: str
    content: dict
    touser: list[str]  # delivered to
    invaliduser: list[str]
    invalidparty: list[str]
    invalidtag: list[str]
    sent_at: float
    truncated: list[str]  # the fields the platform cut


class WeComState:
    """The WeCom part of the sandbox. It shares the `SandboxState`'s lock, clock, tokens (platform
    "wecom", owner = corpid) and switches, and is reset with it."""

    def __init__(self, parent: SandboxState):
        self.parent = parent
        self.lock = parent.lock
        self.chats = wecom_chats.WeComChats(self)  # appchat/* (wecom_chats.py)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.corps: dict[str, Corp] = {}
            self.messages: list[SentMessage] = []
            self.strict_lengths = False
            self._msgids = itertools.count(1)
            self.chats.reset()

    # --- corps and members ---------------------------------------------------------------------

    def add_corp(
        self, corpid: str, secret: str = SANDBOX_SECRET, *, agentid: int | None = None, name: str = ""
    ) -> Corp:
        with self.lock:
            corp = self.corps.get(corpid)
            users = corp.users if corp is not None else {}
            corp = Corp(corpid, secret, int(agentid) if agentid is not None else None, name or f"沙箱企业 {corpid}")
            corp.users = users
            self.corps[corpid] = corp
            return corp

    def add_user(self, corpid: str, userid: str, name: str = "", status: int = 1) -> WeComUser:
        """Register a member; from the first one on, only registered members receive messages."""
        if int(status) not in USER_STATUS_TEXT:
            raise ValueError(f"status is one of {sorted(USER_STATUS_TEXT)}")
        with self.lock:
            corp = self.corps.get(corpid) or self.add_corp(corpid)
            user = WeComUser(userid, name or userid, int(status))
            corp.users[userid] = user
            return user

    def _member(self, corp: Corp, userid: str) -> WeComUser | None:
        if not corp.users:
            return WeComUser(userid, userid)
        return corp.users.get(userid)

    # --- tokens --------------------------------------------------------------------------------

    def gettoken(self, corpid: str | None, secret: str | None) -> dict:
        """GET gettoken: the live token again while it lasts (WeCom does not rotate on a repeat
        call), a new one once it has expired or been revoked."""
        with self.lock:
            if not corpid:
                raise ApiError(41002, "corpid missing")
            if not secret:
                raise ApiError(41004, "corpsecret missing")
            corp = self.corps.get(corpid)
            if corp is None:
                if secret != SANDBOX_SECRET:
                    raise ApiError(40013, "invalid corpid")
                corp = self.add_corp(corpid, secret)
            if secret != corp.secret:
                raise ApiError(40001, "invalid credential: corpsecret is wrong")
            now = self.parent.now()
            live = self.parent.auth.live(corp.token)
            if live is None:
                live = self.parent.auth.issue(PLATFORM, corp.corpid, "gettoken")
                corp.token = live.value
            return {"access_token": live.value, "expires_in": int(live.expires_at - now)}

    def check_token(self, value: str | None) -> Corp:
        """The corp of a usable token, else 41001 missing / 40014 invalid / 42001 expired."""
        with self.lock:
            if not value:
                raise ApiError(41001, "access_token missing")
            tok = self.parent.auth.tokens.get(value)
            if tok is None or tok.platform != PLATFORM or tok.owner not in self.corps:
                raise ApiError(40014, "invalid access_token")
            now = self.parent.now()
            if now >= tok.expires_at:
                raise ApiError(42001, "access_token expired")
            if tok.revoked_at is not None and now >= tok.revoked_at:
                raise ApiError(40014, "invalid access_token")
            return self.corps[tok.owner]

    # --- message/send --------------------------------------------------------------------------

    def _limit(self, content: dict, key: str, limit: int, truncated: list[str], *, chars: bool = False) -> None:
        value = content.get(key)
        if value is None:
            return
        value = str(value)
        size = len(value) if chars else len(value.encode("utf-8"))
        if size <= limit:
            return
        if self.strict_lengths:
            unit = "characters" if chars else "bytes"
            raise ApiError(40058, f"invalid parameter: {key} longer than {limit} {unit}")
        if chars:
            content[key] = value[:limit]
        else:
            content[key] = value.encode("utf-8")[:limit].decode("utf-8", "ignore")
        truncated.append(key)

    def message_send(self, token: str | None, body: dict) -> dict:
        with self.lock:
            corp = self.check_token(token)
            agentid = body.get("agentid")
            if agentid in (None, ""):
                raise ApiError(41011, "agentid missing")
            try:
                agentid = int(agentid)
            except (TypeError, ValueError):
                raise ApiError(40056, "invalid agentid") from None
            if corp.agentid is not None and agentid != corp.agentid:
                raise ApiError(40056, "invalid agentid: this access_token belongs to another application")
            msgtype = body.get("msgtype")
            if msgtype not in MSGTYPES:
                raise ApiError(40008, f"invalid message type (the sandbox takes {', '.join(MSGTYPES)})")
            content = body.get(msgtype)
            if not isinstance(content, dict):
                raise ApiError(40058, f"invalid parameter: {msgtype} must be an object")
            content = dict(content)
            truncated: list[str] = []
            if msgtype == "textcard":
                for key in ("title", "description", "url"):
                    if not str(content.get(key) or "").strip():
                        raise ApiError(40058, f"invalid parameter: textcard.{key} missing")
                self._limit(content, "title", TITLE_MAX, truncated)
                self._limit(content, "description", DESCRIPTION_MAX, truncated)
                self._limit(content, "btntxt", BTNTXT_MAX, truncated, chars=True)
                if len(str(content["url"]).encode()) > URL_MAX:
                    raise ApiError(40058, "invalid parameter: textcard.url too long")
                if not str(content["url"]).startswith(("http://", "https://")):
                    raise ApiError(40058, "invalid parameter: textcard.url must be http(s)")
            else:
                if not str(content.get("content") or "").strip():
                    raise ApiError(44004, "empty content")
                self._limit(content, "content", TEXT_MAX, truncated)
            touser = [u for u in str(body.get("touser") or "").split("|") if u.strip()]
            toparty = [p for p in str(body.get("toparty") or "").split("|") if p.strip()]
            totag = [t for t in str(body.get("totag") or "").split("|") if t.strip()]
            if not (touser or toparty or totag):
                raise ApiError(40058, "invalid parameter: touser, toparty and totag are all empty")
            if len(touser) > TOUSER_MAX:
                raise ApiError(40058, f"invalid parameter: at most {TOUSER_MAX} touser")
            if touser == ["@all"]:
                delivered = [u.userid for u in corp.users.values() if u.status == 1]
                invalid: list[str] = []
            else:
                delivered, invalid = [], []
                for userid in dict.fromkeys(u.strip() for u in touser):
                    member = self._member(corp, userid)
                    (delivered if member is not None and member.status == 1 else invalid).append(userid)
            # The sandbox has no departments or tags: every one named is invalid.
            extra = {
                "invaliduser": "|".join(invalid),
                "invalidparty": "|".join(toparty),
                "invalidtag": "|".join(totag),
                "unlicenseduser": "",
            }
            if not delivered:
                raise ApiError(81013, "user & party & tag all invalid", **extra)
            msg = SentMessage(
                msgid=f"SBX_qy_msg_{next(self._msgids)}",
                corpid=corp.corpid,
                agentid=agentid,
                msgtype=msgtype,
                content=content,
                touser=delivered,
                invaliduser=invalid,
                invalidparty=toparty,
                invalidtag=totag,
                sent_at=self.parent.now(),
                truncated=truncated,
            )
            self.messages.append(msg)
            return {**extra, "msgid": msg.msgid}

    # --- user/get ------------------------------------------------------------------------------

    def user_get(self, token: str | None, userid: str | None) -> dict:
        with self.lock:
            corp = self.check_token(token)
            if not userid:
                raise ApiError(41009, "userid missing")
            member = self._member(corp, userid)
            if member is None:
                raise ApiError(60111, "userid not found")
            return {
                "userid": member.userid,
                "name": member.name,
                "department": [1],
                "main_department": 1,
                "position": "",
                "is_leader_in_dept": [0],
                "direct_leader": [],
                "status": member.status,
            }

    # --- views for the page and tests ----------------------------------------------------------

    def messages_to(self, userid: str) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.messages if userid in m.touser]

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "strict_lengths": self.strict_lengths,
                "corps": [
                    {
                        "corpid": c.corpid,
                        "name": c.name,
                        "agentid": c.agentid,
                        "users": [vars(u).copy() for u in c.users.values()],
                    }
                    for c in self.corps.values()
                ],
                "messages": [vars(m).copy() for m in self.messages],
                "chats": [{**vars(c), "messages": [vars(m).copy() for m in c.messages]}
                          for c in self.chats.chats.values()],
            }


def apply_control(wecom: WeComState, body) -> dict:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(body) - {"reset", "add_corp", "add_user", "strict_lengths"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    try:
        if body.get("reset"):
            wecom.reset()
        if "add_corp" in body:
            c = body["add_corp"]
            wecom.add_corp(c["corpid"], c.get("secret", SANDBOX_SECRET), agentid=c.get("agentid"), name=c.get("name", ""))
        if "add_user" in body:
            u = body["add_user"]
            wecom.add_user(u["corpid"], u["userid"], u.get("name", ""), u.get("status", 1))
        if "strict_lengths" in body:
            with wecom.lock:
                wecom.strict_lengths = bool(body["strict_lengths"])
    except (KeyError, TypeError) as e:
        raise ValueError(f"{type(e).__name__}: {e}") from e
    return {"ok": True}


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业微信沙箱</title></head>
<body style="margin:0;background:#f2f2f2;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#222;">
<div style="max-width:960px;margin:0 auto;padding:16px;">
  <h1 style="font-size:20px;margin:8px 0 4px;">企业微信沙箱</h1>
  <p style="color:#666;font-size:13px;margin:0 0 12px;"><a href="{{ url_for('sandbox.index') }}">← 平台沙箱</a> ·
    应用消息接口 <code>/qy/cgi-bin/</code>，只用于开发和测试。任意 corpid 配密钥 <code>sandbox-secret</code> 即可使用。
    {% if wecom.strict_lengths %}· 严格长度校验已开启{% endif %}</p>
  {% for c in wecom.corps.values() %}
  <div style="background:#fff;border-radius:8px;padding:10px 14px;margin-bottom:12px;font-size:13px;color:#555;">
    <strong>{{ c.name }}</strong> {{ c.corpid }} · 应用 {{ c.agentid if c.agentid is not none else '任意' }} ·
    成员：{% for u in c.users.values() %}{{ u.name }}（{{ u.userid }}，{{ status_text[u.status] }}）{% if not loop.last %}、{% endif %}{% else %}任意 userid{% endfor %}
  </div>
  {% endfor %}
  <h2 style="font-size:17px;margin:16px 0 8px;">应用消息（{{ wecom.messages|length }}）</h2>
  {% for m in wecom.messages|reverse %}
  <div style="background:#fff;border-radius:8px;padding:12px 14px;margin-bottom:10px;max-width:420px;">
    {% if m.msgtype == 'textcard' %}
    <div style="font-size:16px;font-weight:bold;margin-bottom:6px;">{{ m.content.title }}</div>
    <div style="font-size:14px;color:#444;">{{ m.content.description|striptags }}</div>
    <div style="border-top:1px solid #eee;margin-top:8px;padding-top:6px;font-size:13px;">
      <a href="{{ m.content.url }}">{{ m.content.btntxt or '详情' }}</a></div>
    {% else %}
    <div style="font-size:14px;white-space:pre-wrap;">{{ m.content.content }}</div>
    {% endif %}
    <div style="font-size:12px;color:#999;margin-top:6px;">{{ m.sent_at|sandbox_time }} · {{ m.msgid }} · 应用 {{ m.agentid }} ·
      发给 {{ m.touser|join('、') }}{% if m.invaliduser %} · 无效成员 {{ m.invaliduser|join('、') }}{% endif %}
      {% if m.truncated %} · 被截断：{{ m.truncated|join('、') }}{% endif %}</div>
  </div>
  {% else %}<p style="color:#888;">还没有应用消息。</p>{% endfor %}
""" + wecom_chats.PAGE_SECTION + """
</div></body></html>
"""


def register(bp: Blueprint, state: SandboxState) -> None:
    wecom: WeComState = state.wecom

    def api(rule, handler, **kw):
        # Token checks are WeCom's own (40014, not MP's 40001): done in the handlers.
        add_api(bp, state, PREFIX, PLATFORM, rule, handler, auth=False, **kw)

    api("gettoken", lambda c: wecom.gettoken(c.args.get("corpid"), c.args.get("corpsecret")), methods=("GET",))
    api("message/send", lambda c: state.wecom.message_send(c.args.get("access_token"), c.body))
    api(
        "user/get",
        lambda c: state.wecom.user_get(c.args.get("access_token"), c.args.get("userid")),
        methods=("GET",),
    )
    wecom_chats.register(api, wecom.chats)

    @bp.route("/qy/<path:rest>", methods=["GET", "POST"], endpoint="wecom_not_emulated")
    def not_emulated(rest: str):
        return json_response(
            ApiError(48002, f"api forbidden hint: the sandbox does not emulate {request.path}").payload()
        )

    @bp.route("/sandbox/wecom/", endpoint="wecom")
    def page():
        with state.lock:
            return render_template_string(PAGE, wecom=state.wecom, status_text=USER_STATUS_TEXT,
                                          chats=list(state.wecom.chats.chats.values()))

    @bp.route("/sandbox/wecom/state.json", endpoint="wecom_state_json")
    def state_json():
        return json_response(state.wecom.snapshot())

    @bp.route("/sandbox/wecom/control", methods=["POST"], endpoint="wecom_control")
    def control():
        try:
            body = json.loads(request.get_data() or b"{}")
            return json_response(apply_control(state.wecom, body))
        except ValueError as e:
            return json_response({"ok": False, "error": str(e)}, status=400)
