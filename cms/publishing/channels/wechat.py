"""WeChat official accounts through wechatpy (the client comes from cms.platforms via
channels.clients.mp_client: stable_token, the shared token storage, the channel's base URL).

The flow (WECHAT_API.md 1.2-1.5): in-article images to `media/uploadimg` (their URLs replace the
local `/assets/<id>` ones), the cover to permanent material (`material/add_material?type=image`) →
`thumb_media_id`, `draft/add` → the draft's `media_id` (a re-publish after a correction is a new
draft: a published draft has left the box), then `freepublish/submit` (publish only) or
`message/mass/sendall` with the draft's media_id and `clientmsgid` = the publication's client_ref
(push: counts against the quota, C18; a retried send answers 45065 with the first msg_id instead of
pushing twice), then `freepublish/get` or `message/mass/get` until final.

Where a call may have reached the platform without its answer being saved (the worker died in it):
- draft/add: the next run looks in `draft/batchget` for the draft it made (same title, made since
  the step started, paging back as far as that) before adding one;
- freepublish/submit: sending again cannot publish twice (a draft being published answers 53501, a
  published one has left the box: 40007); the article is then found in `freepublish/batchget`;
- sendall: the same clientmsgid answers 45065 with the first msg_id."""
from __future__ import annotations

import time

import requests

from cms.content.images import ImageRejected
from cms.platforms import CallError, classify, describe, translated
from cms.publishing.channels.base import Adapter, Job, PlatformError, Status, replace_images

PUBLISH_STATUS_TEXT = {
    1: "发布中",
    2: "原创校验未通过",
    3: "发布失败（常规失败）",
    4: "平台审核不通过",
    5: "文章已被删除",
    6: "文章已被平台封禁",
}
LOOKBACK = 600  # seconds of clock difference allowed when finding what a lost call made
LOOK_PAGES = 50  # batchget pages of 20 read at most when finding it (1,000 drafts or articles)
LOST_POLLS = 30  # status checks before a publish whose answer was lost is given up on
# Status checks a finished push waits for its URLs from the callback (the checks double from
# CMS_PUBLISH_POLL_SECONDS: 8 are about 8 minutes; the callback wakes the worker when it comes).
URL_WAIT_POLLS = 8


