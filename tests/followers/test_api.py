"""GET /api/v1/followers/messages and /followers/figures: the channel's moderator reads them; a
moderator of another channel gets 403, anyone without comment.moderate 403, bad input 400."""
from __future__ import annotations

from datetime import UTC, date, datetime

from cms.auth.service import create_user, get_by_username
from cms.extensions import db
from cms.followers.models import IN, OUT, ArticleFigure, FollowerMessage, UserFigure
from cms.followers.tasks import fetch_figures  # noqa: F401 - the periodic task is registered
from tests.policy_matrix import IN_CHANNEL, OUT_CHANNEL, channel


def _seed():
    ch = channel(IN_CHANNEL)
    db.session.add_all([
        FollowerMessage(channel_id=ch.id, openid="o_api", direction=IN, msg_id="9001", content="你好",
                        sent_at=datetime(2026, 12, 1, tzinfo=UTC)),
        FollowerMessage(channel_id=ch.id, openid="o_api", direction=OUT, content="您好", sent_at=datetime(2026, 12, 2, tzinfo=UTC),
                        author_id=get_by_username("moderator").id),
        ArticleFigure(channel_id=ch.id, ref_date=date(2026, 12, 1), msgid="100_1", title="年会", read_user=10,
                      read_count=12, share_user=1, share_count=2, fav_user=0),
        UserFigure(channel_id=ch.id, ref_date=date(2026, 12, 1), new_user=5, cancel_user=1, cumulate_user=1004),
    ])
    db.session.commit()
    return ch


def test_the_moderator_reads_messages_and_figures(app, api):
    ch = _seed()
    call = api("moderator")
    r = call("GET", f"/followers/messages?channel={ch.id}")
    assert r.status_code == 200
    assert [(m["direction"], m["content"], m["author"]) for m in r.json["items"]] == [
        ("out", "您好", "moderator"), ("in", "你好", None)]
    r = call("GET", f"/followers/figures?channel={ch.id}&from=2026-12-01&to=2026-12-01")
    assert r.status_code == 200
    assert r.json["articles"][0]["read_count"] == 12 and r.json["users"] == [
        {"date": "2026-12-01", "new_user": 5, "cancel_user": 1, "cumulate_user": 1004}]


def test_refusals(app, api):
    ch = _seed()
    other = channel(OUT_CHANNEL)
    create_user(username="mod_other", real_name="其他版主", department_id=get_by_username("moderator").department_id,
                title="版主", roles=[("moderator", "channel", other.id)], password="Demo-Pass-2026", must_change=False)
    db.session.commit()
    assert api("mod_other")("GET", f"/followers/messages?channel={ch.id}").status_code == 403
    assert api("editor")("GET", f"/followers/messages?channel={ch.id}").status_code == 403
    call = api("moderator")
    assert call("GET", "/followers/messages").status_code == 400
    assert call("GET", "/followers/messages?channel=999999").status_code == 404
    assert call("GET", f"/followers/figures?channel={ch.id}&from=2026-13-01").status_code == 400
    r = call("GET", f"/followers/figures?channel={ch.id}&from=2026-12-02&to=2026-12-01")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid"
