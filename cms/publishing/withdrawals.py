"""Withdrawing or correcting a published post (issue #6; DESIGN.md: the account administrator
"withdraws with the supervisor's approval"). The rules are in withdrawal_rules (pure); this module
gathers the facts, asks them, writes the answer with its audit entries (U7) and owns the
transaction.

    request(user, post, kind, reason, channel_ids=None) -> Withdrawal   pending; the supervisors are told
    decide(user, withdrawal, approve, note) -> Withdrawal               approved: carried out at once
    retry(user, withdrawal) -> Withdrawal                               a failed one: the channels not done
    get_withdrawal(id) / for_post(post) / open_for(post) / channel_states(w)
    waiting_for(user) / failed_of(user) / to_correct(user)        what waits for whom
    may_request_channels(user, post) / may_decide(user, w) / may_decide_now(user, w) / may_retry(user, w)

Carrying out, per channel (the latest publication still `published`): the adapter's `withdraw`
(WeChat `freepublish/delete` or `message/mass/delete` for the article's place; Toutiao: looks
whether it was deleted by hand; website: the page answers 410), called with nothing uncommitted in
the session (SQLite: the token storage writes on its own connection). Each success commits at once
with the publication's new state (`withdrawn`, audited), its archive record (`withdrawn`, or
`corrected` for a correction: the archive keeps that version and, once re-published, the next,
C13). A refusal fails the request with the platform's reason in Chinese; a retry calls only the
channels not done. When nothing of the post is published any more, the post is `withdrawn`; a
correction goes back to the author's side as a draft and through its review chain again (C4), and
scheduling it then makes a new generation per channel (a new WeChat draft via draft/add)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from cms import workdays
from cms.audit.service import record
from cms.auth.models import User, users_with_role
from cms.channels.models import ACTIVE_STATES, Channel, Publication
from cms.content.models import Post, Revision
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.publishing import policy
from cms.publishing import withdrawal_rules as rules
from cms.publishing.channels import adapter_for
from cms.publishing.channels.base import PlatformError
from cms.publishing.job import Job
from cms.publishing.models import Withdrawal
from cms.publishing.queries import publications_for
from cms.publishing.states import set_state
from cms.transactions import operation

REQUEST = "publish.request_withdraw"
APPROVE = "publish.approve_withdraw"


class WithdrawJob(Job):
    """The publishing Job (job.py) for an adapter's `withdraw`: the publication it takes down. No worker lease
    is held (a published publication is final: the worker never touches it), so saving is a plain
    commit; `calling()` (inherited) commits before every platform call."""

    def __init__(self, pub: Publication):  # no revision or article: a withdrawal sends nothing
        self.publication = pub
        self.owner = "withdrawal"
        self.channel = pub.channel
        self.post = pub.post

    def _commit(self) -> None:
        self.publication.updated_at = workdays.now()
        db.session.commit()


def _refuse(r: rules.Refusal):
    cls = Conflict if r.status == 409 else Refused
    message = _(r.message)
    raise cls(message, code=r.code, status=r.status, fields={r.field: [message]} if r.field else {},
              extra=dict(r.params or {}))


# --- reading -------------------------------------------------------------------------------------

def get_withdrawal(withdrawal_id: int) -> Withdrawal:
    w = db.session.get(Withdrawal, withdrawal_id) if 0 < withdrawal_id < 2**63 else None
    if w is None:
        raise NotFound(_("No such withdrawal request."), code="not_found")
    return w


def for_post(post: Post) -> list[Withdrawal]:
    """The post's requests, newest first."""
    return list(db.session.scalars(select(Withdrawal).where(Withdrawal.post_id == post.id)
                                   .order_by(Withdrawal.id.desc())))


def open_for(post: Post) -> Withdrawal | None:
    """The post's open request (pending, being carried out, or failed and awaiting a retry)."""
    return db.session.scalar(select(Withdrawal).where(Withdrawal.post_id == post.id,
                                                      Withdrawal.state.in_(rules.OPEN_STATES))
                             .order_by(Withdrawal.id.desc()).limit(1))


