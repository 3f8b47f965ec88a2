"""多图文: several approved posts pushed to one WeChat channel as one message.

A subscription account pushes once a day (C18), so the account administrator bundles up to 8
approved posts of one channel, orders them (the first is the headline, the big card in the chat) and
pushes them together: one `draft/add` with every article, one `message/mass/sendall`, one push off
the quota. Each post keeps its own approvals and its own Publication (bundle_id, bundle_index), its
own images, cover and archive record.

    candidates(channel) -> [Post]            approved posts that may go in a bundle of the channel
    create(user, channel, post_ids, at=None, override_reason=None) -> Bundle
    dissolve(user, bundle)                   before it is sent: every member off the queue
    bundles_for(channel_ids, days) / members(bundle) / state(bundle)
    BundleJob                                the worker's job for a bundle (job.run_publication)

The worker claims only the headline (runner.RUNS_ITSELF); its run leases every member and drives
them through the adapter together. At send time a member whose post changed or was flagged
confidential is left out (C4 C5), the rest close ranks, and a draft made with it is made again."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from cms import workdays
from cms.audit.service import record
from cms.channels import policy as channels_policy
from cms.channels.models import ACTIVE_STATES, Bundle, Channel, Publication
from cms.content.models import Post, post_channel
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.publishing import rules
from cms.publishing.job import Job, LeaseLost, send_blocker
from cms.publishing.queries import approved_submission, pushes_used
from cms.publishing.scheduling import approved_for_sending, check_day, enqueue, queue_channel
from cms.publishing.states import finish_unsent, set_state, settle_post
from cms.transactions import operation

# Steps of the whole message, kept alike on every member; images and cover are each member's own.
BUNDLE_STEPS = ("draft", "publish", "push", "status", "cover_again", "history", "failed_step")
BUNDLE_FIELDS = ("draft_media_id", "publish_id", "article_id", "msg_id", "msg_data_id")


# --- choosing -----------------------------------------------------------------------------------

def get(bundle_id: int) -> Bundle:
    bundle = db.session.get(Bundle, bundle_id)
    if bundle is None:
        raise NotFound(_("No such bundle."), code="not_found")
    return bundle


def _latest(post: Post, channel: Channel) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.post_id == post.id,
                                                       Publication.channel_id == channel.id)
                             .order_by(Publication.generation.desc()).limit(1))


def _facts(post: Post, channel: Channel) -> dict:
    """What rules.bundle_problems needs to know of one post."""
    sub = approved_submission(post)
    latest = _latest(post, channel)
    return {
        "id": post.id, "title": post.current.title if post.current else "",
        "approved": post.status in ("approved", "scheduled") and sub is not None,
        "confidential": bool(post.confidential),
        "targets_channel": channel in post.channels,
        "push_chosen": bool(sub is not None and (sub.push or {}).get(str(channel.id))),
        "sent": latest is not None and latest.state in ("sending", "submitted", "published"),
        "other_bundle": latest is not None and latest.active and latest.bundle_id is not None,
    }


def candidates(channel: Channel) -> list[Post]:
    """The approved posts for this channel whose supervisor chose push (C18), not sent and not in
    another bundle: what the administrator picks from."""
    if channel.platform != "wechat":
        return []
    posts = db.session.scalars(select(Post).join(post_channel, post_channel.c.post_id == Post.id).where(
        post_channel.c.channel_id == channel.id, Post.status.in_(("approved", "scheduled")))
        .order_by(Post.updated_at.desc())).all()
    return [post for post in posts if not rules.bundle_problems(channel.platform, [_facts(post, channel)]).get(post.id)]


@operation
def create(user, channel: Channel, post_ids: list[int], at: datetime | None = None,
           override_reason: str | None = None) -> Bundle:
    """Bundle the posts, in this order (the first is the headline), for one push at `at` (default
    now) the same day (C8; a later day only by the supervisor with a reason). Refused, naming the
    post and the rule: not approved (C4), confidential (C5), push not chosen for this channel
    (C18), already sent or in another bundle, more than 8, or no push left this period (C18)."""
    if not channels_policy.can_publish_on(user, channel):
        raise Refused(_("Only the channel's account administrator bundles its posts."), code="forbidden", status=403)
    ids = [int(i) for i in post_ids]
    posts = [db.session.get(Post, i) for i in ids]
    missing = [str(i) for i, p in zip(ids, posts, strict=True) if p is None]
    if missing:
        raise NotFound(_("No such post: %(ids)s.", ids="、".join(missing)), code="not_found")
    problems = rules.bundle_problems(channel.platform, [_facts(p, channel) for p in posts])
    if problems:
        raise _refusal(problems, posts)
    if pushes_used(channel)["left"] <= 0:
        raise Refused(_("%(channel)s has no push left this period (C18): the bundle would be refused by WeChat.",
                        channel=channel.name), code="C18")
    subs = [approved_for_sending(p) for p in posts]
    times = [check_day(user, sub, at, override_reason, [channel]) for sub in subs]  # C8 on this channel
    at, reason = max(t for t, _r in times), times[0][1]
    bundle = Bundle(channel_id=channel.id, due_at=at, created_by_id=user.id, created_at=workdays.now())
    db.session.add(bundle)
    db.session.flush()
    for index, (post, sub) in enumerate(zip(posts, subs, strict=True)):
        queue_channel(user, post, sub, channel, at, reason, push=True, bundle=bundle, index=index)
        if post.status != "scheduled":
            before = post.status
            post.status = "scheduled"
            post.updated_at = workdays.now()
            record("post.scheduled", post, before={"status": before},
                   after={"status": "scheduled", "at": at.isoformat(), "bundle": bundle.id,
                          "channels": [channel.id]}, actor=user)
    record("bundle.created", ("bundle", bundle.id), actor=user,
           after={"channel": channel.id, "posts": ids, "headline": ids[0], "due_at": at.isoformat(),
                  "override_reason": reason or None})
    db.session.commit()
    enqueue(posts[0].id, at)
    return bundle


@operation
def dissolve(user, bundle: Bundle) -> None:
    """Take a bundle off the queue before it is sent: its members are cancelled (each post is
    approved still and may be scheduled or bundled again)."""
    if not channels_policy.can_publish_on(user, bundle.channel):
        raise Refused(_("Only the channel's account administrator bundles its posts."), code="forbidden", status=403)
    members = [p for p in bundle.publications if p.bundle_index is not None]
    if any(p.state != "scheduled" or p.lease_owner for p in members):
        raise Conflict(_("This bundle is being sent or has gone out: it can no longer be taken apart."),
                       code="conflict")
    for pub in members:
        pub.last_error = "多图文已拆散，未发出"
        set_state(pub, "cancelled", note="bundle dissolved")
        settle_post(pub.post)
    record("bundle.dissolved", ("bundle", bundle.id), actor=user,
           after={"channel": bundle.channel_id, "posts": [p.post_id for p in members]})
    db.session.commit()


def _refusal(problems: dict, posts: list[Post]) -> Refused:
    """The first problem as the message (naming the post), every one beside the `posts` field."""
    if None in problems:
        codes = problems[None]
        return Refused(_bundle_message(codes[0]), code=_code(codes[0]),
                       fields={"posts": [_bundle_message(c) for c in codes]})
    named = [(p.current.title, code) for p in posts for code in problems.get(p.id, [])]
    title, code = named[0]
    return Refused(_("《%(title)s》 cannot go in this bundle: %(why)s", title=title, why=_bundle_message(code)),
                   code=_code(code),
                   fields={"posts": [_("《%(title)s》: %(why)s", title=t, why=_bundle_message(c)) for t, c in named]})


def _code(problem: str) -> str:
    return {"not_approved": "C4", "confidential": "C5", "no_push": "C18"}.get(problem, "invalid")


def _bundle_message(problem: str) -> str:
    return {
        "not_wechat": _("Only a WeChat official account takes a 多图文 message."),
        "empty": _("Choose at least two posts for a bundle."),
        "too_many": _("A bundle holds at most %(n)d posts.", n=rules.BUNDLE_MAX),
        "duplicate": _("A post appears twice in the bundle."),
        "not_approved": _("it has not completed its review chain (C4)."),
        "confidential": _("it is marked confidential (C5)."),
        "not_target": _("this channel is not one of its target channels."),
        "no_push": _("its platform supervisor chose publish-only for this channel, not a push (C18)."),
        "sent": _("it has already gone out on this channel."),
        "other_bundle": _("it is already in another bundle."),
    }.get(problem, problem)


# --- reading ------------------------------------------------------------------------------------

def bundles_for(channel_ids: list[int] | None = None, days: int = 7) -> list[Bundle]:
    q = select(Bundle).where(Bundle.due_at >= workdays.now() - timedelta(days=days))
    if channel_ids is not None:
        q = q.where(Bundle.channel_id.in_(channel_ids))
    return list(db.session.scalars(q.order_by(Bundle.due_at.desc(), Bundle.id.desc())))


def members(bundle: Bundle) -> list[Publication]:
    """In order, the headline first; those left out at send time last."""
    return sorted(bundle.publications, key=lambda p: (p.bundle_index is None, p.bundle_index or 0, p.id))


def state(bundle: Bundle) -> str:
    """The bundle's state: its headline's (or, with none left, cancelled)."""
    sent = [p for p in bundle.publications if p.bundle_index is not None]
    return min(sent, key=lambda p: p.bundle_index).state if sent else "cancelled"


# --- running ------------------------------------------------------------------------------------

class BundleJob(Job):
    """The worker's job for a bundle: `publication` is the headline's, `members` every member's own
    Job (images, cover); what belongs to the whole message (the draft, the push, their progress)
    is saved on every member at once."""

    def __init__(self, lead: Publication, owner: str):
        self.owner = owner
        self.bundle_id = lead.bundle_id
        db.session.execute(update(Publication).where(
            Publication.bundle_id == self.bundle_id, Publication.state.in_(ACTIVE_STATES),
            Publication.bundle_index.is_not(None),
            (Publication.lease_owner.is_(None)) | (Publication.lease_until < workdays.now())
            | (Publication.lease_owner == owner))
            .values(lease_owner=owner, lease_until=lead.lease_until).execution_options(synchronize_session=False))
        db.session.commit()
        pubs = db.session.scalars(select(Publication).where(
            Publication.bundle_id == self.bundle_id, Publication.state.in_(ACTIVE_STATES),
            Publication.bundle_index.is_not(None), Publication.lease_owner == owner)
            .order_by(Publication.bundle_index)).all()
        self._members = [Job(p, owner) for p in pubs]
        self._lead()

    def _lead(self) -> None:
        lead = self._members[0]
        self.publication, self.channel, self.post = lead.publication, lead.channel, lead.post
        self.revision, self.article = lead.revision, lead.article

    @property
    def members(self) -> list[Job]:
        return list(self._members)

    def _commit(self) -> None:
        for m in self._members[1:]:
            m.publication.updated_at = workdays.now()
        super()._commit()  # the headline's lease, and everything dirty in the session
        ids = [m.publication.id for m in self._members[1:]]
        if ids:
            lease = self.publication.lease_until
            held = db.session.execute(update(Publication).where(Publication.id.in_(ids),
                                                                Publication.lease_owner == self.owner)
                                      .values(lease_until=lease).execution_options(synchronize_session=False))
            if held.rowcount != len(ids):
                db.session.rollback()
                raise LeaseLost(self.publication.id)
            db.session.commit()

    def save(self, **fields) -> None:
        """The whole message's ids and steps on every member; the rest on the headline."""
        progress = fields.pop("progress", None)
        shared = {k: fields.pop(k) for k in list(fields) if k in BUNDLE_FIELDS}
        for name, value in fields.items():
            setattr(self.publication, name, value)
        for m in self._members:
            pub = m.publication
            for name, value in shared.items():
                setattr(pub, name, value)
            if progress is not None:
                if pub is self.publication:
                    pub.progress = progress
                else:
                    own = {k: v for k, v in (pub.progress or {}).items() if k not in BUNDLE_STEPS}
                    pub.progress = {**own, **{k: v for k, v in progress.items() if k in BUNDLE_STEPS}}
        self._commit()

    def drop_blocked(self) -> bool:
        """Members that must not go out now (C4 C5) are finished unsent and leave the bundle; the
        rest close ranks in their order. A draft already made held them: it is made again."""
        dropped = []
        for m in self._members:
            blocked = send_blocker(m.publication)
            if blocked:
                dropped.append(m)
                m.publication.bundle_index = None
                finish_unsent(m.publication, *blocked)
        if not dropped:
            return False
        self._members = [m for m in self._members if m not in dropped]
        if not self._members:
            return True
        for index, m in enumerate(self._members):
            m.publication.bundle_index = index
        draft_made = bool(self._members[0].publication.draft_media_id)
        self._lead()
        if draft_made:
            for m in self._members:
                m.publication.draft_media_id = None
                m.publication.progress = {k: v for k, v in (m.publication.progress or {}).items() if k != "draft"}
        record("bundle.members_left_out", ("bundle", self.bundle_id),
               after={"left_out": [m.publication.post_id for m in dropped],
                      "posts": [m.publication.post_id for m in self._members], "draft_remade": draft_made})
        self._commit()
        return False
