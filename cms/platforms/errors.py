"""What to do about a platform error code (WECHAT_API.md 3 and 7), and what to tell the user.

    classify(errcode) -> "ok" | "refresh" | "backoff" | "permanent"
      ok         success, or as good as (45065: that clientmsgid was already sent)
      refresh    fetch a new access token and retry once
      backoff    retry later (retry_delay() says when)
      permanent  give up and show describe(errcode, errmsg) to the administrator

Codes not in the table are permanent: a person should read them. errcode None (a non-2xx answer,
wechatpy's WeChatClientException(errcode=None)) is treated like "system busy".
"""

from __future__ import annotations

from typing import Literal

ErrorClass = Literal["ok", "refresh", "backoff", "permanent"]

# WECHAT_API.md 3, row by row.
_MP_CLASSES: dict[int, ErrorClass] = {
    0: "ok",
    -1: "backoff",
    40001: "refresh",
    40014: "refresh",
    42001: "refresh",
    40007: "permanent",
    40164: "permanent",
    61004: "permanent",
    89501: "backoff",
    89503: "backoff",
    89506: "permanent",
    89507: "permanent",
    45009: "backoff",
    45011: "backoff",
    45028: "permanent",
    45015: "permanent",
    45047: "permanent",
    61500: "permanent",
    61501: "permanent",
    45065: "ok",
    45066: "backoff",
    48001: "permanent",
    48003: "permanent",
    44003: "permanent",
    45002: "permanent",
    45003: "permanent",
    45004: "permanent",
    45110: "permanent",
    45166: "permanent",
    47001: "permanent",
    **{code: "permanent" for code in range(88000, 88011)},
    53500: "permanent",
    53502: "permanent",
    53503: "permanent",
    53504: "permanent",
    53505: "permanent",
    53600: "permanent",
    53501: "backoff",
}

# WECHAT_API.md 7 (our Toutiao-style contract).
_TOUTIAO_CLASSES: dict[int, ErrorClass] = {
    0: "ok",
    -1: "backoff",
    40001: "refresh",
    42001: "refresh",
    41001: "permanent",
    45009: "backoff",
    70001: "permanent",
    70002: "permanent",
    70003: "permanent",
    70004: "permanent",
    70005: "permanent",
    70006: "ok",
}

# Seconds to wait before the next try (attempt counts from 1), None when not to retry by itself.
_BACKOFF: dict[int | None, tuple[float, int]] = {  # (base delay, max attempts)
    None: (5, 3),
    -1: (5, 3),
    45009: (3600, 24),  # daily quota: hourly until the next day
    45011: (60, 5),  # per-minute quota
    45066: (60, 3),  # same clientmsgid too fast
    53501: (60, 5),  # publishing too often
    89501: (1800, 48),
    89503: (1800, 48),  # IP awaits the administrator's confirmation
}


def classify(errcode: int | None, *, token_call: bool = False) -> ErrorClass:
    """The class of an MP error code. `token_call`: the code came from `token` / `stable_token` itself,
    where 40001 means a wrong secret (permanent), not a stale token."""
    if errcode is None:
        return "backoff"
    errcode = int(errcode)
    if token_call and errcode == 40001:
        return "permanent"
    return _MP_CLASSES.get(errcode, "permanent")


def classify_toutiao(errcode: int | None) -> ErrorClass:
    if errcode is None:
        return "backoff"
    return _TOUTIAO_CLASSES.get(int(errcode), "permanent")


def retry_delay(errcode: int | None, attempt: int) -> float | None:
    """How long to wait before try `attempt + 1` of a "backoff" error; None once tries run out."""
    base, max_attempts = _BACKOFF.get(errcode, (30, 3))
    if attempt >= max_attempts:
        return None
    if errcode in (-1, None):
        return base * 2 ** (attempt - 1)  # 5, 10, 20 s
    return base