def may_request_channels(user, post: Post) -> set[int]:
    """The post's channels this user may ask to withdraw it from: its account administrator (global
    or of that channel), or a platform supervisor (likewise)."""
    return policy.withdrawable_channels(user, post)


def may_decide(user, w: Withdrawal) -> bool:
    """A platform supervisor of every channel the request names (the four-eyes rule is asked apart)."""
    return policy.withdrawal_policy.can_decide(user, w)


def may_decide_now(user, w: Withdrawal) -> bool:
    return rules.decision_refusal(may_decide=may_decide(user, w), state=w.state, approve=True, note="",
                                  user_id=user.id, requester_id=w.requested_by_id,
                                  author_id=w.post.created_by_id) is None


def may_retry(user, w: Withdrawal) -> bool:
    return policy.withdrawal_policy.can_retry(user, w)


def may_retry_now(user, w: Withdrawal) -> bool:
    return rules.retry_refusal(may_retry=may_retry(user, w), state=w.state, decided_at=w.decided_at,
                               now=workdays.now()) is None


def waiting_for(user) -> list[Withdrawal]:
    """Pending requests this supervisor may decide (not their own, not on their own post)."""
    if not user.holds(APPROVE):  # whether to look at all; may_decide_now asks each request's channels
        return []
    pending = db.session.scalars(select(Withdrawal).where(Withdrawal.state == "pending")
                                 .order_by(Withdrawal.requested_at, Withdrawal.id)).all()
    return [w for w in pending if may_decide_now(user, w)]


def to_correct(user) -> list[Withdrawal]:
    """Posts of this author taken down for correction and not yet submitted again."""
    return list(db.session.scalars(select(Withdrawal).join(Post, Post.id == Withdrawal.post_id).where(
        Withdrawal.kind == "correct", Withdrawal.state == "done", Post.created_by_id == user.id,
        Post.status == "draft").order_by(Withdrawal.done_at.desc())))


def failed_of(user) -> list[Withdrawal]:
    """This user's requests that failed and wait for a retry."""
    return list(db.session.scalars(select(Withdrawal).where(Withdrawal.state == "failed",
                                                            Withdrawal.requested_by_id == user.id)
                                   .order_by(Withdrawal.id)))


def deciders(w: Withdrawal) -> list[User]:
    """Who may decide the request: the supervisors of its channels but the requester and the author."""
    return [u for u in users_with_role("supervisor") if may_decide_now(u, w)]


def channel_states(w: Withdrawal) -> list[dict]:
    """Per channel the request names: the channel and the publication it concerns (the one it took
    down, else the channel's latest)."""
    pubs = db.session.scalars(select(Publication).where(Publication.post_id == w.post_id)
                              .order_by(Publication.generation.desc())).all()
    out = []
    for cid in w.channel_ids:
        mine = [p for p in pubs if p.channel_id == cid]
        touched = next((p for p in mine if (p.progress or {}).get("withdraw", {}).get("withdrawal") == w.id), None)
        pub = touched or (mine[0] if mine else None)
        out.append({"channel": db.session.get(Channel, cid), "publication": pub,
                    "state": pub.state if pub is not None else None,
                    "step": ((pub.progress or {}).get("withdraw", {}).get("state") if touched else None)})
    return out


def _user_json(u: User | None) -> str | None:
    return u.username if u is not None else None


def _facts(w: Withdrawal) -> dict:
    return {"post": w.post_id, "kind": w.kind, "reason": w.reason, "channels": list(w.channel_ids),
            "state": w.state}


def _notify(users, kind: str, text: str, post: Post) -> None:
    from cms.notify import service as notify

    users = [u for u in users if u is not None]
    if users:
        notify.notify(users, kind, text, f"/posts/{post.id}/withdrawals", post=post)


def kind_label(kind: str) -> str:
    return _("withdraw") if kind == "withdraw" else _("correct")


# --- requesting ----------------------------------------------------------------------------------

def _parse_channels(raw) -> list[int] | None:
    if raw in (None, "", []):
        return None
    if not isinstance(raw, list | tuple) or not all(isinstance(c, int) and not isinstance(c, bool) for c in raw):
        raise Refused(_("channels is a list of channel ids."), code="invalid", status=400,
                      fields={"channels": [_("Wrong type.")]})
    return list(raw)


