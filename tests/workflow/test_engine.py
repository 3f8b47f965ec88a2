"""The review-chain engine as tables of state × action × actor, allowed and refused
(policies C4 C5 C7 C8 C18). cms/workflow/engine.py is pure: plain data in, an Outcome or a Refusal
out, so every row below states the exact answer."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import product

import pytest

from cms.workflow.engine import (
    TEMPLATES,
    Decision,
    Flow,
    Outcome,
    Refusal,
    Signature,
    Step,
    approval_day,
    decide,
    diff_base,
    edit_effect,
    is_overdue,
    next_step,
    route,
    submit_refusal,
    validate_steps,
    with_delegates,
    withdraw_refusal,
)

# --- builders ------------------------------------------------------------------------------------

AUTHOR, REVIEWER, WRITER, OTHER = 1, 2, 3, 4   # WRITER: a reviewer who wrote the current revision
REV, HASH = 7, "hash-of-7"
WECHAT_A, WECHAT_B = 10, 11

FULL = TEMPLATES["full"][1]
DH, LEADER, EDITOR, PROOF, SUP, CHIEF = range(6)    # the full chain's step indexes (C7, seed §12)
NORMAL_STEP, EDIT_STEP = LEADER, EDITOR


def chain(key: str) -> tuple[Step, ...]:
    return TEMPLATES[key][1]


def flow(status: str = "in_review", *, template: str = "full", step: int | None = LEADER,
         writer: int = AUTHOR, **kw) -> Flow:
    """A post of AUTHOR at revision REV (written by `writer`) on a shipped chain."""
    return Flow(status=status, steps=chain(template), step=step, author=AUTHOR, revision=REV,
                revision_hash=HASH, revision_writer=writer, **kw)


def approve(**kw) -> Decision:
    return Decision("approve", REV, HASH, **kw)


def reject(comment: str = "The title overstates the result.", **kw) -> Decision:
    return Decision("reject", REV, HASH, comment=comment, **kw)


DECISIONS = {"approve": approve(), "reject": reject(), "junk": Decision("junk", REV, HASH)}


def refusal(code: str, status: int, params: dict | None = None) -> tuple[str, int, dict]:
    return (code, status, params or {})


def answer(result):
    """A Refusal as (code, HTTP status, params); anything else as it is."""
    if isinstance(result, Refusal):
        assert result.message, "every refusal explains itself"
        return (result.code, result.status, result.params)
    return result


def moved(to: int, escalated: bool = False) -> Outcome:
    return Outcome("in_review", to, escalated)


def final(escalated: bool = False) -> Outcome:
    return Outcome("approved", None, escalated, final=True)


REJECTED = Outcome("rejected", None)
WRONG_STATE = refusal("wrong_state", 409)
NOT_ASSIGNED = refusal("not_assigned", 403)
OWN_POST = refusal("own_post", 403)
OWN_REVISION = refusal("own_revision", 403)
INVALID = refusal("invalid", 400)
STALE = refusal("stale_revision", 409, {"n": REV})
C5 = refusal("C5", 422)

# actor kind → (actor id, assigned to the current step, who wrote the current revision)
ACTORS = {
    "author": (AUTHOR, False, AUTHOR),
    "author_assigned": (AUTHOR, True, AUTHOR),          # e.g. an administrator's careless reassignment
    "assigned_reviewer": (REVIEWER, True, AUTHOR),
    "assigned_writer": (WRITER, True, WRITER),           # wrote the revision they are deciding on
    "unassigned_reviewer": (OTHER, False, AUTHOR),
}


# --- the shipped chains (C7) ---------------------------------------------------------------------

def test_three_chains_ship():
    assert sorted(TEMPLATES) == ["full", "marketing", "short"]
    assert [s.role for s in chain("full")] == [
        "department_head", "leader", "editor", "proofreader", "supervisor", "chief"]
    assert [s.role for s in chain("marketing")] == ["department_head", "chief"]
    assert [s.role for s in chain("short")] == ["department_head", "chief"]
    assert [i for i, s in enumerate(FULL) if s.may_edit] == [EDITOR, PROOF]
    assert [i for i, s in enumerate(FULL) if s.decides_push] == [SUP]
    assert [i for i, s in enumerate(FULL) if s.may_escalate] == [SUP]
    assert [i for i, s in enumerate(FULL) if s.conditional] == [CHIEF]


@pytest.mark.parametrize("key, after, important, escalated, expected", [
    ("full", None, False, False, DH),
    ("full", PROOF, False, False, SUP),
    ("full", SUP, False, False, None),
    ("full", SUP, True, False, CHIEF),
    ("full", SUP, False, True, CHIEF),
    ("full", CHIEF, True, True, None),
    ("marketing", 0, False, False, None),
    ("marketing", 0, True, False, 1),
    ("short", 0, False, False, 1),
])
def test_next_step(key, after, important, escalated, expected):
    assert next_step(chain(key), after, important, escalated) == expected


# --- decide(): status × decision × actor ---------------------------------------------------------

NOT_IN_REVIEW = ("draft", "rejected", "approved", "scheduled", "published", "withdrawn")


@pytest.mark.parametrize("status, step, decision, kind", [
    (status, step, decision, kind)
    for status, step, decision, kind in product(NOT_IN_REVIEW, (None, LEADER), DECISIONS, ACTORS)
])
def test_decide_outside_review_is_wrong_state(status, step, decision, kind):
    actor, assigned, writer = ACTORS[kind]
    result = decide(flow(status, step=step, writer=writer), actor, assigned, DECISIONS[decision])
    assert answer(result) == WRONG_STATE


@pytest.mark.parametrize("decision, kind", list(product(DECISIONS, ACTORS)))
def test_decide_in_review_without_a_current_step_is_wrong_state(decision, kind):
    actor, assigned, writer = ACTORS[kind]
    result = decide(flow(step=None, writer=writer), actor, assigned, DECISIONS[decision])
    assert answer(result) == WRONG_STATE


@pytest.mark.parametrize("step, decision, kind, expected", [
    # a normal step (the leader in charge, C7): the next step is the editor
    (NORMAL_STEP, "approve", "author", NOT_ASSIGNED),
    (NORMAL_STEP, "reject", "author", NOT_ASSIGNED),
    (NORMAL_STEP, "junk", "author", INVALID),
    (NORMAL_STEP, "approve", "author_assigned", OWN_POST),
    (NORMAL_STEP, "reject", "author_assigned", OWN_POST),
    (NORMAL_STEP, "junk", "author_assigned", INVALID),
    (NORMAL_STEP, "approve", "assigned_reviewer", moved(EDITOR)),
    (NORMAL_STEP, "reject", "assigned_reviewer", REJECTED),
    (NORMAL_STEP, "junk", "assigned_reviewer", INVALID),
    (NORMAL_STEP, "approve", "assigned_writer", OWN_REVISION),
    (NORMAL_STEP, "reject", "assigned_writer", OWN_REVISION),
    (NORMAL_STEP, "junk", "assigned_writer", INVALID),
    (NORMAL_STEP, "approve", "unassigned_reviewer", NOT_ASSIGNED),
    (NORMAL_STEP, "reject", "unassigned_reviewer", NOT_ASSIGNED),
    (NORMAL_STEP, "junk", "unassigned_reviewer", INVALID),
    # a may-edit step (the office editor): the holder completes the step on their own edit
    (EDIT_STEP, "approve", "author", NOT_ASSIGNED),
    (EDIT_STEP, "reject", "author", NOT_ASSIGNED),
    (EDIT_STEP, "junk", "author", INVALID),
    (EDIT_STEP, "approve", "author_assigned", OWN_POST),
    (EDIT_STEP, "reject", "author_assigned", OWN_POST),
    (EDIT_STEP, "junk", "author_assigned", INVALID),
    (EDIT_STEP, "approve", "assigned_reviewer", moved(PROOF)),
    (EDIT_STEP, "reject", "assigned_reviewer", REJECTED),
    (EDIT_STEP, "junk", "assigned_reviewer", INVALID),
    (EDIT_STEP, "approve", "assigned_writer", moved(PROOF)),
    (EDIT_STEP, "reject", "assigned_writer", REJECTED),
    (EDIT_STEP, "junk", "assigned_writer", INVALID),
    (EDIT_STEP, "approve", "unassigned_reviewer", NOT_ASSIGNED),
    (EDIT_STEP, "reject", "unassigned_reviewer", NOT_ASSIGNED),
    (EDIT_STEP, "junk", "unassigned_reviewer", INVALID),
])
def test_decide_in_review(step, decision, kind, expected):
    actor, assigned, writer = ACTORS[kind]
    # the writer made the current revision at this very step (a may-edit step's work)
    result = decide(flow(step=step, writer=writer, revision_step=step), actor, assigned, DECISIONS[decision])
    assert answer(result) == expected


@pytest.mark.parametrize("step", range(len(FULL)))
def test_writer_may_decide_on_own_revision_only_at_may_edit_steps(step):
    f = flow(step=step, writer=WRITER, important=True, revision_step=step)
    expected = moved(step + 1) if FULL[step].may_edit else OWN_REVISION
    assert answer(decide(f, WRITER, True, approve())) == expected


@pytest.mark.parametrize("written_at", [None, EDIT_STEP])
def test_an_edit_from_an_earlier_step_is_decided_by_someone_else(written_at):
    """The editor edited at the editor's step; at the proofreader's step (also may-edit) the
    editor, say as the proofreader's deputy, may not approve their own revision."""
    f = flow(step=EDIT_STEP + 1, writer=WRITER, revision_step=written_at)
    assert answer(decide(f, WRITER, True, approve())) == OWN_REVISION


