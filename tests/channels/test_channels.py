"""Channels in the browser: encrypted credentials never shown again, validation naming fields and
policies (C1 C2 C17), "test connection" against the sandbox over loopback HTTP, rotation and its
reminder (C17), permissions. Real database, real sandbox, nothing mocked."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.channels import clients, service
from cms.channels.models import Channel
from cms.extensions import db

SECRET = "Very-Secret-Value-9f3a"
CALLBACK_TOKEN = "cbToken12345"
AES_KEY = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg"  # 43


def _channel(name: str) -> Channel | None:
    db.session.expire_all()
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _form(manager_id, **changes) -> dict:
    values = {"name": "测试服务号", "platform": "wechat", "channel_type": "brand", "audience": "public",
              "level": "group", "account_kind": "service", "app_id": "wxtest0000000001", "app_secret": SECRET,
              "callback_token": CALLBACK_TOKEN, "encoding_aes_key": AES_KEY, "api_base_url": "", "slug": "",
              "push_quota": "", "rotation_days": "", "manager_id": str(manager_id), "active": "y"}
    return {**values, **changes}


def _edit_form(channel: Channel, **changes) -> dict:
    values = {"name": channel.name, "channel_type": channel.channel_type, "audience": channel.audience,
              "level": channel.level, "account_kind": channel.account_kind, "app_id": channel.app_id or "",
              "app_secret": "", "callback_token": "", "encoding_aes_key": "",
              "api_base_url": channel.api_base_url or "", "slug": channel.slug or "",
              "push_quota": "" if channel.push_quota is None else str(channel.push_quota),
              "rotation_days": "" if channel.rotation_days is None else str(channel.rotation_days),
              "manager_id": str(channel.manager_id or ""), "active": "y"}
    return {**values, **changes}


def assert_never_audited(*values: str) -> None:
    for entry in db.session.scalars(select(AuditEntry)):
        text = json.dumps([entry.before, entry.after], ensure_ascii=False)
        for value in values:
            assert value not in text, (entry.action, value)


def _flashes(client, url="/channels/") -> str:
    return client.get(url).get_data(as_text=True)


# --- create, edit, secrets never shown ----------------------------------------------------------

def test_admin_adds_a_wechat_channel_and_its_secrets_are_never_shown_again(client_as, user):
    admin = client_as("account_admin")
    manager = user("account_admin")
    r = admin.post("/channels/new", data=_form(manager.id))
    assert r.status_code == 302, r.get_data(as_text=True)
    channel = _channel("测试服务号")
    assert channel.app_id == "wxtest0000000001" and channel.manager_id == manager.id
    # Encrypted at rest; decrypted only on request.
    assert SECRET not in channel.app_secret_enc and channel.secret() == SECRET
    assert channel.callback_token() == CALLBACK_TOKEN and channel.encoding_aes_key() == AES_KEY
    assert channel.secret_rotated_at is not None and not service.secret_overdue(channel)
    row = db.session.execute(select(Channel.__table__).where(Channel.id == channel.id)).mappings().one()
    assert SECRET not in json.dumps(dict(row), default=str)
    for url in ("/channels/", f"/channels/{channel.id}/edit", "/"):
        html = admin.get(url).get_data(as_text=True)
        for value in (SECRET, CALLBACK_TOKEN, AES_KEY, channel.app_secret_enc):
            assert value not in html, (url, value)
    page = admin.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    assert "wxtest0000000001" in page and "吴婷" in page and "测试连接" in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "channel.created")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_name == "account_admin" and entry.after["app_id"] == "wxtest0000000001"
    assert entry.after["stored"] == ["app_secret", "callback_token", "encoding_aes_key"]
    assert_never_audited(SECRET, CALLBACK_TOKEN, AES_KEY)
    index = admin.get("/channels/").get_data(as_text=True)
    assert "测试服务号" in index and "微信公众号" in index and "品牌宣传" in index and "集团级" in index


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_is_a_rotation(client_as, user):
    admin = client_as("account_admin")
    admin.post("/channels/new", data=_form(user("account_admin").id))
    channel = _channel("测试服务号")
    rotated_at = channel.secret_rotated_at
    r = admin.post(f"/channels/{channel.id}/edit", data=_edit_form(channel, name="测试服务号二", level="subsidiary"))
    assert r.status_code == 302
    channel = _channel("测试服务号二")
    assert channel.level == "subsidiary" and channel.secret() == SECRET
    assert channel.callback_token() == CALLBACK_TOKEN and channel.secret_rotated_at == rotated_at
    r = admin.post(f"/channels/{channel.id}/edit", data=_edit_form(channel, app_secret="Another-Secret-77"))
    assert r.status_code == 302
    channel = _channel("测试服务号二")
    assert channel.secret() == "Another-Secret-77" and channel.secret_rotated_at > rotated_at
    first, second = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "channel.updated")
                                       .order_by(AuditEntry.id)).all()
    assert first.before["level"] == "group" and first.after["level"] == "subsidiary" and first.after["replaced"] == []
    assert second.after["replaced"] == ["app_secret"] and second.after["rotated_at"] > second.before["rotated_at"]
    assert_never_audited(SECRET, "Another-Secret-77")


def test_a_missing_appid_is_refused_naming_the_field_and_the_work_is_kept(client_as, user):
    admin = client_as("account_admin")
    r = admin.post("/channels/new", data=_form(user("account_admin").id, app_id="", name="留着的名字"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "微信渠道需要填写 AppID" in html and 'value="留着的名字"' in html
    assert SECRET not in html  # a password input is never filled back in
    assert _channel("留着的名字") is None


def test_every_problem_is_named_at_once_with_its_policy(client_as):
    admin = client_as("account_admin")
    r = admin.post("/channels/new", data=_form("", channel_type="x", level="", app_secret="",
                                                encoding_aes_key="short"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    for text in ("C1", "C2", "请输入 AppSecret", "EncodingAESKey 为 43 位", "指定负责人"):
        assert text in html, text
    with pytest.raises(Exception) as e:
        service.create_channel({"name": "x", "platform": "wechat", "app_id": "wxtest0000000009"})
    assert e.value.code == "C1" and set(e.value.fields) >= {"channel_type", "app_secret", "manager_id"}
    assert "AppSecret" in e.value.message  # the message itself names the fields (CLI, API)


def test_a_website_channel_needs_a_feed_name_and_no_credentials(client_as):
    admin = client_as("account_admin")
    base = {"name": "新闻站", "platform": "website", "channel_type": "brand", "audience": "public",
            "level": "group", "slug": "", "manager_id": ""}
    r = admin.post("/channels/new", data=base)
    assert r.status_code == 400 and "网站渠道需要" in r.get_data(as_text=True)
    r = admin.post("/channels/new", data={**base, "slug": "xinghai"})
    assert r.status_code == 400 and "已有渠道使用" in r.get_data(as_text=True)  # the demo site has it
    r = admin.post("/channels/new", data={**base, "slug": "news", "app_secret": "ignored"})
    assert r.status_code == 302
    channel = _channel("新闻站")
    assert channel.slug == "news" and not channel.has_secret and channel.app_id is None
    assert not service.secret_overdue(channel)


def test_the_platform_cannot_change(app):
    channel = _channel("星海集团")
    with pytest.raises(Exception) as e:
        service.update_channel(channel, {"platform": "toutiao"})
    assert "platform" in e.value.fields


# --- test connection ----------------------------------------------------------------------------

def test_test_connection_shows_the_platforms_answer(platforms, client_as):
    admin = client_as("account_admin")
    group = _channel("星海集团")
    r = admin.post(f"/channels/{group.id}/test")
    assert r.status_code == 302
    page = _flashes(admin)
    assert "星海集团：连接成功" in page and "7200" in page
    # The account exists on the platform with another AppSecret: 40125, in Chinese.
    platforms.add_account(group.app_id, "the-platforms-secret")
    r = admin.post(f"/channels/{group.id}/test", data={"next": f"/channels/{group.id}/edit"})
    assert r.location.endswith(f"/channels/{group.id}/edit")
    page = _flashes(admin, r.location)
    assert "40125" in page and "AppSecret 无效" in page and "sandbox-secret" not in page
    # An AppID the platform does not know: 40013.
    service.update_channel(group, {"app_id": "wxunknown00000001", "app_secret": "some-other-secret"})
    ok, message = service.test_connection(_channel("星海集团"))
    assert not ok and "40013" in message and "AppID 无效" in message
    results = [e.after["ok"] for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "channel.connection_tested").order_by(AuditEntry.id))]
    assert results == [True, False, False]
    assert_never_audited("sandbox-secret", "some-other-secret")


def test_test_connection_on_a_toutiao_style_channel(platforms, client_as):
    channel = _channel("星海头条号")
    ok, message = service.test_connection(channel)
    assert ok, message
    platforms.add_toutiao_account("tt_other_account", "right-secret")
    service.update_channel(channel, {"app_id": "tt_other_account", "app_secret": "wrong-secret"})
    ok, message = service.test_connection(_channel("星海头条号"))
    assert not ok and "41001" in message and "请求参数错误" in message and "wrong-secret" not in message


def test_an_unreachable_platform_is_reported_not_raised(app):
    app.config["WECHAT_API_BASE_URL"] = "http://127.0.0.1:9/mp/cgi-bin/"
    ok, message = service.test_connection(_channel("星海集团"))
    assert not ok and "http://127.0.0.1:9/mp/cgi-bin/" in message and "暂时无法访问" in message


def test_base_url_precedence(app, platforms, sandbox_url):
    """The channel's own > (CMS_SANDBOX on) the sandbox > CMS_WECHAT_API_BASE_URL > the real host."""
    channel = _channel("星海集团")
    assert clients.api_base_url(channel) == f"{sandbox_url}/mp/cgi-bin/"
    app.config["WECHAT_API_BASE_URL"] = ""
    assert clients.api_base_url(channel) == "https://api.weixin.qq.com/cgi-bin/"
    app.config.update(SANDBOX=True, SANDBOX_URL="http://127.0.0.1:5000/")
    assert clients.api_base_url(channel) == "http://127.0.0.1:5000/mp/cgi-bin/"
    assert clients.api_base_url(_channel("星海头条号")) == "http://127.0.0.1:5000/toutiao/open/v1/"
    app.config["SANDBOX"] = False
    assert clients.api_base_url(_channel("星海头条号")) == f"{sandbox_url}/toutiao/open/v1/"
    app.config["TOUTIAO_API_BASE_URL"] = ""
    ok, message = service.test_connection(_channel("星海头条号"))
    assert not ok and "CMS_TOUTIAO_API_BASE_URL" in message
    # A per-channel override wins over everything, and is what the client calls.
    app.config["WECHAT_API_BASE_URL"] = "http://127.0.0.1:9/mp/cgi-bin/"
    service.update_channel(channel, {"api_base_url": f"{sandbox_url}/mp/cgi-bin"})
    channel = _channel("星海集团")
    assert channel.api_base_url == f"{sandbox_url}/mp/cgi-bin/"
    assert service.test_connection(channel)[0]


