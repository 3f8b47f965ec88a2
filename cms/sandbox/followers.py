"""The sandbox's followers (WECHAT_API.md 1.7, 1.8, 2): a fake follower's text message pushed to the
account's server exactly as the platform does it (deliveries.py, callbacks.py: signed, and
encrypted in compatible and safe mode); the customer-service messages sent back
(message/custom/send: only within 48 hours of the follower's last message, 45015; at most 5
answers to a message, 45047); and the datacube figures (getarticlesummary, getusersummary,
getusercumulate): plausible, deterministic (a hash of the account, the article and the day) for
the account's published articles, with the official codes 61500 (bad date) and 61501 (range too
long: 1 day for articles, at most 7 for followers).

    state.followers.send(appid, openid, content) -> dict    the message, pushed (its delivery id)
    state.followers.redeliver(msg_id) -> delivery            the same message once more (a retry)
    state.followers.custom_send(owner, body)                 message/custom/send
    state.followers.article_summary / user_summary / user_cumulate(owner, body)
    state.followers.received / sent                          what followers sent / got, newest last
"""
from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from datetime import date, datetime, timedelta

from cms.sandbox import callbacks
from cms.sandbox.core import Core
from cms.sandbox.deliveries import Deliveries
from cms.sandbox.models import BEIJING, ApiError

WINDOW_SECONDS = 48 * 3600
ANSWERS_PER_MESSAGE = 5
ARTICLE_SPAN, USER_SPAN = 1, 7
ARTICLE_DAYS = 7  # an article has reads on the day it went out and the 6 after
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def text_message_xml(appid: str, openid: str, create_time: int, content: str, msg_id: int) -> str:
    """A follower's text message as the platform pushes it (the official sample's fields)."""
    cdata = callbacks.cdata
    return ("<xml>\n"
            f"<ToUserName>{cdata(callbacks.original_id(appid))}</ToUserName>\n"
            f"<FromUserName>{cdata(openid)}</FromUserName>\n"
            f"<CreateTime>{int(create_time)}</CreateTime>\n"
            f"<MsgType>{cdata('text')}</MsgType>\n"
            f"<Content>{cdata(content)}</Content>\n"
            f"<MsgId>{int(msg_id)}</MsgId>\n"
            "</xml>")


def _hash(*parts) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _dates(body: dict, span: int) -> tuple[date, date]:
    begin, end = body.get("begin_date"), body.get("end_date")
    try:
        if not (isinstance(begin, str) and isinstance(end, str) and _DATE.match(begin) and _DATE.match(end)):
            raise ValueError
        first, last = date.fromisoformat(begin), date.fromisoformat(end)
    except ValueError:
        raise ApiError(61500, "date format error") from None
    if last < first:
        raise ApiError(61500, "date format error: end_date before begin_date")
    if (last - first).days + 1 > span:
        raise ApiError(61501, "date range error")
    return first, last