# --- decide(): the revision the reviewer saw -----------------------------------------------------

@pytest.mark.parametrize("revision, hash_, expected", [
    (REV - 1, HASH, STALE),
    (REV + 1, HASH, STALE),
    (None, HASH, STALE),
    (None, None, STALE),
    (REV, "hash-of-6", STALE),
    (REV - 1, "hash-of-6", STALE),
    (REV, HASH, moved(EDITOR)),
    (REV, None, moved(EDITOR)),   # API.md: the hash is optional, the number is not
    (REV, "", moved(EDITOR)),
])
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_stale_revision(revision, hash_, expected, decision):
    d = Decision(decision, revision, hash_, comment="Please cite the source.")
    if decision == "reject" and expected != STALE:
        expected = REJECTED
    assert answer(decide(flow(), REVIEWER, True, d)) == expected


def test_stale_refusal_names_the_current_revision():
    result = decide(flow(), REVIEWER, True, Decision("approve", 3, "old"))
    assert isinstance(result, Refusal)
    assert result.params == {"n": REV}
    assert "%(n)d" in result.message


@pytest.mark.parametrize("kind, step, expected", [
    ("unassigned_reviewer", NORMAL_STEP, NOT_ASSIGNED),   # who may act is settled before what they saw
    ("author", NORMAL_STEP, NOT_ASSIGNED),
    ("author_assigned", NORMAL_STEP, STALE),
    ("assigned_writer", NORMAL_STEP, STALE),
    ("assigned_writer", EDIT_STEP, STALE),
    ("assigned_reviewer", NORMAL_STEP, STALE),
])
def test_stale_revision_order(kind, step, expected):
    actor, assigned, writer = ACTORS[kind]
    d = Decision("approve", REV - 1, HASH)
    assert answer(decide(flow(step=step, writer=writer), actor, assigned, d)) == expected


