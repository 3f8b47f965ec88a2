"""Review chains as pure decisions (policies C4 C5 C7 C8 C18): plain data in, an outcome or a
refusal out. No Flask, no database: the service gathers the facts, asks here, and writes down
what the answer says. tests/workflow/test_engine.py walks state × action × actor as a table.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime


def N_(s: str) -> str:  # marks a msgid for extraction; translated where it is shown
    return s


REVIEW_ROLES = ("department_head", "leader", "editor", "proofreader", "supervisor", "chief")

# Who holds a step, relative to the post (DESIGN.md "Roles and scope").
SCOPES = {
    "author_department": N_("the author's department"),       # department_head of the post's department
    "leader_of_department": N_("in charge of the author's department"),  # leader scoped to it
    "office": N_("the office"),                                # editors and proofreaders
    "channel": N_("the target channel"),                       # supervisor of any target channel
    "company": N_("the company"),                              # chief
}
ROLE_SCOPES = {
    "department_head": ("author_department",),
    "leader": ("leader_of_department",),
    "editor": ("office",),
    "proofreader": ("office",),
    "supervisor": ("channel", "company"),
    "chief": ("company",),
}
# When nobody but the author (or the last revision's writer) holds a step and they have no deputy,
# the step goes one level up.
ROLE_UP = {"department_head": "leader", "leader": "chief", "editor": "supervisor",
           "proofreader": "supervisor", "supervisor": "chief", "chief": None}

DEFAULT_DUE_HOURS = 4.0
MAX_DUE_HOURS = 45.0  # five working days
MAX_STEPS = 12

ACTIONS = ("submit", "approve", "reject", "withdraw", "edit")


@dataclass(frozen=True)
class Step:
    role: str
    scope: str
    may_edit: bool = False       # editor, proofreader: the holder edits, then completes the step
    decides_push: bool = False   # supervisor: push or publish-only per WeChat channel (C18)
    may_escalate: bool = False   # supervisor: send the post on to the conditional top step
    conditional: bool = False    # only for important or escalated posts (chief)
    due_hours: float = DEFAULT_DUE_HOURS

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Step:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


S = Step
# The three chain shapes of the seeds (C7).
TEMPLATES: dict[str, tuple[str, tuple[Step, ...]]] = {
    # §12: contributor → department head → leader in charge → office editor → proofreader →
    # platform supervisor (push? escalate?) → top leader for important posts → administrator.
    "full": (N_("Full chain (§12)"), (
        S("department_head", "author_department"),
        S("leader", "leader_of_department"),
        S("editor", "office", may_edit=True),
        S("proofreader", "office", may_edit=True),
        S("supervisor", "channel", decides_push=True, may_escalate=True),
        S("chief", "company", conditional=True),
    )),
    # §14: marketing officer → marketing head; major items to the general manager.
    "marketing": (N_("Marketing chain (§14)"), (
        S("department_head", "author_department", decides_push=True),
        S("chief", "company", conditional=True),
    )),
    # §16: information officer → department head → principal leader signs.
    "short": (N_("Short chain (§16)"), (
        S("department_head", "author_department"),
        S("chief", "company", decides_push=True),
    )),
}


@dataclass(frozen=True)
class Refusal:
    code: str      # a policy ID (C4, C5, C18) or a short reason
    message: str   # msgid, translated where shown
    status: int = 422
    params: dict = field(default_factory=dict)


def validate_steps(steps: list[dict]) -> tuple[tuple[Step, ...], dict[int, list[str]]]:
    """An administrator's edit of a template: the steps, and per step index the msgids wrong with it
    (index -1 for the chain as a whole)."""
    errors: dict[int, list[str]] = {}
    parsed: list[Step] = []
    for i, raw in enumerate(steps):
        bad = errors.setdefault(i, [])
        role, scope = raw.get("role"), raw.get("scope")
        if role not in ROLE_SCOPES:
            bad.append(N_("Choose a reviewing role."))
        elif scope not in ROLE_SCOPES[role]:
            bad.append(N_("This role is not held for that scope."))
        try:
            hours = float(raw.get("due_hours", DEFAULT_DUE_HOURS))
        except (TypeError, ValueError):
            hours = -1
        if not 0.5 <= hours <= MAX_DUE_HOURS:
            bad.append(N_("The time allowed is between 0.5 and 45 working hours."))
        if raw.get("may_edit") and role not in ("editor", "proofreader"):
            bad.append(N_("Only editors and proofreaders edit as their step's work."))
        if not bad:
            parsed.append(Step(role, scope, bool(raw.get("may_edit")), bool(raw.get("decides_push")),
                               bool(raw.get("may_escalate")), bool(raw.get("conditional")), hours))
            del errors[i]
    whole = []
    if not steps:
        whole.append(N_("A chain needs at least one step (C4)."))
    if len(steps) > MAX_STEPS:
        whole.append(N_("A chain has at most 12 steps."))
    if not errors and steps:
        if all(s.conditional for s in parsed):
            whole.append(N_("At least one step must always apply (C4)."))
        if sum(s.decides_push for s in parsed) > 1:
            whole.append(N_("Only one step decides whether to push (C18)."))
        for i, s in enumerate(parsed):
            if s.decides_push and s.conditional:
                errors.setdefault(i, []).append(N_("The push decision is made on every post: that step "
                                                   "cannot be conditional (C18)."))
        if any(s.may_escalate for s in parsed) and not any(s.conditional for s in parsed):
            whole.append(N_("A step that may escalate needs a conditional step to escalate to."))
        for i, s in enumerate(parsed):
            if s.may_escalate and not any(t.conditional for t in parsed[i + 1:]):
                errors.setdefault(i, []).append(N_("Escalation goes to a later conditional step."))
    if whole:
        errors[-1] = whole
    return tuple(parsed), errors


def applies(step: Step, important: bool, escalated: bool) -> bool:
    return not step.conditional or important or escalated


def chain_position(steps: tuple[Step, ...], index: int | None, important: bool, escalated: bool) -> dict:
    """Where step `index` stands among the steps that apply (issue 19: "step 5 of 5", not "of 6",
    when the top leader's conditional step does not apply): {"n", "total", "optional": [indices of
    conditional steps that do not apply (yet: an escalation at the deciding step may add one)]}.
    n is None for an index that does not apply (or None)."""
    applying = [i for i, s in enumerate(steps) if applies(s, important, escalated)]
    return {"n": applying.index(index) + 1 if index in applying else None, "total": len(applying),
            "optional": [i for i, s in enumerate(steps) if i not in applying]}


def next_step(steps: tuple[Step, ...], after: int | None, important: bool, escalated: bool) -> int | None:
    """The index of the next step that applies after `after` (None: from the start), or None."""
    start = 0 if after is None else after + 1
    for i in range(start, len(steps)):
        if applies(steps[i], important, escalated):
            return i
    return None


# --- submitting ----------------------------------------------------------------------------------

SUBMITTABLE = ("draft", "rejected")


def submit_refusal(status: str, errors: list[str], warnings: list[str], reasons: dict[str, str]) -> Refusal | None:
    """Checks without errors, and a reason for every warning (the reviewers read them)."""
    if status not in SUBMITTABLE:
        return Refusal("wrong_state", N_("Only a draft or a rejected post can be submitted."), 409)
    if errors:
        return Refusal("checks", N_("Fix the errors the checks found before submitting."), 422,
                       {"findings": list(errors)})
    missing = [w for w in warnings if not (reasons.get(w) or "").strip()]
    if missing:
        return Refusal("reasons", N_("Give a reason for each warning the checks found."), 422,
                       {"findings": missing})
    return None


# --- deciding ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Flow:
    """What the engine knows of a post in review."""
    status: str
    steps: tuple[Step, ...]
    step: int | None          # the current step's index
    author: int               # who filed the post
    revision: int             # the current revision's number, hash and writer
    revision_hash: str
    revision_writer: int
    revision_step: int | None = None  # the may-edit step at which the current revision was written
    important: bool = False
    escalated: bool = False
    confidential: bool = False
    push_channels: tuple[int, ...] = ()       # the WeChat target channels (C18)
    push_remaining: dict = field(default_factory=dict)  # channel id → pushes left this month

    @property
    def current(self) -> Step | None:
        return self.steps[self.step] if self.step is not None else None


@dataclass(frozen=True)
class Decision:
    decision: str             # approve | reject
    revision: int | None
    hash: str | None = None
    comment: str = ""
    escalate: bool = False
    push: dict | None = None  # channel id → push (True) or publish only (False)


@dataclass(frozen=True)
class Outcome:
    status: str               # the post's new status
    step: int | None          # the next step, or None when the chain ended (approved or rejected)
    escalated: bool = False
    final: bool = False       # the final approval (C8's clock starts)


def decide(flow: Flow, actor: int, assigned: bool, d: Decision) -> Outcome | Refusal:
    """One reviewer's decision at the current step."""
    if flow.status != "in_review" or flow.current is None:
        return Refusal("wrong_state", N_("This post is not waiting for a review."), 409)
    if d.decision not in ("approve", "reject"):
        return Refusal("invalid", N_("The decision is approve or reject."), 400)
    if not assigned:
        return Refusal("not_assigned", N_("This step is not yours to decide."), 403)
    step = flow.current
    if d.revision != flow.revision or (d.hash and d.hash != flow.revision_hash):
        return Refusal("stale_revision", N_("Revision %(n)d is the current one: review what is there now."), 409,
                       {"n": flow.revision})
    if actor == flow.author:
        return Refusal("own_post", N_("Nobody reviews a post they filed."), 403)
    # The exception: a may-edit step's holder completes the step on the edit they made at it.
    if actor == flow.revision_writer and not (step.may_edit and flow.revision_step == flow.step):
        return Refusal("own_revision", N_("Nobody decides on a revision they wrote: the next reviewer does."), 403)
    if d.decision == "reject":
        if not d.comment.strip():
            return Refusal("comment_required", N_("Say what needs to change: a rejection needs a comment."), 422)
        return Outcome("rejected", None, flow.escalated)
    if d.escalate and not step.may_escalate:
        return Refusal("cannot_escalate", N_("This step cannot escalate."), 422)
    push = d.push or {}
    if step.decides_push:
        missing = [c for c in flow.push_channels if c not in push]
        if missing:
            return Refusal("C18", N_("Choose push or publish only for every WeChat channel (C18)."), 422,
                           {"channels": missing})
        over = [c for c in flow.push_channels if push.get(c) and flow.push_remaining.get(c, 1) <= 0]
        if over:
            return Refusal("C18", N_("No pushes are left this month on a chosen channel: publish only (C18)."),
                           422, {"channels": over})
    elif push:
        return Refusal("C18", N_("Only the step that decides push chooses it (C18)."), 422)
    escalated = flow.escalated or d.escalate
    nxt = next_step(flow.steps, flow.step, flow.important, escalated)
    if nxt is None:
        if flow.confidential:
            return Refusal("C5", N_("The post is marked confidential: the supervisor clears the flag before "
                                    "the final approval (C5)."), 422)
        return Outcome("approved", None, escalated, final=True)
    return Outcome("in_review", nxt, escalated)


