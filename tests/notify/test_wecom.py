"""WeCom application messages for notifications, through the real sandbox: what is sent, what a
failure leaves (the in-app notification, always; `wecom_status` says what happened), retries and the
sweep. The Huey task runs in-process (call_local)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from cms import workdays
from cms.extensions import db
from cms.notify import service
from cms.notify.models import Notification
from cms.notify.tasks import send_wecom, sweep_wecom
from cms.tasks import huey

from .conftest import AGENT, PUBLIC


def _commit_and_send(queue) -> dict:
    db.session.commit()
    [ids] = queue.new()
    return send_wecom.call_local(ids)


def _status(rows) -> list:
    db.session.expire_all()
    return [db.session.get(Notification, r.id).wecom_status for r in rows]


def test_one_textcard_to_everyone_notified(app, user, wecom, queue):
    rows = service.notify([user("editor"), user("proofreader")], "review.requested",
                          "张晓雯提交了《展厅开放》，请审核", "/posts/7")
    outcome = _commit_and_send(queue)
    assert outcome == {"sent": 2, "failed": 0, "retry": [], "delay": None}
    [msg] = wecom.messages
    assert msg.touser == ["editor", "proofreader"] and msg.agentid == AGENT  # userid = username
    assert msg.content["title"] == "张晓雯提交了《展厅开放》，请审核"
    assert msg.content["url"] == f"{PUBLIC}/posts/7" and msg.content["btntxt"] == "详情"
    when = workdays.local(rows[0].created_at).strftime("%Y-%m-%d %H:%M")
    assert msg.content["description"] == (
        f'<div class="gray">{when}</div><div class="normal">张晓雯提交了《展厅开放》，请审核</div>')
    assert _status(rows) == ["sent", "sent"]
    # The in-app notifications are untouched by the sending.
    assert service.unread_count(user("editor")) == 1


def test_different_texts_go_as_different_messages(app, user, wecom, queue):
    service.notify([user("editor")], "a", "第一条", "/posts/1")
    service.notify([user("proofreader")], "b", "第二条", "/posts/2")
    assert _commit_and_send(queue)["sent"] == 2
    assert sorted(m.content["title"] for m in wecom.messages) == ["第一条", "第二条"]


def test_a_user_wecom_does_not_know_fails_alone(app, user, wecom, queue):
    from .conftest import CORP

    wecom.add_user(CORP, "editor", "陈思远")
    rows = service.notify([user("editor"), user("proofreader")], "a", "请审核", "/posts/1")
    outcome = _commit_and_send(queue)
    assert outcome["sent"] == 1 and outcome["failed"] == 1
    assert _status(rows) == ["sent", "failed: 81013"]
    assert wecom.messages[0].touser == ["editor"]
    assert service.unread_count(user("proofreader")) == 1  # the bell still has it


def test_nobody_known_is_81013_and_the_notifications_stay(app, user, wecom, queue):
    from .conftest import CORP

    wecom.add_user(CORP, "someone_else")
    rows = service.notify([user("editor"), user("proofreader")], "a", "请审核", "/posts/1")
    assert _commit_and_send(queue)["failed"] == 2
    assert _status(rows) == ["failed: 81013", "failed: 81013"]
    assert wecom.messages == []
    assert service.unread_count(user("editor")) == 1 and service.unread_count(user("proofreader")) == 1


def test_a_busy_platform_is_tried_again_later_then_given_up(app, user, wecom, queue):
    wecom.parent.inject_fault("/qy/cgi-bin/message/send", errcode=-1, times=10)
    rows = service.notify([user("editor")], "a", "请审核", "/posts/1")
    db.session.commit()
    [ids] = queue.new()
    before = {t.id for t in huey.pending()}
    outcome = send_wecom.call_local(ids)
    assert outcome["retry"] == ids and outcome["delay"] == service.RETRY_DELAYS[0]
    assert _status(rows) == ["pending"]
    [retry] = [t for t in huey.pending() if t.id not in before]  # the consumer schedules it by its ETA
    assert retry.args == (ids, 2) and retry.eta is not None
    for attempt in range(2, len(service.RETRY_DELAYS) + 1):
        assert send_wecom.call_local(ids, attempt)["retry"] == ids
    outcome = send_wecom.call_local(ids, len(service.RETRY_DELAYS) + 1)
    assert outcome["failed"] == 1 and outcome["retry"] == []
    assert _status(rows) == ["failed: -1"]


def test_a_retry_that_succeeds(app, user, wecom, queue):
    wecom.parent.inject_fault("message/send", http_status=502)
    rows = service.notify([user("editor")], "a", "请审核", "/posts/1")
    db.session.commit()
    [ids] = queue.new()
    assert send_wecom.call_local(ids)["retry"] == ids
    assert send_wecom.call_local(ids, 2)["sent"] == 1
    assert _status(rows) == ["sent"] and len(wecom.messages) == 1


def test_an_unreachable_platform(app, user, wecom, queue):
    app.config["WECOM_API_BASE_URL"] = "http://127.0.0.1:9/qy/cgi-bin/"  # discard port: nobody listens
    rows = service.notify([user("editor")], "a", "请审核", "/posts/1")
    db.session.commit()
    [ids] = queue.new()
    assert send_wecom.call_local(ids, len(service.RETRY_DELAYS) + 1)["failed"] == 1
    assert _status(rows) == ["failed: http"]


def test_a_permanent_error_is_recorded(app, user, wecom, queue):
    app.config["WECOM_SECRET"] = "wrong-secret"
    from .conftest import CORP

    wecom.add_corp(CORP, "the-real-secret")
    rows = service.notify([user("editor")], "a", "请审核", "/posts/1")
    assert _commit_and_send(queue)["failed"] == 1
    assert _status(rows) == ["failed: 40001"]


def test_each_message_is_sent_once(app, user, wecom, queue):
    """Two tasks holding the same ids (a retry racing the sweep): the claim lets one send."""
    rows = service.notify([user("editor")], "a", "请审核", "/posts/1")
    db.session.commit()
    [ids] = queue.new()
    assert send_wecom.call_local(ids)["sent"] == 1
    assert send_wecom.call_local(ids) == {"sent": 0, "failed": 0, "retry": [], "delay": None}
    assert len(wecom.messages) == 1 and _status(rows) == ["sent"]


def test_long_texts_fit_the_card(app, user, wecom, queue):
    wecom.strict_lengths = True  # the sandbox refuses anything the platform would cut
    text = "《" + "很长的标题" * 60 + "》<b>&"
    rows = service.notify([user("editor")], "a", text, "/posts/1")
    assert _commit_and_send(queue)["sent"] == 1
    [msg] = wecom.messages
    assert msg.truncated == [] and msg.content["title"].endswith("…")
    assert len(msg.content["title"].encode()) <= 128 and len(msg.content["description"].encode()) <= 512
    assert _status(rows) == ["sent"]


def test_nothing_is_sent_when_wecom_is_switched_off_meanwhile(app, user, wecom, queue):
    rows = service.notify([user("editor")], "a", "请审核", "/posts/1")
    db.session.commit()
    [ids] = queue.new()
    app.config["WECOM_CORP_ID"] = ""
    assert send_wecom.call_local(ids)["sent"] == 0
    assert _status(rows) == ["pending"] and wecom.messages == []


def test_the_sweep_sends_what_was_not_queued_and_gives_up_on_old_ones(app, user, wecom):
    now = workdays.now()
    fresh, lost, ancient = (service.notify([user(name)], "a", text, "/posts/1") for name, text in
                            (("editor", "刚刚的"), ("proofreader", "丢了任务的"), ("supervisor", "一天前的")))
    db.session.info.pop(service._SESSION_KEY)  # as if the queue had been down: nothing queued
    db.session.commit()
    for rows, age in ((lost, timedelta(minutes=20)), (ancient, timedelta(days=2))):
        db.session.execute(update(Notification).where(Notification.id == rows[0].id)
                           .values(created_at=now - age))
    db.session.commit()
    outcome = sweep_wecom.call_local()
    assert outcome["sent"] == 1 and outcome["late"] == 1
    assert [m.content["title"] for m in wecom.messages] == ["丢了任务的"]
    assert _status(fresh + lost + ancient) == ["pending", "sent", "failed: late"]
    # a busy platform during the sweep: they stay pending for the next one
    db.session.execute(update(Notification).where(Notification.id == fresh[0].id)
                       .values(created_at=now - timedelta(minutes=20)))
    db.session.commit()
    wecom.parent.inject_fault("message/send", errcode=-1)
    assert sweep_wecom.call_local()["retry"] == [fresh[0].id]
    assert _status(fresh) == ["pending"]
    assert sweep_wecom.call_local()["sent"] == 1


def test_the_sweep_does_nothing_without_wecom(app, user):
    assert sweep_wecom.call_local()["sent"] == 0


def test_an_immediate_queue_sends_at_commit(app, user, wecom):
    """With Huey in immediate mode (no worker) the task runs inside the commit, on its own session."""
    huey.immediate = True
    try:
        rows = service.notify([user("editor")], "a", "立即发送", "/posts/1")
        db.session.commit()
    finally:
        huey.immediate = False
    assert _status(rows) == ["sent"] and [m.content["title"] for m in wecom.messages] == ["立即发送"]
