"""The moderators' pages against the served sandbox (issue 15, C15 C16): the queue with deadlines
on a moved clock, screened replies (errors block, warnings need the checkbox, the text kept),
the platform's refusals in Chinese (88005 and others), 精选, deletion with a reason, saved replies,
the figures and their CSV, and the channel scope of a moderator."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.comments import operations
from cms.comments.models import FollowerComment
from cms.content.models import ForbiddenWord
from cms.extensions import db
from tests.comments.conftest import channel
from tests.conftest import login
from tests.policy_matrix import make_user

SHANGHAI_FRIDAY_1700 = "2026-12-11 17:00"  # a Friday


@pytest.fixture
def one(app, state, published, comment_on):
    """A published article on 星海集团 with one follower comment, synced: (publication, comment)."""
    pub = published()
    comment_on(pub, "请问年度报告在哪里可以下载？", nickname="热心粉丝")
    operations.sync_channel(None, channel("星海集团"))
    return pub, db.session.scalar(select(FollowerComment))


def _page(r) -> str:
    return r.get_data(as_text=True)


def _reply_on_platform(state, pub, ucid):
    return next(c for c in state.comment.comments_of(int(pub.msg_data_id))[0] if c.user_comment_id == ucid).reply


def test_queue_shows_the_comment_with_its_deadline_and_a_sync_button(app, one, client_as):
    pub, c = one
    moderator = client_as("moderator")
    page = _page(moderator.get("/comments/"))
    assert "热心粉丝" in page and "请问年度报告在哪里可以下载？" in page and "星海集团发布年度社会责任报告" in page
    assert "立即同步：星海集团" in page and "待回复" in page
    home = _page(moderator.get("/"))
    assert "留言管理" in home and 'nav-count">1<' in home  # the navigation entry, with the unanswered count
    assert "待回复的留言" in home and f"/comments/{c.id}" in home  # and on "my work"


def test_deadline_across_a_weekend_in_working_hours(app, state, published, comment_on, clock, client_as):
    pub = published()
    clock.set(SHANGHAI_FRIDAY_1700, tick=True)
    comment_on(pub, "周五傍晚的留言")
    operations.sync_channel(None, channel("星海集团"))
    c = db.session.scalar(select(FollowerComment))
    # 24 working hours of 09:00-18:00 from Friday 17:00: 1 + 9 (Mon) + 9 (Tue) + 5 → Wednesday 14:00
    row = operations_row(c)
    assert row.due_at.astimezone(clock.local().tzinfo).strftime("%Y-%m-%d %H:%M") == "2026-12-16 14:00"
    clock.set("2026-12-16 13:59", tick=False)
    moderator = client_as("moderator")  # (signed in at the moved time: a session lasts 8 hours)
    page = _page(moderator.get("/comments/"))
    assert "2026-12-16 14:00" in page and "overdue" not in page.split('id="comment-queue"')[1]
    assert _page(moderator.get("/comments/?state=overdue")).count('data-comment="') == 0
    clock.set("2026-12-16 14:01", tick=False)
    moderator = client_as("moderator")
    page = _page(moderator.get("/comments/"))
    assert 'table-danger overdue' in page and "已超时" in page
    assert _page(moderator.get("/comments/?state=overdue")).count('data-comment="') == 1
    # on the clock instead: due Saturday 17:00
    app.config["COMMENT_DEADLINE_MODE"] = "wall_clock"
    assert "2026-12-12 17:00" in _page(moderator.get("/comments/?state=overdue"))


def operations_row(c):
    from cms.comments import queries

    return queries.row(c)


def test_a_reply_goes_to_the_platform_and_is_audited(app, state, one, client_as):
    pub, c = one
    moderator = client_as("moderator")
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": "您好，报告可在官网“社会责任”栏目下载。"})
    assert r.status_code == 302
    assert _reply_on_platform(state, pub, c.user_comment_id)["content"] == "您好，报告可在官网“社会责任”栏目下载。"
    db.session.expire_all()
    c = db.session.get(FollowerComment, c.id)
    assert c.replied_by.username == "moderator" and c.reply_text.startswith("您好")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "comment.replied"))
    assert entry.actor_name == "moderator" and entry.target_id == str(c.id)
    assert "已回复" in _page(moderator.get("/comments/?state=answered"))
    # a second reply is refused here before the platform would (88005), and the text is kept
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": "再回复一次"})
    assert r.status_code == 422


def test_a_reply_with_a_forbidden_word_or_personal_data_is_blocked_and_kept(app, state, one, client_as):
    pub, c = one
    assert db.session.scalar(select(ForbiddenWord).where(ForbiddenWord.term == "赌博"))  # the seed list (C15)
    moderator = client_as("moderator")
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": "欢迎来玩赌博游戏"})
    page = _page(r)
    assert r.status_code == 422 and "C15" in page and "赌博" in page
    assert "欢迎来玩赌博游戏</textarea>" in page  # the moderator's text stays in the box
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": "请联系我 13812345678", "confirm_warnings": "y"})
    page = _page(r)
    assert r.status_code == 422 and "138****5678" in page and "13812345678</textarea>" in page
    assert _reply_on_platform(state, pub, c.user_comment_id) is None  # nothing was sent


def test_a_confidential_term_is_refused_with_c16(app, state, one, client_as, approved_post):
    pub, c = one
    approved_post(title="星海集团明年重组方案", confidential=True)  # C5: flagged, not published
    moderator = client_as("moderator")
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": "关于星海集团明年重组方案，敬请期待"})
    page = _page(r)
    assert r.status_code == 422 and "C16" in page and "星海集团明年重组方案" in page
    assert _reply_on_platform(state, pub, c.user_comment_id) is None


def test_warnings_need_the_checkbox(app, state, one, client_as):
    pub, c = one
    moderator = client_as("moderator")
    text = "谢谢您的关注,报告已发布。"  # a half-width comma in Chinese (C10 warning)
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": text})
    page = _page(r)
    assert r.status_code == 422 and "半角标点" in page and "C16" in page and f"{text}</textarea>" in page
    assert _reply_on_platform(state, pub, c.user_comment_id) is None
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": text, "confirm_warnings": "y"})
    assert r.status_code == 302
    assert _reply_on_platform(state, pub, c.user_comment_id)["content"] == text


def test_platform_refusals_are_shown_in_chinese_with_the_text_kept(app, state, one, client_as):
    pub, c = one
    appid = channel("星海集团").app_id
    # answered meanwhile in the MP console: the platform says 88005
    state.comment.reply(appid, {"msg_data_id": int(pub.msg_data_id), "index": 0,
                                "user_comment_id": c.user_comment_id, "content": "后台已回复"})
    moderator = client_as("moderator")
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": "感谢您的留言。"})
    page = _page(r)
    assert r.status_code == 422 and "该留言已经回复过（每条留言只能回复一次）" in page
    assert "感谢您的留言。</textarea>" in page
    db.session.expire_all()
    assert db.session.get(FollowerComment, c.id).reply_text is None  # nothing stored as ours
    operations.sync_channel(None, channel("星海集团"))
    db.session.expire_all()
    assert db.session.get(FollowerComment, c.id).reply_text == "后台已回复"
    # another refusal: the platform restricted the article
    state.comment.delete_reply(appid, {"msg_data_id": int(pub.msg_data_id), "index": 0,
                                       "user_comment_id": c.user_comment_id})
    operations.sync_channel(None, channel("星海集团"))
    state.inject_fault("/mp/cgi-bin/comment/reply/add", errcode=88002, appid=appid)
    page = _page(moderator.post(f"/comments/{c.id}/reply", data={"text": "再试一次。"}))
    assert "该文章因安全原因被限制留言" in page and "再试一次。</textarea>" in page
    # the platform down (HTTP 500)
    state.inject_fault("/mp/cgi-bin/comment/reply/add", http_status=500, appid=appid)
    page = _page(moderator.post(f"/comments/{c.id}/reply", data={"text": "第三次。"}))
    assert "微信平台暂时无法访问" in page and "第三次。</textarea>" in page
    assert _reply_on_platform(state, pub, c.user_comment_id) is None


def test_feature_delete_reply_and_delete_comment_with_a_reason(app, state, one, client_as):
    pub, c = one
    moderator = client_as("moderator")
    on_platform = lambda: next(x for x in state.comment.comments_of(int(pub.msg_data_id))[0]  # noqa: E731
                               if x.user_comment_id == c.user_comment_id)
    assert moderator.post(f"/comments/{c.id}/feature").status_code == 302
    assert on_platform().comment_type == 1
    assert "精选" in _page(moderator.get("/comments/?state=featured"))
    moderator.post(f"/comments/{c.id}/unfeature")
    assert on_platform().comment_type == 0
    moderator.post(f"/comments/{c.id}/reply", data={"text": "您好，已收到。"})
    assert moderator.post(f"/comments/{c.id}/reply/delete").status_code == 302
    assert on_platform().reply is None
    # deleting needs a reason
    r = moderator.post(f"/comments/{c.id}/delete", data={"del-reason": ""})
    assert r.status_code == 422 and "请填写删除这条留言的原因" in _page(r)
    assert not on_platform().deleted
    r = moderator.post(f"/comments/{c.id}/delete", data={"del-reason": "广告留言"})
    assert r.status_code == 302 and on_platform().deleted
    db.session.expire_all()
    c = db.session.get(FollowerComment, c.id)
    assert c.deleted and c.delete_reason == "广告留言" and c.deleted_by.username == "moderator"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "comment.deleted"))
    assert entry.after == {"reason": "广告留言"}
    assert "广告留言" in _page(moderator.get(f"/comments/{c.id}"))
    # the next sync leaves it deleted (not "gone" twice, not back)
    operations.sync_channel(None, channel("星海集团"))
    assert "请问年度报告" in _page(moderator.get("/comments/?state=deleted"))


def test_saved_replies_are_inserted_into_the_reply_box(app, one, client_as):
    _pub, c = one
    moderator = client_as("moderator")
    r = moderator.post("/comments/templates", data={"title": "感谢", "text": "感谢您的关注与支持！"})
    assert r.status_code == 302
    assert moderator.post("/comments/templates", data={"title": "感谢", "text": "重复"}).status_code == 422
    from cms.comments.models import ReplyTemplate

    t = db.session.scalar(select(ReplyTemplate))
    page = _page(moderator.get(f"/comments/{c.id}"))
    assert f"/comments/{c.id}?template={t.id}" in page
    assert "感谢您的关注与支持！</textarea>" in _page(moderator.get(f"/comments/{c.id}?template={t.id}"))
    moderator.post(f"/comments/templates/{t.id}/edit", data={"title": "感谢", "text": "谢谢！"})
    db.session.expire_all()
    assert db.session.get(ReplyTemplate, t.id).text == "谢谢！"
    moderator.post(f"/comments/templates/{t.id}/delete")
    db.session.expire_all()
    assert db.session.scalar(select(ReplyTemplate)) is None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"reply_template.saved", "reply_template.deleted"} <= actions


def test_open_and_close_comments_on_an_article(app, state, one, client_as):
    pub, _c = one
    from cms.comments.models import CommentThread

    thread = db.session.scalar(select(CommentThread))
    moderator = client_as("moderator")
    assert "关闭留言" in _page(moderator.get("/comments/articles"))
    assert moderator.post(f"/comments/articles/{thread.id}/close").status_code == 302
    assert state.msg_data[int(pub.msg_data_id)].open == [False]
    moderator.post(f"/comments/articles/{thread.id}/open")
    assert state.msg_data[int(pub.msg_data_id)].open == [True]
    assert {"comments.closed", "comments.opened"} <= set(db.session.scalars(select(AuditEntry.action)))


def test_figures_and_their_csv(app, state, published, comment_on, clock, client_as):
    pub = published()
    clock.set("2026-12-14 10:00", tick=True)  # a Monday
    comment_on(pub, "第一条")
    comment_on(pub, "第二条", openid="o2")
    operations.sync_channel(None, channel("星海集团"))
    first, second = db.session.scalars(select(FollowerComment).order_by(FollowerComment.user_comment_id)).all()
    clock.set("2026-12-14 12:00", tick=True)
    moderator = client_as("moderator")
    moderator.post(f"/comments/{first.id}/reply", data={"text": "谢谢。"})
    clock.set("2026-12-14 14:00", tick=True)
    moderator.post(f"/comments/{second.id}/reply", data={"text": "收到。"})
    page = _page(moderator.get("/comments/figures"))
    assert "郑浩" in page and "3.0" in page  # median of 2 h and 4 h
    csv = _page(moderator.get("/comments/figures.csv"))
    assert "审核员,郑浩,2,3.0,3.0,0," in csv and "渠道,星海集团,2,3.0,3.0,0,0" in csv


def test_a_channel_moderator_neither_sees_nor_acts_on_another_channel(app, state, published, comment_on):
    a = published()  # 星海集团
    b = published("星海科技", title="星海科技新品发布")
    comment_on(a, "集团的留言")
    comment_on(b, "科技的留言")
    operations.sync_channel(None, channel("星海集团"))
    operations.sync_channel(None, channel("星海科技"))
    make_user("mod_group", ("moderator", "channel", "星海集团"))
    theirs = db.session.scalar(select(FollowerComment).where(FollowerComment.channel_id == channel("星海科技").id))
    web = login(app.test_client(), "mod_group", "Demo-Pass-2026")
    page = _page(web.get("/comments/?state=all"))
    assert "集团的留言" in page and "科技的留言" not in page and "立即同步：星海科技" not in page
    assert web.get(f"/comments/{theirs.id}").status_code == 404
    for path in ("reply", "feature", "delete", "reply/delete"):
        assert web.post(f"/comments/{theirs.id}/{path}", data={"text": "越权回复", "del-reason": "x"}).status_code == 404
    assert web.post("/comments/sync", data={"channel_id": channel("星海科技").id}).status_code == 404
    assert "星海科技" not in _page(web.get("/comments/figures"))
    on_platform = state.comment.comments_of(int(b.msg_data_id))[0][0]
    assert on_platform.reply is None and on_platform.comment_type == 0 and not on_platform.deleted
    # the operation itself refuses, whoever calls it
    from cms.auth.service import get_by_username
    from cms.errors import Refused

    with pytest.raises(Refused) as e:
        operations.reply(get_by_username("mod_group"), theirs, "越权回复")
    assert e.value.status == 403