# --- decide(): rejecting -------------------------------------------------------------------------

@pytest.mark.parametrize("comment, expected", [
    ("", refusal("comment_required", 422)),
    (" ", refusal("comment_required", 422)),
    ("\n\t  ", refusal("comment_required", 422)),
    ("\u3000", refusal("comment_required", 422)),   # an ideographic space is blank too
    ("x", REJECTED),
    ("  标题需修改 ", REJECTED),
])
@pytest.mark.parametrize("step", [DH, LEADER, EDITOR, PROOF, SUP, CHIEF])
def test_reject_needs_a_comment(comment, expected, step):
    assert answer(decide(flow(step=step, important=True), REVIEWER, True, reject(comment))) == expected


@pytest.mark.parametrize("f, d, expected", [
    (flow(step=CHIEF, escalated=True), reject(), Outcome("rejected", None, True)),
    (flow(step=SUP, confidential=True), reject(), REJECTED),               # C5 blocks approval only
    (flow(step=SUP, push_channels=(WECHAT_A,)), reject(), REJECTED),       # no push choice needed
    (flow(step=LEADER), reject(escalate=True), REJECTED),                  # escalation is for approvals
    (flow(step=LEADER), reject(push={WECHAT_A: True}), REJECTED),
])
def test_reject_returns_the_post_to_its_author(f, d, expected):
    assert answer(decide(f, REVIEWER, True, d)) == expected


# --- decide(): walking the shipped chains (C7) ---------------------------------------------------

def walk(key: str, important: bool, escalate: bool) -> tuple[list[str], list[Outcome]]:
    """Approve step after step, escalating at a may-escalate step when asked; the roles visited
    and every outcome."""
    steps = chain(key)
    f = Flow("in_review", steps, next_step(steps, None, important, False), AUTHOR, REV, HASH, AUTHOR,
             important=important, push_channels=(WECHAT_A,), push_remaining={WECHAT_A: 3})
    roles, outcomes = [], []
    for _ in range(len(steps)):
        step = f.current
        roles.append(step.role)
        d = approve(escalate=escalate and step.may_escalate,
                    push={WECHAT_A: True} if step.decides_push else None)
        out = decide(f, REVIEWER, True, d)
        assert isinstance(out, Outcome), out
        outcomes.append(out)
        if out.step is None:
            return roles, outcomes
        f = replace(f, step=out.step, escalated=out.escalated)
    raise AssertionError(f"the chain did not end: {roles}")


FULL_ROLES = ["department_head", "leader", "editor", "proofreader", "supervisor"]


@pytest.mark.parametrize("key, important, escalate, roles, outcomes", [
    ("full", False, False, FULL_ROLES,
     [moved(1), moved(2), moved(3), moved(4), final()]),
    ("full", True, False, FULL_ROLES + ["chief"],
     [moved(1), moved(2), moved(3), moved(4), moved(5), final()]),
    ("full", False, True, FULL_ROLES + ["chief"],
     [moved(1), moved(2), moved(3), moved(4), moved(5, True), final(True)]),
    ("full", True, True, FULL_ROLES + ["chief"],
     [moved(1), moved(2), moved(3), moved(4), moved(5, True), final(True)]),
    ("marketing", False, False, ["department_head"], [final()]),
    ("marketing", True, False, ["department_head", "chief"], [moved(1), final()]),
    ("marketing", False, True, ["department_head"], [final()]),      # no step there may escalate
    ("short", False, False, ["department_head", "chief"], [moved(1), final()]),
    ("short", True, False, ["department_head", "chief"], [moved(1), final()]),
    ("short", True, True, ["department_head", "chief"], [moved(1), final()]),
])
def test_chain_walk(key, important, escalate, roles, outcomes):
    assert walk(key, important, escalate) == (roles, outcomes)


def test_an_escalated_flow_goes_on_to_the_chief_without_escalating_again():
    assert decide(flow(step=SUP, escalated=True), REVIEWER, True, approve()) == moved(CHIEF, True)


@pytest.mark.parametrize("key, index", [
    (key, i) for key in sorted(TEMPLATES) for i, s in enumerate(chain(key)) if not s.may_escalate
])
def test_escalating_where_the_step_may_not(key, index):
    f = flow(template=key, step=index, important=True, push_channels=(WECHAT_A,),
             push_remaining={WECHAT_A: 3})
    d = approve(escalate=True, push={WECHAT_A: False} if chain(key)[index].decides_push else None)
    assert answer(decide(f, REVIEWER, True, d)) == refusal("cannot_escalate", 422)


def test_escalating_at_the_supervisor_of_an_important_post():
    assert decide(flow(step=SUP, important=True), REVIEWER, True, approve(escalate=True)) == moved(CHIEF, True)


# --- decide(): push or publish only (C18) --------------------------------------------------------

def c18(*channels: int) -> tuple[str, int, dict]:
    return refusal("C18", 422, {"channels": list(channels)})


C18_NOT_HERE = refusal("C18", 422)


