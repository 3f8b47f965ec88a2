"""`make run`: the app serves the sandbox itself (CMS_SANDBOX on) and is the server of the demo's
WeChat accounts. At its first request the sandbox accounts get their server configuration (safe
mode, the demo channels' token and EncodingAESKey, CMS_PUBLIC_BASE_URL/wechat/callback/<id>); a push
goes out through the worker and its MASSSENDJOBFINISH comes back into the same app; the channel page
shows the URL to enter in the MP console."""
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
from tests.conftest import login, served_sandbox_app


@pytest.fixture
def app(templates, tmp_path):
    """This module's app: the demo with CMS_SANDBOX on, served on a loopback port as `make run` serves
    it, CMS_PUBLIC_BASE_URL and CMS_SANDBOX_URL its own address."""
    from cms.tasks import huey

    huey.flush()
    with served_sandbox_app(templates, tmp_path, PUBLISH_RETRY_SCALE=0) as app:
        get_state(app).configure(callback_delay=0.05, callback_retry_delay=0.05)
        yield app
    huey.flush()


def test_the_demo_accounts_call_the_app_back(app, approved_post):
    state = get_state(app)
    admin = login(app.test_client(), "account_admin")  # the first request: the sandbox learns the channels
    group = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    tech = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    for channel in (group, tech):
        config = state.accounts[channel.app_id].callback
        assert config.url == f"{app.config['PUBLIC_BASE_URL']}/wechat/callback/{channel.id}"
        assert config.mode == "safe" and config.token == channel.callback_token()
        assert config.encoding_aes_key == channel.encoding_aes_key()
    # The channel page gives the administrator the same URL for the MP console.
    page = admin.get(f"/channels/{group.id}/edit").get_data(as_text=True)
    assert f"{app.config['PUBLIC_BASE_URL']}/wechat/callback/{group.id}" in page and "服务器配置" in page
    assert group.callback_token() not in page and group.encoding_aes_key() not in page
    # A push goes out through the worker; its MASSSENDJOBFINISH comes back into this app.
    post = approved_post(push={"星海集团": True})
    schedule(get_by_username("account_admin"), post)
    publish_due.call_local(post.id)
    (delivery,) = state.wait_deliveries(count=1)
    assert delivery.state == "delivered" and delivery.config.mode == "safe"
    publish_due.call_local(post.id)  # the run the callback asked for (make run's worker does it)
    db.session.expire_all()
    (pub,) = publications_for(post)
    assert pub.state == "published" and pub.url and "/sandbox/articles/" in pub.url


def test_a_token_changed_in_the_cms_reaches_the_sandbox(app):
    """Saving the channel (a new token, the key removed from the form is kept) points the sandbox
    account again: the MP console and the CMS stay in step in `make run`."""
    from cms.channels import service

    state = get_state(app)
    login(app.test_client(), "account_admin")
    tech = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    service.update_channel(tech, {"callback_token": "newDemoToken2026"})
    assert state.accounts[tech.app_id].callback.token == "newDemoToken2026"
    tech.set_callback_token(None)
    db.session.commit()
    service.register_sandbox_accounts(app, [tech])
    assert state.accounts[tech.app_id].callback is None
