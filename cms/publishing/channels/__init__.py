"""One adapter per platform behind one interface (base.Adapter): WeChat official accounts,
Toutiao-style accounts and the website feed.

    adapter_for(channel) -> Adapter
"""
from __future__ import annotations

from cms.publishing.channels.base import Adapter, Article, PlatformError, Status
from cms.publishing.channels.toutiao import ToutiaoAdapter
from cms.publishing.channels.website import WebsiteAdapter
from cms.publishing.channels.wechat import WeChatAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    "wechat": WeChatAdapter,
    "toutiao": ToutiaoAdapter,
    "website": WebsiteAdapter,
}

__all__ = ["ADAPTERS", "Adapter", "Article", "PlatformError", "Status", "adapter_for"]


def adapter_for(channel) -> Adapter:
    try:
        return ADAPTERS[channel.platform](channel)
    except KeyError:
        raise ValueError(f"no adapter for platform {channel.platform!r}") from None
