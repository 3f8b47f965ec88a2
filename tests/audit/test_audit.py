"""The audit trail: append-only, hash-chained, redacted, filterable (policy U7)."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from cms.audit import service
from cms.audit.models import AuditEntry
from cms.extensions import db


def _cli(app, *args):
    return CliRunner().invoke(app.cli, ["cms", *args], catch_exceptions=False)


def test_demo_chain_verifies(app):
    checked, broken = service.verify()
    assert broken is None and checked == db.session.scalar(select(db.func.count(AuditEntry.id))) > 10
    result = _cli(app, "audit-verify")
    assert result.exit_code == 0 and f"OK: {checked} entries" in result.output


def test_tampering_is_found_and_named(app):
    target = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq).offset(4)).first()
    # someone with database access edits an entry behind the application's back
    db.session.execute(text("UPDATE audit_entry SET actor_name = 'mallory' WHERE id = :id"), {"id": target.id})
    db.session.commit()
    assert service.verify() == (target.seq, target.seq)
    result = _cli(app, "audit-verify")
    assert result.exit_code == 1 and f"breaks at entry {target.seq}" in result.output


def test_deleting_an_entry_breaks_the_chain(app):
    target = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq).offset(2)).first()
    seq = target.seq
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": target.id})
    db.session.commit()
    assert service.verify()[1] == seq + 1


def test_no_code_path_edits_or_deletes_an_entry(app):
    entry = db.session.scalars(select(AuditEntry)).first()
    entry.action = "forged"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(PermissionError):
        db.session.delete(db.session.scalars(select(AuditEntry)).first())
        db.session.flush()
    db.session.rollback()


def test_secrets_are_redacted_before_writing(app):
    entry = service.record("channel.updated", ("channel", 1),
                           before={"app_secret": "s3cr3t", "name": "集团号"},
                           after={"nested": {"password_hash": "x", "AESKey": "k"}, "tokens": ["t"], "name": "新"})
    db.session.commit()
    stored = db.session.get(AuditEntry, entry.id)
    assert stored.before == {"app_secret": "[redacted]", "name": "集团号"}
    assert stored.after == {"nested": {"password_hash": "[redacted]", "AESKey": "[redacted]"},
                            "tokens": "[redacted]", "name": "新"}
    assert service.verify()[1] is None


def test_every_login_is_recorded_with_ip(client):
    client.post("/login", data={"username": "editor", "password": "wrong-Password-1"},
                environ_base={"REMOTE_ADDR": "10.2.3.4"})
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (last.action, last.actor_name, last.ip) == ("login.failed", "editor", "10.2.3.4")


def test_auditor_page_lists_and_filters(client_as):
    auditor = client_as("auditor")
    page = auditor.get("/audit/?action=user.created").get_data(as_text=True)
    assert page.count('title="user.created"') == 14 and 'title="login"' not in page
    assert "创建用户" in page  # the action in words (issue 19), its code on hover
    page = auditor.get("/audit/?actor=auditor&action=login").get_data(as_text=True)
    assert page.count('title="login"') == 1
    page = auditor.get("/audit/?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert "没有符合条件的记录" in page
    assert auditor.get("/audit/?from=not-a-date").status_code == 200
    assert client_as("contributor").get("/audit/").status_code == 403


def test_entries_appended_together_chain_like_single_ones(app):  # U7
    before = db.session.scalar(select(db.func.max(AuditEntry.seq)))
    service.record("test.single", ("post", 1), after={"n": 0})
    many = service.record_many([dict(action="test.many", target=("post", n), after={"n": n}) for n in (1, 2, 3)])
    service.record("test.single", ("post", 4), after={"n": 4})
    db.session.commit()
    assert [e.seq for e in many] == [before + 2, before + 3, before + 4]
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.seq > before).order_by(AuditEntry.seq)).all()
    assert [(r.action, r.target_id) for r in rows] == [
        ("test.single", "1"), ("test.many", "1"), ("test.many", "2"), ("test.many", "3"), ("test.single", "4")]
    assert all(r.prev_hash == p.hash for p, r in zip(rows, rows[1:], strict=False))
    assert service.verify()[1] is None
    assert service.record_many([]) == [] and service.verify()[1] is None