_MESSAGES: dict[int, str] = {
    -1: "微信系统繁忙，请稍后再试",
    40001: "access_token 无效或不是最新的（若在获取令牌时出现，则是 AppSecret 错误）",
    40002: "grant_type 不正确",
    40003: "OpenID 不正确或该用户未关注公众号",
    40004: "媒体文件类型不正确",
    40005: "图片格式不正确（正文图片仅支持 jpg/png，封面缩略图仅支持 jpg）",
    40007: "素材 ID 无效（封面或草稿不存在，或已被删除），请重新上传",
    40008: "消息类型不正确",
    40009: "图片大小超出限制（正文图片须小于 1MB，封面缩略图不超过 64KB）",
    40013: "AppID 无效，请检查渠道配置",
    40014: "access_token 不合法",
    40059: "群发消息 ID 无效",
    40125: "AppSecret 无效，请在渠道设置中更新",
    40164: "调用接口的服务器 IP 不在公众号的 IP 白名单中，请在公众平台「开发-基本配置」中添加",
    41001: "缺少 access_token 参数",
    41005: "缺少上传的文件",
    42001: "access_token 已过期",
    44002: "请求内容为空",
    44003: "图文内容为空（标题或正文缺失）",
    45002: "正文过长（须少于 2 万字符，含 HTML 标签）",
    45003: "标题过长（不超过 32 个字）",
    45004: "摘要过长（不超过 128 个字）",
    45005: "原文链接过长",
    45008: "图文消息的篇数超出限制（最多 8 篇）",
    45009: "接口今日调用次数已达上限",
    45011: "接口调用过于频繁，请一分钟后再试",
    45015: "已超过 48 小时回复时限，或用户已取消关注",
    45028: "本月群发次数已用完（订阅号为今日 1 次已用完）",
    45047: "客服消息条数已用完（粉丝每条消息后 48 小时内最多回复 5 条）",
    61500: "统计数据的日期格式错误（应为 YYYY-MM-DD）",
    61501: "统计数据的日期范围过长（图文数据每次 1 天，用户数据每次最多 7 天）",
    45065: "该推送已经发出过（clientmsgid 重复），不会重复群发",
    45066: "重试过快，请一分钟后再试",
    45067: "clientmsgid 过长（不超过 64 字节）",
    45110: "作者名过长（不超过 16 个字）",
    45166: "正文内容不合法",
    47001: "请求数据格式错误",
    48001: "公众号没有此接口的权限（可能未认证）",
    48003: "公众号尚未同意群发协议，请管理员在公众平台同意后再试",
    53500: "发布功能被封禁",
    53501: "发布过于频繁，请稍后再试",
    53502: "发布任务 ID 无效",
    53503: "该草稿未通过发布检查",
    53504: "需要在公众平台官网使用该草稿",
    53505: "请先在公众平台手动保存该草稿",
    53600: "文章 ID 无效",
    61004: "微信平台未登记本服务器 IP",
    88000: "该文章没有留言权限",
    88001: "该图文不存在",
    88002: "该文章因安全原因被限制留言",
    88003: "精选留言数量已达上限",
    88004: "该留言已被用户删除",
    88005: "该留言已经回复过（每条留言只能回复一次）",
    88007: "回复内容长度不符合要求",
    88008: "该留言不存在",
    88009: "该回复不存在",
    88010: "每次最多获取 49 条留言",
    89501: "服务器 IP 正在等待管理员在公众平台确认",
    89503: "服务器 IP 正在等待管理员在公众平台确认",
    89506: "管理员拒绝了本服务器 IP 的调用，24 小时内无法再次申请",
    89507: "管理员拒绝了本服务器 IP 的调用，1 小时内无法再次申请",
    # WeCom (WECHAT_API.md 5): application messages, the directory, group chats (appchat/*)
    60011: "企业微信应用没有该操作的权限（检查应用的可见范围：群聊须可见根部门）",
    60111: "企业微信通讯录中没有这个成员（userid 不存在）",
    81013: "企业微信成员、部门和标签全部无效，消息没有发给任何人",
    86003: "企业微信群聊不存在（chatid 无效）",
    86007: "企业微信群成员不合法",
    86008: "该企业微信群聊不是本应用创建的，不能修改或发消息",
    86207: "企业微信群主不在群成员列表中",
    86215: "该企业微信群聊 ID 已经存在",
    86216: "企业微信群成员中有不存在或已离职的 userid",
    86217: "发消息的成员（群主）不在群成员中",
    86220: "企业微信群聊参数不合法（群名最多 50 字，成员 2 到 2000 人，chatid 最多 32 位字母或数字）",
}

_TOUTIAO_MESSAGES: dict[int, str] = {
    -1: "头条系统繁忙，请稍后再试",
    40001: "头条 access_token 无效",
    42001: "头条 access_token 已过期",
    41001: "请求参数错误",
    45009: "头条接口调用过于频繁",
    70001: "图片不符合要求（仅支持 jpg/png，不超过 5MB，且须先上传到头条）",
    70002: "标题长度须为 2 到 30 个字",
    70003: "文章未通过头条审核",
    70004: "文章不存在",
    70005: "今日头条发文次数已用完",
    70006: "该文章已经创建过",
}


def describe(errcode: int | None, errmsg: str | None = None) -> str:
    """A message in Chinese for the administrator."""
    if errcode is None:
        return f"微信平台暂时无法访问（{errmsg}）" if errmsg else "微信平台暂时无法访问"
    text = _MESSAGES.get(int(errcode))
    if text is not None:
        return text
    return f"微信平台返回错误 {errcode}：{errmsg}" if errmsg else f"微信平台返回错误 {errcode}"


def describe_toutiao(errcode: int | None, errmsg: str | None = None) -> str:
    if errcode is None:
        return f"头条平台暂时无法访问（{errmsg}）" if errmsg else "头条平台暂时无法访问"
    text = _TOUTIAO_MESSAGES.get(int(errcode))
    if text is not None:
        return f"{text}：{errmsg}" if errcode == 70003 and errmsg else text
    return f"头条平台返回错误 {errcode}：{errmsg}" if errmsg else f"头条平台返回错误 {errcode}"
