"""The demo app with CMS_SANDBOX on, served on a loopback port as `make run` serves it: the demo's
WeChat accounts deliver their callbacks to it (safe mode, the demo channels' token and key), and
its clients call the sandbox over real HTTP (wechatpy). Nothing is mocked."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from cms.channels import callback_config
from cms.channels.models import Channel
from cms.extensions import db
from cms.followers.models import FollowerMessage
from cms.sandbox import get_state
from tests.conftest import login, served_sandbox_app, wait_until

GROUP, TECH = "星海集团", "星海科技"


@pytest.fixture
def live(templates, tmp_path):
    """The served app (an app context pushed); the sandbox pushes at once and retries at once; the
    sandbox accounts know the channels (the first request registers them)."""
    from cms.tasks import huey

    huey.flush()
    with served_sandbox_app(templates, tmp_path) as app:
        get_state(app).configure(callback_delay=0.05, callback_retry_delay=0.05)
        login(app.test_client(), "moderator")  # the first request: the sandbox learns the channels
        yield app
    huey.flush()


@pytest.fixture
def state(live):
    return get_state(live)


def channel(name: str = GROUP) -> Channel:
    db.session.expire_all()
    return db.session.scalar(select(Channel).where(Channel.name == name))


def set_mode(state, ch: Channel, mode: str) -> None:
    """The channel's callback mode in the CMS and, as an administrator would, in the MP console."""
    ch.callback_mode = mode
    db.session.commit()
    callback_config.point_sandbox(state, ch)
    assert state.accounts[ch.app_id].callback.mode == mode


def follower_writes(state, ch: Channel, openid: str, content: str) -> dict:
    """The sandbox follower sends a message; waits until the sandbox's push has ended."""
    before = len(state.deliveries)
    message = state.followers.send(ch.app_id, openid, content)
    state.wait_deliveries(count=before + 1)
    return message


def inbox_rows(ch: Channel, openid: str | None = None) -> list[FollowerMessage]:
    db.session.expire_all()
    q = select(FollowerMessage).where(FollowerMessage.channel_id == ch.id).order_by(FollowerMessage.id)
    if openid is not None:
        q = q.where(FollowerMessage.openid == openid)
    return list(db.session.scalars(q))


__all__ = ["GROUP", "TECH", "channel", "follower_writes", "inbox_rows", "login", "set_mode", "wait_until"]
