"""Withdrawing and correcting a published post end to end: the account administrator asks with a
reason, another platform supervisor decides (C7, four eyes), the adapters take the article down
through wechatpy and the loopback sandbox (freepublish/delete with the article's 1-based index,
message/mass/delete for a push, the website page 410, Toutiao by hand), every step audited (U7),
every version archived (C13), a correction back through its review chain (C4) and re-published as
generation 2 with a new draft. Nothing is mocked: the sandbox is real HTTP, the database real."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from cms.archive.models import ArchiveRecord
from cms.audit.models import AuditEntry
from cms.audit.service import verify
from cms.auth.models import User
from cms.auth.service import create_user, get_by_username
from cms.channels.models import Channel, Publication
from cms.content import service as content
from cms.content.checks.base import WARNING
from cms.content.models import Post
from cms.errors import Refused
from cms.extensions import db
from cms.notify.models import Notification
from cms.publishing import withdrawals as wd
from cms.publishing.channels import adapter_for
from cms.publishing.models import Withdrawal
from cms.publishing.queries import publications_for
from cms.publishing.scheduling import schedule
from cms.publishing.tasks import publish_due
from cms.workflow import queries as workflow_queries
from cms.workflow import service as workflow
from cms.workflow.models import Submission
from tests.publishing.conftest import approve_chain
from tests.sandbox import conftest as _sandbox

mp_base, mp_client, cover, article, jpeg = (_sandbox.mp_base, _sandbox.mp_client, _sandbox.cover, _sandbox.article,
                                            _sandbox.jpeg)


def _channel(name: str) -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _publish(post, user="account_admin"):
    schedule(get_by_username(user), post)
    publish_due.call_local(post.id)
    db.session.expire_all()
    pubs = {p.channel.name: p for p in publications_for(post)}
    assert all(p.state == "published" for p in pubs.values()), {n: (p.state, p.last_error) for n, p in pubs.items()}
    return pubs


def _pubs(post) -> dict[str, Publication]:
    db.session.expire_all()
    return {p.channel.name: p for p in publications_for(post)}


def _second_article(state, article_id: str) -> None:
    """Make the sandbox's message hold a second article, as a 多图文 message does: a delete at
    index 1 then leaves it, where index 0 (wechatpy's default) would delete both."""
    art = state.find_article(article_id)
    art.articles.append(dict(art.articles[0], title="同一消息中的另一篇"))
    art.deleted.append(False)


def _count(state, path: str) -> int:
    return sum(1 for _t, p, _owner in state.calls if p.endswith(path))


def _actions(target_type: str, target_id) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id)).order_by(AuditEntry.seq)))


def _records(post) -> list[ArchiveRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(ArchiveRecord).where(ArchiveRecord.post_id == post.id)
                                   .order_by(ArchiveRecord.id)))


def _ask(api, post, user="account_admin", **body):
    body = {"kind": "withdraw", "reason": "数据有误，需撤回核实", **body}
    return api(user)("POST", f"/posts/{post.id}/withdrawals", json=body)


def _decide(api, wid, user="supervisor", approve=True, note="同意撤回"):
    return api(user)("POST", f"/withdrawals/{wid}/decision", json={"approve": approve, "note": note})


def _user(username: str, roles: list[tuple], real_name: str = "测试用户") -> User:
    dep = get_by_username("supervisor").department_id
    user, _pw = create_user(username=username, real_name=real_name, department_id=dep, title="测试",
                            roles=roles, password="Demo-Pass-2026", must_change=False)
    db.session.commit()
    return user


@pytest.fixture
def published(midday, outbox, approved_post):
    """published(channels=("星海集团",), push=None) -> (post, {channel name: publication}), out on
    the sandbox."""

    def make(channels=("星海集团",), push=None, **kw):
        post = approved_post(channels=channels, push=push, **kw)
        pubs = _publish(post)
        db.session.expire_all()
        return db.session.get(Post, post.id), pubs

    return make


# --- the whole flow ------------------------------------------------------------------------------

