"""The WeCom (企业微信) client: wechatpy's work WeChatClient, pointed at a base URL, for application
messages (WECHAT_API.md 5).

wechatpy hard-codes the token URL (`fetch_access_token` GETs
https://qyapi.weixin.qq.com/cgi-bin/gettoken whatever `API_BASE_URL` says) and re-fetches and re-sends
on 40001/40014/42001 recursively without bound. `WeComClient` fetches `gettoken` under `base_url`
(CMS_WECOM_API_BASE_URL; the sandbox is http://127.0.0.1:<port>/qy/cgi-bin/), with the client's
timeout, and retries a refused token once. (media.get and media.get_jssdk_media keep wechatpy's
hard-coded host; nothing here uses them.)

Tokens live in the wechatpy session storage given. wechatpy keys the token by corp id and the first
10 characters of the secret but the expiry by the corp id alone, so two applications of one corp
overwrite each other's expiry; here both keys are `wecom_{corp_id}_{sha256(secret)[:12]}_...`
(no part of the secret is stored). WeCom answers the same token to every `gettoken` within its
validity, so processes that do not share a storage do not retire each other's tokens.

    client = make_wecom_client(corp_id, secret, base_url=..., session=...)
    result = send_text_card(client, agent_id, ["zhangsan", "lisi"], title, description, url)
    result.invalid_users  -> userids WeCom did not deliver to (unknown, disabled, out of the app's range)

Group chats the application owns (appchat/*, WECHAT_API.md 5; work groups G3 G6 G7):

    chatid = create_chat(client, name, owner, userlist, chatid)
    update_chat(client, chatid, add=[...], remove=[...], name=None, owner=None)
    get_chat(client, chatid) -> {"chatid", "name", "owner", "userlist"}
    send_chat_text(client, chatid, text) / send_chat_card(client, chatid, title, description, url)

Each raises CallError (cms/platforms/calls.py; errors.describe() words the 86xxx codes) and
ValueError for what the platform would refuse anyway (names, chat ids, member counts).
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import requests
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.work import WeChatClient as _WorkClient

from cms.platforms.http import settle
from cms.platforms.retry import RetryTokenOnce, unreachable

__all__ = [
    "TEXTCARD_BTNTXT_MAX",
    "TEXTCARD_DESCRIPTION_MAX",
    "TEXTCARD_TITLE_MAX",
    "SendResult",
    "WeChatClientException",
    "WeComClient",
    "WeComTokenError",
    "classify_wecom",
    "clip_bytes",
    "client_for",
    "corp_settings",
    "create_chat",
    "get_chat",
    "make_wecom_client",
    "get_user",
    "send_chat_card",
    "send_chat_text",
    "send_text_card",
    "textcard_description",
    "update_chat",
]

REAL_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
TEXTCARD_TITLE_MAX = 128  # bytes (UTF-8); the platform cuts longer ones wherever it likes
TEXTCARD_DESCRIPTION_MAX = 512  # bytes
TEXTCARD_BTNTXT_MAX = 4  # characters
TOUSER_MAX = 1000  # userids per message/send
ALL_INVALID = 81013  # every recipient invalid (or out of the application's range)

ErrorClass = Literal["ok", "refresh", "backoff", "permanent"]
_CLASSES: dict[int, ErrorClass] = {0: "ok", -1: "backoff", 40014: "refresh", 42001: "refresh", 45009: "backoff"}


def classify_wecom(errcode: int | None, *, token_call: bool = False) -> ErrorClass:
    """WECHAT_API.md 5: -1 and 45009 back off, 40014/42001 refresh, the rest is permanent (60011,
    81013, 86xxx, ...). errcode None (no answer, a non-2xx answer) backs off. From `gettoken` itself
    40001 means a wrong secret: permanent."""
    if errcode is None:
        return "backoff"
    errcode = int(errcode)
    if errcode == 40001:
        return "permanent" if token_call else "refresh"
    return _CLASSES.get(errcode, "permanent")


class WeComTokenError(WeChatClientException):
    """`gettoken` itself refused (40001 there is a wrong secret, not a stale token: permanent) or
    could not be reached."""


class WeComClient(RetryTokenOnce, _WorkClient):
    """wechatpy's work client with a movable base URL, its own timeout on `gettoken`, storage keys
    that do not collide, and a token retry that happens once."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        base_url: str = REAL_BASE_URL,
        session: SessionStorage | None = None,
        timeout: float | None = 10,
    ):
        super().__init__(corp_id, secret, session=session, timeout=timeout)
        if not base_url.endswith("/"):
            base_url += "/"
        self.API_BASE_URL = base_url
        settle(self._http, base_url)
        self._key = f"wecom_{corp_id}_{hashlib.sha256(secret.encode()).hexdigest()[:12]}"
        self._local = threading.local()

    @property
    def access_token_key(self) -> str:
        return f"{self._key}_access_token"

    @property
    def access_token_expires_at_key(self) -> str:
        return f"{self._key}_access_token_expires_at"

    def fetch_access_token(self) -> dict:
        """GET gettoken?corpid=&corpsecret= under the base URL; keep the token in the session."""
        try:
            res = self._http.get(
                self.API_BASE_URL + "gettoken",
                params={"corpid": self.corp_id, "corpsecret": self.secret},
                timeout=self.timeout,
            )
            res.raise_for_status()
        except requests.RequestException as e:
            raise unreachable(WeComTokenError, self, e) from e
        try:
            result = res.json()
        except ValueError:
            raise WeComTokenError(
                None, "gettoken answered something that is not JSON", client=self, request=res.request, response=res
            ) from None
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise WeComTokenError(errcode, result.get("errmsg", errcode), client=self, request=res.request, response=res)
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

