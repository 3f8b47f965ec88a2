"""Logging in through the browser forms (policies U2 U3 U4)."""
from datetime import timedelta

from sqlalchemy import select

from cms import workdays
from cms.auth import service
from cms.auth.models import User
from cms.demo import DEMO_PASSWORD
from cms.extensions import db
from tests.conftest import login


def _post_login(client, username, password, ip="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_login_page_is_chinese_and_home_needs_login(client):
    r = client.get("/")
    assert r.status_code == 302 and r.location.startswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and "用户名" in page and 'lang="zh-CN"' in page


def test_every_demo_login_works(app):  # policy U5: the real name is what others see
    from cms.demo import PEOPLE

    for username, real_name, *_ in PEOPLE:
        client = login(app.test_client(), username)
        assert real_name in client.get("/").get_data(as_text=True)


def test_wrong_password_is_a_clear_400_not_a_crash(client):
    r = _post_login(client, "contributor", "nope-Nope-1")
    assert r.status_code == 401
    assert "用户名或密码不正确" in r.get_data(as_text=True)
    r = client.post("/login", data={"username": "", "password": ""})
    assert r.status_code == 400 and "请输入用户名" in r.get_data(as_text=True)


def test_five_failures_lock_for_15_minutes(client, clock):  # policy U3
    clock.set("2026-11-25 02:00:00+00:00")
    for _ in range(4):
        assert _post_login(client, "editor", "wrong-Password-1").status_code == 401
    r = _post_login(client, "editor", "wrong-Password-1")
    assert r.status_code == 403 and "账号已锁定" in r.get_data(as_text=True)
    # even the right password is refused while locked
    assert _post_login(client, "editor", DEMO_PASSWORD).status_code == 403
    clock.set("2026-11-25 02:14:00+00:00")
    assert _post_login(client, "editor", DEMO_PASSWORD).status_code == 403
    clock.set("2026-11-25 02:16:00+00:00")
    assert _post_login(client, "editor", DEMO_PASSWORD).status_code == 302


def test_failures_from_one_address_are_throttled(app, client):  # policy U3: per IP too
    app.config["LOGIN_IP_MAX_FAILURES"] = 6
    for i in range(6):
        _post_login(client, f"nobody{i}", "wrong-Password-1", ip="10.9.9.9")
    r = _post_login(client, "contributor", DEMO_PASSWORD, ip="10.9.9.9")
    assert r.status_code == 429 and "该地址登录失败次数过多" in r.get_data(as_text=True)
    assert _post_login(client, "contributor", DEMO_PASSWORD, ip="10.1.1.1").status_code == 302


def test_expired_password_forces_a_change(app, client, clock):  # policy U2
    clock.set(workdays.now() + timedelta(days=91))
    login(client, "contributor")
    r = client.get("/")
    assert r.status_code == 302 and r.location == "/password"
    page = client.get("/password").get_data(as_text=True)
    assert "密码已过期或已被重置" in page
    r = client.post("/password", data={"current": DEMO_PASSWORD, "new": "contributor-2027A",
                                       "confirm": "contributor-2027A"})
    assert r.status_code == 400 and "密码不能包含用户名" in r.get_data(as_text=True)
    r = client.post("/password", data={"current": DEMO_PASSWORD, "new": "Fresh-Harbour-77",
                                       "confirm": "Fresh-Harbour-77"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


def test_last_five_passwords_cannot_come_back(app, client):  # policy U2
    login(client, "contributor")
    current = DEMO_PASSWORD
    for new in ("Spring-Harbour-1", "Summer-Harbour-2"):
        assert client.post("/password", data={"current": current, "new": new, "confirm": new}).status_code == 302
        current = new
    r = client.post("/password", data={"current": current, "new": DEMO_PASSWORD, "confirm": DEMO_PASSWORD})
    assert r.status_code == 400 and "不能使用最近 5 次用过的密码" in r.get_data(as_text=True)


def test_admin_lock_ends_sessions_at_once(app, client_as, user):  # policy U3
    victim = client_as("contributor")
    assert victim.get("/").status_code == 200
    admin = client_as("sysadmin")
    uid = user("contributor").id
    r = admin.post(f"/admin/users/{uid}/lock", data={"confirm-reason": "密码泄露"})
    assert r.status_code == 302
    assert victim.get("/").status_code == 302  # the open session is gone
    assert _post_login(app.test_client(), "contributor", DEMO_PASSWORD).status_code == 403
    admin.post(f"/admin/users/{uid}/unlock")
    assert _post_login(app.test_client(), "contributor", DEMO_PASSWORD).status_code == 302


def test_forced_reset_gives_a_one_time_password(app, client_as, user):  # policy U3
    admin = client_as("sysadmin")
    uid = user("editor").id
    r = admin.post(f"/admin/users/{uid}/reset", follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "新临时密码" in text
    one_time = text.split("登录后须修改）：")[1].split("<")[0].strip()
    c = app.test_client()
    assert _post_login(c, "editor", DEMO_PASSWORD).status_code == 401  # the old one is gone
    assert _post_login(c, "editor", one_time).status_code == 302
    assert c.get("/").location == "/password"


def test_departed_user_loses_session_and_token_at_once(app, client_as, user, api):  # policy U4
    victim = client_as("proofreader")
    victim_api = api("proofreader")
    assert victim_api("GET", "/me").status_code == 200
    admin = client_as("sysadmin")
    uid = user("proofreader").id
    r = admin.post(f"/admin/users/{uid}/depart", data={"depart-leave_date": "2026-11-25", "depart-confirm": "y"})
    assert r.status_code == 302
    assert victim.get("/").status_code == 302
    assert victim_api("GET", "/me").status_code == 401
    db.session.expire_all()
    gone = db.session.scalar(select(User).where(User.username == "proofreader"))
    assert gone.state == "departed" and gone.departed_confirmed_by_id == user("sysadmin").id


def test_departure_needs_the_confirmation_box(app, client_as, user):  # policy U4
    admin = client_as("sysadmin")
    uid = user("proofreader").id
    r = admin.post(f"/admin/users/{uid}/depart", data={"depart-leave_date": "2026-11-25"}, follow_redirects=True)
    assert "请勾选确认" in r.get_data(as_text=True)
    db.session.expire_all()
    assert user("proofreader").state == "active"


def test_session_cookie_is_httponly_and_lax(client):
    r = _post_login(client, "contributor", DEMO_PASSWORD)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookie_when_configured(templates, tmp_path):
    from tests.conftest import _close, make_app

    app = make_app(templates, tmp_path, SESSION_COOKIE_SECURE=True)
    with app.app_context():
        r = _post_login(app.test_client(), "contributor", DEMO_PASSWORD)
        assert "Secure" in r.headers["Set-Cookie"]
    _close(app)


def test_login_redirect_stays_on_site(client):
    r = client.post("/login?next=https://evil.example/", data={"username": "contributor", "password": DEMO_PASSWORD})
    assert r.location == "/"
    client.post("/logout")
    r = client.post("/login?next=/password", data={"username": "contributor", "password": DEMO_PASSWORD})
    assert r.location == "/password"


def test_logout_is_audited_and_ends_the_session(client):
    login(client, "contributor")
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    from cms.audit.models import AuditEntry

    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(2)).all()
    assert actions == ["logout", "login"]


def test_service_refuses_weak_initial_password(app):  # policy U2
    import pytest

    from cms.errors import Refused

    with pytest.raises(Refused) as e:
        service.create_user(username="wang", real_name="王五", department_id=user_dept(), password="short")
    assert e.value.code == "U2"


def user_dept():
    return db.session.scalar(select(User.department_id).where(User.username == "contributor"))


def test_wechat_id_for_previews(client_as, user):
    c = client_as("editor")
    r = c.post("/profile", data={"wx-wechat_id": "1bad id", "wx-save": "1"})
    assert r.status_code == 400 and "微信号" in r.get_data(as_text=True)
    assert user("editor").wechat_id == ""
    r = c.post("/profile", data={"wx-wechat_id": "chen_siyuan", "wx-save": "1"})
    assert r.status_code == 302 and user("editor").wechat_id == "chen_siyuan"
