"""The sandbox's data: what the platforms hold (accounts, media, drafts, publications, pushes,
comments, Toutiao articles), the errors they answer, and the rules of time and text every concern
shares. Plain data and pure functions: no lock, no clock (state.py and core.py hold those).
Codes and limits follow /work/shared/WECHAT_API.md."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cms.sandbox import callbacks

SANDBOX_SECRET = "sandbox-secret"
BEIJING = ZoneInfo("Asia/Shanghai")

DEFAULT_SETTINGS: dict[str, float | int | None] = {
    "latency_ms": 0,  # added to every API call (sleep outside the lock, so calls overlap)
    "token_expires_in": 7200,  # lifetime of a new access token, seconds
    "token_grace": 300,  # a token superseded by `GET token` keeps working this long
    "stable_renew_window": 300,  # stable_token renews the live token in its last N seconds
    "publish_delay": 0,  # freepublish: publishing (1) -> success (0) after N seconds
    "review_delay": 0,  # toutiao: reviewing -> published after N seconds
    "push_quota": None,  # None: by kind (subscription 1 per day, service 4 per calendar month)
    "token_daily_limit": 2000,  # GET token calls per day
    "force_refresh_daily_limit": 20,
    "force_refresh_interval": 30,
    "preview_daily_limit": 100,
    "toutiao_daily_quota": 100,  # Toutiao publications per day (70005 beyond)
    "callback_delay": 1.0,  # seconds from a job's end (mass send accepted, freepublish done) to its push
    "callback_retry_delay": 1.0,  # seconds between the tries of one push (3 in all)
    "callback_timeout": 5,  # seconds the platform waits for our answer (WeChat: 5)
    "followers": 1000,  # a mass send's TotalCount / SentCount
}

ACCOUNT_KINDS = ("service", "subscription")
PUBLISH_STATUS_TEXT = {
    0: "发布成功",
    1: "发布中",
    2: "原创失败",
    3: "常规失败",
    4: "平台审核不通过",
    5: "成功后用户删除所有文章",
    6: "成功后系统封禁所有文章",
}

# Article HTML as the platforms read it (drafts.py strips, toutiao_state.py checks)
IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1[^>]*>""", re.I | re.S)
SANDBOX_MEDIA = re.compile(r"/sandbox/media/([A-Za-z0-9_-]+)\.[A-Za-z0-9]+(?:$|[?#])")
SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)


class ApiError(Exception):
    """An error answer: HTTP 200 with {errcode, errmsg, **extra}."""

    def __init__(self, errcode: int, errmsg: str, **extra):
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra

    def payload(self) -> dict:
        return {"errcode": self.errcode, "errmsg": self.errmsg, **self.extra}



@dataclass
class Media:
    media_id: str
    owner: str
    kind: str  # uploadimg | image | thumb | toutiao
    data: bytes
    fmt: str  # jpg | png | gif | bmp
    url: str
    created_at: float

    @property
    def mimetype(self) -> str:
        return {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp"}[self.fmt]


@dataclass
class Draft:
    media_id: str
    appid: str
    articles: list[dict]
    create_time: int
    update_time: int
    publishing: str | None = None  # publish_id while a submit is under way
    base_url: str = ""


@dataclass
class Publish:
    publish_id: str
    appid: str
    draft_media_id: str
    articles: list[dict]
    msg_data_id: int
    submitted_at: float
    due_at: float
    outcome: int  # the status it will reach
    fail_idx: list[int]
    base_url: str
    status: int = 1
    article_id: str | None = None


@dataclass
class Article:
    """What followers see: one published (freepublish) or mass-sent news message."""

    article_id: str
    appid: str
    articles: list[dict]
    deleted: list[bool]
    msg_data_id: int
    published_at: float
    base_url: str
    source: str  # "publish" | "mass"
    publish_id: str | None = None
    msg_id: int | None = None
    banned: bool = False

    def url(self, idx: int) -> str:
        return f"{self.base_url}sandbox/articles/{self.article_id}?idx={idx}"


@dataclass
class Mass:
    msg_id: int
    msg_data_id: int
    appid: str
    media_id: str
    clientmsgid: str | None
    sent_at: float
    article_id: str
    status: str = "SEND_SUCCESS"


@dataclass
class Comment:
    user_comment_id: int
    openid: str
    content: str
    create_time: int
    comment_type: int = 0  # 1 selected (精选)
    reply: dict | None = None
    deleted: bool = False  # by the account (comment/delete)
    user_deleted: bool = False  # by the follower (88004)
    nickname: str = ""  # the sandbox's follower page only: the real comment/list gives no nickname


@dataclass
class MsgData:
    msg_data_id: int
    appid: str
    article_id: str
    open: list[bool]
    comments: list[list[Comment]]


@dataclass
class Account:
    appid: str
    secret: str
    kind: str = "service"
    name: str = ""
    materials: dict[str, Media] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    publishes: dict[str, Publish] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    masses: dict[int, Mass] = field(default_factory=dict)
    clientmsgids: dict[str, int] = field(default_factory=dict)
    pushes: list[float] = field(default_factory=list)
    previews: list[dict] = field(default_factory=list)
    token: str | None = None  # the newest `GET token` token
    stable: str | None = None  # the live stable_token token
    callback: callbacks.CallbackConfig | None = None  # the MP console's server configuration
    token_calls: list[float] = field(default_factory=list)
    force_refreshes: list[float] = field(default_factory=list)


@dataclass
class ToutiaoArticle:
    article_id: str
    app_id: str
    client_id: str | None
    title: str
    content: str
    cover_image_ids: list[str]
    abstract: str
    original: bool
    source_url: str
    created_at: float
    status: str = "draft"  # draft | reviewing | published | rejected | deleted
    publish_id: str | None = None
    review_due: float | None = None
    reject_reason: str = ""
    url: str = ""
    base_url: str = ""


@dataclass
class ToutiaoAccount:
    app_id: str
    secret: str
    name: str = ""
    images: dict[str, Media] = field(default_factory=dict)
    articles: dict[str, ToutiaoArticle] = field(default_factory=dict)
    client_ids: dict[str, str] = field(default_factory=dict)
    publishes: list[float] = field(default_factory=list)
    token: str | None = None




def sniff_image(data: bytes) -> str | None:
    """jpg / png / gif / bmp by magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] in (b"GIF8",):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    return None



def as_str(value) -> str:
    return "" if value is None else str(value)


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def beijing(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone(BEIJING)


def same_day(a: float, b: float) -> bool:
    return beijing(a).date() == beijing(b).date()


def same_month(a: float, b: float) -> bool:
    da, db = beijing(a), beijing(b)
    return (da.year, da.month) == (db.year, db.month)


def batchget_page(body: dict) -> tuple[int, int]:
    """offset and count of a batchget call (draft and freepublish share the rule: count 1-20)."""
    offset, count = body.get("offset", 0), body.get("count", 20)
    if not isinstance(offset, int) or offset < 0 or not isinstance(count, int) or not 1 <= count <= 20:
        raise ApiError(47001, "data format error hint: offset >= 0, count 1-20")
    return offset, count
