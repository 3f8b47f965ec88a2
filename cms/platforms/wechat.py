"""The official-account client: wechatpy's WeChatClient, pointed at a base URL and fed by stable_token.

wechatpy hard-codes the token host (`WeChatClient.fetch_access_token` GETs
https://api.weixin.qq.com/cgi-bin/token) and several API groups' hosts (datacube and others are class
attributes). `make_mp_client` moves all of them to `base_url`, so the same code talks to the real
platform or to the sandbox. Tokens come from `stable_token` (it does not rotate when several
processes ask, unlike `token`) and live in the wechatpy session storage given, so every process
sharing that storage shares the token.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from urllib.parse import urljoin

import requests
from wechatpy import WeChatClient
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.exceptions import APILimitedException, WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from cms.platforms.http import settle
from cms.platforms.retry import RetryTokenOnce, unreachable

__all__ = [
    "APILimitedException",
    "MemoryStorage",
    "MPClient",
    "SessionStorage",
    "WeChatClientException",
    "make_mp_client",
]

REAL_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
REAL_ROOT = "https://api.weixin.qq.com/"


class MPClient(RetryTokenOnce, WeChatClient):
    """WeChatClient with a movable base URL, stable_token, and a token retry that happens once.

    wechatpy re-fetches the token and re-sends on 40001/40014/42001 recursively without bound; here
    a call is retried once (WECHAT_API.md 3: "refresh token, retry once"). When stable_token hands
    back the very token the platform just refused, the refresh is forced (force_refresh=true; the
    platform allows 20 a day, 30 s apart)."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = REAL_BASE_URL,
        session: SessionStorage | None = None,
        timeout: float | None = 10,
    ):
        super().__init__(appid, secret, session=session, timeout=timeout)
        if not base_url.endswith("/"):
            base_url += "/"
        self.API_BASE_URL = base_url
        settle(self._http, base_url)
        self._local = threading.local()
        root = urljoin(base_url, "../")  # https://api.weixin.qq.com/ for the real host
        if root != REAL_ROOT:
            # datacube (and every other group with a hard-coded host) follows the base URL:
            # https://api.weixin.qq.com/datacube/ -> <root>/datacube/, e.g. .../mp/datacube/ in the sandbox.
            # (Look names up on the class: reading the instance's properties would fetch a token.)
            for name in dir(type(self)):
                if not isinstance(getattr(type(self), name, None), BaseWeChatAPI):
                    continue
                api = getattr(self, name)  # the per-client instance wechatpy made in __new__
                url = getattr(api, "API_BASE_URL", None)
                if isinstance(url, str) and url.startswith(REAL_ROOT):
                    api.API_BASE_URL = root + url[len(REAL_ROOT) :]

    def fetch_access_token(self, force_refresh: bool = False) -> dict:
        """POST stable_token and keep the token the way wechatpy does (session keys
        `{appid}_access_token` and `{appid}_access_token_expires_at`)."""
        payload = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret,
            "force_refresh": force_refresh,
        }
        try:
            res = self._http.post(
                self.API_BASE_URL + "stable_token",
                data=json.dumps(payload).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
            res.raise_for_status()
        except requests.RequestException as e:
            raise unreachable(WeChatClientException, self, e) from e
        try:
            result = res.json()
        except ValueError:
            raise WeChatClientException(
                None,
                "stable_token answered something that is not JSON",
                client=self,
                request=res.request,
                response=res,
            ) from None
        errcode = int(result.get("errcode") or 0)
        if errcode:
            cls = APILimitedException if errcode == 45009 else WeChatClientException
            raise cls(errcode, result.get("errmsg", errcode), client=self, request=res.request, response=res)
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def refresh_refused(self, refused: str | None) -> None:
        """When stable_token hands back the very token the platform just refused, force a refresh
        (force_refresh=true; the platform allows 20 a day, 30 s apart); over that limit the retry
        fails and says so."""
        fresh = self.fetch_access_token().get("access_token")
        if fresh == refused:
            with contextlib.suppress(WeChatClientException):
                self.fetch_access_token(force_refresh=True)


def make_mp_client(
    appid: str,
    secret: str,
    *,
    base_url: str = REAL_BASE_URL,
    session: SessionStorage | None = None,
    timeout: float | None = 10,
) -> MPClient:
    """A wechatpy client for one official account.

    `base_url`: the API root ending in "cgi-bin/" (CMS_WECHAT_API_BASE_URL; the sandbox is
    http://127.0.0.1:<port>/mp/cgi-bin/). `session`: any wechatpy SessionStorage (shared storage in
    production; MemoryStorage in tests). Upload files as (name, bytes, mime) tuples, not open files:
    a token retry re-sends the same request, and a read file would go out empty."""
    return MPClient(appid, secret, base_url=base_url, session=session, timeout=timeout)
