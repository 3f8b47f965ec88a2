"""notify() in the caller's transaction; reading and marking read; queueing WeCom after commit only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.extensions import db
from cms.notify import service
from cms.notify.models import Notification

_BASELINE = {"id": 0}


@pytest.fixture(autouse=True)
def _baseline(app):
    """The demo company comes with notifications of its own (its work groups' filings): count only
    those the test makes."""
    _BASELINE["id"] = db.session.scalar(select(func.max(Notification.id))) or 0


def _count(**where) -> int:
    query = select(func.count(Notification.id)).where(Notification.id > _BASELINE["id"])
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return db.session.scalar(query)


def test_notify_adds_rows_the_caller_commits(app, user):
    editor, proofreader = user("editor"), user("proofreader")
    rows = service.notify([editor, proofreader, editor], "review.requested", "陈思远提交了《测试》，请审核",
                          "/posts/1")
    assert [r.user for r in rows] == [editor, proofreader]  # deduplicated, in order
    assert all(r.wecom_status is None for r in rows)  # WeCom is not configured
    db.session.rollback()
    assert _count() == 0
    rows = service.notify([editor], "review.requested", "请审核", "/posts/1")
    db.session.commit()
    assert _count(user_id=editor.id) == 1 and rows[0].id and rows[0].read_at is None
    assert rows[0].created_at.tzinfo is not None


def test_inactive_users_are_skipped(app, user):
    from cms.auth import service as auth

    auth.lock(user("proofreader"), "test")
    rows = service.notify([user("editor"), user("proofreader"), None], "x", "文本", "/")
    db.session.commit()
    assert [r.user.username for r in rows] == ["editor"]


@pytest.mark.parametrize(
    "url",
    ["http://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "", "posts/1",
     "/posts/1\nSet-Cookie: x", "/posts\\..\\x", "/" + "a" * 500],
)
def test_links_must_be_internal_paths(app, user, url):
    with pytest.raises(ValueError):
        service.notify([user("editor")], "x", "文本", url)


def test_text_is_tidied_and_cut(app, user):
    [row] = service.notify([user("editor")], "x", "  第一行\n第二行  " + "字" * 600, "/posts/1?tab=reviews#r2")
    assert row.text.startswith("第一行 第二行 字") and len(row.text) == 500 and row.text.endswith("…")
    with pytest.raises(ValueError):
        service.notify([user("editor")], "x", "   ", "/")
    with pytest.raises(ValueError):
        service.notify([user("editor")], "k" * 33, "文本", "/")


def test_post_is_recorded(app, user):
    from cms.content import service as content

    post = content.create_post(user("contributor"), {
        "title": "展厅开放", "category": "news", "source": {"kind": "original"},
        "body": {"format": "markdown", "text": "正文"}})
    [row] = service.notify([user("editor")], "review.requested", "请审核", f"/posts/{post.id}", post=post)
    db.session.commit()
    assert row.post_id == post.id


def test_reading_and_marking_read(app, user):
    editor, proofreader = user("editor"), user("proofreader")
    first = service.notify([editor, proofreader], "a", "第一条", "/posts/1")
    second = service.notify([editor], "b", "第二条", "/posts/2")
    db.session.commit()
    assert service.unread_count(editor) == 2 and service.unread_count(proofreader) == 1
    assert [n.text for n in service.recent(editor)] == ["第二条", "第一条"]
    assert [n.text for n in service.recent(editor, limit=1)] == ["第二条"]
    # Only one's own: the proofreader's id among the editor's is ignored.
    assert service.mark_read(editor, [first[0].id, first[1].id]) == 1
    assert service.unread_count(editor) == 1 and service.unread_count(proofreader) == 1
    assert service.mark_read(editor, []) == 0
    assert service.mark_read(editor) == 1 and service.mark_read(editor) == 0
    assert service.unread_count(editor) == 0 and second[0].read_at is not None
    assert service.unread_count(proofreader) == 1
    with pytest.raises(service.NotFound):
        service.get_own(editor, first[1].id)
    with pytest.raises(service.NotFound):
        service.get_own(editor, 999999)
    assert service.get_own(proofreader, first[1].id).text == "第一条"


def test_no_wecom_queueing_without_configuration(app, user, queue):
    service.notify([user("editor")], "a", "文本", "/")
    db.session.commit()
    assert queue.new() == []


def test_commit_queues_wecom_once_with_the_ids(app, user, wecom, queue):
    rows = service.notify([user("editor"), user("proofreader")], "a", "文本", "/posts/1")
    assert all(r.wecom_status == "pending" for r in rows)
    assert queue.new() == []  # nothing before the commit
    db.session.commit()
    assert queue.new() == [sorted(r.id for r in rows)]
    db.session.commit()  # a later commit does not queue them again
    assert len(queue.new()) == 1


def test_rollback_queues_and_sends_nothing(app, user, wecom, queue):
    service.notify([user("editor")], "a", "撤回的通知", "/posts/1")
    db.session.flush()
    db.session.rollback()
    service.notify([user("proofreader")], "a", "保留的通知", "/posts/2")
    db.session.commit()
    [ids] = queue.new()
    assert [db.session.get(Notification, i).text for i in ids] == ["保留的通知"]
    assert _count() == 1
    from cms.notify.tasks import send_wecom

    send_wecom.call_local(ids)
    assert [m.content["title"] for m in wecom.messages] == ["保留的通知"]


def test_a_rolled_back_savepoint_drops_only_its_rows(app, user, wecom, queue):
    kept = service.notify([user("editor")], "a", "外层", "/posts/1")
    with db.session.begin_nested() as savepoint:
        service.notify([user("proofreader")], "a", "保存点里", "/posts/2")
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert queue.new() == [[kept[0].id]]
    assert _count() == 1


def test_a_failing_queue_loses_nothing(app, user, wecom, monkeypatch):
    """The rows are committed before the queue is asked; if it fails they stay pending for the sweep
    and the caller's commit does not raise."""
    from cms.notify import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "send_wecom", broken)
    rows = service.notify([user("editor")], "a", "文本", "/")
    db.session.commit()
    assert db.session.get(Notification, rows[0].id).wecom_status == "pending"


def test_wecom_settings():
    from flask import Flask

    app = Flask(__name__)
    app.config.update(WECOM_CORP_ID="", WECOM_SECRET="", WECOM_AGENT_ID=None,
                      WECOM_API_BASE_URL=service.REAL_WECOM_BASE, PUBLIC_BASE_URL="http://cms")
    assert service.wecom_settings(app) is None
    app.config.update(WECOM_CORP_ID="ww1", WECOM_SECRET="s")
    assert service.wecom_settings(app) is None  # all three are needed
    app.config.update(WECOM_AGENT_ID="1000002")
    assert service.wecom_settings(app) == {"corp_id": "ww1", "secret": "s", "agent_id": 1000002,
                                          "base_url": service.REAL_WECOM_BASE, "public_base_url": "http://cms"}
    app.config.update(WECOM_AGENT_ID="not a number")
    assert service.wecom_settings(app) is None
    # The sandbox (make run): its own corp, and never the real host.
    app.config.update(SANDBOX=True, SANDBOX_URL="http://127.0.0.1:5000/", WECOM_CORP_ID="", WECOM_SECRET="",
                      WECOM_AGENT_ID=None)
    settings = service.wecom_settings(app)
    assert settings["corp_id"] == service.SANDBOX_CORP["corp_id"]
    assert settings["base_url"] == "http://127.0.0.1:5000/qy/cgi-bin/"
