"""The outbox end to end: an approved post scheduled (C8), run by the real Huey task
(`publish_due.call_local`), through wechatpy to the sandbox over loopback HTTP. Publish-only and
push (C18, the quota counted by the sandbox), token retirement mid-flow, every error class, a
content error fixed and retried, fan-out with one failing channel, the post's state, the audit
trail (U7) and the archive (C13). Nothing is mocked."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.channels.models import Channel, Publication
from cms.extensions import db
from cms.publishing.queries import publications_for, pushes_used
from cms.publishing.scheduling import retry, schedule
from cms.publishing.tasks import publish_due


def _channel(name: str) -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _run(post) -> dict:
    result = publish_due.call_local(post.id)
    db.session.expire_all()
    return result


def _pubs(post) -> dict[str, Publication]:
    db.session.expire_all()
    return {p.channel.name: p for p in publications_for(post)}


def _calls(state, path: str, appid: str | None = None) -> int:
    return sum(1 for _t, p, owner in state.calls if p.endswith(path) and (appid is None or owner == appid))


def _schedule(post, user="account_admin", **kw):
    return schedule(get_by_username(user), post, **kw)


def _actions(target_type: str, target_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id)).order_by(AuditEntry.seq)))


# --- the full flow -------------------------------------------------------------------------------

def test_publish_only_goes_out_once_with_every_remote_id_saved(outbox, approved_post):
    state = outbox
    post = approved_post(images=2)
    group = _channel("星海集团")
    (pub,) = _schedule(post)
    assert pub.state == "scheduled" and post.status == "scheduled" and pub.push is False
    assert _run(post) == {pub.id: "published"}
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published" and pub.attempts == 1 and pub.last_error == ""
    # every remote id kept: image URL map, cover, draft, publish, article, msg_data, URL
    assert set(pub.image_urls) == {f"/assets/{n}" for n in _asset_ids(post)}
    assert all("/sandbox/media/" in url for url in pub.image_urls.values())
    assert pub.thumb_media_id and pub.draft_media_id and pub.publish_id and pub.article_id and pub.msg_data_id
    assert pub.url and pub.url.startswith("http://127.0.0.1") and "/sandbox/articles/" in pub.url
    assert pub.msg_id is None  # not pushed (C18: publish only)
    assert set(pub.progress) >= {"images", "cover", "draft", "publish", "status"}
    assert all(step["state"] == "done" for step in pub.progress.values())
    # the platform holds one article whose images are its own, not /assets/
    article = state.find_article(pub.article_id)
    assert article.source == "publish" and len(article.articles) == 1
    content = article.articles[0]["content"]
    assert "/assets/" not in content and content.count("/sandbox/media/") == 2
    assert _calls(state, "draft/add") == 1 and _calls(state, "freepublish/submit") == 1
    assert _calls(state, "message/mass/sendall") == 0 and state.pushes_used(group.app_id) == 0
    assert post.status == "published"
    # U7: every state change audited
    assert _actions("publication", pub.id) == ["publication.scheduled", "publication.sending",
                                               "publication.published"]
    assert "post.published" in _actions("post", post.id)


def _asset_ids(post) -> list[int]:
    import re

    return [int(n) for n in re.findall(r"/assets/(\d+)", post.current.html)]


def test_push_sends_the_draft_to_followers_and_counts_against_the_quota(outbox, approved_post):  # C18
    state = outbox
    group = _channel("星海集团")
    post = approved_post(push={"星海集团": True})
    (pub,) = _schedule(post)
    assert pub.push is True
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published" and pub.msg_id and pub.msg_data_id and pub.draft_media_id
    assert pub.publish_id is None  # a push is not a freepublish
    assert _calls(state, "message/mass/sendall") == 1 and _calls(state, "freepublish/submit") == 0
    assert state.pushes_used(group.app_id) == 1  # the sandbox counted the push (service: 4 a month)
    (mass,) = state.account(group.app_id).masses.values()
    assert mass.clientmsgid == pub.client_ref and str(mass.msg_id) == pub.msg_id
    assert pushes_used(group) == {"used": 1, "allowed": 4, "period": "month", "left": 3}


def test_a_push_over_the_platforms_quota_fails_with_its_reason(outbox, approved_post):  # C18
    """The review chain kept to the quota (C18), but pushes made in the MP console count too: the
    platform's own count wins, and the refusal (45028) is shown in Chinese."""
    state = outbox
    subsid = _channel("星海科技")
    state.configure(subsid.app_id, push_quota=0)  # today's push was made in the MP console
    post = approved_post(channels=("星海科技",), push={"星海科技": True})
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海科技"]
    assert pub.state == "failed" and pub.last_error_code == 45028 and pub.attempts == 1
    assert "群发次数已用完" in pub.last_error
    assert state.pushes_used(subsid.app_id) == 0


