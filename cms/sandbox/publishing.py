"""Official-account publishing (WECHAT_API.md 1.4): freepublish/submit turns a draft into a job that
finishes `publish_delay` seconds later (or ends in a planned failure, faults.py), then
freepublish/get, getarticle, delete and batchget. A finished job leaves an Article (what followers
see), opens its comment thread and pushes PUBLISHJOBFINISH to the account's server, if one is set."""

from __future__ import annotations

import copy
import threading

from cms.sandbox import callbacks
from cms.sandbox.core import Core
from cms.sandbox.deliveries import Deliveries
from cms.sandbox.drafts import Drafts, news_item
from cms.sandbox.faults import Switches
from cms.sandbox.models import Account, ApiError, Article, MsgData, Publish, batchget_page


class Publishing:
    """`state.freepublish`. Jobs finish on the core's tick (any call, or a timer once a server is set)."""

    def __init__(self, core: Core, drafts: Drafts, switches: Switches, delivery: Deliveries):
        self.core = core
        self.lock = core.lock
        self.drafts, self.switches, self.delivery = drafts, switches, delivery
        core.on_tick(self._finish_due)

    def submit(self, appid: str, body: dict, base_url: str) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            draft = self.drafts.find(acct, body.get("media_id"))
            if draft.publishing:
                raise ApiError(53501, "publishing too frequently hint: this draft is being published")
            now = self.core.now()
            outcome, fail_idx = self.switches.take_publish_outcome(appid)
            pub = Publish(
                publish_id=str(next(self.core.publish_ids)),
                appid=appid,
                draft_media_id=draft.media_id,
                articles=copy.deepcopy(draft.articles),
                msg_data_id=next(self.core.msg_data_ids),
                submitted_at=now,
                due_at=now + self.core.setting("publish_delay", appid),
                outcome=outcome,
                fail_idx=fail_idx,
                base_url=base_url,
            )
            acct.publishes[pub.publish_id] = pub
            draft.publishing = pub.publish_id
            if acct.callback is not None:
                # The platform finishes on its own and pushes PUBLISHJOBFINISH then, whether anyone
                # asks freepublish/get or not (without a server configured the sandbox stays lazy).
                timer = threading.Timer(max(0.0, pub.due_at - now), self.core.tick)
                timer.daemon = True
                timer.start()
            self.core.msg_data[pub.msg_data_id] = MsgData(
                msg_data_id=pub.msg_data_id,
                appid=appid,
                article_id="",
                open=[bool(a["need_open_comment"]) for a in pub.articles],
                comments=[[] for _ in pub.articles],
            )
            return {"publish_id": pub.publish_id, "msg_data_id": pub.msg_data_id}

    def get(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            pub = acct.publishes.get(str(body.get("publish_id", "")))
            if pub is None:
                raise ApiError(53502, "invalid publish_id")
            result = {
                "publish_id": pub.publish_id,
                "publish_status": pub.status,
                "fail_idx": pub.fail_idx if pub.status in (2, 3, 4) else [],
            }
            if pub.article_id:
                art = acct.articles[pub.article_id]
                result["article_id"] = art.article_id
                result["article_detail"] = {
                    "count": len(art.articles),
                    "item": [{"idx": i, "article_url": art.url(i)} for i in range(1, len(art.articles) + 1)],
                }
            return result

    def _article(self, acct: Account, article_id) -> Article:
        art = acct.articles.get(article_id) if isinstance(article_id, str) else None
        if art is None or art.source != "publish":
            raise ApiError(53600, "invalid article_id")
        return art

    def getarticle(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            art = self._article(self.core.accounts[appid], body.get("article_id"))
            return {"news_item": self._article_items(art)}

    def _article_items(self, art: Article, no_content: bool = False) -> list[dict]:
        return [
            news_item(a, url=art.url(i), no_content=no_content, is_deleted=art.deleted[i - 1])
            for i, a in enumerate(art.articles, 1)
        ]

    def delete(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            art = self._article(acct, body.get("article_id"))
            index = body.get("index", 0)
            if not isinstance(index, int) or not 0 <= index <= len(art.articles):
                raise ApiError(47001, "data format error hint: index is 1-based, 0 deletes all")
            if index == 0:
                art.deleted = [True] * len(art.articles)
            else:
                art.deleted[index - 1] = True
            if all(art.deleted) and art.publish_id in acct.publishes:
                acct.publishes[art.publish_id].status = 5
            return {}

    def batchget(self, appid: str, body: dict) -> dict:
        with self.lock:
            self.core.tick()
            offset, count = batchget_page(body)
            arts = [a for a in self.core.accounts[appid].articles.values() if a.source == "publish"]
            arts.sort(key=lambda a: a.published_at, reverse=True)
            page = arts[offset : offset + count]
            no_content = bool(body.get("no_content"))
            return {
                "total_count": len(arts),
                "item_count": len(page),
                "item": [
                    {
                        "article_id": a.article_id,
                        "content": {"news_item": self._article_items(a, no_content)},
                        "update_time": int(a.published_at),
                    }
                    for a in page
                ],
            }

    def set_publish_status(self, appid: str, publish_id: str, status: int) -> None:
        """Test helper: a published article later deleted by the user (5) or banned (6)."""
        with self.lock:
            self.core.tick()
            acct = self.core.accounts[appid]
            pub = acct.publishes[publish_id]
            pub.status = status
            if pub.article_id and status in (5, 6):
                art = acct.articles[pub.article_id]
                art.deleted = [True] * len(art.articles) if status == 5 else art.deleted
                art.banned = status == 6

    def _finish_due(self, now: float) -> None:
        for acct in self.core.accounts.values():
            for pub in acct.publishes.values():
                if pub.status == 1 and now >= pub.due_at:
                    self._finish_publish(acct, pub, now)

    def _finish_publish(self, acct: Account, pub: Publish, now: float) -> None:
        pub.status = pub.outcome
        draft = acct.drafts.get(pub.draft_media_id)
        if pub.outcome != 0:
            if draft is not None:
                draft.publishing = None
            self.core.msg_data.pop(pub.msg_data_id, None)
            self.delivery.push(acct, "PUBLISHJOBFINISH", pub.publish_id, callbacks.publish_job_finish_xml(
                acct.appid, int(now), pub.publish_id, pub.outcome, fail_idx=pub.fail_idx))
            return
        art = Article(
            article_id=self.core.new_article_id(),
            appid=acct.appid,
            articles=pub.articles,
            deleted=[False] * len(pub.articles),
            msg_data_id=pub.msg_data_id,
            published_at=now,
            base_url=pub.base_url,
            source="publish",
            publish_id=pub.publish_id,
        )
        acct.articles[art.article_id] = art
        pub.article_id = art.article_id
        if pub.msg_data_id in self.core.msg_data:
            self.core.msg_data[pub.msg_data_id].article_id = art.article_id
        acct.drafts.pop(pub.draft_media_id, None)  # a published draft leaves the box
        self.delivery.push(acct, "PUBLISHJOBFINISH", pub.publish_id, callbacks.publish_job_finish_xml(
            acct.appid, int(now), pub.publish_id, 0, article_id=art.article_id,
            urls=[art.url(i) for i in range(1, len(art.articles) + 1)]))
