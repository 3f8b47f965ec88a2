"""Preview on a phone: a reviewer sends the post's current revision to their own WeChat
(`message/mass/preview`, WECHAT_API.md 1.5a) through one of its WeChat channels. The images,
cover and draft go up through the publishing adapter's own steps; nothing is pushed to
followers and no push quota is used."""
from __future__ import annotations

from types import SimpleNamespace

from flask_babel import gettext as _

from cms.audit.service import record
from cms.content.models import Post
from cms.errors import Refused
from cms.publishing.channels.base import PlatformError
from cms.publishing.channels.wechat import WeChatAdapter
from cms.publishing.job import Job
from cms.workflow.policy import can_preview


class PreviewJob(Job):
    """The outbox's Job over an unsaved, in-memory publication: what the steps learn is kept on
    the object only, so a preview writes nothing to the outbox."""

    def __init__(self, post: Post, channel):
        self.publication = SimpleNamespace(image_urls={}, thumb_media_id=None, draft_media_id=None, progress={},
                                           push=False, first_call_at=None, id=f"preview-{post.id}")
        self.owner = "preview"
        self.channel = channel
        self.post = post
        self.revision = post.current
        self.article = Job.article_of(post, post.current)

    def _commit(self) -> None:
        pass  # nothing is stored

    def calling(self) -> None:
        pass


def preview_channel(post: Post):
    return next((c for c in post.channels if c.platform == "wechat" and c.active and c.app_id), None)


def send_preview(user, post: Post) -> int:
    """Send the current revision to the user's WeChat ID; returns the platform's msg_id."""
    if not can_preview(user, post):
        raise Refused(_("Only the author and reviewers send previews."), code="forbidden", status=403)
    if not user.wechat_id:
        raise Refused(_("Enter your WeChat ID on your profile page first: previews go there."),
                      code="invalid", fields={"wechat_id": [_("Required.")]})
    channel = preview_channel(post)
    if channel is None:
        raise Refused(_("The post has no WeChat channel to preview through."), code="invalid")
    adapter = WeChatAdapter(channel)
    job = PreviewJob(post, channel)
    try:
        adapter.prepare_images(job)
        adapter.create_draft(job)
        answer = adapter._call(job, "preview", adapter.client.post, "message/mass/preview", data={
            "towxname": user.wechat_id, "msgtype": "mpnews", "mpnews": {"media_id": job.publication.draft_media_id}})
    except PlatformError as e:
        raise Refused(_("WeChat did not send the preview: %(reason)s", reason=e.message), code="platform",
                      status=502) from None
    record("post.preview_sent", post, after={"channel": channel.name, "revision": post.current.number,
                                             "to": user.wechat_id, "msg_id": answer.get("msg_id")})
    from cms.extensions import db

    db.session.commit()
    return answer.get("msg_id")