SANDBOX_CORP = {"corp_id": "wwsandbox0000001", "secret": "sandbox-secret", "agent_id": 1000002}


def corp_settings(config) -> dict | None:
    """{corp_id, secret, base_url} from an app's config (CMS_WECOM_CORP_ID, CMS_WECOM_SECRET,
    CMS_WECOM_API_BASE_URL), or None when WeCom is not configured. With CMS_SANDBOX on and no corp
    configured, the sandbox's corp, and the real host is never called: the base URL becomes the
    sandbox's (CMS_SANDBOX_URL + "qy/cgi-bin/"). (cms/notify reads the same settings and the agent id.)"""
    from urllib.parse import urljoin

    corp = {"corp_id": str(config.get("WECOM_CORP_ID") or ""), "secret": str(config.get("WECOM_SECRET") or "")}
    base_url = config.get("WECOM_API_BASE_URL") or REAL_BASE_URL
    if config.get("SANDBOX"):
        if not any(corp.values()):
            corp = {"corp_id": SANDBOX_CORP["corp_id"], "secret": SANDBOX_CORP["secret"]}
        if base_url == REAL_BASE_URL:
            base_url = urljoin(config.get("SANDBOX_URL") or "http://127.0.0.1:5000/", "qy/cgi-bin/")
    if not (corp["corp_id"] and corp["secret"]):
        return None
    return {**corp, "base_url": base_url}


def client_for(config, session: SessionStorage | None = None) -> WeComClient | None:
    """The WeCom client of an app's configuration (corp_settings), None when WeCom is not configured."""
    settings = corp_settings(config)
    if settings is None:
        return None
    return make_wecom_client(settings["corp_id"], settings["secret"], base_url=settings["base_url"], session=session,
                             timeout=config.get("PLATFORM_TIMEOUT", 10))


def make_wecom_client(
    corp_id: str,
    secret: str,
    *,
    base_url: str = REAL_BASE_URL,
    session: SessionStorage | None = None,
    timeout: float | None = 10,
) -> WeComClient:
    """A wechatpy work client for one WeCom application (its corp id and the application's Secret).
    `base_url`: the API root ending in "cgi-bin/" (CMS_WECOM_API_BASE_URL)."""
    return WeComClient(corp_id, secret, base_url=base_url, session=session, timeout=timeout)


def clip_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut at a character boundary so that its UTF-8 form takes at most `limit` bytes,
    ending in `ellipsis` when cut."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(ellipsis.encode("utf-8"))
    out, used = [], 0
    for ch in text:
        size = len(ch.encode("utf-8"))
        if used + size > room:
            break
        out.append(ch)
        used += size
    return "".join(out) + ellipsis


def textcard_description(lines: Iterable[tuple[str, str]], limit: int = TEXTCARD_DESCRIPTION_MAX) -> str:
    """A textcard description from (style, text) lines, style one of WeCom's div classes "gray",
    "normal", "highlight". Each text is escaped; a line that does not fit the `limit` bytes left is
    cut (ending in "…"; a cut never splits a tag or an entity), and the lines after it are dropped."""
    parts: list[str] = []
    used = 0
    for style, text in lines:
        head, tail = f'<div class="{style}">', "</div>"
        room = limit - used - len(head.encode()) - len(tail.encode())
        body = html.escape(text, quote=False)
        cut = False
        n = len(text)
        while len(body.encode("utf-8")) > room and n > 0:
            n -= 1
            body = html.escape(text[:n] + "…", quote=False)
            cut = True
        if len(body.encode("utf-8")) > room or (cut and n == 0):
            break
        parts.append(head + body + tail)
        used += len(parts[-1].encode("utf-8"))
        if cut:
            break
    return "".join(parts)


@dataclass
class SendResult:
    msgid: str = ""
    invalid_users: set[str] = field(default_factory=set)
    raw: dict = field(default_factory=dict)


def _split(value) -> set[str]:
    return {x for x in str(value or "").split("|") if x}