def test_request_approve_deletes_the_article_withdraws_and_archives(published, api, outbox, client_as):
    state = outbox
    post, pubs = published()
    pub = pubs["星海集团"]
    article_id = pub.article_id
    assert state.find_article(article_id).deleted == [False]
    _second_article(state, article_id)

    r = _ask(api, post, reason="标题中的数据有误")
    assert r.status_code == 201, r.json
    w = r.json
    assert w["state"] == "pending" and w["kind"] == "withdraw" and w["reason"] == "标题中的数据有误"
    assert w["requested_by"] == "account_admin" and w["channels"][0]["name"] == "星海集团"
    assert w["channels"][0]["state"] == "published"
    # nothing happens before the supervisor decides
    assert _count(state, "freepublish/delete") == 0 and _pubs(post)["星海集团"].state == "published"
    # the supervisor sees it waiting: the list, the navigation count, the home page, the post page
    sup = client_as("supervisor")
    inbox = sup.get("/inbox").get_data(as_text=True)
    assert "撤回申请" in inbox and post.title in inbox
    assert f'/posts/{post.id}/withdrawals' in inbox
    assert 'nav-count">1<' in inbox
    home = sup.get("/").get_data(as_text=True)
    assert "撤回与更正" in home and post.title in home
    page = sup.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "withdrawal-panel" in page and "等待平台主管领导审批" in page
    note = db.session.scalar(select(Notification).where(Notification.kind == "withdrawal_requested"))
    assert note.user.username == "supervisor" and "标题中的数据有误" in note.text

    r = _decide(api, w["id"], note="同意，尽快撤回")
    assert r.status_code == 200, r.json
    assert r.json["state"] == "done" and r.json["decided_by"] == "supervisor"
    assert r.json["channels"][0]["state"] == "withdrawn"
    # the platform: one freepublish/delete at the article's own index 1 (never 0, which deletes all)
    assert _count(state, "freepublish/delete") == 1
    assert state.find_article(article_id).deleted == [True, False]
    # is_deleted as the platform reports it through its own API
    client = adapter_for(_channel("星海集团")).client
    items = client.freepublish.getarticle(article_id)["news_item"]
    assert [i["is_deleted"] for i in items] == [True, False]

    pub = _pubs(post)["星海集团"]
    assert pub.state == "withdrawn" and pub.progress["withdraw"]["state"] == "done"
    assert pub.progress["withdraw"]["withdrawal"] == w["id"]
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == "withdrawn"
    # C13: the published record, then the withdrawn one, both kept; the reason and approver with it
    recs = _records(post)
    assert [r.action for r in recs] == ["published", "withdrawn"]
    assert recs[1].revision_number == recs[0].revision_number and recs[1].content_hash == recs[0].content_hash
    assert recs[1].request["withdrawal"]["reason"] == "标题中的数据有误"
    assert recs[1].request["withdrawal"]["decided_by"] == "supervisor"
    assert recs[1].remote_ids["article_id"] == article_id
    # U7: every step audited, the chain intact
    assert _actions("withdrawal", w["id"]) == ["withdrawal.requested", "withdrawal.approved", "withdrawal.done"]
    assert _actions("publication", pub.id)[-1] == "publication.withdrawn"
    assert "post.unpublished" in _actions("post", post.id)
    assert verify()[0]
    assert db.session.scalar(select(Notification).where(Notification.kind == "withdrawal_done")).user.username \
        == "account_admin"
    # the supervisor's list is empty again
    assert "撤回申请" not in sup.get("/inbox").get_data(as_text=True)


def test_a_pushed_article_is_deleted_with_the_mass_delete(published, api, outbox):
    state = outbox
    post, pubs = published(push={"星海集团": True})
    pub = pubs["星海集团"]
    assert pub.push and pub.msg_id
    mass = state.account(_channel("星海集团").app_id).masses[int(pub.msg_id)]
    _second_article(state, mass.article_id)
    w = _ask(api, post).json
    assert _decide(api, w["id"]).json["state"] == "done"
    assert _count(state, "message/mass/delete") == 1 and _count(state, "freepublish/delete") == 0
    assert state.find_article(mass.article_id).deleted == [True, False]  # article_idx 1, not 0
    assert _pubs(post)["星海集团"].state == "withdrawn"


