"""The seam between the G11 rules and the violations register (U8 G10, cms/violations, built
alongside): one function. A proposal is never a fine: a human confirms it in the register.

Today it keeps the proposal in this package's table (GroupPenalty), in the caller's transaction
(the caller commits). At merge, wire it to the register by making the body

    from cms.violations.operations import propose
    return propose(subject_user, category=category, what=what, amount_fen=amount_fen, source=source,
                   context=context, context_ref=context_ref, actor=actor, now=now)

(that operation commits itself: every caller here calls propose_penalty last, after its own
changes, so its commit carries them), and GroupPenalty can go with its migration lines."""
from __future__ import annotations

from datetime import datetime

from cms.extensions import db
from cms.groups.models import GroupPenalty


def propose_penalty(subject_user, *, category: str, what: str, amount_fen: int, source: str, context: str,
                    context_ref: int | None, actor=None, now: datetime) -> GroupPenalty:
    """Propose a penalty for `subject_user` (G11: late_answer 100 元, shirked/delayed 50 元 each time).
    `context` "group_message", `context_ref` the message's id."""
    from cms.groups.models import GroupMessage

    message = db.session.get(GroupMessage, context_ref) if context == "group_message" and context_ref else None
    row = GroupPenalty(user_id=subject_user.id, group_id=message.group_id if message else None,
                       message_id=message.id if message else None, category=category, what=what[:500],
                       amount_fen=amount_fen, source=source, proposed_at=now,
                       actor_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    return row