def send_text_card(
    client: WeComClient,
    agent_id: int,
    userids: Iterable[str],
    title: str,
    description: str,
    url: str,
    btntxt: str = "详情",
) -> SendResult:
    """POST message/send with a textcard to up to 1000 userids. The title is cut to 128 bytes, the
    button text to 4 characters (the description is the caller's: see textcard_description).
    Recipients WeCom refused come back in `invalid_users` (also those it does not license:
    `unlicenseduser`). When every one is invalid WeCom answers 81013, raised as
    CallError like any other error code (`token_call` when gettoken itself failed)."""
    users = list(dict.fromkeys(u for u in userids if u))
    if not users:
        raise ValueError("no recipients")
    if len(users) > TOUSER_MAX:
        raise ValueError(f"at most {TOUSER_MAX} recipients per message")
    from cms.platforms.calls import translated

    with translated():
        result = client.message.send_text_card(
            int(agent_id),
            users,
            clip_bytes(title, TEXTCARD_TITLE_MAX),
            clip_bytes(description, TEXTCARD_DESCRIPTION_MAX, ellipsis=""),
            url,
            btntxt=btntxt[:TEXTCARD_BTNTXT_MAX],
        )
    invalid = _split(result.get("invaliduser")) | _split(result.get("unlicenseduser"))
    return SendResult(msgid=str(result.get("msgid") or ""), invalid_users=invalid, raw=result)


# --- group chats (appchat/*) -----------------------------------------------------------------------

CHAT_NAME_MAX = 50  # characters; WeCom cuts longer names
CHAT_MEMBERS_MIN, CHAT_MEMBERS_MAX = 2, 2000
CHATID_MAX = 32
_CHATID = re.compile(r"^[0-9a-zA-Z]{1,32}$")
CHAT_TEXT_MAX = 2048  # bytes of a text message


def _userids(values: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(str(u).strip() for u in (values or ()) if u and str(u).strip()))


def _check_chatid(chatid: str) -> str:
    if not _CHATID.match(chatid or ""):
        raise ValueError(f"a chat id is 1 to {CHATID_MAX} letters or digits, not {chatid!r}")
    return chatid


def create_chat(client: WeComClient, name: str, owner: str, userlist: Iterable[str], chatid: str) -> str:
    """POST appchat/create: a group chat of 2-2000 members with `owner` among them, under our own
    `chatid` (so a retried create answers 86215 instead of making a second chat). Returns the chatid."""
    from cms.platforms.calls import translated

    users = _userids(userlist)
    owner = (owner or "").strip()
    name = (name or "").strip()
    if not name:
        raise ValueError("a chat needs a name")
    if not CHAT_MEMBERS_MIN <= len(users) <= CHAT_MEMBERS_MAX:
        raise ValueError(f"a chat has {CHAT_MEMBERS_MIN} to {CHAT_MEMBERS_MAX} members, not {len(users)}")
    if owner not in users:
        raise ValueError("the owner must be one of the members")
    with translated():
        result = client.appchat.create(chat_id=_check_chatid(chatid), name=name[:CHAT_NAME_MAX], owner=owner,
                                       user_list=users)
    return str(result.get("chatid") or chatid)


def update_chat(client: WeComClient, chatid: str, add: Iterable[str] = (), remove: Iterable[str] = (),
                name: str | None = None, owner: str | None = None) -> dict:
    """POST appchat/update: members added and removed (del_user_list: G6), a new name or owner."""
    from cms.platforms.calls import translated

    added, removed = _userids(add), _userids(remove)
    if not (added or removed or name or owner):
        raise ValueError("nothing to change")
    with translated():
        return client.appchat.update(_check_chatid(chatid), name=name[:CHAT_NAME_MAX] if name else None,
                                     owner=owner or None, add_user_list=added or None,
                                     del_user_list=removed or None)


def get_chat(client: WeComClient, chatid: str) -> dict:
    """GET appchat/get: {"chatid", "name", "owner", "userlist"}."""
    from cms.platforms.calls import translated

    with translated():
        return dict(client.appchat.get(_check_chatid(chatid)))


def send_chat_text(client: WeComClient, chatid: str, text: str) -> dict:
    """POST appchat/send, a text message (cut to 2048 bytes)."""
    from cms.platforms.calls import translated

    if not (text or "").strip():
        raise ValueError("empty message")
    with translated():
        return client.appchat.send(_check_chatid(chatid), "text", content=clip_bytes(text, CHAT_TEXT_MAX))


def send_chat_card(client: WeComClient, chatid: str, title: str, description: str, url: str,
                   btntxt: str = "详情") -> dict:
    """POST appchat/send, a textcard (title 128 bytes, description 512 bytes, button 4 characters)."""
    from cms.platforms.calls import translated

    with translated():
        return client.appchat.send(_check_chatid(chatid), "textcard", title=clip_bytes(title, TEXTCARD_TITLE_MAX),
                                   description=clip_bytes(description, TEXTCARD_DESCRIPTION_MAX, ellipsis=""),
                                   url=url, btntxt=btntxt[:TEXTCARD_BTNTXT_MAX])


# --- the directory (user/get) ----------------------------------------------------------------------

USER_ACTIVE, USER_DISABLED, USER_INACTIVE, USER_LEFT = 1, 2, 4, 5
USER_NOT_FOUND = 60111


def get_user(client: WeComClient, userid: str) -> dict:
    """GET user/get: {userid, name, department, status (1 active, 2 disabled, 4 inactive, 5 left), ...}.
    An unknown userid is CallError 60111."""
    from cms.platforms.calls import translated

    with translated():
        return dict(client.user.get(userid))
