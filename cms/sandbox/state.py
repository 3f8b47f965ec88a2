"""The sandbox's memory: accounts, tokens, media, drafts, publications, pushes, comments, Toutiao
articles, the switches (latency, token expiry, injected faults), and each account's server
configuration with the callbacks delivered to it (callbacks.py).

Everything lives in one `SandboxState` guarded by one re-entrant lock. The methods that serve an
API call take plain data, return the JSON body of a success and raise `ApiError` for an error, so
the HTTP layer (mp.py, toutiao.py) only parses and answers, and tests can drive the same rules
directly. Codes and limits follow /work/shared/WECHAT_API.md.

Time is `state.now()`: the real clock plus an offset that `advance()` moves, so tests can age
tokens, quotas and publications without sleeping (time-machine works too).
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from datetime import datetime

from cms.sandbox import callbacks
from cms.sandbox.comments import Comments
from cms.sandbox.core import Core
from cms.sandbox.deliveries import Deliveries
from cms.sandbox.drafts import Drafts
from cms.sandbox.faults import Switches
from cms.sandbox.mass import MassSend
from cms.sandbox.media import MediaStore
from cms.sandbox.models import (
    BEIJING,
    IMG_SRC,
    SANDBOX_MEDIA,
    SANDBOX_SECRET,
    SCRIPT,
    ApiError,
    Article,
    Draft,
    ToutiaoAccount,
    ToutiaoArticle,
    as_str,
    same_day,
    sniff_image,
)
from cms.sandbox.publishing import Publishing
from cms.sandbox.tokens import Auth
from cms.sandbox.wecom import WeComState

__all__ = ["SandboxState", "ApiError", "SANDBOX_SECRET"]

TOUTIAO_IMAGE_MAX = 5 * 1024 * 1024


class _Delegate:
    """`state.<name>` is `state.<part>.<attr>` (attr: the same name unless given), so the old names
    tests call keep working while each concern lives in its own module (issue 14)."""

    def __init__(self, part: str, attr: str | None = None):
        self.part, self.attr = part, attr

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = self.attr or name

    def __get__(self, obj, objtype=None):
        return self if obj is None else getattr(getattr(obj, self.part), self.attr)


class SandboxState(Core):
    """All sandbox state. Thread-safe: every public method holds `self.lock`."""

    def __init__(self, clock: Callable[[], float] = time.time):
        super().__init__(clock)
        self.auth = Auth(self)  # logins and access tokens (tokens.py)
        self.switches = Switches(self)  # injected faults, planned outcomes (faults.py)
        # the accounts' servers and the callbacks pushed to them (deliveries.py, callbacks.py)
        self.delivery = Deliveries(self, start=lambda delivery: callbacks.start(self, delivery))
        self.media = MediaStore(self)  # images of every platform (media.py)
        self.draft = Drafts(self, self.media)  # the draft boxes (drafts.py)
        self.freepublish = Publishing(self, self.draft, self.switches, self.delivery)  # (publishing.py)
        self.mass = MassSend(self, self.draft, self.switches, self.delivery)  # mass sends (mass.py)
        self.comment = Comments(self)  # comment threads (comments.py)
        self.wecom = WeComState(self)  # WeCom (wecom.py)
        self.on_tick(self._finish_due_reviews)
        self.reset()

    # --- housekeeping -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: accounts, tokens, content, switches, the clock offset."""
        with self.lock:
            self.reset_core()
            self.auth.reset()
            self.media.reset()
            self.switches.reset()
            self.delivery.reset()
            self._ids = itertools.count(1)
            self.mass.reset()
            self.comment.reset()
            self.wecom.reset()

    # --- the names tests and pages.py call: each is an attribute of one concern -----------------

    tokens = _Delegate("auth")  # {token value: Token}
    expire_tokens = _Delegate("auth", "expire")
    faults = _Delegate("switches")
    inject_fault = _Delegate("switches")
    clear_faults = _Delegate("switches")
    fail_next_publish = _Delegate("switches")
    fail_next_mass = _Delegate("switches")
    reject_next_toutiao = _Delegate("switches")
    reset_quota = _Delegate("switches")
    deliveries = _Delegate("delivery")  # the latest 500 pushes (callbacks.Delivery)
    set_callback = _Delegate("delivery")
    clear_callback = _Delegate("delivery")
    wait_deliveries = _Delegate("delivery")
    note_attempt = _Delegate("delivery")  # callbacks.run reports to these two
    finish_delivery = _Delegate("delivery")
    image = _Delegate("media")
    set_publish_status = _Delegate("freepublish")
    push_quota = _Delegate("mass")
    pushes_used = _Delegate("mass")
    add_comment = _Delegate("comment")
    user_delete_comment = _Delegate("comment")
    comments_of = _Delegate("comment")

    # --- background progress ------------------------------------------------------------------

    def _finish_due_reviews(self, now: float) -> None:
        for tacct in self.toutiao_accounts.values():
            for art in tacct.articles.values():
                if art.status == "reviewing" and art.review_due is not None and now >= art.review_due:
                    self._finish_review(art)

    # --- Toutiao-style channel (WECHAT_API.md 7) ------------------------------------------------

    def tt_token(self, body: dict) -> dict:
        with self.lock:
            app_id, secret = as_str(body.get("app_id")), as_str(body.get("app_secret"))
            if not app_id or not secret:
                raise ApiError(41001, "bad parameter: app_id and app_secret required")
            acct = self.toutiao_accounts.get(app_id)
            if acct is None and secret == SANDBOX_SECRET:
                acct = self.add_toutiao_account(app_id, secret)
            if acct is None or acct.secret != secret:
                raise ApiError(41001, "bad parameter: invalid app_id or app_secret")
            tok = self.auth.issue("toutiao", app_id, "toutiao")
            acct.token = tok.value
            return {"access_token": tok.value, "expires_in": int(tok.expires_at - tok.issued_at)}

    def tt_image_upload(self, app_id: str, data: bytes | None, base_url: str) -> dict:
        with self.lock:
            if not data:
                raise ApiError(41001, "bad parameter: media missing")
            fmt = sniff_image(data)
            if fmt not in ("jpg", "png"):
                raise ApiError(70001, "image error: jpg or png only")
            if len(data) > TOUTIAO_IMAGE_MAX:
                raise ApiError(70001, "image error: at most 5MB")
            media = self.media.store(app_id, "toutiao", data, fmt, base_url)
            self.toutiao_accounts[app_id].images[media.media_id] = media
            return {"image_id": media.media_id, "url": media.url}

    def tt_article_create(self, app_id: str, body: dict) -> dict:
        with self.lock:
            self.tick()
            acct = self.toutiao_accounts[app_id]
            client_id = body.get("client_id")
            if client_id is not None:
                client_id = as_str(client_id)
                if not client_id or len(client_id) > 64:
                    raise ApiError(41001, "bad parameter: client_id 1-64 characters")
                if client_id in acct.client_ids:
                    raise ApiError(70006, "client_id reused", article_id=acct.client_ids[client_id])
            title, content = as_str(body.get("title")), as_str(body.get("content"))
            abstract, source_url = as_str(body.get("abstract")), as_str(body.get("source_url"))
            if not 2 <= len(title) <= 30:
                raise ApiError(70002, "title length must be 2-30 characters")
            if not content.strip():
                raise ApiError(41001, "bad parameter: content missing")
            if len(abstract) > 120:
                raise ApiError(41001, "bad parameter: abstract at most 120 characters")
            covers = body.get("cover_image_ids")
            if not isinstance(covers, list) or len(covers) not in (1, 3):
                raise ApiError(41001, "bad parameter: cover_image_ids takes 1 or 3 image ids")
            for cover in covers:
                if cover not in acct.images:
                    raise ApiError(70001, f"image error: unknown cover image {cover}")
            for m in IMG_SRC.finditer(content):
                own = SANDBOX_MEDIA.search(m.group(2))
                if not own or own.group(1) not in acct.images:
                    raise ApiError(70001, f"image error: upload {m.group(2)[:80]} through image/upload first")
            art = ToutiaoArticle(
                article_id=str(next(self._ids) + 7300000000000000000),
                app_id=app_id,
                client_id=client_id,
                title=title,
                content=SCRIPT.sub("", content),
                cover_image_ids=list(covers),
                abstract=abstract,
                original=bool(body.get("original")),
                source_url=source_url,
                created_at=self.now(),
            )
            acct.articles[art.article_id] = art
            if client_id is not None:
                acct.client_ids[client_id] = art.article_id
            return {"article_id": art.article_id}

    def _tt_article(self, acct: ToutiaoAccount, article_id) -> ToutiaoArticle:
        art = acct.articles.get(str(article_id)) if article_id not in (None, "") else None
        if art is None or art.status == "deleted":
            raise ApiError(70004, "article not found")
        return art

    def tt_article_publish(self, app_id: str, body: dict, base_url: str) -> dict:
        with self.lock:
            self.tick()
            acct = self.toutiao_accounts[app_id]
            art = self._tt_article(acct, body.get("article_id"))
            if art.publish_id and art.status in ("reviewing", "published"):
                return {"publish_id": art.publish_id}  # publishing twice is harmless
            now = self.now()
            acct.publishes = [t for t in acct.publishes if same_day(t, now)]
            if len(acct.publishes) >= self.setting("toutiao_daily_quota", app_id):
                raise ApiError(70005, "daily publish quota used up")
            publish_at = _timestamp(body.get("publish_at"))
            if body.get("publish_at") not in (None, "") and publish_at is None:
                raise ApiError(41001, "bad parameter: publish_at is a unix timestamp or ISO-8601 time")
            acct.publishes.append(now)
            art.publish_id = str(next(self.publish_ids))
            art.status, art.reject_reason, art.base_url = "reviewing", "", base_url
            art.review_due = max(now, publish_at or now) + self.setting("review_delay", app_id)
            self.tick()
            return {"publish_id": art.publish_id}

    def _finish_review(self, art: ToutiaoArticle) -> None:
        reason = self.switches.take_rejection(art.app_id)
        if reason is not None:
            art.status, art.reject_reason = "rejected", reason
            return
        art.status = "published"
        art.url = f"{art.base_url}sandbox/toutiao/articles/{art.article_id}"

    def tt_article_status(self, app_id: str, body: dict) -> dict:
        with self.lock:
            self.tick()
            art = self._tt_article(self.toutiao_accounts[app_id], body.get("article_id"))
            return {
                "article_id": art.article_id,
                "status": art.status,
                "url": art.url,
                "reject_reason": art.reject_reason,
            }

    def set_toutiao_status(self, app_id: str, article_id: str, status: str, reason: str = "") -> None:
        """Test helper: e.g. the platform deletes an article later."""
        with self.lock:
            art = self.toutiao_accounts[app_id].articles[article_id]
            art.status, art.reject_reason = status, reason

    # --- views for the page and tests ------------------------------------------------------------

    def published(self, appid: str) -> list[Article]:
        with self.lock:
            self.tick()
            return sorted(self.accounts[appid].articles.values(), key=lambda a: a.published_at, reverse=True)

    def find_article(self, article_id: str) -> Article | None:
        with self.lock:
            self.tick()
            for acct in self.accounts.values():
                if article_id in acct.articles:
                    return acct.articles[article_id]
            return None

    def find_draft(self, media_id: str) -> Draft | None:
        with self.lock:
            for acct in self.accounts.values():
                if media_id in acct.drafts:
                    return acct.drafts[media_id]
            return None

    def find_toutiao_article(self, article_id: str) -> ToutiaoArticle | None:
        with self.lock:
            self.tick()
            for acct in self.toutiao_accounts.values():
                if article_id in acct.articles:
                    return acct.articles[article_id]
            return None

    def snapshot(self) -> dict:
        """A JSON-able summary (GET /sandbox/state.json)."""
        with self.lock:
            self.tick()
            return {
                "now": self.now(),
                "settings": dict(self.settings),
                "overrides": copy.deepcopy(self.overrides),
                "faults": [vars(f).copy() for f in self.switches.faults if f.times > 0],
                "accounts": [
                    {
                        "appid": a.appid,
                        "kind": a.kind,
                        "name": a.name,
                        "push_quota": self.push_quota(a.appid),
                        "pushes_used": self.pushes_used(a.appid),
                        "drafts": [
                            {
                                "media_id": d.media_id,
                                "titles": [x["title"] for x in d.articles],
                                "publishing": d.publishing,
                            }
                            for d in a.drafts.values()
                        ],
                        "publishes": [
                            {
                                "publish_id": p.publish_id,
                                "status": p.status,
                                "article_id": p.article_id,
                                "msg_data_id": p.msg_data_id,
                            }
                            for p in a.publishes.values()
                        ],
                        "masses": [
                            {
                                "msg_id": m.msg_id,
                                "msg_data_id": m.msg_data_id,
                                "clientmsgid": m.clientmsgid,
                                "status": m.status,
                                "article_id": m.article_id,
                            }
                            for m in a.masses.values()
                        ],
                        "articles": [
                            {
                                "article_id": x.article_id,
                                "source": x.source,
                                "url": x.url(1),
                                "titles": [y["title"] for y in x.articles],
                                "deleted": x.deleted,
                            }
                            for x in a.articles.values()
                        ],
                        "previews": [{k: v for k, v in p.items()} for p in a.previews],
                        "callback": {"url": a.callback.url, "mode": a.callback.mode} if a.callback else None,
                    }
                    for a in self.accounts.values()
                ],
                "deliveries": [d.summary() for d in self.delivery.deliveries],
                "toutiao_accounts": [
                    {
                        "app_id": t.app_id,
                        "name": t.name,
                        "articles": [
                            {
                                "article_id": x.article_id,
                                "client_id": x.client_id,
                                "title": x.title,
                                "status": x.status,
                                "url": x.url,
                                "reject_reason": x.reject_reason,
                            }
                            for x in t.articles.values()
                        ],
                    }
                    for t in self.toutiao_accounts.values()
                ],
            }


# --- helpers ------------------------------------------------------------------------------------

def _timestamp(value) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BEIJING)
    return dt.timestamp()



