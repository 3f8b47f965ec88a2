"""A channel's platform clients (wechatpy's, through cms.platforms): the base URL (the sandbox under
`make run`), the shared token storage, the credentials decrypted only here, and the connection test's
call (C17)."""
from __future__ import annotations

import time

from flask import current_app
from flask_babel import gettext as _

from cms.channels.models import (
    Channel,
)
from cms.errors import Refused
from cms.extensions import db

REAL_WECHAT_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"


SANDBOX_PATHS = {"wechat": "mp/cgi-bin/", "toutiao": "toutiao/open/v1/"}


def token_storage():
    """The shared wechatpy session storage (CMS_TOKEN_STORAGE_URL: the database, or Redis), one per
    app and process, with its read cache (CMS_TOKEN_CACHE_SECONDS)."""
    from cms.platforms import storage_for

    app = current_app._get_current_object()
    url = app.config.get("TOKEN_STORAGE_URL") or ""
    seconds = float(app.config.get("TOKEN_CACHE_SECONDS") or 0)
    cached = app.extensions.get("cms_token_storage")
    if cached is None or cached[0] != (url, seconds):
        cached = ((url, seconds), storage_for(url, db.engine, cache_seconds=seconds))
        app.extensions["cms_token_storage"] = cached
    return cached[1]


def forget_tokens(app_id: str) -> None:
    storage = token_storage()
    for key in (f"{app_id}_access_token", f"{app_id}_access_token_expires_at",
                f"toutiao_{app_id}_access_token", f"toutiao_{app_id}_access_token_expires_at"):
        storage.delete(key)


def sandbox_base(platform: str) -> str | None:
    """The mounted sandbox's base URL for `platform` when CMS_SANDBOX is on, else None."""
    config = current_app.config
    if not config.get("SANDBOX") or platform not in SANDBOX_PATHS:
        return None
    root = config.get("SANDBOX_URL") or "http://127.0.0.1:5000/"
    return root.rstrip("/") + "/" + SANDBOX_PATHS[platform]


def api_base_url(channel: Channel) -> str:
    """The API root a channel's client calls: the channel's own override, else (CMS_SANDBOX on) the
    sandbox, else CMS_WECHAT_API_BASE_URL / CMS_TOUTIAO_API_BASE_URL, else the real host ("" for the
    Toutiao-style platform, which has none)."""
    if channel.api_base_url:
        return channel.api_base_url
    sandbox = sandbox_base(channel.platform)
    if sandbox:
        return sandbox
    if channel.platform == "wechat":
        return current_app.config.get("WECHAT_API_BASE_URL") or REAL_WECHAT_BASE_URL
    if channel.platform == "toutiao":
        return current_app.config.get("TOUTIAO_API_BASE_URL") or ""
    return ""


def _credentials(channel: Channel, platform: str) -> tuple[str, str]:
    if channel.platform != platform:
        raise Refused(_("Channel %(name)s is not on this platform.", name=channel.name), code="invalid")
    secret = channel.secret()
    if not channel.app_id or not secret:
        raise Refused(_("Channel %(name)s has no AppID or AppSecret yet.", name=channel.name), code="C17")
    return channel.app_id, secret


def mp_client(channel: Channel, *, timeout: float | None = None, shared_refresh: bool = True):
    """A wechatpy client (cms.platforms.MPClient) for a WeChat channel: stable_token, the channel's
    base URL, tokens in the shared storage, refreshed under its lock."""
    from cms.platforms import make_mp_client, share_refresh

    app_id, secret = _credentials(channel, "wechat")
    client = make_mp_client(app_id, secret, base_url=api_base_url(channel), session=token_storage(),
                            timeout=timeout or current_app.config.get("PLATFORM_TIMEOUT", 10))
    return share_refresh(client) if shared_refresh else client


def toutiao_client(channel: Channel, *, timeout: float | None = None, shared_refresh: bool = True):
    """A cms.platforms.ToutiaoClient for a Toutiao-style channel, on the shared token storage."""
    from cms.platforms import ToutiaoClient, share_refresh

    app_id, secret = _credentials(channel, "toutiao")
    base = api_base_url(channel)
    if not base:
        raise Refused(_("No API base URL for the Toutiao-style platform: set CMS_TOUTIAO_API_BASE_URL "
                        "or the channel's own."), code="invalid")
    client = ToutiaoClient(app_id, secret, base, session=token_storage(),
                           timeout=timeout or current_app.config.get("PLATFORM_TIMEOUT", 10))
    return share_refresh(client) if shared_refresh else client


def platform_answer(channel: Channel) -> tuple[bool, str]:
    from cms.platforms import CallError, ToutiaoError, describe, describe_toutiao, translated

    if channel.platform == "website":
        return False, _("A website channel publishes on this site: there is no platform to connect to.")
    if not channel.has_secret or not channel.app_id:
        return False, _("Enter the AppID and the AppSecret first.")
    try:
        if channel.platform == "wechat":
            client = mp_client(channel, shared_refresh=False)
            # Always ask the platform (not the stored token): this is what proves the AppSecret.
            with translated():
                result = client.fetch_access_token()
            expires_in = int(result.get("expires_in") or 0)
        else:
            client = toutiao_client(channel, shared_refresh=False)
            client.fetch_access_token()
            expires_in = round((client.session.get(client.expires_at_key) or 0) - time.time())
    except Refused as e:
        return False, e.message
    except CallError as e:
        return False, _refusal_text(channel, e.errcode, e.errmsg, describe)
    except ToutiaoError as e:
        return False, _refusal_text(channel, e.errcode, e.errmsg, describe_toutiao)
    return True, _("Connected: the platform issued an access token valid for %(n)d seconds.", n=max(expires_in, 0))


def _refusal_text(channel: Channel, errcode, errmsg, describe_code) -> str:
    """The connection test's answer when the platform refused or did not answer, in Chinese."""
    if errcode is None:
        return _("The platform did not answer at %(url)s: %(text)s", url=api_base_url(channel),
                 text=describe_code(None, errmsg))
    return _("The platform answered %(code)s (%(errmsg)s): %(text)s", code=errcode, errmsg=errmsg,
             text=describe_code(errcode, errmsg))