class WeChatAdapter(Adapter):
    platform = "wechat"

    @staticmethod
    def make_client(channel):
        from cms.channels.clients import mp_client

        return mp_client(channel)

    # --- calling the platform -------------------------------------------------------------------

    def _call(self, job: Job, step: str, fn, *args, ok_codes: tuple[int, ...] = (), **kwargs):
        """fn(*args, **kwargs), its errors classified (WECHAT_API.md 3). A code in `ok_codes` is
        success: its answer (the JSON body) is returned."""
        job.calling()
        try:
            with translated():
                return fn(*args, **kwargs)
        except CallError as e:
            code = e.errcode
            if code is not None and code in ok_codes:
                return e.body
            errmsg = e.errmsg
            if code is None and e.http_status is not None:
                errmsg = errmsg or f"HTTP {e.http_status}"
            raise PlatformError(classify(code), code, describe(code, errmsg or None), step=step,
                                errmsg=errmsg) from None
        except requests.RequestException as e:
            raise PlatformError("backoff", None, describe(None, type(e).__name__), step=step, errmsg=str(e)) from None

    def _image(self, job: Job, step: str, loader):
        try:
            return loader()
        except ImageRejected as e:
            raise PlatformError("permanent", None, f"图片无法转换为微信接受的格式：{e}", step=step) from None

    # --- steps ----------------------------------------------------------------------------------

    def prepare_images(self, job: Job) -> None:
        """Each article's in-article images and cover (a 多图文 bundle has several articles)."""
        for member in job.members:
            # Alone, the draft is marked under way with the cover in one commit; a bundle's draft
            # belongs to the whole message and is marked by its own job.
            self._prepare_article(member, then="draft" if member is job else None)

    def _prepare_article(self, job: Job, then: str | None) -> None:
        pub = job.publication
        pending = [src for src in job.article.images if src not in (pub.image_urls or {})]
        for n, src in enumerate(pending, 1):
            img = self._image(job, "images", lambda s=src: job.image(s, "content"))
            url = self._call(job, "images", self.client.media.upload_image,
                             (f"image.{img.extension}", img.data, img.mime))
            job.save_image(src, url, last=n == len(pending))
        if not job.is_done("images"):
            job.done("images")
        if not pub.thumb_media_id:
            cover = self._image(job, "cover", lambda: job.cover("cover"))
            if cover is None:
                raise PlatformError("permanent", None,
                                    f"微信图文必须有封面图：请为《{job.article.title}》设置封面并重新审核后再发布",
                                    step="cover")
            result = self._call(job, "cover", self.client.material.add, "image",
                                (f"cover.{cover.extension}", cover.data, cover.mime))
            job.done("cover", then=then, thumb_media_id=result["media_id"])

    def _draft_article(self, job: Job) -> dict:
        a, pub = job.article, job.publication
        return {
            "title": a.title,
            "author": a.author,
            "digest": a.digest,
            "content": replace_images(a.html, pub.image_urls or {}),
            "content_source_url": a.source_url,
            "thumb_media_id": pub.thumb_media_id,
            "need_open_comment": 1 if a.open_comments else 0,
            "only_fans_can_comment": 0,
        }

    def create_draft(self, job: Job) -> None:
        pub = job.publication
        if pub.draft_media_id:
            return
        if job.is_started("draft"):
            found = self._find_draft(job)
            if found:
                job.done("draft", draft_media_id=found)
                return
        job.started("draft")
        articles = lambda: [self._draft_article(m) for m in job.members]  # noqa: E731
        try:
            result = self._call(job, "draft", self.client.draft.add, articles())
        except PlatformError as e:
            # 40007: a cover's media id is gone (deleted in the console): upload the covers again, once.
            if e.errcode != 40007 or "cover_again" in job.publication.progress:
                raise
            job.started("cover_again")
            for member in job.members:
                member.save(thumb_media_id=None)
            self.prepare_images(job)
            result = self._call(job, "draft", self.client.draft.add, articles())
        job.done("draft", then="push" if job.push else "publish", draft_media_id=result["media_id"])

    def _find_draft(self, job: Job) -> str | None:
        """The draft a lost draft/add made: same titles, made since the step started."""
        since = (job.started_at("draft") or time.time()) - LOOKBACK
        titles = [m.article.title for m in job.members]
        for item in self._since(job, "draft", self.client.draft.batchget, since):
            if [n.get("title") for n in item["news"]] == titles:
                return item.get("media_id")
        return None

    def _find_published(self, job: Job) -> dict | None:
        """The article a lost freepublish/submit published: same title, published since the step
        started. -> {"article_id", "url"} or None."""
        since = (job.started_at("publish") or time.time()) - LOOKBACK
        for item in self._since(job, "status", self.client.freepublish.batchget, since):
            news = item["news"]
            if news and news[0].get("title") == job.article.title:
                return {"article_id": item.get("article_id"), "url": news[0].get("url")}
        return None

    def _since(self, job: Job, step: str, batchget, since: float):
        """The items of a batchget list (newest first) updated since `since`, page after page of 20:
        with many publications at work the one a lost call made may be far down the list (two workers
        with 20 jobs each make 40 drafts at a time). Stops at the first older item, a short page, or
        LOOK_PAGES pages. Each item gets "news": its news_item list."""
        for page in range(LOOK_PAGES):
            result = self._call(job, step, batchget, page * 20, 20, 1)
            items = result.get("item") or []
            for item in items:
                if int(item.get("update_time") or 0) < since:
                    return
                yield {**item, "news": (item.get("content") or {}).get("news_item") or []}
            if len(items) < 20:
                return

    def sent(self, job: Job) -> bool:
        pub = job.publication
        if job.push:
            return bool(pub.msg_id)
        return bool(pub.publish_id or pub.article_id or _lost(job))

    def publish(self, job: Job) -> None:
        pub = job.publication
        if pub.publish_id or pub.article_id:
            return
        ambiguous = job.is_started("publish")
        job.started("publish")
        try:
            result = self._call(job, "publish", self.client.freepublish.submit, pub.draft_media_id)
        except PlatformError as e:
            # A submit whose answer was lost: this draft is being published (53501) or has been and
            # left the box (40007). Nothing is published twice; find what the first submit made.
            if ambiguous and e.errcode in (53501, 40007):
                job.save(progress={**pub.progress, "publish": {**pub.progress.get("publish", {}), "lost": True}})
                return
            raise
        job.done("publish", publish_id=str(result["publish_id"]),
                 msg_data_id=str(result["msg_data_id"]) if result.get("msg_data_id") is not None else None)

    def push(self, job: Job) -> None:
        """Mass send (C18): clientmsgid = the publication's client_ref, so a retry is not a second push."""
        pub = job.publication
        if pub.msg_id:
            return
        job.started("push")
        result = self._call(job, "push", self.client.message.send_mass_article, pub.draft_media_id,
                            is_to_all=True, client_msg_id=pub.client_ref, ok_codes=(45065,))
        job.done("push", msg_id=str(result["msg_id"]),
                 msg_data_id=str(result["msg_data_id"]) if result.get("msg_data_id") is not None else None)

    def fetch_status(self, job: Job) -> Status:
        pub = job.publication
        if job.push:
            result = self._call(job, "status", self.client.message.get_mass, pub.msg_id)
            status = result.get("msg_status")
            if status == "SEND_SUCCESS":
                # A push's article URLs come with the MASSSENDJOBFINISH callback (WECHAT_API.md 2,
                # cms/callbacks): wait a few checks for them where the channel has a callback.
                polls = int(pub.progress.get("status", {}).get("polls", 0))
                job.reload("url")
                if self.channel.has_callback_token and polls < URL_WAIT_POLLS \
                        and not all(p.url for p in job.pubs):
                    return Status("pending")
                return Status("published")
            if status == "SENDING":
                return Status("pending")
            if status == "DELETE":
                return Status("removed", message="群发消息已被删除")
            return Status("failed", message=f"群发失败（{status}）")
        if _lost(job) and not pub.publish_id:
            found = self._find_published(job)
            if found:
                return Status("published", url=found["url"], article_id=found["article_id"])
            polls = int(pub.progress.get("publish", {}).get("polls", 0)) + 1
            job.save(progress={**pub.progress, "publish": {**pub.progress.get("publish", {}), "polls": polls}})
            if polls >= LOST_POLLS:
                return Status("failed", message="无法确认发布结果：请在公众平台「发表记录」中核对后再重试")
            return Status("pending")
        result = self._call(job, "status", self.client.freepublish.get, pub.publish_id)
        code = int(result.get("publish_status", -1))
        if code == 0:
            items = (result.get("article_detail") or {}).get("item") or []
            url = items[0].get("article_url") if items else None
            return Status("published", url=url, article_id=result.get("article_id"))
        if code == 1:
            return Status("pending")
        text = PUBLISH_STATUS_TEXT.get(code, f"发布状态 {code}")
        if code in (5, 6):
            return Status("removed", message=text)
        fail_idx = result.get("fail_idx") or []
        detail = f"（失败的文章序号：{'、'.join(str(i) for i in fail_idx)}）" if fail_idx else ""
        return Status("failed", message=f"{text}{detail}")

    def withdraw(self, job: Job) -> None:
        """Take the published article down (WECHAT_API.md 1.4, 1.5). Its place in the message is
        1-based on the platform (0 would delete every article of a 多图文 message), while a bundle
        member's `bundle_index` is 0-based. A push is deleted with `message/mass/delete` (wechatpy
        2.0.0a26's `delete_mass` sends no `article_idx`, so the call is made directly); a
        publish-only article with `freepublish/delete`."""
        pub = job.publication
        index = (pub.bundle_index or 0) + 1
        if job.push:
            if not pub.msg_id:
                raise PlatformError("permanent", None, "没有群发消息 ID（msg_id），无法删除：请在公众平台「已群发消息」中核对",
                                    step="withdraw")
            msg_id = int(pub.msg_id) if str(pub.msg_id).isdigit() else pub.msg_id
            self._call(job, "withdraw", self.client.post, "message/mass/delete",
                       data={"msg_id": msg_id, "article_idx": index})
        elif pub.article_id:
            self._call(job, "withdraw", self.client.freepublish.delete, pub.article_id, index)
        else:
            raise PlatformError("permanent", None, "没有已发表文章的 article_id，无法撤回：请在公众平台「发表记录」中核对",
                                step="withdraw")


def _lost(job: Job) -> bool:
    return bool(job.publication.progress.get("publish", {}).get("lost"))