@operation
def request(user, post: Post, kind: str, reason: str, channel_ids=None) -> Withdrawal:
    """File a request to withdraw (or correct) the published post on `channel_ids` (default: every
    channel it is published on), with a reason. One open request per post at a time."""
    chosen = _parse_channels(channel_ids)
    reason = reason if isinstance(reason, str) else ""
    # Serialise requests for one post: this write takes the row (PostgreSQL) or the database
    # (SQLite) until the commit, so a second request sees the first.
    db.session.execute(update(Post).where(Post.id == post.id).values(updated_at=Post.updated_at)
                       .execution_options(synchronize_session=False))
    pubs = publications_for(post)
    published = {p.channel_id for p in pubs if p.state == "published"}
    refusal = rules.request_refusal(
        kind=kind if isinstance(kind, str) else "", reason=reason, post_status=post.status, published=published,
        in_flight={p.channel_id for p in pubs if p.state in ACTIVE_STATES},
        chosen=chosen, allowed=may_request_channels(user, post), open_request=open_for(post) is not None)
    if refusal is not None:
        db.session.rollback()
        _refuse(refusal)
    now = workdays.now()
    w = Withdrawal(post_id=post.id, kind=kind, reason=reason.strip(), channel_ids=rules.targets(chosen, published),
                   state="pending", requested_by_id=user.id, requested_at=now, decision_note="", last_error="")
    db.session.add(w)
    db.session.flush()
    record("withdrawal.requested", w, after=_facts(w), actor=user)
    _notify(deciders(w), "withdrawal_requested",
            _("%(who)s asks to %(kind)s 「%(title)s」: %(reason)s", who=user.real_name, kind=kind_label(w.kind),
              title=post.title, reason=w.reason[:200]), post)
    db.session.commit()
    return w


# --- deciding ------------------------------------------------------------------------------------

def _claim(w: Withdrawal, from_state: str, **values) -> None:
    """Move the request on only if it is still in `from_state` (two supervisors deciding at once,
    a double click): a conditional UPDATE decides, on SQLite and PostgreSQL alike."""
    done = db.session.execute(update(Withdrawal).where(Withdrawal.id == w.id, Withdrawal.state == from_state)
                              .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("Someone else acted on this request meanwhile: the page shows it as it is now."),
                       code="conflict")
    db.session.expire(w)


@operation
def decide(user, w: Withdrawal, approve: bool, note: str = "") -> Withdrawal:
    """The platform supervisor approves (it is carried out at once) or rejects (with a note)."""
    note = (note if isinstance(note, str) else "").strip()
    refusal = rules.decision_refusal(may_decide=may_decide(user, w), state=w.state, approve=bool(approve),
                                     note=note, user_id=user.id, requester_id=w.requested_by_id,
                                     author_id=w.post.created_by_id)
    if refusal is not None:
        _refuse(refusal)
    state = "approved" if approve else "rejected"
    _claim(w, "pending", state=state, decided_by_id=user.id, decided_at=workdays.now(), decision_note=note)
    record(f"withdrawal.{state}", w, before={"state": "pending"}, after={**_facts(w), "note": note}, actor=user)
    if not approve:
        _notify([w.requested_by], "withdrawal_rejected",
                _("%(who)s rejected the request to %(kind)s 「%(title)s」: %(note)s", who=user.real_name,
                  kind=kind_label(w.kind), title=w.post.title, note=note[:200]), w.post)
        db.session.commit()
        return w
    db.session.commit()
    return _carry_out(user, w)


@operation
def retry(user, w: Withdrawal) -> Withdrawal:
    """Carry out an approved request again after a failure: channels already done are skipped."""
    refusal = rules.retry_refusal(may_retry=may_retry(user, w), state=w.state, decided_at=w.decided_at,
                                  now=workdays.now())
    if refusal is not None:
        _refuse(refusal)
    before = w.state
    _claim(w, before, state="approved")
    record("withdrawal.retried", w, before={"state": before, "last_error": w.last_error or None},
           after=_facts(w), actor=user)
    db.session.commit()
    return _carry_out(user, w)