def test_clients_share_one_token_through_the_database(platforms):
    channel = _channel("星海科技")
    first, second = clients.mp_client(channel), clients.mp_client(channel)
    assert first.draft.count()["total_count"] == 0
    assert second.draft.count()["total_count"] == 0
    fetches = [p for _t, p, o in platforms.calls if p.endswith("stable_token") and o == channel.app_id]
    assert len(fetches) == 1
    storage = clients.token_storage()
    assert storage.get(f"{channel.app_id}_access_token").startswith("SBX_mp_")
    service.rotate_secret(channel, "a-brand-new-secret")  # tokens of the old secret are forgotten
    assert storage.get(f"{channel.app_id}_access_token") is None


# --- rotation (C17) -----------------------------------------------------------------------------

def test_rotate_secret_form(client_as):
    admin = client_as("account_admin")
    channel = _channel("星海集团")
    before = channel.secret_rotated_at
    url = f"/channels/{channel.id}/rotate-secret"
    r = admin.post(url, data={"new_secret": "New-Secret-1", "confirm": "New-Secret-2"})
    assert r.status_code == 400 and "两次输入不一致" in r.get_data(as_text=True)
    r = admin.post(url, data={"new_secret": "sandbox-secret", "confirm": "sandbox-secret"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "已保存的 AppSecret" in html and "sandbox-secret" not in html
    r = admin.post(url, data={"new_secret": "", "confirm": ""})
    assert r.status_code == 400 and "请输入新的 AppSecret" in r.get_data(as_text=True)
    r = admin.post(url, data={"new_secret": "New-Secret-1", "confirm": "New-Secret-1"})
    assert r.status_code == 302
    channel = _channel("星海集团")
    assert channel.secret() == "New-Secret-1" and channel.secret_rotated_at > before
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "channel.secret_rotated")).one()
    assert entry.actor_name == "account_admin" and entry.after["due"]
    assert_never_audited("New-Secret-1", "New-Secret-2", "sandbox-secret")
    assert "New-Secret-1" not in admin.get(f"/channels/{channel.id}/edit").get_data(as_text=True)