def test_a_retried_push_is_not_a_second_push(outbox, approved_post):
    """A push whose answer was lost: the platform sent it, the worker never saved msg_id. The next
    try carries the same clientmsgid, and the platform answers 45065 with the first msg_id."""
    from cms.channels.clients import mp_client

    state = outbox
    group = _channel("星海集团")
    post = approved_post(push={"星海集团": True})
    state.inject_fault("message/mass/sendall", errcode=48003, times=1)  # agreement unsigned: stops at push
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and pub.draft_media_id and not pub.msg_id and "群发协议" in pub.last_error
    retry(get_by_username("account_admin"), pub)
    pub = _pubs(post)["星海集团"]
    # the lost call: sent with this publication's clientmsgid, its answer never saved
    sent = mp_client(group).message.send_mass_article(pub.draft_media_id, is_to_all=True,
                                                      client_msg_id=pub.client_ref)
    db.session.commit()
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published" and pub.msg_id == str(sent["msg_id"])
    assert state.pushes_used(group.app_id) == 1  # once, not twice
    assert len(state.account(group.app_id).masses) == 1


# --- tokens --------------------------------------------------------------------------------------

def test_expired_and_retired_tokens_are_refreshed_mid_flow(outbox, approved_post):
    state = outbox
    group = _channel("星海集团")
    post = approved_post()
    # a token in the shared storage that the platform has since expired (42001) ...
    from cms.channels.clients import mp_client

    mp_client(group).fetch_access_token()
    db.session.commit()
    state.expire_tokens(group.app_id)
    # ... and one retired in the middle of the flow (40001 at draft/add)
    state.inject_fault("draft/add", errcode=40001, times=1, appid=group.app_id)
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published" and pub.attempts == 1 and pub.last_error == ""
    assert _calls(state, "draft/add") == 2  # the refused one, then the retry on a fresh token
    assert _calls(state, "freepublish/submit") == 1


def test_a_token_kept_by_this_process_and_retired_elsewhere_is_dropped_and_retried(outbox, approved_post):
    """The worker keeps its copy of the token (CMS_TOKEN_CACHE_SECONDS); another process has the
    platform retire it (a forced refresh). The first call meets 40001, the copy is dropped, the
    retry goes out on the token the other process stored: published, and no token fetched here."""
    from cms.channels.clients import api_base_url, mp_client
    from cms.platforms import DatabaseStorage, make_mp_client, share_refresh
    from cms.sandbox import SANDBOX_SECRET

    state = outbox
    group = _channel("星海集团")
    post = approved_post()
    mp_client(group).fetch_access_token()  # this process's copy
    other = share_refresh(make_mp_client(group.app_id, SANDBOX_SECRET, base_url=api_base_url(group),
                                         session=DatabaseStorage(db.engine)))
    other.fetch_access_token(force_refresh=True)
    db.session.commit()
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published" and pub.attempts == 1 and pub.last_error == ""
    assert _calls(state, "media/uploadimg") == 2  # refused (40001), then retried on the stored token
    assert _calls(state, "stable_token", group.app_id) == 2  # ours at first, the other process's


# --- every error class ---------------------------------------------------------------------------

BACKOFF = [  # WECHAT_API.md 3: retried with backoff, then published
    pytest.param("draft/add", {"errcode": -1}, 2, id="system-busy"),
    pytest.param("freepublish/submit", {"http_status": 500}, 1, id="http-5xx"),
    pytest.param("media/uploadimg", {"errcode": 45009}, 1, id="daily-quota"),
    pytest.param("material/add_material", {"errcode": 45011}, 1, id="minute-quota"),
    pytest.param("freepublish/submit", {"errcode": 53501}, 2, id="publishing-too-often"),
    pytest.param("freepublish/get", {"http_status": 502}, 1, id="status-5xx"),
]


