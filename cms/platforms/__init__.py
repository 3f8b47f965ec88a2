"""The only package that imports wechatpy: platform clients, their base-URL wiring and error classes.

wechat.make_mp_client(appid, secret, base_url=..., session=..., timeout=10)  official accounts
toutiao.ToutiaoClient(app_id, app_secret, base_url, session=None)             Toutiao-style channel
errors.classify(errcode) / describe(errcode, errmsg)                          what to do, what to say
calls.CallError / translated()                                                a failed call, never a wechatpy type
storage.storage_for(url) / DatabaseStorage / RedisStorage / share_refresh     the shared token storage
wecom.make_wecom_client(corp_id, secret, base_url=..., session=...) / send_text_card   WeCom app messages
callbacks.check_signature / decrypt / parse                                    WeChat → us (cms/callbacks)
pay.transfer / query_transfer / download_fundflow (PayCredentials)            WeChat Pay v2 (CallError, describe_pay)
"""

from cms.platforms.calls import CallError, translated
from cms.platforms.errors import classify, classify_toutiao, describe, describe_toutiao, retry_delay
from cms.platforms.pay import (
    PayCredentials,
    TransferResult,
    classify_pay,
    describe_pay,
    download_fundflow,
    make_pay_client,
    query_transfer,
    transfer,
)
from cms.platforms.storage import DatabaseStorage, RedisStorage, share_refresh, storage_for
from cms.platforms.toutiao import ToutiaoClient, ToutiaoError
from cms.platforms.wechat import (
    MemoryStorage,
    MPClient,
    SessionStorage,
    make_mp_client,
)
from cms.platforms.wecom import WeComClient, classify_wecom, make_wecom_client, send_text_card

__all__ = [
    "CallError",
    "PayCredentials",
    "TransferResult",
    "classify_pay",
    "describe_pay",
    "download_fundflow",
    "make_pay_client",
    "query_transfer",
    "transfer",
    "DatabaseStorage",
    "MemoryStorage",
    "RedisStorage",
    "SessionStorage",
    "MPClient",
    "ToutiaoClient",
    "ToutiaoError",
    "classify",
    "classify_toutiao",
    "describe",
    "describe_toutiao",
    "make_mp_client",
    "retry_delay",
    "translated",
    "WeComClient",
    "classify_wecom",
    "make_wecom_client",
    "send_text_card",
    "share_refresh",
    "storage_for",
]
