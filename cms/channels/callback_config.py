"""A WeChat channel's server configuration (the MP console's 服务器配置): the URL its callbacks come
to, and, under `make run`, the sandbox account pointed at it. The endpoint itself is cms/callbacks."""
from __future__ import annotations

from flask import current_app

from cms.channels.models import Channel

PATH = "/wechat/callback/{channel_id}"


def callback_url(channel: Channel) -> str:
    """The URL to enter in the MP console (设置与开发 → 基本配置 → 服务器配置)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return base + PATH.format(channel_id=channel.id)


def point_sandbox(state, channel: Channel) -> None:
    """The sandbox account of a WeChat channel delivers its callbacks here (CMS_PUBLIC_BASE_URL), with
    the channel's token and EncodingAESKey, in the channel's callback mode (none chosen: safe with a
    key, else plaintext), as an administrator would set it in the MP console. A channel without a
    token: no deliveries."""
    if channel.platform != "wechat" or not channel.app_id or channel.app_id not in state.accounts:
        return
    token = channel.callback_token()
    if not token:
        state.clear_callback(channel.app_id)
        return
    key = channel.encoding_aes_key()
    mode = channel.effective_callback_mode if key else "plaintext"  # the console needs a key for the others
    state.set_callback(channel.app_id, url=callback_url(channel), token=token, encoding_aes_key=key, mode=mode)