def test_a_bundle_member_is_deleted_at_its_own_place(outbox, mp_client, cover, article, app):
    """多图文: a publication's bundle_index is 0-based, the platform's index 1-based; the other
    articles of the message stay (index 0 would have deleted them all)."""
    from types import SimpleNamespace

    from cms.publishing.channels.wechat import WeChatAdapter

    state = outbox
    appid = _channel("星海集团").app_id
    client = mp_client(appid)
    thumb = cover(client)
    media_id = client.draft.add([article(thumb, title="头条"), article(thumb, title="次条")])["media_id"]
    publish_id = client.freepublish.submit(media_id)["publish_id"]
    state.tick()
    article_id = client.freepublish.get(publish_id)["article_id"]
    adapter = WeChatAdapter(_channel("星海集团"), client=client)

    def job(**pub):
        return SimpleNamespace(publication=SimpleNamespace(**{"push": False, "msg_id": None, "article_id": None,
                                                              "bundle_index": None, **pub}),
                               push=pub.get("push", False), calling=lambda: None)

    adapter.withdraw(job(article_id=article_id, bundle_index=1))
    assert state.find_article(article_id).deleted == [False, True]
    # a pushed bundle: message/mass/delete for that article only
    media_id = client.draft.add([article(thumb, title="头条"), article(thumb, title="次条")])["media_id"]
    msg_id = client.message.send_mass_article(media_id, is_to_all=True)["msg_id"]
    adapter.withdraw(job(push=True, msg_id=str(msg_id), bundle_index=0))
    mass = state.account(appid).masses[msg_id]
    assert state.find_article(mass.article_id).deleted == [True, False] and mass.status == "SEND_SUCCESS"
    adapter.withdraw(job(push=True, msg_id=str(msg_id), bundle_index=1))
    assert state.find_article(mass.article_id).deleted == [True, True] and mass.status == "DELETE"


def test_one_post_of_a_pushed_bundle_is_taken_out_of_the_message(midday, outbox, approved_post, api):
    """A real 多图文 push (cms.publishing.bundles): withdrawing its second post deletes article 2 of
    the message (bundle_index 1 + 1), the headline stays published, and so does its post."""
    from cms.publishing import bundles

    state, channel = outbox, _channel("星海科技")
    head, second = (approved_post(channels=("星海科技",), push={"星海科技": True}, title=f"科技新闻第{n}篇")
                    for n in (1, 2))
    bundle = bundles.create(get_by_username("account_admin"), channel, [head.id, second.id])
    publish_due.call_local(head.id)
    db.session.expire_all()
    members = bundles.members(db.session.get(type(bundle), bundle.id))
    assert [(p.post_id, p.bundle_index, p.state) for p in members] == [(head.id, 0, "published"),
                                                                       (second.id, 1, "published")]
    (mass,) = state.account(channel.app_id).masses.values()
    w = _ask(api, db.session.get(Post, second.id), reason="第二篇有误").json
    assert _decide(api, w["id"]).json["state"] == "done"
    assert _count(state, "message/mass/delete") == 1
    assert state.find_article(mass.article_id).deleted == [False, True] and mass.status == "SEND_SUCCESS"
    db.session.expire_all()
    assert _pubs(second)["星海科技"].state == "withdrawn" and _pubs(head)["星海科技"].state == "published"
    assert db.session.get(Post, second.id).status == "withdrawn"
    assert db.session.get(Post, head.id).status == "published"


def test_a_publication_without_its_article_id_is_refused_not_silently_passed(outbox, app):
    from types import SimpleNamespace

    from cms.publishing.channels.base import PlatformError
    from cms.publishing.channels.wechat import WeChatAdapter

    adapter = WeChatAdapter(_channel("星海集团"))
    job = SimpleNamespace(publication=SimpleNamespace(push=False, msg_id=None, article_id=None, bundle_index=None),
                          push=False, calling=lambda: None)
    with pytest.raises(PlatformError) as e:
        adapter.withdraw(job)
    assert "article_id" in e.value.message and e.value.kind == "permanent"


# --- rejecting -----------------------------------------------------------------------------------

def test_reject_needs_a_note_and_leaves_the_article_up(published, api, outbox):
    state = outbox
    post, pubs = published()
    w = _ask(api, post).json
    r = _decide(api, w["id"], approve=False, note="  ")
    assert r.status_code == 422 and r.json["error"]["fields"]["note"]
    assert db.session.get(Withdrawal, w["id"]).state == "pending"
    r = _decide(api, w["id"], approve=False, note="数据无误，不必撤回")
    assert r.status_code == 200 and r.json["state"] == "rejected" and r.json["decision_note"] == "数据无误，不必撤回"
    assert _count(state, "freepublish/delete") == 0
    assert state.find_article(pubs["星海集团"].article_id).deleted == [False]
    assert _pubs(post)["星海集团"].state == "published"
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "published"
    assert _actions("withdrawal", w["id"]) == ["withdrawal.requested", "withdrawal.rejected"]
    assert [r.action for r in _records(post)] == ["published"]
    rejected = db.session.scalar(select(Notification).where(Notification.kind == "withdrawal_rejected"))
    assert rejected.user.username == "account_admin" and "数据无误" in rejected.text
    # decided: not again; and a new request may be filed now
    assert _decide(api, w["id"]).status_code == 409
    assert _ask(api, post, reason="再次申请：发现新错误").status_code == 201


