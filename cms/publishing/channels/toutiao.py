"""Toutiao-style channels: the HTTP JSON contract of WECHAT_API.md 7, through
cms.platforms.ToutiaoClient (channels.clients.toutiao_client).

In-article images and the cover go to `image/upload` (the article may only use the platform's own
image URLs), `article/create` carries `client_id` = the publication's client_ref (a create whose
answer was lost answers 70006 with the first article's id next time: no second article),
`article/publish` (publishing twice is harmless), then `article/status` until published, rejected
(70003 with the reviewer's reason) or deleted. There is no push."""
from __future__ import annotations

from cms.content.images import ImageRejected
from cms.platforms import ToutiaoError, classify_toutiao, describe_toutiao
from cms.publishing.channels.base import Adapter, Job, PlatformError, Status, replace_images


class ToutiaoAdapter(Adapter):
    platform = "toutiao"

    @staticmethod
    def make_client(channel):
        from cms.channels.clients import toutiao_client

        return toutiao_client(channel)

    def _call(self, job: Job, step: str, fn, *args, **kwargs):
        job.calling()
        try:
            return fn(*args, **kwargs)
        except ToutiaoError as e:
            message = describe_toutiao(e.errcode, e.errmsg)
            raise PlatformError(classify_toutiao(e.errcode), e.errcode, message, step=step,
                                errmsg=e.errmsg or "") from None

    def _image(self, step: str, loader):
        try:
            return loader()
        except ImageRejected as e:
            raise PlatformError("permanent", None, f"图片无法转换为头条接受的格式：{e}", step=step) from None

    def prepare_images(self, job: Job) -> None:
        pub = job.publication
        pending = [src for src in job.article.images if src not in (pub.image_urls or {})]
        for n, src in enumerate(pending, 1):
            img = self._image("images", lambda s=src: job.image(s, "toutiao"))
            result = self._call(job, "images", self.client.upload_image, img.data, f"image.{img.extension}", img.mime)
            job.save_image(src, result["url"], last=n == len(pending))
        if not job.is_done("images"):
            job.done("images")
        if not pub.thumb_media_id:
            cover = self._image("cover", lambda: job.cover("toutiao"))
            if cover is None:
                raise PlatformError("permanent", None, "头条文章必须有封面图：请为文章设置封面并重新审核后再发布",
                                    step="cover")
            result = self._call(job, "cover", self.client.upload_image, cover.data, f"cover.{cover.extension}",
                                cover.mime)
            job.done("cover", thumb_media_id=result["image_id"])

    def create_draft(self, job: Job) -> None:
        pub, a = job.publication, job.article
        if pub.article_id:
            return
        job.started("draft")
        result = self._call(
            job, "draft", self.client.create_article, title=a.title,
            content=replace_images(a.html, pub.image_urls or {}), cover_image_ids=[pub.thumb_media_id],
            client_id=pub.client_ref, abstract=a.digest or None, original=a.original,
            source_url=a.source_url or None)
        job.done("draft", article_id=str(result["article_id"]))

    def sent(self, job: Job) -> bool:
        return bool(job.publication.publish_id)

    def publish(self, job: Job) -> None:
        pub = job.publication
        if pub.publish_id:
            return
        job.started("publish")
        result = self._call(job, "publish", self.client.publish_article, pub.article_id)
        job.done("publish", publish_id=str(result["publish_id"]))

    def fetch_status(self, job: Job) -> Status:
        result = self._call(job, "status", self.client.article_status, job.publication.article_id)
        status = result.get("status")
        if status == "published":
            return Status("published", url=result.get("url") or None, article_id=job.publication.article_id)
        if status in ("draft", "reviewing"):
            return Status("pending")
        if status == "rejected":
            return Status("failed", errcode=70003, message=describe_toutiao(70003, result.get("reject_reason") or ""))
        if status == "deleted":
            return Status("removed", message="文章已在头条被删除")
        return Status("failed", message=f"头条返回未知状态：{status}")

    def withdraw(self, job: Job) -> None:
        """The contract (WECHAT_API.md 7) has no delete call: an article is taken down by hand in
        the 头条号 console. `article/status` tells whether that was done (`deleted`, or 70004: the
        article is gone); until then the withdrawal fails with what to do, and its retry looks again."""
        try:
            result = self._call(job, "withdraw", self.client.article_status, job.publication.article_id)
        except PlatformError as e:
            if e.errcode == 70004:
                return
            raise
        if result.get("status") == "deleted":
            return
        raise PlatformError("permanent", None, "头条号接口不支持撤回文章：请在头条号后台删除这篇文章，然后点「重试」",
                            step="withdraw")
