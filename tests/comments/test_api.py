"""The comments API (API.md "Comments"): the same queue and the same screened reply as the pages."""
from __future__ import annotations

from sqlalchemy import select

from cms.comments import operations
from cms.comments.models import FollowerComment
from cms.extensions import db
from tests.comments.conftest import channel
from tests.policy_matrix import make_user


def _setup(published, comment_on):
    pub = published()
    comment_on(pub, "什么时候发布下一期？", nickname="小王")
    operations.sync_channel(None, channel("星海集团"))
    return pub, db.session.scalar(select(FollowerComment))


def test_list_and_reply(app, state, published, comment_on, api):
    pub, c = _setup(published, comment_on)
    call = api("moderator")
    r = call("GET", "/comments?state=unanswered")
    assert r.status_code == 200
    body = r.json
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)
    (item,) = body["items"]
    assert item["text"] == "什么时候发布下一期？" and item["follower"]["nickname"] == "小王"
    assert item["article"]["title"] == "星海集团发布年度社会责任报告" and item["state"] == "unanswered"
    assert item["reply_due_at"].endswith("+08:00")
    assert call("GET", f"/comments?state=unanswered&channel={channel('星海科技').id}").json["total"] == 0
    assert call("GET", "/comments?state=overdue").json["total"] == 0
    r = call("POST", f"/comments/{c.id}/replies", json={"text": "下周一发布，敬请关注。"})
    assert r.status_code == 201 and r.json["reply"]["text"] == "下周一发布，敬请关注。"
    assert r.json["reply"]["by"] == "moderator" and r.json["state"] == "answered"
    assert state.comment.comments_of(int(pub.msg_data_id))[0][0].reply["content"] == "下周一发布，敬请关注。"
    r = call("POST", f"/comments/{c.id}/replies", json={"text": "再来一次"})
    assert r.status_code == 409 and r.json["error"]["code"] == "88005"


def test_a_screened_reply_is_422_c15_with_the_findings(app, state, published, comment_on, api):
    pub, c = _setup(published, comment_on)
    call = api("moderator")
    r = call("POST", f"/comments/{c.id}/replies", json={"text": "加我微信 13812345678 详聊"})
    assert r.status_code == 422
    error = r.json["error"]
    assert error["code"] == "C15" and "C15" in error["message"]
    assert any(f["check"] == "compliance.mobile" and f["policy"] == "C15" for f in error["findings"])
    r = call("POST", f"/comments/{c.id}/replies", json={"text": "谢谢关注,下周见。"})
    assert r.status_code == 422 and r.json["error"]["code"] == "C16" and "confirm_warnings" in r.json["error"]["fields"]
    assert state.comment.comments_of(int(pub.msg_data_id))[0][0].reply is None
    r = call("POST", f"/comments/{c.id}/replies", json={"text": "谢谢关注,下周见。", "confirm_warnings": True})
    assert r.status_code == 201


def test_bad_input_and_scope(app, published, comment_on, api):
    _pub, c = _setup(published, comment_on)
    call = api("moderator")
    assert call("POST", f"/comments/{c.id}/replies", json={"text": 5}).status_code == 400
    assert call("POST", f"/comments/{c.id}/replies", json={"text": "好", "confirm_warnings": "yes"}).status_code == 400
    assert call("POST", f"/comments/{c.id}/replies", json={}).status_code == 400
    assert call("POST", "/comments/999999/replies", json={"text": "好"}).status_code == 404
    assert call("GET", "/comments?state=whatever").status_code == 400
    assert call("GET", "/comments?stat=unanswered").status_code == 400
    make_user("mod_tech", ("moderator", "channel", "星海科技"))
    other = api("mod_tech")
    assert other("GET", "/comments").json["total"] == 0
    assert other("POST", f"/comments/{c.id}/replies", json={"text": "越权"}).status_code == 404
    assert api("editor")("GET", "/comments").status_code == 403