@pytest.mark.parametrize("push, expected", [
    (None, c18(WECHAT_A, WECHAT_B)),
    ({}, c18(WECHAT_A, WECHAT_B)),
    ({WECHAT_A: True}, c18(WECHAT_B)),
    ({WECHAT_B: False}, c18(WECHAT_A)),
    ({99: True}, c18(WECHAT_A, WECHAT_B)),                # a non-WeChat channel is no choice
    ({WECHAT_A: True, WECHAT_B: True}, c18(WECHAT_B)),    # WECHAT_B has no pushes left this month
    ({WECHAT_A: False, WECHAT_B: True}, c18(WECHAT_B)),
    ({WECHAT_A: True, WECHAT_B: False}, final()),         # publish only with 0 left is fine
    ({WECHAT_A: False, WECHAT_B: False}, final()),
])
def test_push_choice_at_the_deciding_step(push, expected):
    f = flow(step=SUP, push_channels=(WECHAT_A, WECHAT_B), push_remaining={WECHAT_A: 3, WECHAT_B: 0})
    assert answer(decide(f, REVIEWER, True, approve(push=push))) == expected


@pytest.mark.parametrize("remaining, push, expected", [
    (1, True, final()),
    (0, True, c18(WECHAT_A)),
    (-1, True, c18(WECHAT_A)),
    (0, False, final()),
    (-1, False, final()),
])
def test_push_quota_boundary(remaining, push, expected):
    f = flow(step=SUP, push_channels=(WECHAT_A,), push_remaining={WECHAT_A: remaining})
    assert answer(decide(f, REVIEWER, True, approve(push={WECHAT_A: push}))) == expected


def test_missing_choice_and_spent_quota_say_different_things():
    f = flow(step=SUP, push_channels=(WECHAT_A,), push_remaining={WECHAT_A: 0})
    missing = decide(f, REVIEWER, True, approve())
    spent = decide(f, REVIEWER, True, approve(push={WECHAT_A: True}))
    assert missing.message != spent.message
    assert "every WeChat channel" in missing.message
    assert "No pushes are left" in spent.message


def test_no_wechat_channel_needs_no_push_choice():
    assert decide(flow(step=SUP), REVIEWER, True, approve()) == final()


@pytest.mark.parametrize("key, index, important", [
    ("full", SUP, False), ("marketing", 0, False), ("short", 1, False),
])
def test_every_deciding_step_asks_for_the_choice(key, index, important):
    f = flow(template=key, step=index, important=important, push_channels=(WECHAT_A,),
             push_remaining={WECHAT_A: 1})
    assert answer(decide(f, REVIEWER, True, approve())) == c18(WECHAT_A)
    assert decide(f, REVIEWER, True, approve(push={WECHAT_A: True})) == final()


@pytest.mark.parametrize("key, index, push, expected", [
    ("full", DH, {WECHAT_A: True}, C18_NOT_HERE),
    ("full", LEADER, {WECHAT_A: False}, C18_NOT_HERE),       # publish-only is a push choice too
    ("full", EDITOR, {WECHAT_A: True}, C18_NOT_HERE),
    ("full", PROOF, {WECHAT_A: True}, C18_NOT_HERE),
    ("full", CHIEF, {WECHAT_A: True}, C18_NOT_HERE),
    ("marketing", 1, {WECHAT_A: True}, C18_NOT_HERE),
    ("short", 0, {WECHAT_A: False}, C18_NOT_HERE),
    ("full", LEADER, {}, moved(EDITOR)),                     # an empty choice is no choice
    ("full", LEADER, None, moved(EDITOR)),
])
def test_push_given_at_a_step_that_does_not_decide_it(key, index, push, expected):
    f = flow(template=key, step=index, important=True, push_channels=(WECHAT_A,),
             push_remaining={WECHAT_A: 3})
    assert answer(decide(f, REVIEWER, True, approve(push=push))) == expected


# --- decide(): confidential posts (C5) -----------------------------------------------------------

@pytest.mark.parametrize("key, step, important, escalated, escalate, expected", [
    ("full", DH, False, False, False, moved(LEADER)),
    ("full", LEADER, False, False, False, moved(EDITOR)),
    ("full", EDITOR, False, False, False, moved(PROOF)),
    ("full", PROOF, False, False, False, moved(SUP)),
    ("full", SUP, False, False, False, C5),                 # the supervisor's is the final approval
    ("full", SUP, True, False, False, moved(CHIEF)),        # important: the chief's is
    ("full", CHIEF, True, False, False, C5),
    ("full", SUP, False, False, True, moved(CHIEF, True)),  # escalating moves the block on
    ("full", CHIEF, False, True, False, C5),
    ("marketing", 0, False, False, False, C5),
    ("marketing", 0, True, False, False, moved(1)),
    ("marketing", 1, True, False, False, C5),
    ("short", 0, False, False, False, moved(1)),
    ("short", 1, False, False, False, C5),
])
def test_confidential_blocks_only_the_final_approval(key, step, important, escalated, escalate, expected):
    f = flow(template=key, step=step, important=important, escalated=escalated, confidential=True)
    push = {} if chain(key)[step].decides_push else None
    assert answer(decide(f, REVIEWER, True, approve(escalate=escalate, push=push))) == expected
    cleared = replace(f, confidential=False)
    assert answer(decide(cleared, REVIEWER, True, approve(escalate=escalate, push=push))) == (
        final(escalated or escalate) if expected == C5 else expected)


def test_push_choice_is_asked_before_the_confidential_block():
    f = flow(step=SUP, confidential=True, push_channels=(WECHAT_A,), push_remaining={WECHAT_A: 1})
    assert answer(decide(f, REVIEWER, True, approve())) == c18(WECHAT_A)
    assert answer(decide(f, REVIEWER, True, approve(push={WECHAT_A: True}))) == C5


# --- submit_refusal() ----------------------------------------------------------------------------