# --- editing and withdrawing ---------------------------------------------------------------------

def edit_effect(flow: Flow, editor_assigned: bool, editor_is_author_side: bool) -> str | Refusal:
    """What a new revision does to the chain: 'none' (not in a chain), 'continue' (a may-edit
    step's holder at work) or 'restart' (the author's side changed what reviewers approved)."""
    if flow.status in SUBMITTABLE:
        return "none" if editor_is_author_side else Refusal(
            "forbidden", N_("You may not edit this post in its current state."), 403)
    if flow.status == "in_review" and flow.current is not None and flow.current.may_edit and editor_assigned:
        return "continue"
    if flow.status in ("in_review", "approved") and editor_is_author_side:
        return "restart"
    return Refusal("forbidden", N_("You may not edit this post in its current state."), 403)


def withdraw_refusal(status: str, is_author_side: bool) -> Refusal | None:
    if not is_author_side:
        return Refusal("forbidden", N_("Only the author's side withdraws a submission."), 403)
    if status not in ("in_review", "approved"):
        return Refusal("wrong_state", N_("Only a post in review or approved and not yet out can be withdrawn."), 409)
    return None


# --- who holds a step ----------------------------------------------------------------------------

def route(holders: list[int], excluded: set[int], deputies: dict[int, int | None],
          up_holders: list[int]) -> tuple[list[int], str]:
    """The step's assignees and how they were found: 'role', 'deputy' (the holder wrote the post or
    its last revision and their deputy stands in), 'next_level' (no deputy: one level up) or
    'unassigned' (an administrator must reassign)."""
    direct = [h for h in holders if h not in excluded]
    if direct:
        return direct, "role"
    stand_ins = []
    for h in holders:
        deputy = deputies.get(h)
        if deputy and deputy not in excluded and deputy not in stand_ins:
            stand_ins.append(deputy)
    if stand_ins:
        return stand_ins, "deputy"
    up = [h for h in up_holders if h not in excluded]
    if up:
        return up, "next_level"
    return [], "unassigned"