def test_decision_needs_a_boolean(published, api):
    post, _pubs_ = published()
    w = _ask(api, post).json
    r = api("supervisor")("POST", f"/withdrawals/{w['id']}/decision", json={"approve": "yes", "note": ""})
    assert r.status_code == 400 and "approve" in r.json["error"]["fields"]
    assert api("supervisor")("POST", "/withdrawals/999999/decision", json={"approve": True}).status_code == 404


# --- the request's own rules ---------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   ", None])
def test_the_reason_is_required(published, api, reason):  # U7
    post, _p = published()
    body = {"kind": "withdraw"} if reason is None else {"kind": "withdraw", "reason": reason}
    r = api("account_admin")("POST", f"/posts/{post.id}/withdrawals", json=body)
    assert r.status_code == 422 and r.json["error"]["code"] == "U7"
    assert "reason" in r.json["error"]["fields"]
    assert db.session.scalar(select(func.count(Withdrawal.id))) == 0


def test_the_form_names_the_missing_reason_and_keeps_what_was_typed(published, client_as):
    post, _p = published(channels=("星海集团", "星海官网"))
    admin = client_as("account_admin")
    page = admin.get(f"/posts/{post.id}/withdrawals").get_data(as_text=True)
    assert 'id="withdrawal-form"' in page
    site = _channel("星海官网")
    r = admin.post(f"/posts/{post.id}/withdrawals", data={"kind": "correct", "reason": " ",
                                                          "channels": [str(site.id)]})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请填写理由" in html and 'class="form-control is-invalid" id="reason"' in html
    # what was chosen is still chosen
    assert 'checked class="form-check-input" id="kind-1" name="kind" type="radio" value="correct"' in html
    assert f'checked class="form-check-input" id="channels-1" name="channels" type="checkbox" value="{site.id}"' in html
    assert f'<input class="form-check-input" id="channels-0" name="channels" type="checkbox" value="{_channel("星海集团").id}"' in html
    assert db.session.scalar(select(func.count(Withdrawal.id))) == 0
    # the reason typed is kept too when another rule refuses (a correction takes every channel, C4)
    r = admin.post(f"/posts/{post.id}/withdrawals", data={"kind": "correct", "reason": "图片版权有问题",
                                                          "channels": [str(site.id)]})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "图片版权有问题" in html and "更正会把文章从所有已发布的渠道撤下" in html


def test_bad_kind_and_channel_types_are_400(published, api):
    post, _p = published()
    assert _ask(api, post, kind="delete").status_code == 400
    r = _ask(api, post, channels="星海集团")
    assert r.status_code == 400 and "channels" in r.json["error"]["fields"]
    r = api("account_admin")("POST", f"/posts/{post.id}/withdrawals", data="not json")
    assert r.status_code == 400
    r = api("account_admin")("POST", f"/posts/{post.id}/withdrawals", json={"kind": "withdraw", "reason": 5})
    assert r.status_code == 400 and "reason" in r.json["error"]["fields"]


def test_one_open_request_per_post(published, api):
    post, _p = published()
    assert _ask(api, post).status_code == 201
    r = _ask(api, post, user="supervisor", reason="另一个理由")
    assert r.status_code == 409
    assert db.session.scalar(select(func.count(Withdrawal.id))) == 1


def test_only_a_published_post_and_its_published_channels(midday, outbox, approved_post, api):
    post = approved_post(channels=("星海集团", "星海科技"))
    r = _ask(api, post)
    assert r.status_code == 409  # approved, not out yet
    schedule(get_by_username("account_admin"), post)
    r = _ask(api, post)
    assert r.status_code == 409 and "仍在发布中" in r.json["error"]["message"]  # in flight
    publish_due.call_local(post.id)
    db.session.expire_all()
    website = _channel("星海官网")
    r = _ask(api, post, channels=[website.id])
    assert r.status_code == 422 and r.json["error"]["fields"]["channels"]
    assert r.json["error"]["channels"] == [website.id]
    # a correction takes every channel the post is out on (C4)
    r = _ask(api, post, kind="correct", channels=[_channel("星海集团").id])
    assert r.status_code == 422 and r.json["error"]["code"] == "C4"


