"""Comment sync against the sandbox over HTTP (issue 15): idempotent, safe when two syncs race,
pages of at most 49, platform-side replies, 精选 and deletions reflected."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from cms.comments import operations
from cms.comments.models import CommentThread, FollowerComment
from cms.extensions import db
from tests.comments.conftest import channel


def _stored(pub) -> list[FollowerComment]:
    db.session.expire_all()
    return db.session.scalars(select(FollowerComment).where(FollowerComment.msg_data_id == pub.msg_data_id)
                              .order_by(FollowerComment.user_comment_id)).all()


def test_sync_stores_each_comment_once_however_often_it_runs(app, state, published, comment_on):
    pub = published()
    for i in range(60):  # more than one page of 49
        comment_on(pub, f"第{i}条留言", nickname=f"粉丝{i}", openid=f"o_{i}")
    results = operations.sync_channel(None, channel("星海集团"))
    assert [r.inserted for r in results] == [60] and not results[0].error
    thread = db.session.scalar(select(CommentThread))
    assert (thread.msg_data_id, thread.index, thread.open, thread.publication_id) == (pub.msg_data_id, 0, True, pub.id)
    assert thread.title == "星海集团发布年度社会责任报告"
    again = operations.sync_channel(None, channel("星海集团"))
    assert [r.inserted for r in again] == [0]
    rows = _stored(pub)
    assert len(rows) == 60 and rows[0].nickname == "粉丝0" and rows[0].content == "第0条留言"
    # pages of 49 (the sandbox refuses 50 or more with 88010, as the platform may): 60 comments, 2 calls
    # a sync
    assert [p for _t, p, _o in state.calls].count("/mp/cgi-bin/comment/list") == 4


def test_two_syncs_racing_store_nothing_twice(app, state, published, comment_on):
    """Two app instances (each its own engine, pool and sessions, as two workers or two servers
    have) sync the same article at once against one database; the second calls the same sandbox
    over HTTP through CMS_WECHAT_API_BASE_URL."""
    from cms import create_app
    from tests.conftest import BASE_CONFIG

    pub = published()
    for i in range(30):
        comment_on(pub, f"留言{i}", openid=f"o_{i}")
    operations.ensure_threads()
    thread_id = db.session.scalar(select(CommentThread.id))
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "WECHAT_API_BASE_URL": app.config["SANDBOX_URL"] + "mp/cgi-bin/"})
    start = threading.Barrier(2)
    results, errors = [], []

    def run(instance):
        try:
            with instance.app_context():
                start.wait()
                results.append(operations.sync_article(db.session.get(CommentThread, thread_id)))
                db.session.remove()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(instance,)) for instance in (app, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert [r.error for r in results] == ["", ""]
    assert sum(r.inserted for r in results) == 30
    assert db.session.scalar(select(func.count(FollowerComment.id))) == 30
    # and again, both at once, when nothing is new: nothing stored, nothing changed
    results.clear()
    threads = [threading.Thread(target=run, args=(instance,)) for instance in (app, other)]
    start.reset()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with other.app_context():
        db.engine.dispose()
    assert not errors and [r.inserted + r.updated + r.gone for r in results] == [0, 0]
    assert db.session.scalar(select(func.count(FollowerComment.id))) == 30


def test_platform_side_reply_feature_and_deletion_are_reflected(app, state, published, comment_on):
    pub = published()
    first = comment_on(pub, "请问报告在哪里下载？")
    second = comment_on(pub, "支持！")
    third = comment_on(pub, "我要删掉这条")
    operations.sync_channel(None, channel("星海集团"))
    # In the MP console: a reply to the first, 精选 on the second, the third deleted by its follower.
    appid = channel("星海集团").app_id
    body = {"msg_data_id": int(pub.msg_data_id), "index": 0}
    state.comment.reply(appid, {**body, "user_comment_id": first, "content": "在官网下载"})
    state.comment.elect(appid, {**body, "user_comment_id": second}, True)
    state.comment.user_delete_comment(int(pub.msg_data_id), 0, third)
    (result,) = operations.sync_channel(None, channel("星海集团"))
    assert (result.inserted, result.updated, result.gone) == (0, 2, 1)
    rows = {r.user_comment_id: r for r in _stored(pub)}
    assert rows[first].reply_text == "在官网下载" and rows[first].replied_by_id is None and rows[first].replied_at
    assert rows[second].featured and rows[third].gone_on_platform and rows[third].deleted
    # the reply deleted in the console: ours goes too
    state.comment.delete_reply(appid, {**body, "user_comment_id": first})
    operations.sync_channel(None, channel("星海集团"))
    assert _stored(pub)[0].reply_text is None


def test_a_failed_sync_is_kept_in_chinese_and_stores_nothing(app, state, published, comment_on):
    pub = published()
    comment_on(pub, "好")
    state.inject_fault("/mp/cgi-bin/comment/list", errcode=88000, appid=channel("星海集团").app_id)
    (result,) = operations.sync_channel(None, channel("星海集团"))
    assert result.error == "该文章没有留言权限" and result.inserted == 0
    thread = db.session.scalar(select(CommentThread))
    assert thread.sync_error == "该文章没有留言权限"
    (result,) = operations.sync_channel(None, channel("星海集团"))  # the fault was for one call
    assert result.inserted == 1 and not result.error
    db.session.expire_all()
    assert db.session.scalar(select(CommentThread)).sync_error == ""


def test_a_post_published_with_comments_closed_is_not_synced(app, published, comment_on):
    published(open_comments=False)
    assert operations.sync_channel(None, channel("星海集团")) == []
    thread = db.session.scalar(select(CommentThread))
    assert thread.open is False


def test_the_periodic_task_syncs_every_channel(app, published, comment_on):
    from cms.comments.tasks import sync_comments

    comment_on(published(), "第一条")
    comment_on(published("星海科技", title="星海科技新品发布"), "第二条")
    assert sync_comments.call_local() == 2
    assert sync_comments.call_local() == 0


def test_a_withdrawn_article_is_no_longer_synced(app, published, comment_on):
    pub = published()
    comment_on(pub, "好")
    assert [r.inserted for r in operations.sync_channel(None, channel("星海集团"))] == [1]
    pub.state = "withdrawn"  # as the withdrawal (cms/publishing/withdrawals.py) leaves it
    db.session.commit()
    assert operations.sync_channel(None, channel("星海集团")) == []