def with_delegates(assignees: list[int], delegations: dict[int, int]) -> list[int]:
    """Assignees plus the deputies they delegated to for now (delegator → deputy)."""
    out = list(assignees)
    for a in assignees:
        d = delegations.get(a)
        if d and d not in out:
            out.append(d)
    return out


# --- time (C8) -----------------------------------------------------------------------------------

def approval_day(approved_on: date, planned: date | None) -> date:
    """C8: an approved post goes out on the later of the approval day and the planned date."""
    return max(approved_on, planned) if planned else approved_on


def due_reason(approved_on: date, planned: date | None) -> tuple[str, dict]:
    """Why the post's C8 day is what it is (DESIGN.md Time: the later of the final approval's day and
    the planned date). (an N_ msgid, its params); `approved_on` is the approval's day in the zone."""
    params = {"approved": approved_on.isoformat(), "planned": planned.isoformat() if planned else ""}
    if planned is None:
        params["day"] = approved_on.isoformat()
        return N_("Due %(day)s: the day of its final approval; it has no planned date (C8)."), params
    if planned > approved_on:
        params["day"] = planned.isoformat()
        return N_("Due %(day)s: its planned date, later than its final approval on %(approved)s (C8)."), params
    params["day"] = approved_on.isoformat()
    if planned == approved_on:
        return N_("Due %(day)s: the day of its final approval, which is also its planned date (C8)."), params
    return N_("Due %(day)s: the day of its final approval; its planned date %(planned)s had already passed "
              "(C8)."), params


def pushes_left(allowed: int, period: str, pushes_today: int, pushes_this_month: int) -> int:
    """C18: what is left of a channel's push allowance for its period ("day" or "month"; a
    subscription account pushes once a day, a service account four times a month)."""
    used = pushes_today if period == "day" else pushes_this_month
    return max(0, allowed - used)


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and now > due_at


# --- what a reviewer compares against ------------------------------------------------------------

@dataclass(frozen=True)
class Signature:
    reviewer: int
    step: int
    revision: int
    decision: str
    stale: bool = False


def diff_base(signatures: list[Signature], reviewer: int, step: int | None) -> int | None:
    """The revision a reviewer compares the current one with: the last one they approved
    themselves (in any round), else the last one approved at an earlier step of this round."""
    mine = [s.revision for s in signatures if s.reviewer == reviewer and s.decision == "approve"]
    if mine:
        return mine[-1]
    earlier = [s.revision for s in signatures if s.decision == "approve" and not s.stale
               and (step is None or s.step < step)]
    return earlier[-1] if earlier else None
