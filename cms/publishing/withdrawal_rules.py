"""Withdrawing or correcting a published post: the pure rules (no Flask, no database; plain data in,
a Refusal or an answer out). cms.publishing.withdrawals gathers the facts, asks these, and writes.

No seed document names withdrawal; the product's rule is DESIGN.md's ("account_admin ... withdraw
with the supervisor's approval") read with the nearest policies: the platform supervisor approves
what the account administrator then does to the published record (C7), the request and every step
are evidence (U7: a reason is required), a corrected revision passes its review chain again before
it goes out (C4), and the archive keeps every version (C13).

Four eyes: nobody decides on a request they made, and nobody on a request about a post they wrote
(as nobody decides on their own post in the review chain, C7). A supervisor's own request waits
for another supervisor of its channels."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


def N_(message: str) -> str:  # marks a msgid for extraction; the service translates it
    return message


KINDS = ("withdraw", "correct")
OPEN_STATES = ("pending", "approved", "failed")  # one open request per post at a time
REASON_MAX = 2000
NOTE_MAX = 2000
# A request left "approved" (being carried out) this long was interrupted (the process died between
# two channels): it may be retried like a failed one. Platform calls time out far sooner.
STUCK_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Refusal:
    code: str  # a policy ID where a rule refused, else a short word (API.md)
    message: str  # an English msgid, translated by the caller
    status: int = 422
    field: str | None = None  # the form field it names
    params: dict | None = None  # extra facts for the API's answer


def targets(chosen: list[int] | None, published: set[int]) -> list[int]:
    """The channels a request takes the post off: those chosen, or every one it is published on."""
    return sorted(set(chosen)) if chosen else sorted(published)


def request_refusal(*, kind: str, reason: str, post_status: str, published: set[int], in_flight: set[int],
                    chosen: list[int] | None, allowed: set[int], open_request: bool) -> Refusal | None:
    """May this request be filed? `published`: channels whose latest publication is out;
    `in_flight`: channels still being published; `allowed`: channels of the post the requester
    may withdraw from (their account administrator, or a platform supervisor)."""
    if not allowed:
        return Refusal("forbidden", N_("Only the account administrator of the post's channels, or the platform "
                                       "supervisor, asks to withdraw or correct it."), 403)
    if kind not in KINDS:
        return Refusal("invalid", N_("Choose whether to withdraw the post or correct it."), 400, "kind")
    if not (reason or "").strip():
        return Refusal("U7", N_("Give the reason: it is kept with the request as evidence (U7)."), 422, "reason")
    if len(reason.strip()) > REASON_MAX:
        return Refusal("invalid", N_("The reason is too long."), 422, "reason")
    if open_request:
        return Refusal("conflict", N_("This post already has an open withdrawal request: it must be decided and "
                                      "carried out first."), 409)
    if in_flight:
        return Refusal("conflict", N_("Some of this post's publications are still going out: withdraw it once "
                                      "they are published or failed."), 409)
    if post_status != "published" or not published:
        return Refusal("conflict", N_("Only a published post is withdrawn or corrected."), 409)
    unknown = set(chosen or ()) - published
    if unknown:
        return Refusal("invalid", N_("The post is not published on some of the channels chosen."), 422, "channels",
                       {"channels": sorted(unknown)})
    wanted = targets(chosen, published)
    if kind == "correct" and set(wanted) != published:
        return Refusal("C4", N_("A correction takes the post off every channel it is published on: the corrected "
                                "revision passes its review chain again and goes out on all of them (C4)."),
                       422, "channels")
    if set(wanted) - allowed:
        return Refusal("forbidden", N_("You may not withdraw the post from some of these channels: only their "
                                       "account administrator or the platform supervisor may."), 403, "channels",
                       {"channels": sorted(set(wanted) - allowed)})
    return None


def decision_refusal(*, may_decide: bool, state: str, approve: bool, note: str, user_id: int,
                     requester_id: int | None, author_id: int | None) -> Refusal | None:
    """May this user decide the request now? `may_decide`: a platform supervisor of every channel
    the request names."""
    if not may_decide:
        return Refusal("forbidden", N_("Only the platform supervisor of the request's channels approves or rejects "
                                       "it (C7)."), 403)
    if state != "pending":
        return Refusal("conflict", N_("This request has been decided already."), 409)
    if user_id == requester_id:
        return Refusal("own_request", N_("Nobody decides on their own request: another platform supervisor "
                                         "decides it (four eyes, C7)."), 403)
    if user_id == author_id:
        return Refusal("own_post", N_("Nobody decides on the withdrawal of a post they wrote: another platform "
                                      "supervisor decides it (C7)."), 403)
    if not approve and not (note or "").strip():
        return Refusal("invalid", N_("Say why the request is rejected."), 422, "note")
    if len((note or "").strip()) > NOTE_MAX:
        return Refusal("invalid", N_("The note is too long."), 422, "note")
    return None


def retry_refusal(*, may_retry: bool, state: str, decided_at: datetime | None, now: datetime) -> Refusal | None:
    """A failed request (or one interrupted while being carried out) is tried again on the channels
    not yet done; the supervisor's approval stands."""
    if not may_retry:
        return Refusal("forbidden", N_("Only the requester's side (the channels' account administrator) or the "
                                       "platform supervisor retries a withdrawal."), 403)
    if state == "failed" or (state == "approved" and decided_at is not None and now - decided_at > STUCK_AFTER):
        return None
    return Refusal("conflict", N_("Only a failed withdrawal is tried again."), 409)


def post_status_after(kind: str, still_published: bool) -> str | None:
    """The post's status once a request is carried out: unchanged while it is still out somewhere;
    `withdrawn` when nothing of it is published any more; a correction goes back to the author's
    side as a draft, to pass its review chain again (C4)."""
    if still_published:
        return None
    return "draft" if kind == "correct" else "withdrawn"
