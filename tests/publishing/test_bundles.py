"""多图文: several approved posts pushed to one WeChat channel as one message (C18), through the
real Huey task and wechatpy to the sandbox over loopback HTTP. The order (the headline first), one
draft and one push for all, each post's own publication, archive record and approvals; the
refusals (C4 C5 C8 C18, too many, not the administrator); a member that changed before sending left
out; a failed bundle retried whole; taking a bundle apart. Nothing is mocked."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.archive.models import ArchiveRecord
from cms.auth.service import get_by_username
from cms.channels.models import Channel, Publication
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.publishing import bundles, rules
from cms.publishing.queries import publications_for, pushes_used
from cms.publishing.scheduling import retry, schedule
from cms.publishing.tasks import publish_due


def _channel(name: str) -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _calls(state, path: str) -> int:
    return sum(1 for _t, p, _owner in state.calls if p.endswith(path))


def _run(post) -> dict:
    result = publish_due.call_local(post.id)
    db.session.expire_all()
    return result


def _admin():
    return get_by_username("account_admin")


@pytest.fixture
def three(midday, outbox, approved_post):
    """Three posts approved for a push on the subscription account 星海科技 (one push a day)."""
    return [approved_post(channels=("星海科技",), push={"星海科技": True}, title=f"科技新闻第{n}篇", images=n % 2 + 1)
            for n in (1, 2, 3)]


def test_a_bundle_goes_out_as_one_push_with_the_headline_first(outbox, three):  # C18 C13
    state, channel = outbox, _channel("星海科技")
    first, second, third = three
    bundle = bundles.create(_admin(), channel, [second.id, first.id, third.id])
    pubs = bundles.members(bundle)
    assert [(p.post_id, p.bundle_index, p.state, p.push) for p in pubs] == [
        (second.id, 0, "scheduled", True), (first.id, 1, "scheduled", True), (third.id, 2, "scheduled", True)]
    assert all(p.status == "scheduled" for p in three)

    _run(second)
    pubs = bundles.members(db.session.get(type(bundle), bundle.id))
    assert [p.state for p in pubs] == ["published"] * 3
    # one draft holding the three articles in the order asked, one push, one off the quota
    assert _calls(state, "draft/add") == 1 and _calls(state, "message/mass/sendall") == 1
    assert state.pushes_used(channel.app_id) == 1
    assert pushes_used(channel)["used"] == 1 and pushes_used(channel)["left"] == 0
    (mass,) = state.account(channel.app_id).masses.values()
    article = state.find_article(mass.article_id)
    assert [a["title"] for a in article.articles] == ["科技新闻第2篇", "科技新闻第1篇", "科技新闻第3篇"]
    # each article kept its own images and cover, uploaded once each
    assert _calls(state, "media/uploadimg") == sum(1 + n % 2 for n in (1, 2, 3))
    assert _calls(state, "material/add_material") == 3
    assert len({p.thumb_media_id for p in pubs}) == 3
    assert all("/assets/" not in a["content"] for a in article.articles)
    # the message's ids on every member; each post published and archived on its own (C13)
    assert len({(p.draft_media_id, p.msg_id, p.msg_data_id) for p in pubs}) == 1 and pubs[0].msg_id
    assert all(p.status == "published" for p in three)
    records = db.session.scalars(select(ArchiveRecord).where(ArchiveRecord.channel_id == channel.id)).all()
    assert sorted(r.post_id for r in records) == sorted(p.id for p in three)
    assert all(r.push is True and r.remote_ids.get("msg_id") == pubs[0].msg_id for r in records)


def test_the_bundle_page_and_the_api_show_the_order_and_states(client_as, api, outbox, three):
    channel = _channel("星海科技")
    first, second, third = three
    client = client_as("account_admin")
    page = client.get(f"/channels/{channel.id}/bundles/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(f'id="candidate-{p.id}"' in html for p in three)
    resp = client.post(f"/channels/{channel.id}/bundles/new", data={
        "posts": [first.id, third.id], f"order-{first.id}": "2", f"order-{third.id}": "1", "publish_now": "1"})
    assert resp.status_code == 302
    bundle_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    call = api("account_admin")
    shown = call("GET", f"/bundles/{bundle_id}").get_json()
    assert [m["post_id"] for m in shown["members"]] == [third.id, first.id] and shown["state"] == "scheduled"
    assert shown["members"][0]["publication"]["bundle"] == {"id": bundle_id, "index": 0}
    assert api("contributor")("GET", f"/bundles/{bundle_id}").status_code == 403
    page = client.get(f"/channels/bundles/{bundle_id}").get_data(as_text=True)
    assert page.index("科技新闻第3篇") < page.index("科技新闻第1篇") and "头条" in page
    # the post not bundled can still go in another bundle; the bundled ones no longer can
    again = call("POST", f"/channels/{channel.id}/bundles", json={"posts": [second.id, first.id]})
    assert again.status_code == 422 and "另一个多图文" in again.get_json()["error"]["message"]
    bad = call("POST", f"/channels/{channel.id}/bundles", json={"posts": "1,2"})
    assert bad.status_code == 400 and "posts" in bad.get_json()["error"]["fields"]


def _refusal(channel, ids, user=None, **kw) -> Refused:
    with pytest.raises(Refused) as refused:
        bundles.create(user or _admin(), channel, ids, **kw)
    db.session.rollback()
    return refused.value


def test_what_may_not_go_in_a_bundle_is_refused_naming_the_post_and_the_rule(outbox, three, approved_post):
    channel = _channel("星海科技")
    first, second, _third = three
    publish_only = approved_post(channels=("星海科技",), push={"星海科技": False}, title="只发布不推送的文章")
    e = _refusal(channel, [first.id, publish_only.id])
    assert e.code == "C18" and "只发布不推送的文章" in e.message and "群发" in e.message
    not_approved = approved_post(channels=("星海科技",), approve=False, title="还在起草的文章")
    e = _refusal(channel, [first.id, not_approved.id])
    assert e.code == "C4" and "还在起草的文章" in e.message
    second.confidential = True
    db.session.commit()
    e = _refusal(channel, [first.id, second.id])
    assert e.code == "C5"
    assert _refusal(channel, [first.id]).code == "invalid"  # one post is an ordinary push
    assert _refusal(channel, [first.id, first.id]).code == "invalid"
    group = _channel("星海集团")
    e = _refusal(group, [first.id, _third.id])
    assert "不是" in e.message or "目标" in e.message
    # another channel's administrator, a contributor: 403
    assert _refusal(channel, [first.id, _third.id], user=get_by_username("contributor")).status == 403
    assert db.session.scalar(select(func.count(Publication.id))) == 0  # nothing was queued


def test_a_bundle_with_no_push_left_is_refused_before_the_platform_says_so(outbox, three):  # C18
    channel = _channel("星海科技")
    channel.push_quota = 0
    db.session.commit()
    e = _refusal(channel, [p.id for p in three])
    assert e.code == "C18" and "星海科技" in e.message


def test_another_day_needs_the_supervisor_and_a_reason(outbox, three):  # C8
    from datetime import timedelta

    from cms import workdays

    channel = _channel("星海科技")
    tomorrow = workdays.now() + timedelta(days=1)
    assert _refusal(channel, [p.id for p in three], at=tomorrow).code == "C8"
    supervisor = get_by_username("supervisor")
    assert _refusal(channel, [p.id for p in three], user=supervisor, at=tomorrow).code == "C8"
    bundle = bundles.create(supervisor, channel, [p.id for p in three], at=tomorrow, override_reason="配合明日发布会")
    assert all(p.override_reason == "配合明日发布会" for p in bundle.publications)


def test_rules_table():
    ok = {"approved": True, "confidential": False, "targets_channel": True, "push_chosen": True, "sent": False,
          "other_bundle": False}
    posts = [{"id": n, **ok} for n in range(1, 10)]
    assert rules.bundle_problems("wechat", posts[:8]) == {}
    assert rules.bundle_problems("wechat", posts) == {None: ["too_many"]}
    assert rules.bundle_problems("toutiao", posts[:2]) == {None: ["not_wechat"]}
    assert rules.bundle_problems("wechat", posts[:1]) == {None: ["empty"]}
    bad = {**ok, "id": 5, "approved": False, "push_chosen": False, "sent": True}
    assert rules.bundle_problems("wechat", [posts[0], bad]) == {5: ["not_approved", "no_push", "sent"]}


def test_a_member_changed_before_sending_is_left_out_and_the_rest_close_ranks(outbox, three):  # C4
    from cms.workflow.queries import active_submission

    state, channel = outbox, _channel("星海科技")
    first, second, third = three
    bundle = bundles.create(_admin(), channel, [first.id, second.id, third.id])
    # the headline goes back to review after bundling
    active_submission(first).state = "active"
    first.status = "in_review"
    db.session.commit()
    _run(first)
    pubs = {p.post_id: p for p in db.session.get(type(bundle), bundle.id).publications}
    assert pubs[first.id].state == "cancelled" and "C4" in pubs[first.id].last_error
    assert pubs[first.id].bundle_index is None
    assert (pubs[second.id].bundle_index, pubs[third.id].bundle_index) == (0, 1)
    assert pubs[second.id].state == pubs[third.id].state == "published"
    (mass,) = state.account(channel.app_id).masses.values()
    assert [a["title"] for a in state.find_article(mass.article_id).articles] == ["科技新闻第2篇", "科技新闻第3篇"]


def test_a_failed_bundle_fails_whole_and_is_retried_whole(outbox, three):
    state, channel = outbox, _channel("星海科技")
    state.configure(channel.app_id, push_quota=0)  # pushed from the MP console today
    bundle = bundles.create(_admin(), channel, [p.id for p in three])
    _run(three[0])
    pubs = bundles.members(db.session.get(type(bundle), bundle.id))
    assert [p.state for p in pubs] == ["failed"] * 3
    assert all(p.last_error_code == 45028 and "群发次数已用完" in p.last_error for p in pubs)
    state.configure(channel.app_id, push_quota=1)
    retry(_admin(), pubs[2])  # any member's retry button retries the bundle
    assert [p.state for p in pubs] == ["scheduled"] * 3
    _run(three[0])
    pubs = bundles.members(db.session.get(type(bundle), bundle.id))
    assert [p.state for p in pubs] == ["published"] * 3
    assert _calls(state, "draft/add") == 1  # the draft made before the refusal was kept
    assert state.pushes_used(channel.app_id) == 1


def test_taking_a_bundle_apart_leaves_its_posts_approved_to_schedule_again(outbox, three):
    channel = _channel("星海科技")
    bundle = bundles.create(_admin(), channel, [p.id for p in three])
    bundles.dissolve(_admin(), bundle)
    db.session.expire_all()
    assert [p.state for p in bundle.publications] == ["cancelled"] * 3
    assert all(p.status == "approved" for p in three)
    (pub,) = schedule(_admin(), three[0])
    assert pub.generation == 2 and pub.bundle_id is None and pub.push is True
    # a bundle under way cannot be taken apart
    other = bundles.create(_admin(), channel, [three[1].id, three[2].id])
    _run(three[1])
    with pytest.raises(Conflict):
        bundles.dissolve(_admin(), db.session.get(type(other), other.id))


def test_scheduling_a_bundled_post_leaves_its_bundled_channel_alone(outbox, approved_post, midday):
    post = approved_post(channels=("星海科技", "星海集团"), push={"星海科技": True, "星海集团": False}, title="两个号都发")
    partner = approved_post(channels=("星海科技",), push={"星海科技": True}, title="同一条群发的第二篇")
    tech = _channel("星海科技")
    bundles.create(_admin(), tech, [post.id, partner.id])
    pubs = schedule(_admin(), post)
    assert [p.channel.name for p in pubs] == ["星海集团"]
    bundled = next(p for p in publications_for(post) if p.channel_id == tech.id)
    assert bundled.bundle_id is not None and bundled.state == "scheduled"


def test_a_bundle_push_whose_answer_was_lost_is_not_pushed_twice(outbox, three):
    """The platform took the push but the worker never saved its msg_id: the next try carries the
    headline's clientmsgid, the platform answers 45065 with the first msg_id, and every member
    gets it."""
    from cms.channels.clients import mp_client

    state, channel = outbox, _channel("星海科技")
    state.inject_fault("message/mass/sendall", errcode=48003, times=1)  # stops the run at the push
    bundle = bundles.create(_admin(), channel, [p.id for p in three])
    _run(three[0])
    lead = bundles.members(db.session.get(type(bundle), bundle.id))[0]
    assert lead.state == "failed" and lead.draft_media_id and not lead.msg_id
    retry(_admin(), lead)
    sent = mp_client(channel).message.send_mass_article(lead.draft_media_id, is_to_all=True,
                                                        client_msg_id=lead.client_ref)
    db.session.commit()
    _run(three[0])
    pubs = bundles.members(db.session.get(type(bundle), bundle.id))
    assert [p.state for p in pubs] == ["published"] * 3
    assert {p.msg_id for p in pubs} == {str(sent["msg_id"])}
    assert state.pushes_used(channel.app_id) == 1 and len(state.account(channel.app_id).masses) == 1


def test_a_subscription_accounts_one_push_a_day_is_counted_per_message(outbox, three, approved_post):  # C18
    """Three posts were approved for today's one push (they may share it as a 多图文); once that
    push has gone out, a fourth cannot be approved for another one today."""
    from cms.workflow.service import push_status

    channel = _channel("星海科技")
    status = push_status(channel)
    assert status["waiting"] == 3 and status["today"] == 1 and status["left"] == 0 and status["may_push"]
    bundles.create(_admin(), channel, [p.id for p in three])
    _run(three[0])
    status = push_status(channel)
    assert status["waiting"] == 0 and status["today"] == 1 and not status["may_push"]
    with pytest.raises(Refused) as refused:
        approved_post(channels=("星海科技",), push={"星海科技": True}, title="今天的第二次群发")
    assert refused.value.code == "C18"


def test_the_posts_offered_for_a_bundle_are_this_channels_waiting_pushes_only(outbox, three, approved_post):  # C18 C5
    channel = _channel("星海科技")
    first, second, third = three
    publish_only = approved_post(channels=("星海科技",), push={"星海科技": False}, title="只发布不群发")
    elsewhere = approved_post(channels=("星海集团",), push={"星海集团": True}, title="别的公众号的群发")
    secret = approved_post(channels=("星海科技",), push={"星海科技": True}, title="被标为保密", confidential=True)
    not_approved = approved_post(channels=("星海科技",), title="还在审核", approve=False)
    offered = {p.id for p in bundles.candidates(channel)}
    assert offered == {first.id, second.id, third.id}
    assert not offered & {publish_only.id, elsewhere.id, secret.id, not_approved.id}

    bundles.create(_admin(), channel, [first.id, second.id])  # in a bundle now: not offered again
    assert {p.id for p in bundles.candidates(channel)} == {third.id}
    assert bundles.candidates(_channel("星海头条号")) == []  # Toutiao has no 多图文
