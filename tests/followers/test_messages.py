"""A follower's message through the sandbox and the callback into the inbox (safe mode and
plaintext, once even when delivered twice), and the moderator's answer: inside the 48-hour window
it reaches the follower; outside it, or refused by the platform, or screened out (C15, C16), it is
refused with a Chinese reason and the moderator's text stays in the form."""
from __future__ import annotations

from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.extensions import db
from tests.followers.conftest import TECH, channel, follower_writes, inbox_rows, login, set_mode

OPENID = "o_follower_alice"


def _answer(client, ch, openid, text, confirm=False):
    data = {"text": text}
    if confirm:
        data["confirm"] = "y"
    return client.post(f"/followers/{ch.id}/{openid}/answer", data=data)


def test_a_safe_mode_message_lands_in_the_inbox_once_though_delivered_twice(live, state):
    ch = channel()
    assert state.accounts[ch.app_id].callback.mode == "safe"
    message = follower_writes(state, ch, OPENID, "你好，请问年会报名截止到哪天？")
    (delivery,) = [d for d in state.deliveries if d.event == "text"]
    assert delivery.state == "delivered" and delivery.config.mode == "safe"
    again = state.followers.redeliver(message["msg_id"])  # WeChat's retry: the same MsgId, a new request
    state.wait_deliveries(count=len(state.deliveries))
    assert again.state == "delivered"
    (row,) = inbox_rows(ch)
    assert (row.openid, row.direction, row.msg_id, row.content) == (OPENID, "in", message["msg_id"],
                                                                   "你好，请问年会报名截止到哪天？")
    moderator = login(live.test_client(), "moderator")
    page = moderator.get(f"/followers/?channel={ch.id}").get_data(as_text=True)
    assert page.count(f'data-openid="{OPENID}"') == 1 and "未回复" in page and "年会报名" in page
    # the audit trail has the message's arrival, never its words
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "follower.message_received"))
    assert entry is not None and "年会" not in str(entry.after)


def test_a_plaintext_message_lands_too_and_the_handler_twice_keeps_one_row(live, state):
    from cms.callbacks.handlers import dispatch
    from cms.callbacks.models import CallbackEvent

    ch = channel(TECH)
    set_mode(state, ch, "plaintext")
    follower_writes(state, ch, "o_follower_bob", "明天的直播几点开始？")
    (row,) = inbox_rows(ch)
    assert row.content == "明天的直播几点开始？"
    event = db.session.scalar(select(CallbackEvent).where(CallbackEvent.channel_id == ch.id,
                                                          CallbackEvent.kind == "text"))
    assert dispatch(event) == (True, set())  # handled again (a rematch, a second process): no new row
    db.session.commit()
    assert len(inbox_rows(ch)) == 1


def test_an_answer_inside_the_window_reaches_the_follower(live, state):
    ch = channel()
    follower_writes(state, ch, OPENID, "请问怎么报名？")
    moderator = login(live.test_client(), "moderator")
    page = moderator.get(f"/followers/{ch.id}/{OPENID}").get_data(as_text=True)
    assert "可回复至" in page or "48 小时" in page
    r = _answer(moderator, ch, OPENID, "您好，请在公司内网“活动报名”栏目填写表格。")
    assert r.status_code == 302
    assert [(m["touser"], m["content"]) for m in state.followers.sent] == [
        (OPENID, "您好，请在公司内网“活动报名”栏目填写表格。")]
    rows = inbox_rows(ch, OPENID)
    assert [r.direction for r in rows] == ["in", "out"]
    page = moderator.get(f"/followers/?channel={ch.id}").get_data(as_text=True)
    assert "unanswered" not in page  # answered: no longer marked
    sandbox_page = live.test_client().get("/sandbox/followers/").get_data(as_text=True)
    assert "活动报名" in sandbox_page


def test_outside_48_hours_the_answer_is_refused_and_the_text_kept(live, state, clock):
    ch = channel()
    follower_writes(state, ch, OPENID, "请问怎么报名？")
    clock.advance(hours=48, minutes=5)
    moderator = login(live.test_client(), "moderator")  # a new login: the day-old session has ended
    page = moderator.get(f"/followers/{ch.id}/{OPENID}").get_data(as_text=True)
    assert "回复时限已于" in page
    r = _answer(moderator, ch, OPENID, "抱歉回复晚了，请在内网报名。")
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "48 小时" in body and "抱歉回复晚了，请在内网报名。" in body
    assert state.followers.sent == [] and [m.direction for m in inbox_rows(ch, OPENID)] == ["in"]


