"""The OpenAPI document a client can generate from, and input that used to answer 500 (found by
tests/api/test_schemathesis.py): each is now a 4xx JSON error naming the problem."""
import pytest
from sqlalchemy import select

from cms.auth.models import Department
from cms.channels.models import Channel
from cms.extensions import db

BIG = 2**63  # past the largest SQLite integer: OverflowError (a 500) before
PG_BIG = 2**31  # past PostgreSQL's INTEGER: NumericValueOutOfRange (a 500 there) before


def _doc(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json


def test_every_operation_has_its_schemas_and_errors(client):
    doc = _doc(client)
    schemas = doc["components"]["schemas"]
    count = 0
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            count += 1
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert len(ok) == 1, (method, path)
            answer = op["responses"][ok[0]]["content"]["application/json"]["schema"]["$ref"]
            assert answer.removeprefix("#/components/schemas/") in schemas
            for status in ("401", "405"):
                assert status in op["responses"], (method, path, status)
            for status, response in op["responses"].items():
                if not status.startswith("2"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            assert "Allow" in op["responses"]["405"]["headers"]
            if "{" in path:
                assert "404" in op["responses"], (method, path)
            if method in ("patch", "put") or (method == "post" and not path.endswith(("/dissolve", "/retry"))):
                assert "requestBody" in op, (method, path)
                body = next(iter(op["requestBody"]["content"].values()))["schema"]["$ref"]
                assert body.removeprefix("#/components/schemas/") in schemas
    assert count >= 24
    # the endpoints API.md lists, all there
    for method, path in (("get", "/me"), ("get", "/channels"), ("post", "/assets"), ("post", "/posts"),
                         ("get", "/posts"), ("get", "/posts/{post_id}"), ("patch", "/posts/{post_id}"),
                         ("post", "/posts/{post_id}/submit"), ("post", "/posts/{post_id}/reviews"),
                         ("post", "/posts/{post_id}/schedule"), ("get", "/posts/{post_id}/publications"),
                         ("get", "/posts/{post_id}/revisions/{a}/diff/{b}"), ("get", "/users"),
                         ("post", "/users"), ("post", "/users/{user_id}/depart"), ("get", "/audit")):
        assert method in doc["paths"].get(path, {}), (method, path)


def test_post_fields_are_described_for_generated_clients(client):
    post_input = _doc(client)["components"]["schemas"]["PostInput"]
    assert post_input["properties"]["category"]["enum"] == ["news", "internal_activity", "promotion",
                                                            "employee_tools", "recommended"]  # C3
    assert post_input["required"] == ["title", "category"]
    assert post_input["properties"]["channels"]["items"]["maximum"] == PG_BIG - 1


def test_a_405_is_json_and_names_the_allowed_methods(api):
    r = api("contributor")("DELETE", "/posts/1")
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"
    assert {"GET", "PATCH"} <= {m.strip() for m in r.headers["Allow"].split(",")}


def test_an_unknown_query_parameter_is_named_not_ignored(api):
    r = api("contributor")("GET", "/posts?stauts=draft")
    assert r.status_code == 400 and set(r.json["error"]["fields"]) == {"stauts"}


@pytest.mark.parametrize("query, name", [
    (f"channel={BIG}", "channel"), (f"channel={PG_BIG}", "channel"), ("channel=99999999999999999999", "channel"), ("author=x", "author"),
    ("department=-1", "department"), ("status=lost", "status"), ("category=gossip", "category"),
    ("page=0", "page"), (f"page={BIG}", "page"),
])
def test_bad_list_filters_are_400_naming_them(api, query, name):
    r = api("editor")("GET", f"/posts?{query}")  # channel and page past the range were 500s
    assert r.status_code == 400 and name in r.json["error"]["fields"], r.json


@pytest.mark.parametrize("fields, name", [
    ({"source": {"kind": "reprint", "url": [None, None]}}, "source"),  # was a 500 (list.strip)
    ({"source": {"kind": "original", "name": 5}}, "source"),
    ({"channels": [BIG]}, "channels"),  # was a 500 (OverflowError)
    ({"channels": [PG_BIG]}, "channels"),
    ({"cover_asset_id": BIG}, "cover_asset_id"),
])
def test_post_fields_of_the_wrong_kind_are_named(api, fields, name):
    call = api("contributor")
    r = call("POST", "/posts", json={"title": "标题", "category": "news", **fields})
    assert r.status_code == 400 and name in r.json["error"]["fields"], r.json
    post = call("POST", "/posts", json={"title": "标题", "category": "news"}).json
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, **fields})
    assert r.status_code == 400 and name in r.json["error"]["fields"], r.json


def _office():
    return db.session.scalar(select(Department.id).where(Department.name == "办公室"))


@pytest.mark.parametrize("fields, name", [
    ({"title": "长" * 65}, "title"),  # past the column: PostgreSQL would have refused it (a 500)
    ({"phone": "1" * 33}, "phone"),
    ({"department": BIG}, "department"),  # was a 500 (OverflowError)
    ({"department": PG_BIG}, "department"),
    ({"roles": ["leader@department:99999999999999999999"]}, None),
    ({"roles": [{"role": "chief", "scope_id": 1}]}, "roles"),  # a global role with a scope was kept silently
    ({"roles": [{"role": "account_admin", "scope_type": "channel", "scope_id": BIG}]}, "roles"),
    ({"roles": [{"role": "account_admin", "scope_type": "channel", "scope_id": 999}]}, "roles"),  # no such channel
])
def test_bad_user_fields_are_refused_and_nothing_is_made(api, fields, name):
    from cms.auth.models import User

    before = db.session.scalar(select(db.func.count(User.id)))
    body = {"username": "new_user", "real_name": "新同事", "department": _office(), **fields}
    r = api("sysadmin")("POST", "/users", json=body)
    assert 400 <= r.status_code < 500 and r.is_json, r.json
    if name:
        assert name in r.json["error"]["fields"], r.json
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(User.id))) == before


def test_ids_past_the_range_in_bodies_are_refused(api):
    group = db.session.scalar(select(Channel.id).where(Channel.name == "星海集团"))
    r = api("account_admin")("POST", f"/channels/{group}/bundles", json={"posts": [BIG]})
    assert r.status_code == 400 and "posts" in r.json["error"]["fields"]
    post = api("contributor")("POST", "/posts", json={"title": "标题", "category": "news"}).json
    r = api("account_admin")("POST", f"/posts/{post['id']}/withdrawals",
                             json={"kind": "withdraw", "reason": "错误", "channels": [BIG]})
    assert r.status_code == 400 and "channels" in r.json["error"]["fields"]


def test_a_nul_character_is_refused_naming_the_field(api):
    """PostgreSQL cannot store one and SQLite's search cannot parse one: `?q=a%00b` was a 500."""
    call = api("contributor")
    r = call("GET", "/posts?q=ab%00cd")
    assert r.status_code == 400 and "q" in r.json["error"]["fields"]
    r = call("POST", "/posts", json={"title": "开放\x00日", "category": "news"})
    assert r.status_code == 400 and set(r.json["error"]["fields"]) == {"title"}
    r = call("POST", "/posts", json={"title": "开放日", "category": "news", "source": {"kind": "reprint", "name": "\x00"}})
    assert r.status_code == 400 and set(r.json["error"]["fields"]) == {"source"}
