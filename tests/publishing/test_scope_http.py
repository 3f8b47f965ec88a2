"""Issue 13 through HTTP: a platform supervisor whose role is scoped to one channel used to
schedule posts on other channels, apply C8's same-day override there, clear C5's confidential
flag on any post and pass the bundle permission, because a scope-less ask answered yes. Each is
now refused (403, or 404 where the post is not theirs to see) with a clear message, and nothing
changes; the supervisor of the right channel still may."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cms import workdays
from cms.auth.service import create_user, get_by_username
from cms.channels.models import Bundle, Channel, Publication
from cms.content.models import Post
from cms.extensions import db
from tests.conftest import login

GROUP, TECH = "星海集团", "星海科技"


def _channel(name: str) -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _user(username: str, *roles: tuple[str, str]) -> str:
    """A user holding each (role, channel name) for that channel only."""
    office = get_by_username("supervisor").department_id
    create_user(username=username, real_name="频道主管", department_id=office, title="测试",
                roles=[(role, "channel", _channel(name).id) for role, name in roles], password="Demo-Pass-2026",
                must_change=False)
    db.session.commit()
    return username


def _publications() -> int:
    return db.session.scalar(select(func.count(Publication.id)))


def _tomorrow() -> str:
    return (workdays.local(workdays.now()) + timedelta(days=1)).replace(hour=10, minute=0, second=0,
                                                                       microsecond=0).isoformat()


def test_a_channel_supervisor_does_not_schedule_on_another_channel(midday, approved_post, api):
    only_group = approved_post(channels=(GROUP,))
    both = approved_post(channels=(GROUP, TECH), title="集团与科技同发")
    _user("sup_tech", ("supervisor", TECH))
    later = (workdays.local(workdays.now()) + timedelta(minutes=30)).isoformat()
    r = api("sup_tech")("POST", f"/posts/{only_group.id}/schedule", json={"at": later})
    assert r.status_code == 404  # another channel's post is not theirs even to see
    r = api("sup_tech")("POST", f"/posts/{both.id}/schedule", json={"at": later})
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert "平台主管领导" in r.json["error"]["message"]
    assert _publications() == 0
    db.session.expire_all()
    assert db.session.get(Post, both.id).status == "approved"
    # a supervisor of both channels may
    _user("sup_both", ("supervisor", TECH), ("supervisor", GROUP))
    r = api("sup_both")("POST", f"/posts/{both.id}/schedule", json={"at": later})
    assert r.status_code == 200 and len(r.json["items"]) == 2


def test_the_c8_override_needs_the_supervisor_of_every_channel(approved_post, api):
    post = approved_post(channels=(GROUP, TECH))
    # may schedule on both (administrator of one, supervisor of the other) but supervises only 星海科技
    _user("mixed", ("account_admin", GROUP), ("supervisor", TECH))
    r = api("mixed")("POST", f"/posts/{post.id}/schedule",
                     json={"at": _tomorrow(), "override_reason": "配合明日发布会"})
    assert r.status_code == 422 and r.json["error"]["code"] == "C8"
    assert "平台主管领导" in r.json["error"]["message"]
    assert _publications() == 0
    _user("sup_both", ("supervisor", TECH), ("supervisor", GROUP))
    r = api("sup_both")("POST", f"/posts/{post.id}/schedule",
                        json={"at": _tomorrow(), "override_reason": "配合明日发布会"})
    assert r.status_code == 200 and {p["override_reason"] for p in r.json["items"]} == {"配合明日发布会"}


def test_a_channel_supervisor_does_not_clear_c5_on_a_post_outside_their_channels(app, approved_post):
    only_group = approved_post(channels=(GROUP,), confidential=True)
    both = approved_post(channels=(GROUP, TECH), confidential=True, title="集团与科技同发")
    _user("sup_tech", ("supervisor", TECH))
    c = login(app.test_client(), "sup_tech")
    assert c.post(f"/posts/{only_group.id}/clear-confidential", data={"reason": "已公开"}).status_code == 404
    page = c.get(f"/posts/{both.id}").get_data(as_text=True)
    assert 'id="clear-confidential"' not in page  # no button for what they may not do
    r = c.post(f"/posts/{both.id}/clear-confidential", data={"reason": "已公开"}, follow_redirects=True)
    assert "涉密标记只能由该稿件所有渠道的平台主管领导解除" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, both.id).confidential and db.session.get(Post, only_group.id).confidential
    # the supervisor of the post's channel sees the button and clears the flag
    _user("sup_group", ("supervisor", GROUP))
    c = login(app.test_client(), "sup_group")
    assert 'id="clear-confidential"' in c.get(f"/posts/{only_group.id}").get_data(as_text=True)
    c.post(f"/posts/{only_group.id}/clear-confidential", data={"reason": "政策已正式发布"})
    db.session.expire_all()
    assert not db.session.get(Post, only_group.id).confidential


def test_a_channel_supervisor_does_not_bundle_on_another_channel(midday, approved_post, api):
    posts = [approved_post(channels=(TECH,), push={TECH: True}, title=f"科技新闻第{n}篇") for n in (1, 2)]
    _user("sup_group", ("supervisor", GROUP))
    tech = _channel(TECH)
    r = api("sup_group")("POST", f"/channels/{tech.id}/bundles", json={"posts": [p.id for p in posts]})
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert db.session.scalar(select(func.count(Bundle.id))) == 0 and _publications() == 0
    _user("sup_tech", ("supervisor", TECH))
    r = api("sup_tech")("POST", f"/channels/{tech.id}/bundles", json={"posts": [p.id for p in posts]})
    assert r.status_code == 201 and len(r.json["members"]) == 2