def test_the_platforms_refusal_is_shown_in_chinese_and_the_text_kept(live, state):
    ch = channel()
    follower_writes(state, ch, OPENID, "在吗？")
    moderator = login(live.test_client(), "moderator")
    state.inject_fault("message/custom/send", errcode=45015)  # the follower unfollowed meanwhile
    r = _answer(moderator, ch, OPENID, "在的，请讲。")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "已超过 48 小时回复时限，或用户已取消关注" in body and "在的，请讲。" in body
    for n in range(5):  # the platform takes 5 answers to a message (45047)
        assert _answer(moderator, ch, OPENID, f"第 {n + 1} 条回复。").status_code == 302
    r = _answer(moderator, ch, OPENID, "第 6 条回复。")
    assert r.status_code == 422 and "客服消息条数已用完" in r.get_data(as_text=True)
    assert len(state.followers.sent) == 5


def test_the_answer_is_screened_like_a_post(live, state):
    ch = channel()
    follower_writes(state, ch, OPENID, "怎么联系你们？")
    moderator = login(live.test_client(), "moderator")
    r = _answer(moderator, ch, OPENID, "请拨打 13812345678 联系我。")  # a mobile number: C15 blocks it
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "C15" in body and "13812345678" in body  # the text kept as written
    r = _answer(moderator, ch, OPENID, "请发邮件给我们,谢谢!")  # half-width punctuation: a warning
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "C16" in body and 'name="confirm"' in body
    assert state.followers.sent == []
    assert _answer(moderator, ch, OPENID, "请发邮件给我们,谢谢!", confirm=True).status_code == 302
    assert [m["content"] for m in state.followers.sent] == ["请发邮件给我们,谢谢!"]


def test_a_moderator_of_another_channel_neither_reads_nor_answers(live, state):
    from cms.auth.service import create_user, get_by_username
    from tests.conftest import DEMO_PASSWORD

    ch = channel()
    follower_writes(state, ch, OPENID, "你好")
    tech = channel(TECH)
    create_user(username="mod_tech", real_name="科技版主", department_id=get_by_username("moderator").department_id,
                title="版主", roles=[("moderator", "channel", tech.id)], password=DEMO_PASSWORD, must_change=False)
    db.session.commit()
    other = login(live.test_client(), "mod_tech")
    assert other.get(f"/followers/{ch.id}/{OPENID}").status_code == 403
    assert _answer(other, ch, OPENID, "你好").status_code == 403
    assert other.get(f"/followers/?channel={ch.id}").status_code == 403
    page = other.get("/followers/").get_data(as_text=True)
    assert tech.name in page and OPENID not in page
    assert state.followers.sent == []


def test_the_sandbox_page_sends_as_a_follower_and_the_menu_counts_the_unanswered(live, state):
    ch = channel()
    browser = live.test_client()
    page = browser.get("/sandbox/followers/").get_data(as_text=True)
    assert ch.app_id in page and "safe" in page
    before = len(state.deliveries)
    r = browser.post("/sandbox/followers/send", data={"appid": ch.app_id, "openid": "o_page_follower",
                                                       "content": "从沙箱页面发来的消息"})
    assert r.status_code == 302
    state.wait_deliveries(count=before + 1)
    assert [m.content for m in inbox_rows(ch, "o_page_follower")] == ["从沙箱页面发来的消息"]
    r = browser.post("/sandbox/followers/send", data={"appid": ch.app_id, "openid": "bad openid!", "content": "x"},
                     follow_redirects=True)
    assert "openid" in r.get_data(as_text=True) and len(state.followers.received) == 1
    moderator = login(live.test_client(), "moderator")
    home = moderator.get("/").get_data(as_text=True)
    assert "粉丝消息" in home and "数据统计" in home and 'nav-count">1<' in home
    editor = login(live.test_client(), "editor")
    assert "粉丝消息" not in editor.get("/").get_data(as_text=True)
