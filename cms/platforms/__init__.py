"""The only package that imports wechatpy: platform clients, their base-URL wiring and error classes.

wechat.make_mp_client(appid, secret, base_url=..., session=..., timeout=10)  official accounts
toutiao.ToutiaoClient(app_id, app_secret, base_url, session=None)             Toutiao-style channel
errors.classify(errcode) / describe(errcode, errmsg)                          what to do, what to say
"""

from cms.platforms.errors import classify, classify_toutiao, describe, describe_toutiao, retry_delay
from cms.platforms.toutiao import ToutiaoClient, ToutiaoError
from cms.platforms.wechat import (
    APILimitedException,
    MemoryStorage,
    MPClient,
    SessionStorage,
    WeChatClientException,
    make_mp_client,
)

__all__ = [
    "APILimitedException",
    "MemoryStorage",
    "SessionStorage",
    "WeChatClientException",
    "MPClient",
    "ToutiaoClient",
    "ToutiaoError",
    "classify",
    "classify_toutiao",
    "describe",
    "describe_toutiao",
    "make_mp_client",
    "retry_delay",
]