@pytest.mark.parametrize("path, fault, times", BACKOFF)
def test_retryable_errors_are_retried_then_published(outbox, approved_post, path, fault, times):
    state = outbox
    post = approved_post()
    state.inject_fault(path, times=times, **fault)
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published", pub.last_error
    assert pub.last_error_code == fault.get("errcode")  # the last error seen stays for the record
    assert pub.last_error  # in Chinese
    assert _calls(state, "draft/add") == 1 + (times if path == "draft/add" else 0)
    assert len(state.account(_channel("星海集团").app_id).articles) == 1


def test_retryable_errors_fail_after_the_configured_attempts(app, outbox, approved_post):
    state = outbox
    app.config["PUBLISH_MAX_ATTEMPTS"] = 2
    post = approved_post()
    state.inject_fault("draft/add", errcode=-1, times=10)
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and pub.attempts == 2 and pub.last_error_code == -1
    assert pub.last_error.startswith("创建草稿：微信系统繁忙") and "已尝试 2 次" in pub.last_error
    assert _calls(state, "draft/add") == 2


def test_a_network_failure_is_retried_then_fails_and_a_retry_after_the_fix_publishes(outbox, approved_post):
    state = outbox
    group = _channel("星海集团")
    post = approved_post()
    good = group.api_base_url
    group.api_base_url = "http://127.0.0.1:9/mp/cgi-bin/"  # nothing listens on the discard port
    db.session.commit()
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and pub.last_error_code is None and "微信平台暂时无法访问" in pub.last_error
    assert pub.attempts == 3  # errcode None: 3 tries (cms.platforms.errors)
    group = _channel("星海集团")
    group.api_base_url = good
    db.session.commit()
    retry(get_by_username("account_admin"), pub)
    _run(post)
    assert _pubs(post)["星海集团"].state == "published"
    assert _calls(state, "draft/add") == 1


PERMANENT = [  # failed at once with the platform's reason in Chinese
    pytest.param("draft/add", 40164, "IP 白名单", id="ip-whitelist"),
    pytest.param("draft/add", 45166, "正文内容不合法", id="content-illegal"),
    pytest.param("material/add_material", 40009, "图片大小超出限制", id="image-size"),
    pytest.param("freepublish/submit", 53503, "未通过发布检查", id="publish-check"),
    pytest.param("freepublish/submit", 48001, "没有此接口的权限", id="unauthorised"),
]


@pytest.mark.parametrize("path, errcode, text", PERMANENT)
def test_permanent_errors_fail_with_the_reason_then_retry_once_fixed(outbox, approved_post, path, errcode, text):
    state = outbox
    post = approved_post()
    state.inject_fault(path, errcode=errcode, times=1)
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and pub.attempts == 1 and pub.last_error_code == errcode
    assert text in pub.last_error
    assert post.status == "scheduled"  # nothing out yet: the failure is visible per channel
    assert "publication.failed" in _actions("publication", pub.id)
    # the cause is fixed (the fault is gone): the administrator retries
    retry(get_by_username("account_admin"), pub)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published"
    account = state.account(_channel("星海集团").app_id)
    assert len(account.articles) == 1
    assert _calls(state, "draft/add") == (2 if path == "draft/add" else 1)  # never a second draft
    assert post.status == "published"


def test_the_platform_rejecting_the_publication_fails_it_and_a_retry_resubmits_the_draft(outbox, approved_post):
    state = outbox
    state.fail_next_publish(4)
    post = approved_post()
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and "平台审核不通过" in pub.last_error
    first_publish = pub.publish_id
    retry(get_by_username("account_admin"), pub)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "published" and pub.publish_id != first_publish
    assert pub.progress["history"] == [{"publish_id": first_publish, "msg_data_id": pub.progress["history"][0]
                                        ["msg_data_id"]}]
    assert _calls(state, "draft/add") == 1 and _calls(state, "freepublish/submit") == 2


def test_a_post_without_a_cover_fails_with_a_clear_reason(outbox, approved_post):
    post = approved_post(cover=False)
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and "封面" in pub.last_error and pub.last_error_code is None


# --- fan-out -------------------------------------------------------------------------------------

