"""WeCom group chats an application owns (appchat/create, update, get, send under /qy/cgi-bin/;
WECHAT_API.md 5), the sandbox's part of them. `state.wecom.chats` holds them per corp; the
/sandbox/wecom/ page lists each chat, its members and what was said in it.

Rules, as the contract states them (codes marked (unconfirmed) are the sandbox's best reading):
- create: `name` at most 50 characters (longer is cut, as WeCom does; refused with 86220 when
  `strict_lengths` is on), `userlist` 2-2000 members of the corp (a registered member who is not
  active, or an unknown userid: 86216), `owner` one of them (86207; none named: the first),
  `chatid` at most 32 letters or digits (else 86220; none given: one is made), a chatid taken: 86215;
- update / get / send: an unknown chatid is 86003 (unconfirmed); a chat another application made
  (`add_chat(..., app="other")`, as if made in another app) is 86008; update adds (86216 for a bad
  member), removes, renames and moves the owner (the owner must stay a member: 86207);
- send: text or textcard (markdown too); the owner, in whose name the group sees the message, must
  still be an active member of the corp, else 86217 (unconfirmed).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cms.sandbox.models import ApiError

if TYPE_CHECKING:
    from cms.sandbox.wecom import WeComState

NAME_MAX, MEMBERS_MIN, MEMBERS_MAX = 50, 2, 2000
CHATID = re.compile(r"^[0-9a-zA-Z]{1,32}$")
OUR_APP = "api"  # chats made through appchat/create; "other": made by another application


@dataclass
class ChatMessage:
    msgid: str
    msgtype: str
    content: dict
    sent_at: float


@dataclass
class Chat:
    corpid: str
    chatid: str
    name: str
    owner: str
    userlist: list[str]
    app: str = OUR_APP
    created_at: float = 0.0
    messages: list[ChatMessage] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # what happened to it, for the page


class WeComChats:
    def __init__(self, wecom: WeComState):
        self.wecom = wecom
        self.lock = wecom.lock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.chats: dict[tuple[str, str], Chat] = {}
            self._ids = itertools.count(1)

    # --- for tests and the page ------------------------------------------------------------------

    def add_chat(self, corpid: str, chatid: str, name: str, owner: str, userlist: list[str],
                 app: str = "other") -> Chat:
        """A chat as if made elsewhere (another application: update/send answer 86008)."""
        with self.lock:
            chat = Chat(corpid, chatid, name, owner, list(userlist), app, self.wecom.parent.now())
            self.chats[(corpid, chatid)] = chat
            return chat

    def get(self, corpid: str, chatid: str) -> Chat | None:
        with self.lock:
            return self.chats.get((corpid, chatid))

    def of_corp(self, corpid: str) -> list[Chat]:
        with self.lock:
            return [c for (corp, _id), c in self.chats.items() if corp == corpid]

    # --- the API -------------------------------------------------------------------------------

    def _members(self, corp, userids, *, code: int = 86216) -> list[str]:
        if not isinstance(userids, list) or not all(isinstance(u, str) for u in userids):
            raise ApiError(86220, "invalid parameter: a user list is a list of userids")
        users = list(dict.fromkeys(u.strip() for u in userids if u.strip()))
        bad = [u for u in users if (m := self.wecom._member(corp, u)) is None or m.status != 1]
        if bad:
            raise ApiError(code, f"invalid chat member userid: {', '.join(bad)}")
        return users

    def _own(self, corp, chatid) -> Chat:
        if not chatid:
            raise ApiError(86003, "chatid missing or unknown")
        chat = self.chats.get((corp.corpid, str(chatid)))
        if chat is None:
            raise ApiError(86003, f"chat {chatid} not found")
        if chat.app != OUR_APP:
            raise ApiError(86008, f"chat {chatid} was created by another application")
        return chat

    def create(self, token: str | None, body: dict) -> dict:
        with self.lock:
            corp = self.wecom.check_token(token)
            name = str(body.get("name") or "").strip()
            if not name:
                raise ApiError(86220, "invalid parameter: name missing")
            if len(name) > NAME_MAX:
                if self.wecom.strict_lengths:
                    raise ApiError(86220, f"invalid parameter: name longer than {NAME_MAX} characters")
                name = name[:NAME_MAX]
            users = self._members(corp, body.get("userlist"))
            if not MEMBERS_MIN <= len(users) <= MEMBERS_MAX:
                raise ApiError(86220, f"invalid parameter: a chat has {MEMBERS_MIN} to {MEMBERS_MAX} members")
            owner = str(body.get("owner") or users[0])
            if owner not in users:
                raise ApiError(86207, "the owner is not in the user list")
            chatid = body.get("chatid")
            chatid = str(chatid) if chatid else f"sbxchat{next(self._ids)}"
            if not CHATID.match(chatid):
                raise ApiError(86220, "invalid parameter: chatid is at most 32 letters or digits")
            if (corp.corpid, chatid) in self.chats:
                raise ApiError(86215, f"chatid {chatid} exists")
            chat = Chat(corp.corpid, chatid, name, owner, users, OUR_APP, self.wecom.parent.now())
            chat.changes.append(f"创建：{len(users)} 人，群主 {owner}")
            self.chats[(corp.corpid, chatid)] = chat
            return {"chatid": chatid}

    def update(self, token: str | None, body: dict) -> dict:
        with self.lock:
            corp = self.wecom.check_token(token)
            chat = self._own(corp, body.get("chatid"))
            added = self._members(corp, body.get("add_user_list") or [])
            removed_ask = body.get("del_user_list") or []
            if not isinstance(removed_ask, list):
                raise ApiError(86220, "invalid parameter: del_user_list is a list of userids")
            removed = [u for u in dict.fromkeys(str(u) for u in removed_ask) if u in chat.userlist]
            users = [u for u in chat.userlist if u not in removed] + [u for u in added if u not in chat.userlist]
            if len(users) > MEMBERS_MAX:
                raise ApiError(86220, f"invalid parameter: at most {MEMBERS_MAX} members")
            owner = str(body.get("owner") or chat.owner)
            if owner not in users:
                raise ApiError(86207, "the owner is not in the user list")
            name = str(body.get("name") or "").strip()[:NAME_MAX] or chat.name
            new = [u for u in added if u not in chat.userlist]
            chat.userlist, chat.owner = users, owner
            if new:
                chat.changes.append(f"加入：{'、'.join(new)}")
            if removed:
                chat.changes.append(f"移出：{'、'.join(removed)}")
            if name != chat.name:
                chat.changes.append(f"改名：{chat.name} → {name}")
                chat.name = name
            return {}

    def info(self, token: str | None, chatid: str | None) -> dict:
        with self.lock:
            chat = self._own(self.wecom.check_token(token), chatid)
            return {"chat_info": {"chatid": chat.chatid, "name": chat.name, "owner": chat.owner,
                                  "userlist": list(chat.userlist)}}

    def send(self, token: str | None, body: dict) -> dict:
        with self.lock:
            corp = self.wecom.check_token(token)
            chat = self._own(corp, body.get("chatid"))
            msgtype = body.get("msgtype")
            if msgtype not in ("text", "textcard", "markdown"):
                raise ApiError(40008, "invalid message type (the sandbox takes text, textcard, markdown)")
            content = body.get(msgtype)
            if not isinstance(content, dict):
                raise ApiError(40058, f"invalid parameter: {msgtype} must be an object")
            content = {k: v for k, v in content.items() if v is not None}
            keys = ("title", "description", "url") if msgtype == "textcard" else ("content",)
            for key in keys:
                if not str(content.get(key) or "").strip():
                    raise ApiError(40058, f"invalid parameter: {msgtype}.{key} missing")
            owner = self.wecom._member(corp, chat.owner)
            if owner is None or owner.status != 1:
                raise ApiError(86217, "the sender (the chat's owner) is not a member")
            msg = ChatMessage(f"SBX_qy_chat_{next(self._ids)}", msgtype, content, self.wecom.parent.now())
            chat.messages.append(msg)
            return {}


def register(api, chats: WeComChats) -> None:
    """The four routes, through wecom.register's `api(rule, handler, **kw)`."""
    api("appchat/create", lambda c: chats.create(c.args.get("access_token"), c.body))
    api("appchat/update", lambda c: chats.update(c.args.get("access_token"), c.body))
    api("appchat/get", lambda c: chats.info(c.args.get("access_token"), c.args.get("chatid")), methods=("GET",))
    api("appchat/send", lambda c: chats.send(c.args.get("access_token"), c.body))


