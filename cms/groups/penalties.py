"""The seam between the G11 rules and the violations register (U8 G10, cms/violations): a penalty
a G11 rule proposes is a *proposed* record in the register, never a fine; a group administrator
confirms, dismisses or handles it there. The record names the group (`context`) and carries
`group:<id>:message:<id>` (`context_ref`), so the group page and the G12 report find it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from cms.extensions import db
from cms.violations.models import Violation
from cms.violations.operations import propose


def group_ref(group_id: int) -> str:
    """The prefix of `context_ref` of every record proposed for this group."""
    return f"group:{group_id}:"


def propose_penalty(subject_user, *, category: str, what: str, amount_fen: int, source: str, context: str,
                    context_ref: int | None, actor=None, now: datetime) -> Violation:
    """Propose a penalty for `subject_user` (G11: late_answer 100 元, shirked/delayed 50 元 each time).
    `context` "group_message", `context_ref` the message's id. The register's operation commits,
    carrying the caller's changes with it: callers call this last."""
    from cms.groups.models import GroupMessage

    message = db.session.get(GroupMessage, context_ref) if context == "group_message" and context_ref else None
    label = f"工作群：{message.group.name}" if message else ""
    ref = f"{group_ref(message.group_id)}message:{message.id}" if message else ""
    return propose(subject_user, category=category, what=what, amount_fen=amount_fen, source=source,
                   context=label, context_ref=ref, actor=actor, now=now)


def of_group(group_id: int):
    """The select() of the register's records proposed for this group."""
    return select(Violation).where(Violation.context_ref.startswith(group_ref(group_id), autoescape=True))