# --- carrying it out -----------------------------------------------------------------------------

def _mark(pub: Publication, w: Withdrawal, state: str) -> None:
    progress = dict(pub.progress or {})
    progress["withdraw"] = {"state": state, "at": workdays.now().isoformat(), "withdrawal": w.id}
    pub.progress = progress
    pub.updated_at = workdays.now()


def _archive_facts(w: Withdrawal) -> dict:
    def iso(dt):
        return dt.isoformat() if dt else None

    return {"id": w.id, "kind": w.kind, "reason": w.reason,
            "requested_by": _user_json(w.requested_by),
            "requested_by_name": w.requested_by.real_name if w.requested_by else None,
            "requested_at": iso(w.requested_at), "decided_by": _user_json(w.decided_by),
            "decided_by_name": w.decided_by.real_name if w.decided_by else None,
            "decided_at": iso(w.decided_at), "note": w.decision_note or ""}


def _withdraw_one(w: Withdrawal, pub: Publication) -> None:
    """One channel: marked under way (committed: a crash after the call leaves a trace), the
    platform call, then state, audit and archive record in one commit."""
    from cms.archive import service as archive

    _mark(pub, w, "started")
    db.session.commit()
    adapter_for(pub.channel).withdraw(WithdrawJob(pub))  # commits anything pending before calling out
    _mark(pub, w, "done")
    set_state(pub, "withdrawn", withdrawal=w.id, kind=w.kind)
    revision = db.session.scalar(select(Revision).where(Revision.post_id == pub.post_id,
                                                        Revision.number == pub.revision_number))
    archive.record(post=pub.post, revision=revision, channel=pub.channel,
                   action="corrected" if w.kind == "correct" else "withdrawn", remote_ids=pub.remote_ids(),
                   url=pub.url or "", push=pub.push, withdrawal=_archive_facts(w))
    db.session.commit()


def _carry_out(user, w: Withdrawal) -> Withdrawal:
    post = w.post
    latest = {p.channel_id: p for p in publications_for(post)}
    done, errors = [], []
    for cid in w.channel_ids:
        pub = latest.get(cid)
        if pub is None or pub.state != "published":
            continue  # withdrawn by an earlier try, or removed on the platform meanwhile: nothing to call
        try:
            _withdraw_one(w, pub)
        except PlatformError as e:
            db.session.rollback()
            _mark(pub, w, "refused")
            errors.append({"channel": cid, "name": pub.channel.name, "code": e.errcode, "message": e.message})
            db.session.commit()
        else:
            done.append(cid)
    now = workdays.now()
    if errors:
        w.state = "failed"
        w.last_error = "；".join(f"{e['name']}：{e['message']}" for e in errors)
        record("withdrawal.failed", w, before={"state": "approved"},
               after={**_facts(w), "withdrawn": done, "errors": errors}, actor=user)
        _notify([w.requested_by], "withdrawal_failed",
                _("The withdrawal of 「%(title)s」 failed: %(error)s", title=post.title, error=w.last_error[:300]),
                post)
        db.session.commit()
        return w
    w.state, w.done_at, w.last_error = "done", now, ""
    record("withdrawal.done", w, before={"state": "approved"}, after={**_facts(w), "withdrawn": done}, actor=user)
    still = any(p.state == "published" for p in publications_for(post))
    status = rules.post_status_after(w.kind, still)
    if status == "withdrawn":
        before = post.status
        post.status, post.updated_at = "withdrawn", now
        record("post.unpublished", post, before={"status": before},
               after={"status": "withdrawn", "withdrawal": w.id}, actor=user)
    elif status == "draft":
        from cms.workflow import service as workflow

        workflow.reopen_for_correction(user, post, w.reason, w.id)
    _notify([w.requested_by], "withdrawal_done",
            _("「%(title)s」 is taken down from %(channels)s.", title=post.title,
              channels="、".join(s["channel"].name for s in channel_states(w) if s["channel"] is not None)), post)
    db.session.commit()
    return w