PAGE_SECTION = """
  <h2 style="font-size:17px;margin:16px 0 8px;">群聊（{{ chats|length }}）</h2>
  {% for chat in chats %}
  <div style="background:#fff;border-radius:8px;padding:12px 14px;margin-bottom:10px;">
    <div style="font-size:16px;font-weight:bold;">{{ chat.name }}
      <span style="font-size:12px;color:#999;font-weight:normal;">{{ chat.chatid }} · {{ chat.corpid }}
      {% if chat.app != 'api' %}· 其他应用创建{% endif %}</span></div>
    <div style="font-size:13px;color:#555;margin:4px 0;">群主 {{ chat.owner }} · 成员 {{ chat.userlist|length }} 人：{{ chat.userlist|join('、') }}</div>
    {% if chat.changes %}<div style="font-size:12px;color:#888;">{{ chat.changes|join(' · ') }}</div>{% endif %}
    {% for m in chat.messages %}
    <div style="border-left:3px solid #07c160;padding:4px 8px;margin-top:6px;font-size:14px;">
      {% if m.msgtype == 'textcard' %}<strong>{{ m.content.title }}</strong><br>{{ m.content.description|striptags }}
        <a href="{{ m.content.url }}">{{ m.content.btntxt or '详情' }}</a>
      {% else %}<span style="white-space:pre-wrap;">{{ m.content.content }}</span>{% endif %}
      <span style="font-size:12px;color:#999;">{{ m.sent_at|sandbox_time }}</span></div>
    {% endfor %}
  </div>
  {% else %}<p style="color:#888;">还没有群聊。</p>{% endfor %}
"""