def test_fan_out_one_failing_channel_never_holds_back_the_others(outbox, approved_post):
    state = outbox
    subsid = _channel("星海科技")
    post = approved_post(channels=("星海集团", "星海科技", "星海头条号"), push={"星海集团": True})
    state.inject_fault("draft/add", errcode=45166, times=5, appid=subsid.app_id)
    pubs = _schedule(post)
    assert len(pubs) == 3
    result = _run(post)
    assert sorted(result.values()) == ["failed", "published", "published"]
    by_name = _pubs(post)
    assert by_name["星海集团"].state == "published" and by_name["星海集团"].msg_id
    assert by_name["星海头条号"].state == "published" and by_name["星海头条号"].url
    failed = by_name["星海科技"]
    assert failed.state == "failed" and failed.last_error_code == 45166 and "正文内容不合法" in failed.last_error
    assert post.status == "published"  # all final, one at least out; the failure shows per channel


# --- C4 and C5 at send time ----------------------------------------------------------------------

def test_a_post_back_in_review_after_scheduling_is_not_sent(outbox, approved_post):  # C4
    """Whatever takes a scheduled post out of its approved state (the chain restarted, the
    submission withdrawn) cancels what has not gone out: checked again just before sending."""
    from cms.workflow.queries import active_submission

    state = outbox
    post = approved_post()
    _schedule(post)
    active_submission(post).state = "active"
    post.status = "in_review"
    db.session.commit()
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "cancelled" and "C4" in pub.last_error
    assert _calls(state, "draft/add") == 0 and _calls(state, "media/uploadimg") == 0


def test_a_post_marked_confidential_after_scheduling_does_not_go_out(outbox, approved_post):  # C5
    state = outbox
    post = approved_post()
    _schedule(post)
    post.confidential = True
    db.session.commit()
    _run(post)
    pub = _pubs(post)["星海集团"]
    assert pub.state == "failed" and "C5" in pub.last_error
    assert _calls(state, "media/uploadimg") == 0
    with pytest.raises(Exception) as refused:
        retry(get_by_username("account_admin"), pub)
    assert getattr(refused.value, "code", None) == "C5"


# --- toutiao -------------------------------------------------------------------------------------

def test_toutiao_flow_and_its_review(outbox, approved_post):
    state = outbox
    tt = _channel("星海头条号")
    state.configure(tt.app_id, review_delay=3600)  # in review for an hour
    post = approved_post(channels=("星海头条号",))
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海头条号"]
    assert pub.state == "submitted" and pub.article_id and pub.publish_id and pub.push is None
    assert pub.next_attempt_at is not None and pub.lease_owner is None
    art = state.find_toutiao_article(pub.article_id)
    assert art.client_id == pub.client_ref and "/assets/" not in art.content
    state.advance(3601)
    _run(post)
    pub = _pubs(post)["星海头条号"]
    assert pub.state == "published" and pub.url and post.status == "published"
    assert _calls(state, "article/create") == 1


def test_toutiao_rejection_shows_the_reviewers_reason(outbox, approved_post):
    state = outbox
    state.reject_next_toutiao("标题含有夸大用语")
    post = approved_post(channels=("星海头条号",))
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海头条号"]
    assert pub.state == "failed" and pub.last_error_code == 70003 and "标题含有夸大用语" in pub.last_error


# --- the archive (C13) ---------------------------------------------------------------------------

def test_each_success_is_archived_in_the_same_transaction(outbox, approved_post):  # C13
    from cms.archive.models import ArchiveRecord

    post = approved_post(channels=("星海集团", "星海头条号"))
    _schedule(post)
    _run(post)
    rows = db.session.scalars(select(ArchiveRecord).where(ArchiveRecord.post_id == post.id)).all()
    assert sorted(r.channel_name for r in rows) == ["星海头条号", "星海集团"]
    by_name = _pubs(post)
    for r in rows:
        pub = by_name[r.channel_name]
        assert r.action == "published" and r.url == pub.url and r.revision_number == pub.revision_number
        assert r.remote_ids.get("article_id") == pub.article_id


def test_the_website_channel_publishes_through_the_site(outbox, approved_post):
    post = approved_post(channels=("星海官网",))
    _schedule(post)
    _run(post)
    pub = _pubs(post)["星海官网"]
    assert pub.state == "published" and pub.url


def test_publications_count_each_state_once(outbox, approved_post):
    post = approved_post(channels=("星海集团", "星海头条号"))
    _schedule(post)
    _run(post)
    assert db.session.scalar(select(func.count(Publication.id)).where(Publication.post_id == post.id)) == 2
    assert _run(post) == {}  # nothing left to do: a second run claims nothing
