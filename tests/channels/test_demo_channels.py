"""The demo's channels work in `make run`: the app serves the sandbox itself (CMS_SANDBOX on), the
channels' clients call it over loopback HTTP, and "test connection" answers OK on each."""
import pytest
from sqlalchemy import select

from cms.channels import clients, service
from cms.channels.models import Channel
from cms.extensions import db
from cms.sandbox import SANDBOX_SECRET, get_state
from tests.conftest import login, served_sandbox_app


def test_demo_channels_have_sandbox_credentials(app):
    rows = {c.name: c for c in db.session.scalars(select(Channel))}
    group, tech, toutiao, site = rows["星海集团"], rows["星海科技"], rows["星海头条号"], rows["星海官网"]
    assert (group.account_kind, tech.account_kind) == ("service", "subscription")  # C18 differs
    for channel in (group, tech, toutiao):
        assert channel.app_id and channel.secret() == SANDBOX_SECRET
        assert channel.manager.username == "account_admin" and channel.secret_rotated_at is not None
        assert SANDBOX_SECRET not in channel.app_secret_enc
    assert site.slug == "xinghai" and not site.has_secret
    assert service.push_allowance(tech) == (1, "day") and service.push_allowance(group) == (4, "month")


@pytest.fixture
def served(templates, tmp_path):
    """The demo app with CMS_SANDBOX on, served on a loopback port as `make run` serves it."""
    with served_sandbox_app(templates, tmp_path) as app:
        yield app


def test_make_run_answers_test_connection_on_every_demo_channel(served):
    admin = login(served.test_client(), "account_admin")  # the first request: the sandbox learns the channels
    state = get_state(served)
    tech = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    assert state.accounts[tech.app_id].kind == "subscription" and state.accounts[tech.app_id].name == "星海科技"
    for name in ("星海集团", "星海科技", "星海头条号"):
        channel = db.session.scalar(select(Channel).where(Channel.name == name))
        assert clients.api_base_url(channel).startswith(served.config["SANDBOX_URL"])
        r = admin.post(f"/channels/{channel.id}/test")
        assert r.status_code == 302
        page = admin.get("/channels/").get_data(as_text=True)
        assert f"{name}：连接成功" in page, page
    calls = [p for _t, p, _o in state.calls]
    assert calls.count("/mp/cgi-bin/stable_token") == 2 and calls.count("/toutiao/open/v1/token") == 1
    # A channel added in the running app with the sandbox's secret works at once, with its kind.
    admin.post("/channels/new", data={
        "name": "新订阅号", "platform": "wechat", "channel_type": "other", "audience": "employees",
        "level": "department", "account_kind": "subscription", "app_id": "wxnewsubscription1",
        "app_secret": SANDBOX_SECRET, "manager_id": str(tech.manager_id)})
    assert state.accounts["wxnewsubscription1"].kind == "subscription"
    # Any other secret is the platform's business: it does not know that account.
    ok, message = service.test_connection(service.create_channel({
        "name": "陌生号", "platform": "wechat", "channel_type": "other", "audience": "public", "level": "group",
        "account_kind": "service", "app_id": "wxstranger0000001", "app_secret": "not-the-sandbox-secret",
        "manager_id": str(tech.manager_id)}))
    assert not ok and "40013" in message
