"""Posts taken through the real review chain, ready to be archived as the publisher would."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.content.models import Post
from cms.extensions import db
from cms.workflow import service as workflow

EXTERNAL = "https://img.example.com/logo.png"


def channel(name="星海集团") -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def upload(color=(10, 120, 200), size=(700, 400)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return content.upload_asset(get_by_username("contributor"), buf.getvalue(), "own")


def decide(username, post_id, **extra):
    p = db.session.get(Post, post_id)
    return workflow.decide(get_by_username(username), p, {"decision": "approve", "revision": p.current.number,
                                                           "hash": p.current.content_hash, **extra})


def approve_all(post_id, ch):
    post = db.session.get(Post, post_id)
    if post.status in ("draft", "rejected"):  # an author's edit after approval restarts the chain itself
        workflow.submit(get_by_username("contributor"), post, {})
    for role in ("department_head", "leader", "editor", "proofreader"):
        decide(role, post_id, comment=f"{role} 同意")
    decide("supervisor", post_id, push={str(ch.id): False}, comment="同意发布")
    db.session.expire_all()
    assert db.session.get(Post, post_id).status == "approved"


@pytest.fixture
def approved(app):
    """make(title=...) → an approved post on 星海集团 whose body shows one of our images, with a cover."""
    def make(title="市场部举办客户开放日", color=(10, 120, 200)):
        ch = channel()
        body_image, cover = upload(color), upload((200, 80, 20), (940, 400))
        text = f"# 开放日\n\n本周五，市场部邀请客户参观新产品展厅。\n\n![展厅](/assets/{body_image.id})"
        p = content.create_post(get_by_username("contributor"), {
            "title": title, "author": "张晓雯", "digest": "开放日活动回顾", "category": "news",
            "body": {"format": "markdown", "text": text}, "source": {"kind": "original"},
            "channels": [ch.id], "cover_asset_id": cover.id})
        approve_all(p.id, ch)
        return db.session.get(Post, p.id), body_image, cover

    return make