class Followers:
    def __init__(self, core: Core, delivery: Deliveries):
        self.core = core
        self.lock = core.lock
        self.delivery = delivery

    def reset(self) -> None:
        with self.lock:
            self.received: list[dict] = []  # {appid, openid, content, msg_id, at, xml, deliveries}
            self.sent: list[dict] = []  # {appid, touser, content, at}
            self.last_message: dict[tuple[str, str], float] = {}
            self.answers: dict[tuple[str, str], int] = {}  # answers since the follower's last message
            # MsgIds unique across restarts too: the CMS keeps a message once per MsgId
            self._msg_ids = itertools.count(6000000000000000000 + secrets.randbelow(10**15) * 1000)

    # --- the follower writes ---------------------------------------------------------------------

    def send(self, appid: str, openid: str, content: str) -> dict:
        """The follower `openid` sends `content` to the account: kept, and pushed to its server (none
        configured: only kept)."""
        if not OPENID.match(openid or ""):
            raise ValueError("an openid is 1 to 64 letters, digits, - or _")
        content = (content or "").strip()
        if not content or len(content) > 600:
            raise ValueError("a message is 1 to 600 characters")
        with self.lock:
            acct = self.core.accounts.get(appid)
            if acct is None:
                raise KeyError(f"no sandbox account {appid}")
            now = int(self.core.now())
            msg_id = next(self._msg_ids)
            xml = text_message_xml(appid, openid, now, content, msg_id)
            message = {"appid": appid, "openid": openid, "content": content, "msg_id": str(msg_id), "at": now,
                       "xml": xml, "deliveries": []}
            self.received.append(message)
            del self.received[:-500]
            self.last_message[(appid, openid)] = now
            self.answers[(appid, openid)] = 0
            self._push(acct, message)
            return message

    def _push(self, acct, message: dict):
        delivery = self.delivery.push(acct, "text", message["msg_id"], message["xml"], openid=message["openid"])
        if delivery is not None:
            message["deliveries"].append(delivery.id)
        return delivery

    def redeliver(self, msg_id: str):
        """Push a message already sent once more: what WeChat does when it got no answer in time (the
        same MsgId in a new, newly signed request)."""
        with self.lock:
            message = next((m for m in self.received if m["msg_id"] == str(msg_id)), None)
            if message is None:
                raise KeyError(f"no message {msg_id}")
            return self._push(self.core.accounts[message["appid"]], message)

    # --- message/custom/send -----------------------------------------------------------------------

    def custom_send(self, owner: str, body: dict) -> dict:
        touser, msgtype = body.get("touser"), body.get("msgtype")
        text = body.get("text") if isinstance(body.get("text"), dict) else {}
        content = text.get("content")
        if not isinstance(touser, str) or not OPENID.match(touser):
            raise ApiError(40003, "invalid openid")
        if msgtype != "text":
            raise ApiError(40008, "invalid message type: the sandbox sends text only")
        if not isinstance(content, str) or not content.strip():
            raise ApiError(44003, "empty content")
        if len(content.encode("utf-8")) > 2048:
            raise ApiError(45002, "content size out of limit")
        with self.lock:
            key = (owner, touser)
            last = self.last_message.get(key)
            now = self.core.now()
            if last is None or now - last >= WINDOW_SECONDS:
                raise ApiError(45015, "response out of time limit or subscription is canceled")
            if self.answers.get(key, 0) >= ANSWERS_PER_MESSAGE:
                raise ApiError(45047, "out of response count limit")
            self.answers[key] = self.answers.get(key, 0) + 1
            self.sent.append({"appid": owner, "touser": touser, "content": content, "at": now})
            del self.sent[:-500]
            return {}

    # --- datacube ----------------------------------------------------------------------------------

    def _today(self) -> date:
        return datetime.fromtimestamp(self.core.now(), BEIJING).date()

    def article_summary(self, owner: str, body: dict) -> dict:
        """getarticlesummary: the account's articles read on the day (the day they went out and the 6
        after), each with its msgid "<msg_data_id>_<index>"."""
        day, _last = _dates(body, ARTICLE_SPAN)
        out = []
        with self.lock:
            self.core.tick()
            acct = self.core.accounts.get(owner)
            if acct is None or day >= self._today():
                return {"list": []}
            for art in sorted(acct.articles.values(), key=lambda a: (a.published_at, a.msg_data_id)):
                age = (day - datetime.fromtimestamp(art.published_at, BEIJING).date()).days
                if not 0 <= age < ARTICLE_DAYS or art.banned:
                    continue
                for index, article in enumerate(art.articles, 1):
                    if art.deleted[index - 1]:
                        continue
                    msgid = f"{art.msg_data_id}_{index}"
                    h = _hash(owner, msgid, day)
                    readers = (200 + h % 800) // (age + 1) // index
                    reads = readers + readers // 4 + h % 7
                    sharers = readers // 12 + h % 3
                    out.append({"ref_date": day.isoformat(), "msgid": msgid, "title": article.get("title", ""),
                                "int_page_read_user": readers, "int_page_read_count": reads,
                                "ori_page_read_user": readers // 20, "ori_page_read_count": readers // 18,
                                "share_user": sharers, "share_count": sharers + h % 4,
                                "add_to_fav_user": readers // 25, "add_to_fav_count": readers // 24})
        return {"list": out}

    def _days(self, owner: str, body: dict):
        first, last = _dates(body, USER_SPAN)
        with self.lock:
            if owner not in self.core.accounts:
                return []
            today = self._today()
        days = []
        day = first
        while day <= last and day < today:
            days.append(day)
            day += timedelta(days=1)
        return days

    def user_summary(self, owner: str, body: dict) -> dict:
        """getusersummary: per day the followers gained and lost, by source (0 search, 30 QR code)."""
        out = []
        for day in self._days(owner, body):
            h = _hash(owner, "users", day)
            out.append({"ref_date": day.isoformat(), "user_source": 0, "new_user": 3 + h % 20,
                        "cancel_user": h % 5})
            out.append({"ref_date": day.isoformat(), "user_source": 30, "new_user": (h >> 8) % 12,
                        "cancel_user": 0})
        return {"list": out}

    def user_cumulate(self, owner: str, body: dict) -> dict:
        """getusercumulate: the followers in all at the end of each day (the `followers` switch
        plus the net gain since 2026-01-01)."""
        base = int(self.core.setting("followers", owner))
        return {"list": [{"ref_date": day.isoformat(),
                          "cumulate_user": base + 8 * (day - date(2026, 1, 1)).days + _hash(owner, "c", day) % 8}
                         for day in self._days(owner, body)]}
