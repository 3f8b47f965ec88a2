"""A failed platform call as the rest of the code sees it: CallError, never a wechatpy type.

Code outside cms/platforms neither imports nor catches wechatpy's exceptions: it runs a client's
calls inside `translated()` (or calls a platforms function that does) and catches CallError."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from wechatpy.exceptions import WeChatClientException, WeChatPayException


class CallError(Exception):
    """`errcode` is the platform's code (None: no usable answer, e.g. an HTTP error or no JSON; WeChat
    Pay's codes are text: "NOTENOUGH", "20002");
    `errmsg` its message; `body` the JSON answer when there was one; `http_status` the HTTP
    status when there was a response; `token_call` when the token call itself failed (WeCom's
    gettoken: a 40001 there is a wrong secret)."""

    def __init__(self, errcode: int | None, errmsg: str = "", *, body: dict | None = None,
                 http_status: int | None = None, token_call: bool = False):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode, self.errmsg, self.body = errcode, errmsg, body or {}
        self.http_status, self.token_call = http_status, token_call


def _code(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _body(response) -> dict:
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - no readable body: the caller sees the missing keys
        return {}
    return body if isinstance(body, dict) else {}


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Run platform calls; a wechatpy error leaves as CallError (chained, for the log)."""
    from cms.platforms.wecom import WeComTokenError

    try:
        yield
    except WeChatClientException as e:
        if isinstance(e, WeChatPayException):  # codes are text there ("NOTENOUGH"): pay.py reads them
            from cms.platforms.pay import pay_call_error

            raise pay_call_error(e) from e
        response = getattr(e, "response", None)
        raise CallError(_code(e.errcode), str(e.errmsg) if e.errmsg is not None else "",
                        body=_body(response) if response is not None else None,
                        http_status=getattr(response, "status_code", None),
                        token_call=isinstance(e, WeComTokenError)) from e
