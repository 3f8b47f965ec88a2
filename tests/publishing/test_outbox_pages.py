"""The pages and the API of the outbox: the publish-today buttons, a post's publications page with
its retry button, the channel dashboard, `POST /posts/{id}/schedule` and
`GET /posts/{id}/publications` (API.md). Permissions, CSRF-protected forms, bad input answered in
Chinese with the form kept."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cms import workdays
from cms.auth.service import get_by_username
from cms.channels.models import Channel, Publication
from cms.extensions import db
from cms.publishing.queries import publications_for
from cms.publishing.scheduling import schedule
from cms.publishing.tasks import publish_due


def _pubs(post):
    db.session.expire_all()
    return publications_for(post)


def test_publish_today_lists_the_post_with_its_buttons_and_publishes_now(outbox, approved_post, client_as):
    post = approved_post()
    admin = client_as("account_admin")
    page = admin.get("/publish/today").get_data(as_text=True)
    assert f'id="schedule-{post.id}"' in page and "立即发布" in page and "今天" in page
    r = admin.post(f"/channels/posts/{post.id}/schedule", data={"publish_now": "1", "next": "/publish/today"})
    assert r.status_code == 302 and r.location.endswith("/publish/today")
    (pub,) = _pubs(post)
    assert pub.state == "scheduled"
    publish_due.call_local(post.id)
    page = admin.get("/publish/today").get_data(as_text=True)
    assert f'id="going-{post.id}"' in page and "已发布" in page


def test_schedule_at_a_time_today_from_the_queue(midday, outbox, approved_post, client_as):
    post = approved_post()
    now = workdays.local(workdays.now())
    at = now + timedelta(minutes=30)
    assert at.date() == now.date()
    r = client_as("account_admin").post(f"/channels/posts/{post.id}/schedule",
                                        data={"schedule_at": "1", "time": at.strftime("%H:%M")})
    assert r.status_code == 302
    (pub,) = _pubs(post)
    assert workdays.local(pub.due_at).strftime("%H:%M") == at.strftime("%H:%M")


def test_bad_input_is_a_4xx_in_chinese_with_the_form_kept(outbox, approved_post, client_as):
    post = approved_post()
    admin = client_as("account_admin")
    r = admin.post(f"/channels/posts/{post.id}/schedule", data={"schedule_at": "1", "time": "25:99"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "请按 HH:MM" in page and 'value="25:99"' in page
    tomorrow = (workdays.today() + timedelta(days=1)).isoformat()
    r = admin.post(f"/channels/posts/{post.id}/schedule",
                   data={"schedule_at": "1", "time": "10:00", "day": tomorrow, "override_reason": "想明天发"})
    page = r.get_data(as_text=True)
    # the reason field is the supervisor's: the administrator is not offered one (issue 19)
    assert r.status_code == 422 and "C8" in page and f'value="{tomorrow}"' in page and 'name="override_reason"' not in page
    assert db.session.scalar(select(Publication.id)) is None


def test_the_supervisor_sets_another_day_with_a_reason(outbox, approved_post, client_as):  # C8
    post = approved_post()
    tomorrow = (workdays.today() + timedelta(days=1)).isoformat()
    sup = client_as("supervisor")
    page = sup.get(f"/channels/posts/{post.id}/publications").get_data(as_text=True)
    assert 'name="override_reason"' in page
    r = sup.post(f"/channels/posts/{post.id}/schedule",
                 data={"schedule_at": "1", "time": "09:30", "day": tomorrow, "override_reason": "与集团统一发布"})
    assert r.status_code == 302
    (pub,) = _pubs(post)
    assert pub.override_reason == "与集团统一发布" and workdays.local(pub.due_at).date().isoformat() == tomorrow


def test_the_post_page_shows_steps_ids_errors_and_retries(outbox, approved_post, client_as):
    state = outbox
    post = approved_post()
    state.inject_fault("draft/add", errcode=40164, times=1)
    schedule(get_by_username("account_admin"), post)
    publish_due.call_local(post.id)
    (pub,) = _pubs(post)
    admin = client_as("account_admin")
    page = admin.get(f"/channels/posts/{post.id}/publications").get_data(as_text=True)
    assert "失败" in page and "40164" in page and "IP 白名单" in page and "重试" in page
    assert "✓ 图片" in page and "✓ 封面" in page and pub.thumb_media_id in page  # steps done, ids kept
    r = admin.post(f"/channels/publications/{pub.id}/retry", data={})
    assert r.status_code == 302
    publish_due.call_local(post.id)
    page = admin.get(f"/channels/posts/{post.id}/publications").get_data(as_text=True)
    (pub,) = _pubs(post)
    assert pub.state == "published" and pub.url in page and "已发布" in page
    # a second retry is refused in Chinese: it is not failed
    r = admin.post(f"/channels/publications/{pub.id}/retry", data={})
    assert r.status_code == 409 and "只有失败的发布才能重试" in r.get_data(as_text=True)


def test_the_dashboard_shows_queue_flight_failures_and_pushes(outbox, approved_post, client_as):
    state = outbox
    failing = approved_post(title="会失败的文章")
    state.inject_fault("draft/add", errcode=45166, times=1)
    schedule(get_by_username("account_admin"), failing)
    publish_due.call_local(failing.id)
    pushed = approved_post(title="推送的文章", push={"星海集团": True})
    schedule(get_by_username("account_admin"), pushed)
    publish_due.call_local(pushed.id)
    waiting = approved_post(title="排队的文章")
    schedule(get_by_username("account_admin"), waiting)
    page = client_as("account_admin").get("/channels/dashboard").get_data(as_text=True)
    group = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    assert "排队的文章" in page.split('id="queue"')[1].split('id="flight"')[0]
    assert "会失败的文章" in page.split('id="failures"')[1].split('id="done"')[0]
    assert "推送的文章" in page.split('id="done"')[1]
    row = page.split(f'id="pushes-{group.id}"')[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "<td>3</td>" in row  # one of four this month, three left (C18)


def test_pages_refuse_who_may_not(outbox, approved_post, client_as):
    post = approved_post()
    assert client_as("contributor").get("/channels/dashboard").status_code == 403
    r = client_as("editor").post(f"/channels/posts/{post.id}/schedule", data={"publish_now": "1"})
    assert r.status_code == 403 and "账号管理员" in r.get_data(as_text=True)
    assert client_as("finance").get(f"/channels/posts/{post.id}/publications").status_code == 404


# --- the API --------------------------------------------------------------------------------------

def test_api_schedule_and_publications(outbox, approved_post, api):
    post = approved_post(channels=("星海集团", "星海头条号"))
    call = api("account_admin")
    r = call("POST", f"/posts/{post.id}/schedule", json={})
    assert r.status_code == 200, r.json
    assert r.json["post"]["status"] == "scheduled"
    assert sorted(p["channel"]["name"] for p in r.json["items"]) == ["星海头条号", "星海集团"]
    assert all(p["state"] == "scheduled" for p in r.json["items"])
    publish_due.call_local(post.id)
    r = api("contributor")("GET", f"/posts/{post.id}/publications")
    assert r.status_code == 200 and r.json["post"]["status"] == "published"
    wechat = next(p for p in r.json["items"] if p["channel"]["platform"] == "wechat")
    assert wechat["state"] == "published" and wechat["attempts"] == 1 and wechat["last_error"] is None
    assert {"draft_media_id", "publish_id", "article_id", "url", "images"} <= set(wechat["remote_ids"])
    assert wechat["progress"]["draft"]["state"] == "done" and wechat["push"] is False


def test_api_refusals_name_the_policy(outbox, approved_post, api):
    post = approved_post()
    call = api("account_admin")
    tomorrow = workdays.local(workdays.now()) + timedelta(days=1)
    r = call("POST", f"/posts/{post.id}/schedule", json={"at": tomorrow.isoformat()})
    assert r.status_code == 422 and r.json["error"]["code"] == "C8"
    r = call("POST", f"/posts/{post.id}/schedule", json={"at": "2026-05-04T15:30:00"})
    assert r.status_code == 400 and "at" in r.json["error"]["fields"]
    r = call("POST", f"/posts/{post.id}/schedule", json={"at": "not a time"})
    assert r.status_code == 400
    r = api("supervisor")("POST", f"/posts/{post.id}/schedule",
                          json={"at": tomorrow.isoformat(), "override_reason": "节日统一发布"})
    assert r.status_code == 200 and r.json["items"][0]["override_reason"] == "节日统一发布"
    draft = approved_post(approve=False)
    r = call("POST", f"/posts/{draft.id}/schedule", json={})
    assert r.status_code == 422 and r.json["error"]["code"] == "C4"
    secret = approved_post(confidential=True)
    r = call("POST", f"/posts/{secret.id}/schedule", json={})
    assert r.status_code == 422 and r.json["error"]["code"] == "C5"
    r = api("contributor")("POST", f"/posts/{post.id}/schedule", json={})
    assert r.status_code == 403