# --- who may ---------------------------------------------------------------------------------------

def test_a_contributor_may_not_ask(published, api, client_as):
    post, _p = published()
    r = _ask(api, post, user="contributor")
    assert r.status_code == 403
    r = client_as("contributor").post(f"/posts/{post.id}/withdrawals", data={"kind": "withdraw", "reason": "x"})
    assert r.status_code == 403
    # an editor reads every post but does not withdraw one either
    assert _ask(api, post, user="editor").status_code == 403
    assert db.session.scalar(select(func.count(Withdrawal.id))) == 0


def test_the_administrator_of_another_channel_may_not_ask(published, api):
    post, _p = published()
    _user("admin_keji", [("account_admin", "channel", _channel("星海科技").id)], "科技号管理员")
    r = _ask(api, post, user="admin_keji")  # issue 13: another channel's post is not even theirs to see
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert db.session.scalar(select(func.count(Withdrawal.id))) == 0
    # the administrator of that channel may
    _user("admin_group", [("account_admin", "channel", _channel("星海集团").id)], "集团号管理员")
    assert _ask(api, post, user="admin_group").status_code == 201


def test_a_partial_right_does_not_reach_the_other_channels(published, api):
    post, _p = published(channels=("星海集团", "星海官网"))
    _user("admin_group", [("account_admin", "channel", _channel("星海集团").id)], "集团号管理员")
    r = _ask(api, post, user="admin_group")  # every published channel, one of them not theirs
    assert r.status_code == 403 and r.json["error"]["channels"] == [_channel("星海官网").id]
    r = _ask(api, post, user="admin_group", channels=[_channel("星海集团").id])
    assert r.status_code == 201


def test_who_decides(published, api, client_as):
    post, _p = published()
    w = _ask(api, post).json
    # the requester's side does not decide (no permission at all)
    assert _decide(api, w["id"], user="account_admin").status_code == 403
    assert client_as("account_admin").post(f"/withdrawals/{w['id']}/decision",
                                           data={"approve": "1"}).status_code == 403
    # a supervisor of another channel does not decide this one
    _user("sup_keji", [("supervisor", "channel", _channel("星海科技").id)], "科技号主管")
    r = _decide(api, w["id"], user="sup_keji")  # issue 13: nor sees another channel's post
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert db.session.get(Withdrawal, w["id"]).state == "pending"
    # the supervisor of that channel does
    _user("sup_group", [("supervisor", "channel", _channel("星海集团").id)], "集团号主管")
    assert _decide(api, w["id"], user="sup_group").json["state"] == "done"


def test_a_supervisors_own_request_needs_another_supervisor(published, api, client_as):  # four eyes
    post, _p = published()
    w = _ask(api, post, user="supervisor").json
    r = _decide(api, w["id"], user="supervisor")
    assert r.status_code == 403 and r.json["error"]["code"] == "own_request"
    # not counted as waiting for them, and the page says who decides
    sup = client_as("supervisor")
    assert "撤回申请" not in sup.get("/inbox").get_data(as_text=True)
    page = sup.get(f"/posts/{post.id}/withdrawals").get_data(as_text=True)
    assert 'id="decision-form"' not in page and "另一位平台主管领导" in page
    second = _user("supervisor2", [("supervisor", None, None)], "钱主管")
    assert [u.username for u in wd.deciders(db.session.get(Withdrawal, w["id"]))] == [second.username]
    r = _decide(api, w["id"], user="supervisor2")
    assert r.status_code == 200 and r.json["state"] == "done" and r.json["decided_by"] == "supervisor2"


def test_nobody_decides_on_the_withdrawal_of_their_own_post(midday, outbox, approved_post, api):
    post = approved_post()
    post.created_by_id = get_by_username("supervisor").id  # a supervisor wrote it
    db.session.commit()
    _publish(post)
    w = _ask(api, post).json
    r = _decide(api, w["id"], user="supervisor")
    assert r.status_code == 403 and r.json["error"]["code"] == "own_post"


def test_the_withdrawals_of_a_post_are_read_by_whoever_sees_the_post(published, api):
    post, _p = published()
    _ask(api, post)
    r = api("auditor")("GET", f"/posts/{post.id}/withdrawals")
    assert r.status_code == 200 and r.json["total"] == 1 and r.json["items"][0]["state"] == "pending"
    assert api("finance")("GET", f"/posts/{post.id}/withdrawals").status_code == 404


