"""The bell, the list, opening one, marking all read: each user only ever reaches their own."""

from __future__ import annotations

from cms.extensions import db
from cms.notify import service
from cms.notify.models import Notification


def _make(user, username, text="陈思远提交了《展厅开放》，请审核", url="/posts/1"):
    [row] = service.notify([user(username)], "review.requested", text, url)
    db.session.commit()
    return row.id


def _read_at(nid):
    db.session.expire_all()
    return db.session.get(Notification, nid).read_at


def test_bell_shows_the_unread_count(app, user, client_as):
    client = client_as("editor")
    page = client.get("/").get_data(as_text=True)
    assert 'id="bell"' in page and "通知" in page and "text-bg-danger" not in page.split('id="bell"')[1].split("</a>")[0]
    _make(user, "editor")
    _make(user, "editor", "第二条")
    _make(user, "proofreader")
    bell = client.get("/").get_data(as_text=True).split('id="bell"')[1].split("</a>")[0]
    assert 'href="/notifications/"' in bell and ">2<" in bell
    assert client.get("/notifications/unread.json").json == {"unread": 2}
    assert client_as("proofreader").get("/notifications/unread.json").json == {"unread": 1}


def test_bell_caps_at_99(app, user, client_as):
    service.notify([user("editor")], "a", "x", "/")
    for _ in range(100):
        service.notify([user("editor")], "a", "x", "/")
    db.session.commit()
    assert ">99+<" in client_as("editor").get("/").get_data(as_text=True)


def test_list_shows_only_ones_own_newest_first_unread_highlighted(app, user, client_as):
    first = _make(user, "editor", "第一条通知")
    second = _make(user, "editor", "第二条通知")
    _make(user, "proofreader", "校对的通知")
    service.mark_read(user("editor"), [first])
    page = client_as("editor").get("/notifications/").get_data(as_text=True)
    assert page.index("第二条通知") < page.index("第一条通知")
    assert "校对的通知" not in page
    item = page.split(f'id="notification-{second}"')[1].split("</li>")[0]
    assert "未读" in item and "fw-semibold" in item
    assert "未读" not in page.split(f'id="notification-{first}"')[1].split("</li>")[0]
    assert f'action="/notifications/{second}/open"' in page and "1 条未读" in page and "全部标为已读" in page
    empty = client_as("auditor").get("/notifications/").get_data(as_text=True)
    assert "还没有通知" in empty and "全部标为已读" not in empty


def test_opening_marks_read_and_follows_the_link(app, user, client_as):
    nid = _make(user, "editor", url="/posts/1?tab=reviews")
    client = client_as("editor")
    r = client.post(f"/notifications/{nid}/open")
    assert r.status_code == 302 and r.location == "/posts/1?tab=reviews"
    assert _read_at(nid) is not None
    assert client.get(f"/notifications/{nid}/open").status_code == 405  # a state change is a POST


def test_nobody_opens_another_users_notification(app, user, client_as):
    nid = _make(user, "editor")
    client = client_as("proofreader")
    assert client.post(f"/notifications/{nid}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    assert _read_at(nid) is None
    client.post("/notifications/read-all")
    assert _read_at(nid) is None
    assert client_as("editor").get("/notifications/unread.json").json == {"unread": 1}


def test_a_bad_stored_link_never_redirects_away(app, user, client_as):
    nid = _make(user, "editor")
    db.session.get(Notification, nid).url = "//evil.example/"  # written around notify()
    db.session.commit()
    r = client_as("editor").post(f"/notifications/{nid}/open")
    assert r.status_code == 302 and r.location == "/notifications/"


def test_mark_all_read(app, user, client_as):
    mine = [_make(user, "editor"), _make(user, "editor", "第二条")]
    other = _make(user, "proofreader")
    client = client_as("editor")
    r = client.post("/notifications/read-all", follow_redirects=True)
    assert "所有通知已标为已读" in r.get_data(as_text=True)
    assert all(_read_at(n) is not None for n in mine) and _read_at(other) is None
    assert client.get("/notifications/unread.json").json == {"unread": 0}


def test_anonymous_callers_go_to_login(app, client):
    for method, url in (("GET", "/notifications/"), ("GET", "/notifications/unread.json"),
                        ("POST", "/notifications/1/open"), ("POST", "/notifications/read-all")):
        r = client.open(url, method=method)
        assert r.status_code == 302 and "/login" in r.location


def test_posts_need_the_csrf_token(csrf_app):
    from cms.auth.service import get_by_username
    from tests.test_csrf import login_with_csrf

    nid = _make(lambda name: get_by_username(name), "sysadmin")
    client = login_with_csrf(csrf_app)  # sysadmin
    assert client.post(f"/notifications/{nid}/open").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert _read_at(nid) is None
    page = client.get("/notifications/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/notifications/{nid}/open", data={"csrf_token": token}).status_code == 302
    assert _read_at(nid) is not None