W1, W2 = "lead_time", "format.font"


@pytest.mark.parametrize("status", ["in_review", "approved", "scheduled", "published", "withdrawn"])
@pytest.mark.parametrize("errors, warnings, reasons", [
    ([], [], {}),
    (["words.forbidden"], [W1], {}),
])
def test_submit_from_a_state_that_cannot_be_submitted(status, errors, warnings, reasons):
    assert answer(submit_refusal(status, errors, warnings, reasons)) == WRONG_STATE


@pytest.mark.parametrize("status", ["draft", "rejected"])
@pytest.mark.parametrize("errors, warnings, reasons, expected", [
    ([], [], {}, None),
    ([], [W1], {W1: "The launch was moved up."}, None),
    ([], [W1, W2], {W1: "Moved up.", W2: "Brand font."}, None),
    ([], [], {"anything": ""}, None),
    (["words.forbidden"], [], {}, refusal("checks", 422, {"findings": ["words.forbidden"]})),
    (["source.missing", "words.forbidden"], [W1], {W1: "Moved up."},
     refusal("checks", 422, {"findings": ["source.missing", "words.forbidden"]})),
    (["source.missing"], [W1], {}, refusal("checks", 422, {"findings": ["source.missing"]})),
    ([], [W1], {}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1, W2], {}, refusal("reasons", 422, {"findings": [W1, W2]})),
    ([], [W1, W2], {W1: "Moved up."}, refusal("reasons", 422, {"findings": [W2]})),
    ([], [W1, W2], {W2: "Brand font."}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1], {W1: ""}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1], {W1: "   "}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1], {W1: "\n\t"}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1], {W1: None}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1], {W2: "a reason for another warning"}, refusal("reasons", 422, {"findings": [W1]})),
    ([], [W1, W2], {W1: " ", W2: "ok"}, refusal("reasons", 422, {"findings": [W1]})),
])
def test_submit(status, errors, warnings, reasons, expected):
    result = submit_refusal(status, errors, warnings, reasons)
    assert (answer(result) if result else None) == expected


def test_submit_findings_are_a_copy():
    errors = ["words.forbidden"]
    result = submit_refusal("draft", errors, [], {})
    errors.append("later")
    assert result.params == {"findings": ["words.forbidden"]}


# --- edit_effect() -------------------------------------------------------------------------------

FORBIDDEN = refusal("forbidden", 403)
# editor kind → (assigned to the current step, on the author's side)
EDITORS = {
    "assigned": (True, False),
    "author_side": (False, True),
    "other": (False, False),
}


@pytest.mark.parametrize("status, step, kind, expected", [
    ("draft", None, "assigned", FORBIDDEN),
    ("draft", None, "author_side", "none"),
    ("draft", None, "other", FORBIDDEN),
    ("rejected", None, "assigned", FORBIDDEN),
    ("rejected", None, "author_side", "none"),
    ("rejected", None, "other", FORBIDDEN),
    ("in_review", EDITOR, "assigned", "continue"),       # the editor's edit is the step's work
    ("in_review", PROOF, "assigned", "continue"),
    ("in_review", EDITOR, "author_side", "restart"),
    ("in_review", EDITOR, "other", FORBIDDEN),
    ("in_review", DH, "assigned", FORBIDDEN),            # a normal step's holder reviews, not edits
    ("in_review", LEADER, "assigned", FORBIDDEN),
    ("in_review", SUP, "assigned", FORBIDDEN),
    ("in_review", CHIEF, "assigned", FORBIDDEN),
    ("in_review", LEADER, "author_side", "restart"),
    ("in_review", LEADER, "other", FORBIDDEN),
    ("in_review", None, "assigned", FORBIDDEN),
    ("in_review", None, "author_side", "restart"),
    ("approved", None, "assigned", FORBIDDEN),
    ("approved", None, "author_side", "restart"),
    ("approved", None, "other", FORBIDDEN),
    ("approved", EDITOR, "assigned", FORBIDDEN),         # the chain is over: no may-edit step runs
    ("scheduled", None, "assigned", FORBIDDEN),
    ("scheduled", None, "author_side", FORBIDDEN),
    ("scheduled", None, "other", FORBIDDEN),
    ("published", None, "assigned", FORBIDDEN),
    ("published", None, "author_side", FORBIDDEN),
    ("published", None, "other", FORBIDDEN),
    ("withdrawn", None, "author_side", FORBIDDEN),
    ("withdrawn", None, "other", FORBIDDEN),
])
def test_edit_effect(status, step, kind, expected):
    assigned, author_side = EDITORS[kind]
    assert answer(edit_effect(flow(status, step=step), assigned, author_side)) == expected


# --- withdraw_refusal() --------------------------------------------------------------------------

@pytest.mark.parametrize("status, author_side, expected", [
    ("in_review", True, None),
    ("approved", True, None),
    ("draft", True, WRONG_STATE),
    ("rejected", True, WRONG_STATE),
    ("scheduled", True, WRONG_STATE),
    ("published", True, WRONG_STATE),
    ("withdrawn", True, WRONG_STATE),
    *[(s, False, FORBIDDEN) for s in
      ("draft", "in_review", "rejected", "approved", "scheduled", "published", "withdrawn")],
])
def test_withdraw(status, author_side, expected):
    result = withdraw_refusal(status, author_side)
    assert (answer(result) if result else None) == expected


# --- route(): who holds a step -------------------------------------------------------------------

HEAD, HEAD2, DEPUTY, DEPUTY2, UP, UP2 = 10, 11, 20, 21, 30, 31


