"""What the violations register does (G10 U8): each function checks the policy and the state,
changes one record, writes its audit entry and commits (`@operation`: a refusal leaves nothing).

    propose(subject_user, *, category, what, amount_fen, source, context, context_ref, actor, now=None)
        for other features (G11: late_answer, shirked, delayed; source "G11"): a proposal a group administrator
        confirms or dismisses; no permission asked (the feature decided), `actor` the user whose
        action led to it or None (the system). Not deduplicated: a caller that may retry asks
        queries.proposals(source=..., context_ref=..., subject_user_id=...) first.
    record_violation(actor, ...)     a group administrator's own record (optionally confirmed at once)
    confirm / dismiss(reason) / handle(handling, amount_fen, note) / report_to_legal(note)
    add_evidence(actor, violation, [(filename, data), ...])
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _

from cms import workdays
from cms.audit.service import record
from cms.auth.models import User
from cms.errors import Refused
from cms.extensions import db
from cms.transactions import operation
from cms.violations import policy, rules
from cms.violations.models import Evidence, Violation

WHAT_MAX, NAME_MAX, CONTEXT_MAX, REF_MAX, NOTE_MAX = 5000, 64, 200, 64, 2000


def snapshot(v: Violation) -> dict:
    return {
        "subject_user": v.subject_user_id, "subject_name": v.subject_name, "department": v.department_id,
        "context": v.context, "context_ref": v.context_ref, "category": v.category, "source": v.source,
        "what": v.what, "proposed_amount_fen": v.proposed_amount_fen, "state": v.state,
        "dismiss_reason": v.dismiss_reason or None, "handling": v.handling,
        "handling_amount_fen": v.handling_amount_fen, "handling_note": v.handling_note or None,
        "reported_at": v.reported_at, "report_note": v.report_note or None,
        "evidence": [e.sha256 for e in v.evidence],
    }


def _forbidden(message: str) -> Refused:
    return Refused(message, code="G10", status=403)


def _text(value, limit: int, field: str, *, required: bool = False) -> str:
    value = str(value if value is not None else "").strip()
    if required and not value:
        raise Refused(_("This field is required."), fields={field: [_("Required.")]})
    if len(value) > limit:
        message = _("At most %(n)d characters.", n=limit)
        raise Refused(message, fields={field: [message]})
    return value


def _category(category: str) -> str:
    if category not in rules.CATEGORIES:
        message = _("Unknown category: %(c)s", c=category)
        raise Refused(message, code="C15", fields={"category": [message]})
    return category


def _amount(handling: str | None, amount_fen: int | None, field: str = "amount") -> int | None:
    if amount_fen is not None and (isinstance(amount_fen, bool) or not isinstance(amount_fen, int)):
        raise Refused(_("An amount is a whole number of fen."), code="U8", fields={field: [_("Invalid amount.")]})
    why = rules.check_amount(handling, amount_fen)
    if why is None:
        return amount_fen
    message = {
        "amount": _("An amount is more than ¥0.00 and at most %(max)s.", max=rules.format_fen(rules.MAX_AMOUNT_FEN)),
        "needs_amount": _("A fine needs its amount (U8)."),
        "no_amount": _("Only a fine or a bonus deduction has an amount (U8)."),
    }[why]
    raise Refused(message, code="U8", fields={field: [message]})


def _evidence(violation: Violation, filename: str, data: bytes, uploader: User | None) -> Evidence:
    if not data:
        raise Refused(_("The file is empty."), fields={"files": [_("The file is empty.")]})
    if len(data) > rules.EVIDENCE_MAX_BYTES:
        message = _("A file is at most %(mb)d MB.", mb=rules.EVIDENCE_MAX_BYTES // (1024 * 1024))
        raise Refused(message, fields={"files": [message]})
    kind = rules.sniff(data)
    if kind is None:
        message = _("Evidence is an image (PNG, JPEG, GIF, WebP) or a PDF: %(name)s is neither.",
                    name=(filename or "?")[:80])
        raise Refused(message, fields={"files": [message]})
    if len(violation.evidence) >= rules.EVIDENCE_MAX_FILES:
        message = _("At most %(n)d files per record.", n=rules.EVIDENCE_MAX_FILES)
        raise Refused(message, fields={"files": [message]})
    mime, ext = kind
    item = Evidence(filename=rules.safe_filename(filename, ext), mime=mime, size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_at=workdays.now(),
                    uploaded_by_id=uploader.id if uploader is not None else None)
    violation.evidence.append(item)
    return item


def _new(subject_user: User | None, subject_name: str, *, category: str, what: str, source: str,
         context: str, context_ref: str, amount_fen: int | None, actor: User | None,
         occurred_at: datetime | None, now: datetime) -> Violation:
    if subject_user is None and not (subject_name or "").strip():
        message = _("Name the person: a user, or the name of someone outside the company.")
        raise Refused(message, fields={"subject_name": [message]})
    if source not in rules.SOURCES:
        raise Refused(_("Unknown source: %(s)s", s=source), fields={"source": [source]})
    name = subject_user.real_name if subject_user is not None else _text(subject_name, NAME_MAX, "subject_name")
    v = Violation(
        subject_user_id=subject_user.id if subject_user is not None else None, subject_name=name,
        department_id=subject_user.department_id if subject_user is not None else None,
        context=_text(context, CONTEXT_MAX, "context"), context_ref=_text(context_ref, REF_MAX, "context_ref"),
        what=_text(what, WHAT_MAX, "what", required=True), category=_category(category), source=source,
        occurred_at=occurred_at or now, proposed_amount_fen=_amount(None, amount_fen), state=rules.PROPOSED,
        created_at=now, created_by_id=actor.id if actor is not None else None)
    db.session.add(v)
    return v


@operation
def propose(subject_user: User, *, category: str, what: str, amount_fen: int | None, source: str,
            context: str, context_ref: str | int | None, actor: User | None,
            now: datetime | None = None) -> Violation:
    """A proposed violation from another feature (G11 proposes ¥100.00 = 10000 fen for a task not
    answered in 30 minutes, ¥50.00 for shirking): state "proposed", for a group administrator."""
    if subject_user is None:
        raise Refused(_("Name the person: a user, or the name of someone outside the company."))
    now = now or workdays.now()
    v = _new(subject_user, "", category=category, what=what, source=source, context=context,
             context_ref=context_ref, amount_fen=amount_fen, actor=actor, occurred_at=now, now=now)
    db.session.flush()
    record("violation.proposed", v, after=snapshot(v), actor=actor)
    db.session.commit()
    return v


@operation
def record_violation(actor: User, *, subject_user: User | None = None, subject_name: str = "", category: str,
                     what: str, context: str = "", context_ref: str = "", occurred_at: datetime | None = None,
                     amount_fen: int | None = None, files: Iterable[tuple[str, bytes]] = (),
                     confirm: bool = False) -> Violation:
    """A group administrator's record (G10), with its evidence; `confirm`: confirmed at once."""
    if not policy.can_record(actor):
        raise _forbidden(_("Violations are recorded by the group administrator (G10)."))
    if subject_user is not None and subject_user.id == actor.id:
        raise _forbidden(_("Nobody records or decides a violation of their own (G10)."))
    now = workdays.now()
    if occurred_at is not None and occurred_at > now:
        message = _("It cannot have happened in the future.")
        raise Refused(message, fields={"occurred_at": [message]})
    v = _new(subject_user, subject_name, category=category, what=what, source="manual", context=context,
             context_ref=context_ref, amount_fen=amount_fen, actor=actor, occurred_at=occurred_at, now=now)
    for filename, data in files:
        _evidence(v, filename, data, actor)
    db.session.flush()
    record("violation.recorded", v, after=snapshot(v))
    if confirm:
        _confirm(actor, v, now)
    db.session.commit()
    return v


