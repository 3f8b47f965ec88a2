"""The platform calls of the follower side (WECHAT_API.md 1.7, 1.8), through the channel's client
(cms/channels/clients.py: wechatpy only behind cms/platforms; the datacube base URL follows the
channel's, cms/platforms/wechat.py). A failure leaves as FollowerCallError with the platform's
code and a Chinese description."""
from __future__ import annotations

from datetime import date

import requests

from cms.channels.clients import mp_client
from cms.platforms.calls import CallError, translated
from cms.platforms.errors import describe


class FollowerCallError(Exception):
    def __init__(self, errcode: int | None, message: str):
        super().__init__(message)
        self.errcode, self.message = errcode, message


def _call(fn, *args):
    try:
        with translated():
            return fn(*args)
    except CallError as e:
        errmsg = e.errmsg or (f"HTTP {e.http_status}" if e.http_status else "")
        raise FollowerCallError(e.errcode, describe(e.errcode, errmsg or None)) from None
    except requests.RequestException as e:
        raise FollowerCallError(None, describe(None, type(e).__name__)) from None


def send_text(channel, openid: str, text: str) -> None:
    """message/custom/send (1.7)."""
    client = mp_client(channel)
    _call(client.message.send_text, openid, text)


def article_summary(channel, day: date) -> list[dict]:
    """getarticlesummary of one day (1.8)."""
    client = mp_client(channel)
    return list(_call(client.datacube.get_article_summary, day, day) or [])


def user_summary(channel, begin: date, end: date) -> list[dict]:
    """getusersummary, at most 7 days (1.8)."""
    client = mp_client(channel)
    return list(_call(client.datacube.get_user_summary, begin, end) or [])


def user_cumulate(channel, begin: date, end: date) -> list[dict]:
    """getusercumulate, at most 7 days (1.8)."""
    client = mp_client(channel)
    return list(_call(client.datacube.get_user_cumulate, begin, end) or [])