@pytest.mark.parametrize("holders, excluded, deputies, up_holders, expected", [
    ([HEAD], set(), {}, [UP], ([HEAD], "role")),
    ([HEAD, HEAD2], set(), {}, [UP], ([HEAD, HEAD2], "role")),
    ([HEAD, HEAD2], {HEAD}, {HEAD: DEPUTY}, [UP], ([HEAD2], "role")),     # another holder first
    ([HEAD, HEAD2], {AUTHOR, WRITER}, {}, [], ([HEAD, HEAD2], "role")),
    ([HEAD], {HEAD}, {HEAD: DEPUTY}, [UP], ([DEPUTY], "deputy")),          # the author holds it
    ([HEAD, HEAD2], {HEAD, HEAD2}, {HEAD: DEPUTY, HEAD2: DEPUTY2}, [UP], ([DEPUTY, DEPUTY2], "deputy")),
    ([HEAD, HEAD2], {HEAD, HEAD2}, {HEAD: DEPUTY, HEAD2: DEPUTY}, [UP], ([DEPUTY], "deputy")),
    ([HEAD, HEAD2], {HEAD, HEAD2}, {HEAD: HEAD2, HEAD2: HEAD}, [UP], ([UP], "next_level")),
    ([HEAD, HEAD2], {HEAD, HEAD2, DEPUTY}, {HEAD: DEPUTY, HEAD2: DEPUTY2}, [UP], ([DEPUTY2], "deputy")),
    ([HEAD], {HEAD, DEPUTY}, {HEAD: DEPUTY}, [UP], ([UP], "next_level")),  # deputy wrote the revision
    ([HEAD], {HEAD}, {HEAD: None}, [UP, UP2], ([UP, UP2], "next_level")),
    ([HEAD], {HEAD}, {}, [UP], ([UP], "next_level")),
    ([], set(), {}, [UP], ([UP], "next_level")),                            # nobody holds the role
    ([HEAD], {HEAD, UP}, {}, [UP, UP2], ([UP2], "next_level")),
    ([HEAD], {HEAD, DEPUTY, UP}, {HEAD: DEPUTY}, [UP], ([], "unassigned")),
    ([HEAD], {HEAD}, {}, [], ([], "unassigned")),
    ([], set(), {}, [], ([], "unassigned")),
])
def test_route(holders, excluded, deputies, up_holders, expected):
    assert route(holders, excluded, deputies, up_holders) == expected


# --- with_delegates() ----------------------------------------------------------------------------

@pytest.mark.parametrize("assignees, delegations, expected", [
    ([], {}, []),
    ([], {HEAD: DEPUTY}, []),
    ([HEAD], {}, [HEAD]),
    ([HEAD, HEAD2], {HEAD: DEPUTY}, [HEAD, HEAD2, DEPUTY]),
    ([HEAD, HEAD2], {HEAD2: DEPUTY2, HEAD: DEPUTY}, [HEAD, HEAD2, DEPUTY, DEPUTY2]),   # in assignee order
    ([HEAD, HEAD2], {HEAD: DEPUTY, HEAD2: DEPUTY}, [HEAD, HEAD2, DEPUTY]),
    ([HEAD, HEAD2], {HEAD: HEAD2}, [HEAD, HEAD2]),
    ([HEAD], {UP: DEPUTY}, [HEAD]),                       # someone else's delegation
    ([HEAD], {HEAD: DEPUTY, DEPUTY: DEPUTY2}, [HEAD, DEPUTY]),   # not passed on again
])
def test_with_delegates(assignees, delegations, expected):
    before = list(assignees)
    assert with_delegates(assignees, delegations) == expected
    assert assignees == before


# --- time (C8) -----------------------------------------------------------------------------------

APPROVED = date(2026, 3, 11)


@pytest.mark.parametrize("planned, expected", [
    (date(2026, 3, 9), APPROVED),
    (date(2025, 12, 31), APPROVED),
    (APPROVED, APPROVED),
    (date(2026, 3, 12), date(2026, 3, 12)),
    (date(2026, 4, 1), date(2026, 4, 1)),
    (None, APPROVED),
])
def test_approval_day(planned, expected):
    assert approval_day(APPROVED, planned) == expected


DUE = datetime(2026, 3, 11, 17, 30)


@pytest.mark.parametrize("due_at, now, expected", [
    (None, DUE, False),
    (None, DUE + timedelta(days=30), False),
    (DUE, DUE - timedelta(hours=1), False),
    (DUE, DUE - timedelta(microseconds=1), False),
    (DUE, DUE, False),
    (DUE, DUE + timedelta(microseconds=1), True),
    (DUE, DUE + timedelta(days=1), True),
])
def test_is_overdue(due_at, now, expected):
    assert is_overdue(due_at, now) is expected


# --- diff_base(): what a reviewer compares against -----------------------------------------------

ME = 99


def sig(step: int, revision: int, decision: str = "approve", stale: bool = False, by: int | None = None):
    """A signature at `step` by that step's usual reviewer (100 + step) unless `by` says otherwise."""
    return Signature(100 + step if by is None else by, step, revision, decision, stale)