def test_an_overdue_secret_is_flagged_and_its_managers_reminded(client_as, user):
    channel = _channel("星海集团")
    channel.secret_rotated_at = workdays.now() - timedelta(days=100)
    db.session.commit()
    admin = client_as("account_admin")
    index = admin.get("/channels/").get_data(as_text=True)
    row = index.split(f'id="channel-{channel.id}"')[1].split("</tr>")[0]
    assert "100 天" in row and "更换已逾期（C17）" in row
    other = index.split(f'id="channel-{_channel("星海科技").id}"')[1].split("</tr>")[0]
    assert "逾期" not in other
    assert "更换已逾期（C17）" in admin.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    home = admin.get("/").get_data(as_text=True)
    assert "渠道密钥" in home and "星海集团" in home and "已逾期" in home
    assert f"/channels/{channel.id}/edit" in home
    # System administrators see it too, linked to the designated manager's page.
    home = client_as("sysadmin").get("/").get_data(as_text=True)
    assert "星海集团" in home and f"/admin/users/{user('account_admin').id}" in home
    assert "渠道密钥" not in client_as("contributor").get("/").get_data(as_text=True)
    # A channel's own shorter period.
    service.update_channel(_channel("星海科技"), {"rotation_days": "30"})
    tech = _channel("星海科技")
    tech.secret_rotated_at = workdays.now() - timedelta(days=31)
    db.session.commit()
    assert [c.name for c in service.overdue_channels()] == ["星海集团", "星海科技"]


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["contributor", "sysadmin", "supervisor"])
def test_others_are_refused(client_as, username):
    client = client_as(username)
    channel = _channel("星海集团")
    for method, url in (("GET", "/channels/"), ("GET", "/channels/new"), ("POST", "/channels/new"),
                        ("GET", f"/channels/{channel.id}/edit"), ("POST", f"/channels/{channel.id}/edit"),
                        ("POST", f"/channels/{channel.id}/rotate-secret"), ("POST", f"/channels/{channel.id}/test")):
        assert client.open(url, method=method, data={"new_secret": "x", "confirm": "x"}).status_code == 403, url
    assert _channel("星海集团").secret() == "sandbox-secret"


