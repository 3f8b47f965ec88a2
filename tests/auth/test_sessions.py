"""Server-side sessions and uniform login failures (policies U3 U4; issue 13 part 5)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cms import workdays
from cms.auth import service
from cms.auth.models import LoginAttempt, UserSession
from cms.demo import DEMO_PASSWORD
from cms.extensions import db
from tests.conftest import login


def _post_login(client, username, password, ip="10.0.0.1", **kw):
    return client.post("/login", data={"username": username, "password": password, **kw},
                       environ_base={"REMOTE_ADDR": ip, "HTTP_USER_AGENT": "pytest-browser/1"})


def _page(response, username: str) -> str:
    """The page with what must differ taken out: the name typed back into the form, the CSRF tokens."""
    import re

    text = response.get_data(as_text=True).replace(f'value="{username}"', 'value="NAME"')
    return re.sub(r'(csrf_token\(?\)?" type="hidden" value=|name="csrf-token" content=)"[^"]*"', r'\1"T"', text)


def _same(a, name_a, b, name_b) -> bool:
    return a.status_code == b.status_code and _page(a, name_a) == _page(b, name_b)


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _open_rows(username):
    return db.session.scalars(select(UserSession).join(UserSession.user).where(
        UserSession.ended_at.is_(None), UserSession.user.has(username=username))).all()


def test_a_copied_cookie_stops_working_after_logout(app):  # policy U3
    browser = app.test_client()
    assert _post_login(browser, "contributor", DEMO_PASSWORD).status_code == 302
    copied = _session_cookie(browser)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 200  # the copy works while the session is open
    assert browser.post("/logout").status_code == 302
    r = thief.get("/")
    assert r.status_code == 302 and r.location.startswith("/login")
    assert thief.get("/posts").status_code == 302


def test_a_login_is_a_row_and_logout_ends_it(app):
    client = app.test_client()
    _post_login(client, "editor", DEMO_PASSWORD, ip="10.2.3.4")
    rows = _open_rows("editor")
    assert len(rows) == 1
    row = rows[0]
    assert row.ip == "10.2.3.4" and row.user_agent == "pytest-browser/1" and row.end_reason == ""
    # The cookie holds a token, the table only its hash: the row's id does not open a session.
    with client.session_transaction() as s:
        token = s["_user_id"]
    assert token != row.id and row.user.username == "editor"
    forged = app.test_client()
    with forged.session_transaction() as s:
        s["_user_id"] = row.id
    assert forged.get("/").status_code == 302
    client.post("/logout")
    db.session.expire_all()
    assert _open_rows("editor") == []
    assert db.session.get(UserSession, row.id).end_reason == "logout"
    # The logout empties the browser's session too: no user id is left in the cookie.
    with client.session_transaction() as s:
        assert "_user_id" not in s


def test_two_browsers_are_two_sessions_and_logout_ends_only_its_own(app):
    one, two = login(app.test_client(), "editor"), login(app.test_client(), "editor")
    assert len(_open_rows("editor")) == 2
    one.post("/logout")
    assert one.get("/").status_code == 302
    assert two.get("/").status_code == 200


def test_login_replaces_whatever_session_the_browser_brought(app):  # session fixation
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = "planted-by-an-attacker"
        s["planted"] = "x"
    _post_login(client, "editor", DEMO_PASSWORD)
    with client.session_transaction() as s:
        first = s["_user_id"]
        assert "planted" not in s and first != "planted-by-an-attacker"
    client.post("/logout")
    _post_login(client, "editor", DEMO_PASSWORD)
    with client.session_transaction() as s:
        assert s["_user_id"] != first  # every login a new session id


def _form_token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_login_rotates_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    token = _form_token(client.get("/login").get_data(as_text=True))
    with client.session_transaction() as s:
        before = s["csrf_token"]
    assert _post_login(client, "editor", DEMO_PASSWORD, csrf_token=token).status_code == 302
    with client.session_transaction() as s:
        assert s.get("csrf_token") != before
    page = client.get("/profile").get_data(as_text=True)
    with client.session_transaction() as s:
        after = s["csrf_token"]
    assert after != before
    # The token from before the login no longer passes; the new one does.
    r = client.post("/profile", data={"wx-wechat_id": "chen_siyuan", "wx-save": "1", "wx-csrf_token": token})
    assert r.status_code == 400
    assert client.post("/logout", data={"csrf_token": token}).status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": _form_token(page)}).status_code == 302


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app):  # policy U2 U3
    here, elsewhere = login(app.test_client(), "editor"), login(app.test_client(), "editor")
    with here.session_transaction() as s:
        old = s["_user_id"]
    r = here.post("/password", data={"current": DEMO_PASSWORD, "new": "Fresh-Harbour-77", "confirm": "Fresh-Harbour-77"})
    assert r.status_code == 302
    assert here.get("/").status_code == 200
    with here.session_transaction() as s:
        assert s["_user_id"] != old  # this browser goes on in a new session
    assert elsewhere.get("/").status_code == 302
    db.session.expire_all()
    assert len(_open_rows("editor")) == 1


def test_an_admin_reset_ends_every_session(app, client_as, user):  # policy U3
    victim = client_as("editor")
    client_as("sysadmin").post(f"/admin/users/{user('editor').id}/reset")
    assert victim.get("/").status_code == 302
    db.session.expire_all()
    assert _open_rows("editor") == []
    ended = db.session.scalars(select(UserSession.end_reason).join(UserSession.user)
                               .where(UserSession.user.has(username="editor"))).all()
    assert set(ended) <= {"password", "access_withdrawn"} and ended


def test_ended_and_idle_sessions_are_purged(app, clock):
    from cms.auth import sessions

    clock.set("2026-11-02 02:00:00+00:00")
    idle = login(app.test_client(), "editor")
    login(app.test_client(), "proofreader").post("/logout")
    clock.set("2026-12-03 02:00:00+00:00")
    login(app.test_client(), "chief").post("/logout")  # ended, but lately: kept a while
    fresh = login(app.test_client(), "contributor")
    assert sessions.purge() == 2  # the old ended one, and the one idle for over 30 days
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 2
    r = idle.get("/")
    assert r.status_code == 302 and r.location.startswith("/login")
    r = fresh.get("/")
    assert r.status_code == 200 or not r.location.startswith("/login")  # (a password gate may ask first)


# --- failures say nothing about whether the username exists -------------------------------------

def _spy_hash_checks(monkeypatch) -> list[str]:
    """Record the hashes authenticate checks a password against (the real check still runs)."""
    seen: list[str] = []
    real = service.check_password_hash

    def spy(pwhash, password):
        seen.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(service, "check_password_hash", spy)
    return seen


def test_unknown_user_and_wrong_password_look_the_same(app, monkeypatch, user):  # policy U3
    seen = _spy_hash_checks(monkeypatch)
    wrong = _post_login(app.test_client(), "editor", "wrong-Password-1")
    assert len(seen) == 1 and seen[0] == user("editor").password_hash
    unknown = _post_login(app.test_client(), "no-such-person", "wrong-Password-1")
    assert len(seen) == 2  # a hash check ran for the unknown name too ...
    method = user("editor").password_hash.split("$")[0]
    assert seen[1].split("$")[0] == method  # ... against a hash of the same method and cost
    assert seen[1] != seen[0]
    assert wrong.status_code == unknown.status_code == 401
    assert _same(wrong, "editor", unknown, "no-such-person")
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert sorted(wrong.headers.keys()) == sorted(unknown.headers.keys())


def test_an_unknown_name_locks_after_the_same_failures(app, clock):  # policy U3
    clock.set("2026-11-25 02:00:00+00:00")
    real, ghost = app.test_client(), app.test_client()
    for _ in range(4):
        a = _post_login(real, "editor", "wrong-Password-1")
        b = _post_login(ghost, "no-such-person", "wrong-Password-1")
        assert a.status_code == 401 and _same(a, "editor", b, "no-such-person")
    a = _post_login(real, "editor", "wrong-Password-1")
    b = _post_login(ghost, "no-such-person", "wrong-Password-1")
    assert a.status_code == 403 and _same(a, "editor", b, "no-such-person")
    assert "账号已锁定" in a.get_data(as_text=True)
    clock.set("2026-11-25 02:14:00+00:00")
    a = _post_login(real, "editor", "wrong-Password-1")
    b = _post_login(ghost, "no-such-person", "wrong-Password-1")
    assert a.status_code == 403 and _same(a, "editor", b, "no-such-person")
    clock.set("2026-11-25 02:16:00+00:00")
    a = _post_login(real, "editor", "wrong-Password-1")
    b = _post_login(ghost, "no-such-person", "wrong-Password-1")
    assert a.status_code == 401 and _same(a, "editor", b, "no-such-person")
    assert db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == "no-such-person")) == 6  # refusals while locked add none


@pytest.mark.parametrize("how", ["lock", "depart"])
def test_a_closed_account_is_named_only_to_its_right_password(app, client_as, user, how):  # U3 U4
    admin = client_as("sysadmin")
    uid = user("proofreader").id
    if how == "lock":
        admin.post(f"/admin/users/{uid}/lock", data={"confirm-reason": "密码泄露"})
    else:
        admin.post(f"/admin/users/{uid}/depart", data={"depart-leave_date": "2026-11-25", "depart-confirm": "y"})
    assert user("proofreader").state != "active"
    wrong = _post_login(app.test_client(), "proofreader", "wrong-Password-1")
    unknown = _post_login(app.test_client(), "no-such-person", "wrong-Password-1")
    assert wrong.status_code == 401 and _same(wrong, "proofreader", unknown, "no-such-person")
    right = _post_login(app.test_client(), "proofreader", DEMO_PASSWORD)
    assert right.status_code == 403
    assert ("账号已被锁定，请联系管理员" if how == "lock" else "账号已停用") in right.get_data(as_text=True)


def test_the_old_failure_lock_is_kept_for_real_accounts(app, user, clock):  # policy U3
    clock.freeze()
    for _ in range(5):
        _post_login(app.test_client(), "editor", "wrong-Password-1")
    assert user("editor").locked_until == workdays.now() + timedelta(minutes=15)
