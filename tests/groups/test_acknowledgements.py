"""G11: same-day tasks and notices, their acknowledgement through the card's link, the 30-minute
rule and the proposals it makes; and G12's monthly report counting them."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

from sqlalchemy import select

from cms.extensions import db
from cms.groups import messages, operations, queries
from cms.notify.models import Notification
from cms.violations.models import Violation
from tests.conftest import login


def _members(group, user, *names):
    for name in names:
        operations.add_member(user("department_head"), group, username=name)


def test_an_unanswered_same_day_task_proposes_100_yuan_after_30_minutes(app, clock, group, user):
    clock.set("2026-11-25 10:00")
    _members(group, user, "contributor")
    message = messages.record_message(user("department_head"), group, "task", "今天下班前提交客户拜访记录",
                                      leader="leader", responsible="contributor")
    (ack,) = message.acks
    # the card: a notification (sent by WeCom as a textcard) whose link records the acknowledgement
    (note,) = db.session.scalars(select(Notification).where(Notification.kind == "group_ack")).all()
    assert note.user.username == "contributor" and note.url == f"/groups/acks/{ack.id}"
    clock.advance(minutes=30)
    assert messages.sweep() == 0
    clock.advance(minutes=1)
    assert messages.sweep() == 1
    (p,) = db.session.scalars(select(Violation)).all()  # in the register, for a human to confirm (U8)
    assert (p.subject.username, p.category, p.proposed_amount_fen, p.source, p.state) == (
        "contributor", "late_answer", 10000, "G11", "proposed")
    assert p.context == f"工作群：{group.name}" and p.context_ref == f"group:{group.id}:message:{message.id}"
    assert messages.sweep() == 0  # proposed once


def test_opening_the_card_link_records_the_answer_in_time(app, clock, group, user):
    clock.set("2026-11-25 10:00")
    _members(group, user, "contributor")
    message = messages.record_message(user("department_head"), group, "task", "下午三点前确认展位", responsible="contributor")
    ack = message.acks[0]
    clock.advance(minutes=12)
    # someone else opening it acknowledges nothing (404)
    assert login(app.test_client(), "finance").get(f"/groups/acks/{ack.id}").status_code == 404
    page = login(app.test_client(), "contributor").get(f"/groups/acks/{ack.id}")
    assert page.status_code == 200 and "收到" in page.get_data(as_text=True)
    clock.advance(hours=2)
    db.session.expire_all()  # the page answered in its own session, as the worker's sweep runs in its own
    assert messages.sweep() == 0
    assert db.session.scalars(select(Violation)).all() == []
    assert messages.answered_at(db.session.merge(message)) == clock.now() - timedelta(hours=2)


def test_shirking_proposes_50_yuan_each_time_and_a_notice_carries_no_fine(app, clock, group, user):
    clock.set("2026-11-25 10:00")
    _members(group, user, "contributor", "leader")
    task = messages.record_message(user("department_head"), group, "task", "整理展会名单", responsible="contributor")
    messages.acknowledge(user("department_head"), task.acks[0], "owner")  # the owner saw 收到 in the group
    messages.mark_shirked(user("department_head"), task, "shirked")
    messages.mark_shirked(user("department_head"), task, "delayed")
    notice = messages.record_message(user("department_head"), group, "notice", "周五下午全员大扫除")
    assert {a.user.username for a in notice.acks} == {"contributor", "leader"}
    clock.advance(hours=3)
    assert messages.sweep() == 0  # answered in time; a notice is never fined
    amounts = [(p.category, p.proposed_amount_fen) for p in db.session.scalars(select(Violation).order_by(Violation.id))]
    assert amounts == [("shirked", 5000), ("delayed", 5000)]
    # G12: the month's report for the owner
    (row,) = [r for r in queries.assessment(2026, 11) if r["group"] == group.name]
    assert (row["acks"], row["acks_expected"], row["penalties"], row["penalty_fen"]) == (1, 3, 2, 10000)
    assert row["ack_rate"] == "33%"


def test_monthly_report_exports(app, clock, group, user, client_as):
    clock.set("2026-11-25 10:00")
    _members(group, user, "contributor")
    from cms.auth import service as people

    people.depart(user("contributor"), clock.local().date(), confirmed_by=user("sysadmin"))
    clock.advance(hours=50)
    operations.remove_member(user("department_head"), group.members[0])  # late (G6)
    admin = client_as("group_admin")
    page = admin.get("/groups/report?month=2026-11")
    assert page.status_code == 200 and "逾期移出" in page.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(admin.get("/groups/report?month=2026-11&format=csv").data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["群主", "部门", "工作群"]
    mine = next(r for r in rows if r[2] == group.name)
    assert mine[3:6] == ["0", "1", "0"]
    xlsx = admin.get("/groups/report?month=2026-11&format=xlsx")
    sheet = zipfile.ZipFile(io.BytesIO(xlsx.data)).read("xl/worksheets/sheet1.xml").decode()
    assert group.name in sheet and "逾期移出" in sheet
    assert client_as("department_head").get("/groups/report").status_code == 403


def test_the_card_goes_through_the_wecom_sandbox_and_its_link_records_the_acknowledgement(app, group, user, wecom):
    from cms.notify.service import deliver_wecom

    _members(group, user, "contributor")
    message = messages.record_message(user("department_head"), group, "notice", "明天上午九点召开部门例会")
    notes = db.session.scalars(select(Notification).where(Notification.kind == "group_ack")).all()
    assert deliver_wecom([n.id for n in notes])["sent"] == 1
    (card,) = wecom.messages
    ack = message.acks[0]
    assert card.touser == ["contributor"] and card.msgtype == "textcard"
    assert "明天上午九点召开部门例会" in card.content["title"]
    link = card.content["url"]
    assert link.endswith(f"/groups/acks/{ack.id}")
    page = login(app.test_client(), "contributor").get(link.split("example.test", 1)[1])
    assert page.status_code == 200
    db.session.expire_all()
    assert db.session.merge(ack).acked_at is not None and db.session.merge(ack).via == "card"
