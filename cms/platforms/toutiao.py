"""A small client for the Toutiao-style channel (WECHAT_API.md 7, our own contract): JSON over
`requests`, `?access_token=`, errors as HTTP 200 + {errcode, errmsg} raised as ToutiaoError.

The token is kept like wechatpy keeps its own (`session` is any wechatpy SessionStorage; keys
`toutiao_{app_id}_access_token` and `..._expires_at`), re-fetched 60 s before it expires and once
more when a call answers 40001 / 42001 (after dropping this process's copy of it: when the shared
storage holds a newer token, another process's refresh, that one is used instead).
"""

from __future__ import annotations

import time
from datetime import datetime

import requests
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from cms.platforms.http import settle
from cms.platforms.retry import forget_copies

TOKEN_ERRORS = (40001, 42001)


class ToutiaoError(Exception):
    def __init__(self, errcode: int | None, errmsg: str, result: dict | None = None):
        super().__init__(f"Error code: {errcode}, message: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.result = result or {}


class ToutiaoClient:
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str,
        session: SessionStorage | None = None,
        timeout: float | None = 10,
    ):
        if not base_url:
            raise ValueError("the Toutiao-style channel needs a base URL (CMS_TOUTIAO_API_BASE_URL)")
        self.app_id = app_id
        self.app_secret = app_secret
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.session = session if session is not None else MemoryStorage()
        self.timeout = timeout
        self._http = settle(requests.Session(), self.base_url)

    # --- token ----------------------------------------------------------------------------------

    @property
    def access_token_key(self) -> str:
        return f"toutiao_{self.app_id}_access_token"

    @property
    def expires_at_key(self) -> str:
        return f"toutiao_{self.app_id}_access_token_expires_at"

    def fetch_access_token(self) -> str:
        result = self._send("token", {"app_id": self.app_id, "app_secret": self.app_secret}, token=None)
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.session.set(self.expires_at_key, int(time.time()) + expires_in)
        return result["access_token"]

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        expires_at = self.session.get(self.expires_at_key)
        if token and expires_at and expires_at - time.time() > 60:
            return token
        return self.fetch_access_token()

    # --- transport ------------------------------------------------------------------------------

    def _send(
        self, path: str, data: dict | None = None, *, token: str | None, files: dict | None = None
    ) -> dict:
        params = {"access_token": token} if token else None
        try:
            if files is not None:
                res = self._http.post(self.base_url + path, params=params, files=files, timeout=self.timeout)
            else:
                res = self._http.post(
                    self.base_url + path, params=params, json=data or {}, timeout=self.timeout
                )
            res.raise_for_status()
            result = res.json()
        except requests.RequestException as e:
            raise ToutiaoError(None, str(e)) from e
        except ValueError as e:
            raise ToutiaoError(None, "the answer is not JSON") from e
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise ToutiaoError(errcode, result.get("errmsg", ""), result)
        return result

    def _call(self, path: str, data: dict | None = None, *, files: dict | None = None) -> dict:
        refused = self.access_token
        try:
            return self._send(path, data, token=refused, files=files)
        except ToutiaoError as e:
            if e.errcode not in TOKEN_ERRORS:
                raise
        forget_copies(self.session, self.access_token_key, self.expires_at_key)
        stored = self.session.get(self.access_token_key)
        if stored and stored != refused:  # another process has refreshed it: take theirs
            try:
                return self._send(path, data, token=stored, files=files)
            except ToutiaoError as e:
                if e.errcode not in TOKEN_ERRORS:
                    raise
        return self._send(path, data, token=self.fetch_access_token(), files=files)  # one refresh

    # --- API ------------------------------------------------------------------------------------

    def upload_image(self, data: bytes, filename: str = "image.jpg", mimetype: str | None = None) -> dict:
        """-> {"image_id", "url"}; jpg/png up to 5 MB."""
        mimetype = mimetype or ("image/png" if data[:4] == b"\x89PNG" else "image/jpeg")
        return self._call("image/upload", files={"media": (filename, data, mimetype)})

    def create_article(
        self,
        *,
        title: str,
        content: str,
        cover_image_ids: list[str],
        client_id: str | None = None,
        abstract: str | None = None,
        original: bool = False,
        source_url: str | None = None,
    ) -> dict:
        """-> {"article_id", "reused": bool}. A `client_id` seen before answers 70006 with the first
        article's id: that is success (reused=True), not an error."""
        data = {
            "title": title,
            "content": content,
            "cover_image_ids": list(cover_image_ids),
            "original": original,
        }
        for key, value in (("client_id", client_id), ("abstract", abstract), ("source_url", source_url)):
            if value is not None:
                data[key] = value
        try:
            result = self._call("article/create", data)
        except ToutiaoError as e:
            if e.errcode == 70006 and e.result.get("article_id"):
                return {"article_id": e.result["article_id"], "reused": True}
            raise
        return {"article_id": result["article_id"], "reused": False}

    def publish_article(self, article_id: str, publish_at: datetime | int | None = None) -> dict:
        """-> {"publish_id"}; `publish_at` a timezone-aware datetime or a unix timestamp."""
        data: dict = {"article_id": article_id}
        if isinstance(publish_at, datetime):
            data["publish_at"] = int(publish_at.timestamp())
        elif publish_at is not None:
            data["publish_at"] = int(publish_at)
        return self._call("article/publish", data)

    def article_status(self, article_id: str) -> dict:
        """-> {"status": draft|reviewing|published|rejected|deleted, "url", "reject_reason"}"""
        return self._call("article/status", {"article_id": article_id})