@pytest.mark.parametrize("signatures, step, expected", [
    ([], SUP, None),
    ([], None, None),
    # my own approval in a stale round wins over this round's earlier steps
    ([sig(SUP, 3, stale=True, by=ME), sig(DH, 5), sig(LEADER, 6)], SUP, 3),
    ([sig(DH, 2, stale=True), sig(SUP, 3, stale=True, by=ME), sig(DH, 5)], SUP, 3),
    ([sig(SUP, 3, stale=True, by=ME), sig(SUP, 8, by=ME)], SUP, 8),                  # my latest
    # my rejections are no base: fall back to this round's earlier steps
    ([sig(SUP, 3, "reject", stale=True, by=ME), sig(DH, 5), sig(LEADER, 6)], SUP, 6),
    ([sig(SUP, 3, "reject", by=ME)], SUP, None),
    # otherwise the latest non-stale approval of an earlier step
    ([sig(DH, 5), sig(LEADER, 6), sig(EDITOR, 8)], PROOF, 8),
    ([sig(DH, 5), sig(LEADER, 6), sig(EDITOR, 8)], EDITOR, 6),
    ([sig(DH, 5), sig(LEADER, 6, "reject")], EDITOR, 5),                          # rejections ignored
    ([sig(DH, 2, stale=True), sig(LEADER, 2, stale=True)], EDITOR, None),          # stale ignored
    ([sig(DH, 2, stale=True), sig(DH, 4)], LEADER, 4),
    ([sig(DH, 5), sig(PROOF, 9)], EDITOR, 5),                                      # later steps ignored
    ([sig(DH, 5), sig(EDITOR, 9)], EDITOR, 5),                                     # the same step too
    ([sig(DH, 5)], DH, None),
    ([sig(DH, 5), sig(SUP, 9)], None, 9),                                          # no step: any step
    ([sig(DH, 5), sig(SUP, 9, stale=True)], None, 5),
])
def test_diff_base(signatures, step, expected):
    assert diff_base(signatures, ME, step) == expected


# --- validate_steps(): an administrator's template edit ------------------------------------------

MSG_ROLE = "Choose a reviewing role."
MSG_SCOPE = "This role is not held for that scope."
MSG_HOURS = "The time allowed is between 0.5 and 45 working hours."
MSG_EDIT = "Only editors and proofreaders edit as their step's work."
MSG_EMPTY = "A chain needs at least one step (C4)."
MSG_MAX = "A chain has at most 12 steps."
MSG_ALWAYS = "At least one step must always apply (C4)."
MSG_PUSH = "Only one step decides whether to push (C18)."
MSG_PUSH_COND = "The push decision is made on every post: that step cannot be conditional (C18)."
MSG_ESC_CHAIN = "A step that may escalate needs a conditional step to escalate to."
MSG_ESC_STEP = "Escalation goes to a later conditional step."

ROLES = ["department_head", "leader", "editor", "proofreader", "supervisor", "chief"]
SCOPE_NAMES = ["author_department", "leader_of_department", "office", "channel", "company"]
HELD = {("department_head", "author_department"), ("leader", "leader_of_department"),
        ("editor", "office"), ("proofreader", "office"), ("supervisor", "channel"),
        ("supervisor", "company"), ("chief", "company")}
HOME = {"department_head": "author_department", "leader": "leader_of_department", "editor": "office",
        "proofreader": "office", "supervisor": "channel", "chief": "company"}


def raw(role, scope=None, **flags) -> dict:
    return {"role": role, "scope": scope if scope is not None else HOME.get(role, "office"), **flags}


HEAD_STEP = raw("department_head")
TOP_STEP = raw("chief", conditional=True)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_shipped_template_round_trips_and_validates(key):
    steps = chain(key)
    dicts = [s.to_dict() for s in steps]
    assert tuple(Step.from_dict(d) for d in dicts) == steps
    assert validate_steps(dicts) == (steps, {})


def test_from_dict_ignores_unknown_keys_and_defaults_the_rest():
    assert Step.from_dict({"role": "editor", "scope": "office", "colour": "red"}) == Step("editor", "office")
    assert Step("editor", "office").to_dict() == {
        "role": "editor", "scope": "office", "may_edit": False, "decides_push": False,
        "may_escalate": False, "conditional": False, "due_hours": 4.0}


@pytest.mark.parametrize("role, scope", list(product(ROLES, SCOPE_NAMES + ["moon", None])))
def test_role_scope_table(role, scope):
    parsed, errors = validate_steps([{"role": role, "scope": scope}])
    if (role, scope) in HELD:
        assert (parsed, errors) == ((Step(role, scope),), {})
    else:
        assert (parsed, errors) == ((), {0: [MSG_SCOPE]})


@pytest.mark.parametrize("step", [
    {"role": "janitor", "scope": "office"},
    {"role": "contributor", "scope": "author_department"},   # drafts, does not review
    {"role": "account_admin", "scope": "channel"},           # publishes, is not a chain step
    {"role": "", "scope": "office"},
    {"role": None, "scope": "office"},
    {"scope": "office"},
    {},
])
def test_unknown_role(step):
    assert validate_steps([HEAD_STEP, step]) == ((Step("department_head", "author_department"),),
                                                 {1: [MSG_ROLE]})


@pytest.mark.parametrize("hours, expected", [
    (0.5, 0.5),
    (45, 45.0),
    (4, 4.0),
    ("4.5", 4.5),
    ("45", 45.0),
    (0.49, MSG_HOURS),
    (45.01, MSG_HOURS),
    (0, MSG_HOURS),
    (-4, MSG_HOURS),
    ("abc", MSG_HOURS),
    ("", MSG_HOURS),
    (None, MSG_HOURS),
    ([4], MSG_HOURS),
    ("nan", MSG_HOURS),
    ("inf", MSG_HOURS),
])
def test_due_hours(hours, expected):
    parsed, errors = validate_steps([raw("editor", due_hours=hours)])
    if expected == MSG_HOURS:
        assert (parsed, errors) == ((), {0: [MSG_HOURS]})
    else:
        assert (parsed, errors) == ((Step("editor", "office", due_hours=expected),), {})