def _confirm(actor: User, v: Violation, now: datetime) -> None:
    before = snapshot(v)
    v.state, v.decided_at, v.decided_by_id = rules.next_state("confirm", v.state), now, actor.id
    record("violation.confirmed", v, before=before, after=snapshot(v))


def _check(allowed: bool, v: Violation, action: str) -> None:
    if allowed:
        return
    if not rules.allowed(action, v.state):
        raise Refused(_("Not possible while the record is %(state)s.", state=rules.STATE_LABELS[v.state]),
                      code="conflict", status=409)
    raise _forbidden(_("Only the group administrator decides violations, never about themselves (G10 U8)."))


@operation
def confirm(actor: User, v: Violation) -> Violation:
    _check(policy.can_confirm(actor, v), v, "confirm")
    _confirm(actor, v, workdays.now())
    db.session.commit()
    return v


@operation
def dismiss(actor: User, v: Violation, reason: str) -> Violation:
    _check(policy.can_dismiss(actor, v), v, "dismiss")
    reason = _text(reason, NOTE_MAX, "reason", required=True)
    before = snapshot(v)
    v.state, v.decided_at, v.decided_by_id = rules.next_state("dismiss", v.state), workdays.now(), actor.id
    v.dismiss_reason = reason
    record("violation.dismissed", v, before=before, after=snapshot(v))
    db.session.commit()
    return v


@operation
def handle(actor: User, v: Violation, handling: str, amount_fen: int | None = None, note: str = "") -> Violation:
    """U8: the penalty decided: one of rules.HANDLINGS (a fine with its amount)."""
    _check(policy.can_handle(actor, v), v, "handle")
    if handling not in rules.HANDLINGS:
        message = _("Choose a handling (U8).")
        raise Refused(message, code="U8", fields={"handling": [message]})
    amount_fen = _amount(handling, amount_fen)
    before = snapshot(v)
    v.state, v.handled_at, v.handled_by_id = rules.next_state("handle", v.state), workdays.now(), actor.id
    v.handling, v.handling_amount_fen, v.handling_note = handling, amount_fen, _text(note, NOTE_MAX, "note")
    record("violation.handled", v, before=before, after=snapshot(v))
    db.session.commit()
    return v


@operation
def report_to_legal(actor: User, v: Violation, note: str = "", now: datetime | None = None) -> Violation:
    """G10: reported to legal (法务), once, with the time."""
    if v.reported_at is not None:
        raise Refused(_("Already reported to legal."), code="conflict", status=409)
    _check(policy.can_report(actor, v), v, "report")
    before = snapshot(v)
    v.reported_at, v.reported_by_id = now or workdays.now(), actor.id
    v.report_note = _text(note, NOTE_MAX, "note")
    record("violation.reported", v, before=before, after=snapshot(v))
    db.session.commit()
    return v


@operation
def add_evidence(actor: User, v: Violation, files: Iterable[tuple[str, bytes]]) -> list[Evidence]:
    """Files (filename, bytes) added to the record: all of them or, when one is refused, none."""
    _check(policy.can_add_evidence(actor, v), v, "add_evidence")
    items = [_evidence(v, filename, data, actor) for filename, data in files]
    if not items:
        raise Refused(_("Choose a file."), fields={"files": [_("Choose a file.")]})
    db.session.flush()
    record("violation.evidence_added", v, after={"evidence": [
        {"id": i.id, "filename": i.filename, "sha256": i.sha256, "size": i.size} for i in items]})
    db.session.commit()
    return items