def test_two_decisions_at_once_carry_it_out_once(published, api, outbox):
    """Two supervisors press approve together: the request moves on once (a conditional UPDATE),
    the other is told someone acted meanwhile, and the platform is called once."""
    from sqlalchemy.orm.attributes import set_committed_value

    from cms.errors import Conflict

    state = outbox
    post, _p = published()
    wid = _ask(api, post).json["id"]
    second = _user("supervisor2", [("supervisor", None, None)], "钱主管")
    wd.decide(second, db.session.get(Withdrawal, wid), True, "")
    db.session.expire_all()
    stale = db.session.get(Withdrawal, wid)
    set_committed_value(stale, "state", "pending")  # as the first supervisor's page still had it
    with pytest.raises(Conflict):
        wd.decide(get_by_username("supervisor"), stale, True, "")
    db.session.expire_all()
    assert db.session.get(Withdrawal, wid).decided_by.username == "supervisor2"
    assert _count(state, "freepublish/delete") == 1
    assert _actions("withdrawal", wid).count("withdrawal.approved") == 1


# --- refusals, retry -----------------------------------------------------------------------------

def test_a_platform_refusal_fails_the_request_with_its_reason_then_retry(published, api, outbox, client,
                                                                         client_as):
    state = outbox
    post, pubs = published(channels=("星海集团", "星海官网"))
    slug_url = pubs["星海官网"].url
    state.inject_fault("freepublish/delete", errcode=48001)
    w = _ask(api, post).json
    r = _decide(api, w["id"])
    assert r.status_code == 200
    assert r.json["state"] == "failed"
    assert "星海集团：公众号没有此接口的权限" in r.json["last_error"]
    by = {c["name"]: c["state"] for c in r.json["channels"]}
    assert by == {"星海集团": "published", "星海官网": "withdrawn"}  # the website went; WeChat refused
    assert client.get(slug_url).status_code == 410
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "published"  # still out on WeChat
    assert _pubs(post)["星海集团"].progress["withdraw"]["state"] == "refused"
    assert _actions("withdrawal", w["id"])[-1] == "withdrawal.failed"
    failed = db.session.scalar(select(Notification).where(Notification.kind == "withdrawal_failed"))
    assert failed.user.username == "account_admin"
    # shown with a retry button, on the page and on the requester's home page
    admin = client_as("account_admin")
    page = admin.get(f"/posts/{post.id}/withdrawals").get_data(as_text=True)
    assert "公众号没有此接口的权限" in page and 'id="retry-form"' in page
    assert "公众号没有此接口的权限" in admin.get("/").get_data(as_text=True)
    # while failed, no second request
    assert _ask(api, post, reason="另一个申请").status_code == 409
    # retry: WeChat only, the website is not touched again
    r = admin.post(f"/withdrawals/{w['id']}/retry", data={})
    assert r.status_code == 302
    db.session.expire_all()
    w_row = db.session.get(Withdrawal, w["id"])
    assert w_row.state == "done" and w_row.last_error == ""
    assert _count(state, "freepublish/delete") == 2  # refused once, done once
    site_withdrawals = db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "site.page_withdrawn"))
    assert site_withdrawals == 1
    assert state.find_article(pubs["星海集团"].article_id).deleted == [True]
    assert db.session.get(Post, post.id).status == "withdrawn"
    assert [r.action for r in _records(post)].count("withdrawn") == 2
    assert _actions("withdrawal", w["id"]) == ["withdrawal.requested", "withdrawal.approved", "withdrawal.failed",
                                               "withdrawal.retried", "withdrawal.done"]
    # done: no second retry
    assert api("account_admin")("POST", f"/withdrawals/{w['id']}/retry").status_code == 409


def test_only_the_requesters_side_retries(published, api, outbox):
    state = outbox
    post, _p = published()
    state.inject_fault("freepublish/delete", errcode=48001)
    w = _ask(api, post).json
    assert _decide(api, w["id"]).json["state"] == "failed"
    assert api("contributor")("POST", f"/withdrawals/{w['id']}/retry").status_code == 403
    _user("admin_keji", [("account_admin", "channel", _channel("星海科技").id)], "科技号管理员")
    r = api("admin_keji")("POST", f"/withdrawals/{w['id']}/retry")
    assert r.status_code == 404  # issue 13: another channel's post is not theirs to see
    assert db.session.get(Withdrawal, w["id"]).state == "failed"
    r = api("supervisor")("POST", f"/withdrawals/{w['id']}/retry")
    assert r.status_code == 200 and r.json["state"] == "done"


