"""The sandbox's memory: one `SandboxState`, built on the shared `Core` (core.py: the lock, the clock,
the switches, the accounts) and composed of one small object per concern, each in its module:

    state.auth         tokens.py         logins and access tokens (token, stable_token, the check)
    state.switches     faults.py         injected faults, planned outcomes, quota reset
    state.delivery     deliveries.py     the accounts' servers and the callbacks pushed to them
    state.media        media.py          images (uploadimg, add_material, Toutiao uploads)
    state.draft        drafts.py         draft/*
    state.freepublish  publishing.py     freepublish/*
    state.mass         mass.py           message/mass/*
    state.comment      comments.py       comment/*
    state.toutiao      toutiao_state.py  the Toutiao-style channel
    state.wecom        wecom.py          WeCom
    state.pay          pay.py            WeChat Pay v2: merchants, transfers, fund-flow bills (pay_http.py)
    snapshot.py (state.json); models.py (the dataclasses, ApiError, shared rules)

The concerns' methods take plain data, return the JSON body of a success and raise `ApiError`, so the
HTTP layer (mp.py, toutiao.py, wecom.py) only parses and answers, and tests can drive the same rules
directly. Each concern imports only the core, models.py and the concerns it is handed, never this
module (wecom.py only for a type hint). The names tests call on the state (`inject_fault`,
`add_comment`, `deliveries`, ...) stay here as delegates. Codes and limits follow
/work/shared/WECHAT_API.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cms.sandbox import callbacks
from cms.sandbox.comments import Comments
from cms.sandbox.core import Core
from cms.sandbox.deliveries import Deliveries
from cms.sandbox.drafts import Drafts
from cms.sandbox.faults import Switches
from cms.sandbox.mass import MassSend
from cms.sandbox.media import MediaStore
from cms.sandbox.models import SANDBOX_SECRET, ApiError, Article, Draft, ToutiaoArticle
from cms.sandbox.pay import PayState
from cms.sandbox.publishing import Publishing
from cms.sandbox.snapshot import snapshot
from cms.sandbox.tokens import Auth
from cms.sandbox.toutiao_state import Toutiao
from cms.sandbox.wecom import WeComState

__all__ = ["SandboxState", "ApiError", "SANDBOX_SECRET"]


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
    """All sandbox state. Thread-safe: every public method (here and in the concerns) holds `self.lock`."""

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
        self.toutiao = Toutiao(self, self.auth, self.media, self.switches)  # (toutiao_state.py)
        self.wecom = WeComState(self)  # WeCom (wecom.py)
        self.pay = PayState(self)  # WeChat Pay v2 (pay.py; HTTP in pay_http.py)
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
            self.toutiao.reset()
            self.mass.reset()
            self.comment.reset()
            self.wecom.reset()
            self.pay.reset()

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
    set_toutiao_status = _Delegate("toutiao")

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
        """A JSON-able summary (GET /sandbox/state.json; snapshot.py)."""
        return snapshot(self, self.switches, self.mass, self.delivery)
