"""record() appends to the audit trail (record_many() several entries at once); verify() walks the
chain (policy U7).

Services call record() inside their own transaction, so the entry commits (or rolls back)
with the change it describes. Secrets are redacted before the entry is written: it can never be
edited later."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from cms import workdays
from cms.audit import origin
from cms.audit.models import AuditEntry, AuditHead
from cms.extensions import db

GENESIS = "0" * 64
_HEAD = AuditHead.__table__  # the head is read and written with table statements: no ORM bookkeeping
SECRET_WORDS = ("password", "secret", "token", "aeskey", "aes_key", "api_key", "private", "credential")
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """A copy with the value of every key that names a secret replaced."""
    if isinstance(value, dict):
        return {
            k: REDACTED if any(w in str(k).lower() for w in SECRET_WORDS) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _digest(entry: dict) -> str:
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _fields(e: AuditEntry) -> dict:
    return {
        "seq": e.seq, "at": e.at.isoformat(), "actor_id": e.actor_id, "actor_name": e.actor_name,
        "action": e.action, "target_type": e.target_type, "target_id": e.target_id,
        "before": e.before, "after": e.after, "ip": e.ip, "prev_hash": e.prev_hash,
    }


def record(action: str, target=None, *, before: dict | None = None, after: dict | None = None,
           actor=None, ip: str | None = None) -> AuditEntry:
    """Append one entry to the chain in the current transaction (the caller commits)."""
    return record_many([dict(action=action, target=target, before=before, after=after, actor=actor, ip=ip)])[0]


def record_many(items: list[dict]) -> list[AuditEntry]:
    """Append several entries (each the keyword arguments of record()) in one go: the head is
    locked and moved once (the outbox starts many publications in one transaction)."""
    db.session.flush()
    seq, prev_hash = _lock_head()
    entries = []
    for item in items:
        entry = _entry(seq + 1, prev_hash, **item)
        entries.append(entry)
        seq, prev_hash = entry.seq, entry.hash
    db.session.add_all(entries)
    if entries:
        db.session.execute(_HEAD.update().where(_HEAD.c.id == 1).values(seq=seq, hash=prev_hash))
    return entries


def _entry(seq: int, prev_hash: str, action: str, target=None, *, before: dict | None = None,
           after: dict | None = None, actor=None, ip: str | None = None) -> AuditEntry:
    actor = actor if actor is not None else origin.current()[0]
    target_type = target_id = ""
    if isinstance(target, tuple):
        target_type, target_id = target[0], str(target[1])
    elif target is not None:
        target_type, target_id = type(target).__name__.lower(), str(target.id)
    entry = AuditEntry(
        seq=seq, at=workdays.now(),
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", "") or "",
        action=action, target_type=target_type, target_id=target_id,
        before=redact(before) if before is not None else None,
        after=redact(after) if after is not None else None,
        ip=ip if ip is not None else origin.current()[1], prev_hash=prev_hash,
    )
    # The stored JSON is what the hash covers: normalise through a JSON round trip first.
    entry.before = json.loads(json.dumps(entry.before, default=str)) if entry.before is not None else None
    entry.after = json.loads(json.dumps(entry.after, default=str)) if entry.after is not None else None
    entry.hash = _digest(_fields(entry))
    return entry


def _lock_head() -> tuple[int, str]:
    """(seq, hash) of the chain's head, locked for this transaction. The UPDATE takes the lock
    before we read: two appenders queue here instead of forking. Where the database can (SQLite
    3.35+, PostgreSQL) the same statement hands the row back (RETURNING): one round trip, not two."""
    lock = _HEAD.update().where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
    if db.session.get_bind().dialect.update_returning:
        row = db.session.execute(lock.returning(_HEAD.c.seq, _HEAD.c.hash)).first()
        if row is not None:
            return row.seq, row.hash
    elif db.session.execute(lock).rowcount:
        row = db.session.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).one()
        return row.seq, row.hash
    db.session.add(AuditHead(id=1, seq=0, hash=GENESIS))  # the first entry ever
    db.session.flush()
    return 0, GENESIS


def head_seq() -> int:
    """The chain's length: the last entry's seq (0 before the first)."""
    return db.session.scalar(select(_HEAD.c.seq).where(_HEAD.c.id == 1)) or 0


def verify(batch: int = 1000) -> tuple[int, int | None]:
    """Walk the chain. Returns (entries checked, seq of the first broken entry or None)."""
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return checked, None
        for e in rows:
            checked += 1
            if e.seq != checked or e.prev_hash != prev or _digest(_fields(e)) != e.hash:
                return checked, e.seq
            prev, last_id = e.hash, e.id


def entries(*, actor: str | None = None, action: str | None = None, target_type: str | None = None,
            target_id: str | None = None, start=None, end=None):
    """The trail, newest first, filtered (the auditor's page and GET /api/v1/audit): actor by
    username, action by prefix, a target, and times from `start` (inclusive) to `end` (exclusive)."""
    q = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if actor:
        q = q.where(AuditEntry.actor_name == actor.strip())
    if action:
        q = q.where(AuditEntry.action.startswith(action.strip(), autoescape=True))
    if target_type:
        q = q.where(AuditEntry.target_type == target_type.strip())
    if target_id:
        q = q.where(AuditEntry.target_id == target_id.strip())
    if start is not None:
        q = q.where(AuditEntry.at >= start)
    if end is not None:
        q = q.where(AuditEntry.at < end)
    return q
