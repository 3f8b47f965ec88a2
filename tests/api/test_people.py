"""GET /me and the People endpoints (API.md), with JSON errors for every failure."""
from sqlalchemy import select

from cms.auth.models import Department
from cms.extensions import db


def _dept(name):
    return db.session.scalar(select(Department.id).where(Department.name == name))


def test_me(api):
    r = api("leader")("GET", "/me")
    assert r.status_code == 200
    body = r.json
    assert body["username"] == "leader" and body["real_name"] == "王志强"
    assert sorted(x["scope_id"] for x in body["roles"] if x["role"] == "leader") == sorted(
        [_dept("市场部"), _dept("信息技术部"), _dept("财务部")])


def test_bad_tokens_get_json_401(client):
    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer cms_forged"},
                   {"Authorization": "Basic eDp5"}):
        r = client.get("/api/v1/me", headers=header)
        assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_tokens_are_stored_hashed_and_revocable(app, api, user):
    from cms.auth import service
    from cms.auth.models import ApiToken

    call = api("editor")
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert call.token not in stored and service.hash_token(call.token) in stored
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == service.hash_token(call.token)))
    service.revoke_token(user("editor"), token_id)
    assert call("GET", "/me").status_code == 401


def test_users_list_and_filters(api):
    call = api("sysadmin")
    r = call("GET", f"/users?department={_dept('办公室')}")
    assert r.status_code == 200
    names = {u["username"] for u in r.json["items"]}
    assert names == {"editor", "proofreader", "supervisor", "account_admin", "moderator"}
    assert r.json["total"] == 5 and r.json["page"] == 1 and r.json["per_page"] == 20
    assert call("GET", "/users?state=departed").json["total"] == 0
    r = call("GET", "/users?state=gone")
    assert r.status_code == 400 and "未知状态" in r.json["error"]["message"]
    assert call("GET", "/users?per_page=1000").status_code == 400
    assert api("editor")("GET", "/users").status_code == 403


def test_create_user(api):
    call = api("sysadmin")
    r = call("POST", "/users", json={"username": "liuliu", "real_name": "刘六", "department": _dept("市场部"),
                                     "title": "供稿员", "hire_date": "2026-11-20", "roles": ["contributor"]})
    assert r.status_code == 201
    body = r.json
    assert body["roles"] == [{"role": "contributor", "scope_type": "department", "scope_id": _dept("市场部")}]
    assert len(body["initial_password"]) >= 10
    # the initial password works once and must be changed (U2)
    from flask import current_app

    from tests.conftest import login

    client = login(current_app.test_client(), "liuliu", body["initial_password"])
    assert client.get("/").location == "/password"


def test_create_user_bad_input(api):
    call = api("sysadmin")
    assert call("POST", "/users", data="not json").status_code == 400
    r = call("POST", "/users", json={"username": "x"})
    assert r.status_code == 400 and r.json["error"]["fields"] == {"department": ["必填。"]}
    r = call("POST", "/users", json={"username": "x", "real_name": "", "department": _dept("市场部")})
    assert r.status_code == 422 and r.json["error"]["code"] == "U1"
    r = call("POST", "/users", json={"username": "editor", "real_name": "某", "department": _dept("市场部")})
    assert r.status_code == 422 and "username" in r.json["error"]["fields"]
    r = call("POST", "/users", json={"username": "y", "real_name": "某", "department": _dept("市场部"),
                                     "roles": ["wizard"]})
    assert r.status_code == 422 and "未知角色" in r.json["error"]["message"]
    r = call("POST", "/users", json={"username": "z", "real_name": "某", "department": "市场部"})
    assert r.status_code == 400 and "department" in r.json["error"]["fields"]


def test_depart(api, user):  # policy U4
    call = api("sysadmin")
    victim = api("moderator")
    uid = user("moderator").id
    r = call("POST", f"/users/{uid}/depart", json={"date": "2026-11-25"})
    assert r.status_code == 200 and r.json["state"] == "departed" and r.json["leave_date"] == "2026-11-25"
    assert victim("GET", "/me").status_code == 401
    r = call("POST", f"/users/{uid}/depart", json={"date": "2026-11-25"})
    assert r.status_code == 409
    r = call("POST", f"/users/{user('editor').id}/depart", json={"date": "2026-11-25", "confirmed_by": "editor"})
    assert r.status_code == 422 and r.json["error"]["code"] == "U4"
    assert call("POST", "/users/9999/depart", json={"date": "2026-11-25"}).status_code == 404
    assert call("POST", f"/users/{user('editor').id}/depart", json={"date": "yesterday"}).status_code == 400


def test_openapi_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    import re

    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule.removeprefix("/api/v1")), m.lower())
              for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint != "api.openapi"
              for m in r.methods - {"HEAD", "OPTIONS"}}
    listed = {(p, m) for p, ops in spec["paths"].items() for m in ops}
    assert routes == listed and ("/me", "get") in listed


def test_unknown_api_path_is_json_404(api):
    r = api("editor")("GET", "/nothing-here")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