def test_a_channel_scoped_administrator_manages_only_their_channel(app, client_as):
    from cms.auth import service as people
    from cms.auth.models import Department
    from cms.demo import DEMO_PASSWORD
    from tests.conftest import login

    tech = _channel("星海科技")
    office = db.session.scalar(select(Department.id).where(Department.name == "办公室"))
    people.create_user(username="tech_admin", real_name="科技号管理员", department_id=office, title="运营",
                       roles=[("account_admin", "channel", tech.id)], password=DEMO_PASSWORD, must_change=False)
    client = login(app.test_client(), "tech_admin")
    index = client.get("/channels/").get_data(as_text=True)
    assert "星海科技" in index and "星海集团" not in index and "新建渠道" not in index
    assert client.get(f"/channels/{tech.id}/edit").status_code == 200
    assert client.get(f"/channels/{_channel('星海集团').id}/edit").status_code == 403
    assert client.post(f"/channels/{_channel('星海集团').id}/test").status_code == 403
    assert client.get("/channels/new").status_code == 403
    # A scoped administrator may be named manager of their own channel, not of another.
    user_id = people.get_by_username("tech_admin").id
    service.update_channel(tech, {"manager_id": str(user_id)})
    with pytest.raises(Exception) as e:
        service.update_channel(_channel("星海集团"), {"manager_id": str(user_id)})
    assert e.value.code == "C17"


def test_a_new_encoding_aes_key_keeps_the_one_it_replaced_for_callbacks(client_as, user):
    """WeChat's advice when the key is changed in the MP console: keep the previous one and try it
    when the current cannot open a callback (tests/callbacks/test_endpoint.py pushes under both)."""
    admin = client_as("account_admin")
    admin.post("/channels/new", data=_form(user("account_admin").id))
    channel = _channel("测试服务号")
    assert channel.encoding_aes_keys() == [AES_KEY]
    assert "上一个 EncodingAESKey 也已保留" not in admin.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    new_key = "ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210abcdefg"
    r = admin.post(f"/channels/{channel.id}/edit", data=_edit_form(channel, encoding_aes_key=new_key))
    assert r.status_code == 302
    db.session.expire_all()
    channel = _channel("测试服务号")
    assert channel.encoding_aes_keys() == [new_key, AES_KEY]
    page = admin.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    assert "上一个 EncodingAESKey 也已保留" in page and new_key not in page and AES_KEY not in page
    assert_never_audited(new_key, AES_KEY)