def test_toutiao_has_no_delete_call_so_it_fails_until_deleted_by_hand(published, api, outbox):
    state = outbox
    post, pubs = published(channels=("星海头条号",))
    w = _ask(api, post).json
    r = _decide(api, w["id"])
    assert r.json["state"] == "failed" and "头条号接口不支持撤回文章" in r.json["last_error"]
    assert _pubs(post)["星海头条号"].state == "published"
    # the administrator deletes it in the 头条号 console; the retry sees it gone
    pub = pubs["星海头条号"]
    state.set_toutiao_status(_channel("星海头条号").app_id, pub.article_id, "deleted")
    r = api("account_admin")("POST", f"/withdrawals/{w['id']}/retry")
    assert r.json["state"] == "done"
    assert _pubs(post)["星海头条号"].state == "withdrawn"


def test_a_network_failure_fails_the_request_too(published, api, outbox):
    state = outbox
    post, _p = published()
    state.inject_fault("freepublish/delete", http_status=503)
    w = _ask(api, post).json
    r = _decide(api, w["id"])
    assert r.json["state"] == "failed" and "微信平台暂时无法访问" in r.json["last_error"]
    assert api("account_admin")("POST", f"/withdrawals/{w['id']}/retry").json["state"] == "done"


def test_a_request_interrupted_while_carried_out_can_be_retried_later(published, api, clock):
    from cms import workdays

    post, _p = published()
    w = _ask(api, post).json
    # the process died right after the approval was committed: the request stays "approved"
    db.session.execute(Withdrawal.__table__.update().where(Withdrawal.id == w["id"]).values(
        state="approved", decided_by_id=get_by_username("supervisor").id, decided_at=workdays.now()))
    db.session.commit()
    assert api("account_admin")("POST", f"/withdrawals/{w['id']}/retry").status_code == 409  # may still be running
    clock.advance(minutes=20)
    r = api("account_admin")("POST", f"/withdrawals/{w['id']}/retry")
    assert r.status_code == 200 and r.json["state"] == "done"


# --- the website ---------------------------------------------------------------------------------

def test_the_website_page_answers_410_after_withdrawal(published, api, client):
    post, pubs = published(channels=("星海官网",))
    url = pubs["星海官网"].url
    assert client.get(url).status_code == 200
    assert url in client.get("/feeds/xinghai.xml").get_data(as_text=True) or \
        url.rsplit("/", 1)[1] in client.get("/feeds/xinghai.xml").get_data(as_text=True)
    w = _ask(api, post).json
    assert _decide(api, w["id"]).json["state"] == "done"
    r = client.get(url)
    assert r.status_code == 410 and "撤回" in r.get_data(as_text=True)
    assert url.rsplit("/", 1)[1] not in client.get("/feeds/xinghai.xml").get_data(as_text=True)


def test_a_partial_withdrawal_leaves_the_post_published(published, api, client):
    post, pubs = published(channels=("星海集团", "星海官网"))
    w = _ask(api, post, channels=[_channel("星海官网").id]).json
    assert _decide(api, w["id"]).json["state"] == "done"
    got = _pubs(post)
    assert got["星海官网"].state == "withdrawn" and got["星海集团"].state == "published"
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "published"
    assert client.get(pubs["星海官网"].url).status_code == 410
    # the rest later: then nothing is out and the post is withdrawn
    w = _ask(api, post).json
    assert [c["name"] for c in w["channels"]] == ["星海集团"]
    assert _decide(api, w["id"]).json["state"] == "done"
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "withdrawn"


# --- correcting ----------------------------------------------------------------------------------

def _approve_chain(post):
    """Every step of the submitted post's chain approves (push: none)."""
    approve_chain(post)
    db.session.expire_all()


