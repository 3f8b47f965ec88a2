"""Messages are kept CMS_FOLLOWER_MESSAGE_RETENTION_DAYS, then deleted by the daily task: the
purge is audited per channel with the count and the cutoff, never a message's words."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.extensions import db
from cms.followers import operations
from cms.followers.models import IN, OUT, FollowerMessage
from cms.followers.tasks import purge_messages
from tests.followers.conftest import channel as named


def _message(ch, openid, content, at, direction=IN, msg_id=None):
    db.session.add(FollowerMessage(channel_id=ch.id, openid=openid, direction=direction, content=content,
                                   sent_at=at, msg_id=msg_id))
    db.session.commit()


def _rows():
    db.session.expire_all()
    return list(db.session.scalars(select(FollowerMessage).order_by(FollowerMessage.id)))


def test_messages_past_retention_are_purged_and_the_purge_audited_without_content(app, clock):
    ch = named()
    clock.set("2026-06-01 10:00")
    _message(ch, "o_old", "旧消息：我的手机号是 13800000000", clock.now(), msg_id="1001")
    _message(ch, "o_old", "旧回复", clock.now() + timedelta(minutes=5), direction=OUT)
    clock.set("2026-09-01 10:00")
    _message(ch, "o_new", "新消息", clock.now(), msg_id="1002")
    clock.set("2026-11-28 11:00")  # 180 days after 06-01 10:05 have passed; 09-01 has not
    assert purge_messages.call_local() == {ch.id: 2}
    assert [m.content for m in _rows()] == ["新消息"]
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "follower.messages_purged"))
    assert entry.after["deleted"] == 2 and entry.after["retention_days"] == 180
    assert entry.after["cutoff"].startswith("2026-06-01T03:00") and entry.after["channel"] == ch.name
    assert "13800000000" not in str(entry.after) and "旧" not in str(entry.after)
    assert operations.purge() == {}  # nothing more to delete: no new entry
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "follower.messages_purged",
                                                         AuditEntry.id != entry.id)) is None


def test_the_retention_is_a_setting(app, clock):
    ch = named()
    clock.set("2026-11-01 10:00")
    _message(ch, "o_a", "十天前", clock.now(), msg_id="2001")
    clock.set("2026-11-11 10:01")
    assert operations.purge() == {}  # 180 days by default
    app.config["FOLLOWER_MESSAGE_RETENTION_DAYS"] = 10
    assert operations.purge() == {ch.id: 1} and _rows() == []


def test_the_cli_purges_too(app, clock):
    ch = named()
    clock.set("2026-01-01 10:00")
    _message(ch, "o_a", "很久以前", clock.now(), msg_id="3001")
    clock.set("2026-11-01 10:00")
    result = app.test_cli_runner().invoke(args=["cms", "purge-messages"])
    assert result.exit_code == 0 and "1" in result.output and _rows() == []
