"""GET /channels (API.md): the channels the caller may target, asked of the publishing policy per
channel (can_target, with the channel's scope). It answered 404 before it existed."""
from sqlalchemy import select

from cms.auth import service as auth
from cms.auth.models import Department
from cms.channels.models import Channel
from cms.extensions import db

ALL = {"星海集团", "星海科技", "星海头条号", "星海官网"}


def _names(r):
    assert r.status_code == 200, r.json
    return {c["name"] for c in r.json["items"]}


def _channel(name):
    return db.session.scalar(select(Channel).where(Channel.name == name))


def test_a_contributor_sees_every_active_channel_with_its_facts(api):
    r = api("contributor")("GET", "/channels")
    assert _names(r) == ALL and r.json["total"] == 4 and r.json["page"] == 1
    group = next(c for c in r.json["items"] if c["name"] == "星海集团")
    assert group == {"id": _channel("星海集团").id, "name": "星海集团", "platform": "wechat", "type": "brand",
                     "level": "group", "audience": "public", "account_kind": "service", "active": True}
    assert "app_id" not in group and "app_secret" not in str(r.json)  # never a credential (C17)


def test_an_inactive_channel_is_seen_only_by_who_manages_or_publishes_on_it(api):
    _channel("星海头条号").active = False
    db.session.commit()
    assert _names(api("contributor")("GET", "/channels")) == ALL - {"星海头条号"}
    assert _names(api("editor")("GET", "/channels")) == ALL - {"星海头条号"}  # a reviewer: active ones
    assert _names(api("account_admin")("GET", "/channels")) == ALL
    assert _names(api("supervisor")("GET", "/channels")) == ALL


def test_roles_that_target_no_channel_see_none(api):
    for role in ("auditor", "finance", "moderator"):
        r = api(role)("GET", "/channels")
        assert r.status_code == 200 and r.json["items"] == [] and r.json["total"] == 0, role


def test_a_channel_scoped_administrator_sees_their_channel_only(api):
    """The scope decides (issue 13): account_admin@channel:X targets X, not the others."""
    tech = _channel("星海科技")
    office = db.session.scalar(select(Department.id).where(Department.name == "办公室"))
    auth.create_user(username="tech_admin", real_name="钱多多", department_id=office,
                     roles=[("account_admin", "channel", tech.id)])
    assert _names(api("tech_admin")("GET", "/channels")) == {"星海科技"}
    tech.active = False  # still theirs to see
    db.session.commit()
    assert _names(api("tech_admin")("GET", "/channels")) == {"星海科技"}


def test_filter_and_pages(api):
    call = api("contributor")
    assert _names(call("GET", "/channels?platform=wechat")) == {"星海集团", "星海科技"}
    r = call("GET", "/channels?per_page=3&page=2")
    assert len(r.json["items"]) == 1 and r.json["total"] == 4 and r.json["per_page"] == 3


def test_bad_input_is_a_400_naming_the_parameter(api):
    call = api("contributor")
    for query, name in (("platform=weibo", "platform"), ("page=0", "page"), ("per_page=1000", "per_page"),
                        ("page=x", "page"), ("page=99999999999999999999", "page"), ("plattform=wechat", "plattform")):
        r = call("GET", f"/channels?{query}")
        assert r.status_code == 400 and r.is_json, query
        assert name in r.json["error"]["fields"], (query, r.json)


def test_anonymous_is_401(client):
    r = client.get("/api/v1/channels")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
