"""Reading the register: what a user may see (policy.visible_department_ids and their own),
filtered; one record or one evidence file, 404 to whoever may not see it (as for a missing one)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import selectinload

from cms.errors import NotFound
from cms.extensions import db
from cms.violations import policy
from cms.violations.models import Evidence, Violation

MAX_ID = 2**31 - 1


def visible(user):
    """A select of the violations `user` may see (policy.can_view, as a query)."""
    q = select(Violation)
    deps = policy.visible_department_ids(user)
    if deps is None:
        return q
    if not user.is_active:
        return q.where(false())
    conditions = [Violation.subject_user_id == user.id]
    if deps:
        conditions.append(Violation.department_id.in_(deps))
    return q.where(or_(*conditions))


def register(user, *, state: str | None = None, category: str | None = None, department_id: int | None = None,
             source: str | None = None, person: str | None = None, context_ref: str | None = None,
             limit: int = 200) -> list[Violation]:
    q = visible(user)
    if state:
        q = q.where(Violation.state == state)
    if category:
        q = q.where(Violation.category == category)
    if department_id:
        q = q.where(Violation.department_id == department_id)
    if source:
        q = q.where(Violation.source == source)
    if context_ref:
        q = q.where(Violation.context_ref == context_ref)
    if person:
        q = q.where(func.lower(Violation.subject_name).contains(person.strip().lower(), autoescape=True))
    q = q.options(selectinload(Violation.department)).order_by(Violation.created_at.desc(), Violation.id.desc())
    return list(db.session.scalars(q.limit(limit)))


def proposals(*, source: str, context_ref: str, subject_user_id: int) -> list[Violation]:
    """The records a feature already proposed for this occurrence (for callers that may retry)."""
    return list(db.session.scalars(select(Violation).where(
        Violation.source == source, Violation.context_ref == context_ref,
        Violation.subject_user_id == subject_user_id).order_by(Violation.id)))


def get(user, violation_id: int) -> Violation:
    v = db.session.get(Violation, violation_id) if 0 < violation_id <= MAX_ID else None
    if v is None or not policy.can_view(user, v):
        raise NotFound(_("No such violation record."), code="not_found")
    return v


def evidence(user, violation_id: int, evidence_id: int) -> Evidence:
    v = get(user, violation_id)
    item = db.session.get(Evidence, evidence_id) if 0 < evidence_id <= MAX_ID else None
    if item is None or item.violation_id != v.id:
        raise NotFound(_("No such file."), code="not_found")
    return item


def waiting(user) -> int:
    """Proposals waiting for the group administrator (the navigation count)."""
    if not policy.is_admin(user):
        return 0
    return db.session.scalar(select(func.count(Violation.id)).where(Violation.state == "proposed")) or 0
