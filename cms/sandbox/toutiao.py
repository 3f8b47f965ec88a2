"""The Toutiao-style channel under /toutiao/open/v1/ (WECHAT_API.md 7, our own contract)."""

from __future__ import annotations

from flask import Blueprint

from cms.sandbox.http import add_api
from cms.sandbox.state import SandboxState

PREFIX = "/toutiao/open/v1/"


def register(bp: Blueprint, state: SandboxState) -> None:
    def api(rule, handler, **kw):
        add_api(bp, state, PREFIX, "toutiao", rule, handler, **kw)

    api("token", lambda c: state.toutiao.token(c.body), auth=False)
    api("image/upload", lambda c: state.toutiao.image_upload(c.owner, c.file("media"), c.base_url))
    api("article/create", lambda c: state.toutiao.article_create(c.owner, c.body))
    api("article/publish", lambda c: state.toutiao.article_publish(c.owner, c.body, c.base_url))
    api("article/status", lambda c: state.toutiao.article_status(c.owner, c.body))
