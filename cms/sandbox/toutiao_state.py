"""The Toutiao-style channel's platform side (WECHAT_API.md 7, our own contract; the routes are in
toutiao.py): token, image/upload, article/create (client_id once), article/publish within the daily
quota, reviewed for `review_delay` seconds (or rejected as planned, faults.py), article/status."""

from __future__ import annotations

import itertools
from datetime import datetime

from cms.sandbox.core import Core
from cms.sandbox.faults import Switches
from cms.sandbox.media import MediaStore
from cms.sandbox.models import (
    BEIJING,
    IMG_SRC,
    SANDBOX_MEDIA,
    SANDBOX_SECRET,
    SCRIPT,
    ApiError,
    ToutiaoAccount,
    ToutiaoArticle,
    as_str,
    same_day,
    sniff_image,
)
from cms.sandbox.tokens import Auth

TOUTIAO_IMAGE_MAX = 5 * 1024 * 1024


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


class Toutiao:
    """`state.toutiao`. Reviews finish on the core's tick."""

    def __init__(self, core: Core, auth: Auth, media: MediaStore, switches: Switches):
        self.core = core
        self.lock = core.lock
        self.auth, self.media, self.switches = auth, media, switches
        core.on_tick(self._finish_due)

    def reset(self) -> None:
        with self.lock:
            self._ids = itertools.count(1)  # article ids

    def token(self, body: dict) -> dict:
        with self.lock:
            app_id, secret = as_str(body.get("app_id")), as_str(body.get("app_secret"))
            if not app_id or not secret:
                raise ApiError(41001, "bad parameter: app_id and app_secret required")
            acct = self.core.toutiao_accounts.get(app_id)
            if acct is None and secret == SANDBOX_SECRET:
                acct = self.core.add_toutiao_account(app_id, secret)
            if acct is None or acct.secret != secret:
                raise ApiError(41001, "bad parameter: invalid app_id or app_secret")
            tok = self.auth.issue("toutiao", app_id, "toutiao")
            acct.token = tok.value
            return {"access_token": tok.value, "expires_in": int(tok.expires_at - tok.issued_at)}

    def image_upload(self, app_id: str, data: bytes | None, base_url: str) -> dict:
        with self.lock:
            if not data:
                raise ApiError(41001, "bad parameter: media missing")
            fmt = sniff_image(data)
            if fmt not in ("jpg", "png"):
                raise ApiError(70001, "image error: jpg or png only")
            if len(data) > TOUTIAO_IMAGE_MAX:
                raise ApiError(70001, "image error: at most 5MB")
            media = self.media.store(app_id, "toutiao", data, fmt, base_url)
            self.core.toutiao_accounts[app_id].images[media.media_id] = media
            return {"image_id": media.media_id, "url": media.url}

    def article_create(self, app_id: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.toutiao_accounts[app_id]
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
                created_at=self.core.now(),
            )
            acct.articles[art.article_id] = art
            if client_id is not None:
                acct.client_ids[client_id] = art.article_id
            return {"article_id": art.article_id}

    def _article(self, acct: ToutiaoAccount, article_id) -> ToutiaoArticle:
        art = acct.articles.get(str(article_id)) if article_id not in (None, "") else None
        if art is None or art.status == "deleted":
            raise ApiError(70004, "article not found")
        return art

    def article_publish(self, app_id: str, body: dict, base_url: str) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.toutiao_accounts[app_id]
            art = self._article(acct, body.get("article_id"))
            if art.publish_id and art.status in ("reviewing", "published"):
                return {"publish_id": art.publish_id}  # publishing twice is harmless
            now = self.core.now()
            acct.publishes = [t for t in acct.publishes if same_day(t, now)]
            if len(acct.publishes) >= self.core.setting("toutiao_daily_quota", app_id):
                raise ApiError(70005, "daily publish quota used up")
            publish_at = _timestamp(body.get("publish_at"))
            if body.get("publish_at") not in (None, "") and publish_at is None:
                raise ApiError(41001, "bad parameter: publish_at is a unix timestamp or ISO-8601 time")
            acct.publishes.append(now)
            art.publish_id = str(next(self.core.publish_ids))
            art.status, art.reject_reason, art.base_url = "reviewing", "", base_url
            art.review_due = max(now, publish_at or now) + self.core.setting("review_delay", app_id)
            self.core.tick()
            return {"publish_id": art.publish_id}

    def _finish_review(self, art: ToutiaoArticle) -> None:
        reason = self.switches.take_rejection(art.app_id)
        if reason is not None:
            art.status, art.reject_reason = "rejected", reason
            return
        art.status = "published"
        art.url = f"{art.base_url}sandbox/toutiao/articles/{art.article_id}"

    def article_status(self, app_id: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            art = self._article(self.core.toutiao_accounts[app_id], body.get("article_id"))
            return {
                "article_id": art.article_id,
                "status": art.status,
                "url": art.url,
                "reject_reason": art.reject_reason,
            }

    def set_toutiao_status(self, app_id: str, article_id: str, status: str, reason: str = "") -> None:
        """Test helper: e.g. the platform deletes an article later."""
        with self.lock:
            art = self.core.toutiao_accounts[app_id].articles[article_id]
            art.status, art.reject_reason = status, reason

    def _finish_due(self, now: float) -> None:
        for tacct in self.core.toutiao_accounts.values():
            for art in tacct.articles.values():
                if art.status == "reviewing" and art.review_due is not None and now >= art.review_due:
                    self._finish_review(art)
