"""The CMS served on a loopback port with CMS_SANDBOX on (as `make run` serves it): the channels'
clients call the sandbox over real HTTP; an approved post is published through the real outbox,
so its publication holds the msg_data_id the platform gave, and followers (the sandbox state's
add_comment, as the sandbox's follower page does) comment on it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.extensions import db
from cms.publishing.queries import publications_for
from cms.publishing.scheduling import schedule
from cms.publishing.tasks import publish_due
from cms.sandbox import get_state
from tests.conftest import login, served_sandbox_app, wait_until
from tests.publishing import conftest as _publishing

approved_post = _publishing.approved_post


@pytest.fixture
def app(templates, tmp_path):
    from cms.tasks import huey

    huey.flush()
    with served_sandbox_app(templates, tmp_path, PUBLISH_RETRY_SCALE=0) as app:
        login(app.test_client(), "moderator")  # the first request: the sandbox learns the channels
        get_state(app).configure(callback_delay=0.05, callback_retry_delay=0.05)
        yield app
    huey.flush()


@pytest.fixture
def state(app):
    return get_state(app)


def channel(name: str) -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


@pytest.fixture
def published(app, approved_post):
    """published(channel="星海集团", title=...) → the Publication of a post published there
    (freepublish, comments open as the post asks)."""

    def make(channel_name: str = "星海集团", title: str = "星海集团发布年度社会责任报告", open_comments: bool = True):
        post = approved_post(channels=(channel_name,), title=title)
        if not open_comments:
            post.open_comments = False
            db.session.commit()
        schedule(get_by_username("account_admin"), post)

        def done():
            publish_due.call_local(post.id)
            db.session.expire_all()
            (pub,) = publications_for(post)
            return pub if pub.state == "published" else None

        pub = wait_until(done, 20, "the post was not published")
        assert pub.msg_data_id
        return pub

    return make


@pytest.fixture
def comment_on(state):
    """comment_on(pub, "text", nickname="粉丝甲") → the user_comment_id the sandbox gave."""

    def make(pub, text: str, nickname: str = "", openid: str = "o_follower_1") -> int:
        return state.add_comment(int(pub.msg_data_id), pub.bundle_index or 0, openid, text, nickname=nickname)

    return make