def test_due_hours_default_to_four():
    assert validate_steps([raw("editor")]) == ((Step("editor", "office", due_hours=4.0),), {})


@pytest.mark.parametrize("role, expected", [
    ("editor", {}),
    ("proofreader", {}),
    ("department_head", {0: [MSG_EDIT]}),
    ("leader", {0: [MSG_EDIT]}),
    ("supervisor", {0: [MSG_EDIT]}),
    ("chief", {0: [MSG_EDIT]}),
])
def test_may_edit_only_for_editing_roles(role, expected):
    parsed, errors = validate_steps([raw(role, may_edit=True)])
    assert errors == expected
    assert parsed == (() if expected else (Step(role, HOME[role], may_edit=True),))


def test_flags_become_booleans():
    parsed, errors = validate_steps([raw("proofreader", may_edit=1), raw("supervisor", decides_push="yes",
                                     may_escalate=1), raw("chief", conditional=1, due_hours="8")])
    assert errors == {}
    assert parsed == (Step("proofreader", "office", may_edit=True),
                      Step("supervisor", "channel", decides_push=True, may_escalate=True),
                      Step("chief", "company", conditional=True, due_hours=8.0))


def steps_n(n: int) -> list[dict]:
    return [raw("editor") for _ in range(n)]


@pytest.mark.parametrize("steps, expected", [
    ([], {-1: [MSG_EMPTY]}),
    ([TOP_STEP], {-1: [MSG_ALWAYS]}),
    ([TOP_STEP, raw("department_head", conditional=True)], {-1: [MSG_ALWAYS]}),
    ([HEAD_STEP, TOP_STEP], {}),
    ([raw("department_head", decides_push=True), raw("chief", decides_push=True)], {-1: [MSG_PUSH]}),
    ([raw("supervisor", decides_push=True), raw("supervisor", "company", decides_push=True), TOP_STEP],
     {-1: [MSG_PUSH]}),
    ([raw("chief", conditional=True, decides_push=True)] * 2,
     {0: [MSG_PUSH_COND], 1: [MSG_PUSH_COND], -1: [MSG_ALWAYS, MSG_PUSH]}),
    ([HEAD_STEP, raw("chief", conditional=True, decides_push=True)], {1: [MSG_PUSH_COND]}),
    # escalation with no conditional step at all: the step and the chain say so
    ([HEAD_STEP, raw("supervisor", may_escalate=True)], {1: [MSG_ESC_STEP], -1: [MSG_ESC_CHAIN]}),
    # a conditional step only before the escalating one
    ([HEAD_STEP, TOP_STEP, raw("supervisor", may_escalate=True)], {2: [MSG_ESC_STEP]}),
    ([raw("supervisor", may_escalate=True), TOP_STEP, raw("supervisor", may_escalate=True)], {2: [MSG_ESC_STEP]}),
    ([raw("supervisor", may_escalate=True), TOP_STEP], {}),
    (steps_n(12), {}),
    (steps_n(13), {-1: [MSG_MAX]}),
    (steps_n(3) + [raw("janitor")] + steps_n(9), {3: [MSG_ROLE], -1: [MSG_MAX]}),
    # the chain-wide rules wait until every step is right
    ([TOP_STEP, raw("janitor")], {1: [MSG_ROLE]}),
    ([raw("supervisor", may_escalate=True), raw("editor", "company")], {1: [MSG_SCOPE]}),
    # every finding under its own step
    ([raw("janitor", due_hours=99, may_edit=True)], {0: [MSG_ROLE, MSG_HOURS, MSG_EDIT]}),
    ([raw("leader", "office", due_hours="x")], {0: [MSG_SCOPE, MSG_HOURS]}),
    ([HEAD_STEP, raw("editor", "channel"), raw("leader", due_hours="soon"),
      raw("department_head", may_edit=True), TOP_STEP],
     {1: [MSG_SCOPE], 2: [MSG_HOURS], 3: [MSG_EDIT]}),
])
def test_validate_steps_errors(steps, expected):
    assert validate_steps(steps)[1] == expected


def test_parsed_steps_leave_out_the_wrong_ones():
    parsed, errors = validate_steps([HEAD_STEP, raw("editor", "channel"), TOP_STEP])
    assert errors == {1: [MSG_SCOPE]}
    assert parsed == (Step("department_head", "author_department"), Step("chief", "company", conditional=True))


@pytest.mark.parametrize("allowed, period, today, month, left", [
    (1, "day", 0, 5, 1),      # a subscription account: once a day, whatever the month holds
    (1, "day", 1, 5, 0),
    (4, "month", 1, 3, 1),    # a service account: four a calendar month
    (4, "month", 0, 4, 0),
    (4, "month", 0, 6, 0),    # never negative
])
def test_pushes_left(allowed, period, today, month, left):  # policy C18
    from cms.workflow.engine import pushes_left

    assert pushes_left(allowed, period, today, month) == left


@pytest.mark.parametrize("important,escalated,index,expected", [
    (False, False, 4, {"n": 5, "total": 5, "optional": [5]}),   # the top leader's step is optional
    (True, False, 4, {"n": 5, "total": 6, "optional": []}),     # an important post: it applies
    (False, True, 5, {"n": 6, "total": 6, "optional": []}),     # escalated at the supervisor's step
    (False, False, 5, {"n": None, "total": 5, "optional": [5]}),
    (False, False, None, {"n": None, "total": 5, "optional": [5]}),
])
def test_chain_position_counts_only_the_steps_that_apply(important, escalated, index, expected):  # issue 19
    from cms.workflow.engine import chain_position

    assert chain_position(TEMPLATES["full"][1], index, important, escalated) == expected