def test_correct_edit_review_republish_as_generation_2(published, api, outbox, client, client_as):
    state = outbox
    post, pubs = published(channels=("星海集团", "星海官网"))
    first = {n: (p.id, p.draft_media_id, p.article_id, p.revision_number) for n, p in pubs.items()}
    site_url = pubs["星海官网"].url
    w = _ask(api, post, kind="correct", reason="第二段的数字写错了").json
    r = _decide(api, w["id"], note="同意更正")
    assert r.json["state"] == "done", r.json
    assert state.find_article(first["星海集团"][2]).deleted == [True]
    assert client.get(site_url).status_code == 410
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    # back with its author as a draft; the approval that sent it out is closed, its signatures kept
    assert post.status == "draft"
    subs = db.session.scalars(select(Submission).where(Submission.post_id == post.id)).all()
    assert [s.state for s in subs] == ["corrected"]
    assert workflow_queries.active_submission(post) is None
    timeline = workflow_queries.timeline(post)
    assert timeline[-1].action == "correct" and timeline[-1].comment == "第二段的数字写错了"
    assert len(workflow_queries.signatures(post)) >= 5  # every earlier approval is still there (C11)
    told = db.session.scalar(select(Notification).where(Notification.kind == "correction_requested"))
    assert told.user.username == "contributor" and "第二段的数字写错了" in told.text
    assert "待更正：「" in client_as("contributor").get("/").get_data(as_text=True)
    assert [r.action for r in _records(post)] == ["published", "published", "corrected", "corrected"]
    # nothing is sent before the corrected revision passes its chain again (C4)
    with pytest.raises(Refused) as refused:
        schedule(get_by_username("account_admin"), post)
    assert refused.value.code == "C4"
    # the author edits: a draft may be edited, and the post page offers it
    author = get_by_username("contributor")
    assert f'href="/posts/{post.id}/edit"' in client_as("contributor").get(f"/posts/{post.id}").get_data(as_text=True)
    rev = content.save(author, post, {"body": {"format": "markdown",
                                               "text": "集团今天发布年度社会责任报告（更正版），回顾一年来的工作。"}},
                       post.current.number, note="更正数字")
    assert rev.number == first["星海集团"][3] + 1
    workflow.submit(author, post, {f.id: "测试：已知晓" for f in content.findings(post) if f.severity == WARNING})
    # each reviewer sees the correction against the revision they approved for the first version
    sub = workflow_queries.active_submission(post)
    assert sub.state == "active" and sub.round == 1
    assert workflow_queries.diff_base(get_by_username("department_head"), post, sub) == rev.number - 1
    assert "待更正：「" not in client_as("contributor").get("/").get_data(as_text=True)
    _approve_chain(post)
    post = db.session.get(Post, post.id)
    assert post.status == "approved"
    pubs2 = _publish(post)
    for name in ("星海集团", "星海官网"):
        assert pubs2[name].generation == 2 and pubs2[name].id != first[name][0]
        assert pubs2[name].revision_number == rev.number
    # a new WeChat draft (draft/add again: the published one left the draft box), a new article
    assert _count(state, "draft/add") == 2 and _count(state, "draft/update") == 0
    assert pubs2["星海集团"].draft_media_id != first["星海集团"][1]
    assert pubs2["星海集团"].article_id != first["星海集团"][2]
    new_article = state.find_article(pubs2["星海集团"].article_id)
    assert "更正版" in new_article.articles[0]["content"] and new_article.deleted == [False]
    # the website's address survives the correction
    assert pubs2["星海官网"].url == site_url
    page = client.get(site_url)
    assert page.status_code == 200 and "更正版" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "published"
    # the first generation stays withdrawn; every generation is listed
    every = publications_for(post, all_generations=True)
    assert sorted((p.channel.name, p.generation, p.state) for p in every) == [
        ("星海官网", 1, "withdrawn"), ("星海官网", 2, "published"),
        ("星海集团", 1, "withdrawn"), ("星海集团", 2, "published")]
    # C13: both versions in the archive, and both in the export
    recs = _records(post)
    assert [(r.action, r.revision_number) for r in recs] == [
        ("published", rev.number - 1), ("published", rev.number - 1), ("corrected", rev.number - 1),
        ("corrected", rev.number - 1), ("published", rev.number), ("published", rev.number)]
    assert recs[2].request["withdrawal"]["kind"] == "correct"
    r = client_as("auditor").get(f"/archive/export?post={post.id}")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        index = json.loads(z.read("index.json"))
        assert index["count"] == 6
        assert {(x["action"], x["revision"]) for x in index["records"]} == {
            ("published", rev.number - 1), ("corrected", rev.number - 1), ("published", rev.number)}
        htmls = [z.read(f"{x['folder']}/article.html").decode() for x in index["records"]]
        assert any("更正版" in h for h in htmls) and any("更正版" not in h for h in htmls)
    assert verify()[0]


def test_a_withdrawn_post_is_not_scheduled_again(published, api):
    post, _p = published()
    w = _ask(api, post).json
    _decide(api, w["id"])
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    r = api("account_admin")("POST", f"/posts/{post.id}/schedule", json={})
    assert r.status_code == 422 and r.json["error"]["code"] == "C4"
