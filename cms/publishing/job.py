"""One publication's run against its platform: the Job the channel's adapter drives (what goes
out, saving what it learns, each remote id committed the moment it is known), and run_publication,
which takes a claimed publication as far as it goes now, records errors and statuses, and archives
a success (C13) in the publishing transaction.

    Job(pub, owner)                     bundles.BundleJob, withdrawals.WithdrawJob and
                                        publishing.preview.PreviewJob build on it
    run_publication(id, owner) -> state one claimed publication (or the 多图文 bundle it heads)
    send_blocker(pub)                   C4 C5 asked again at send time, from the post as it is now
    setting(name)                       the CMS_PUBLISH_* settings (cms/config.py)

Every save renews the lease and fails (LeaseLost) if another worker took the row, so two workers
never drive one publication; a killed worker's lease runs out (CMS_PUBLISH_LEASE_SECONDS) and the
next run resumes from the remote ids saved so far (runner.py claims).

SQLite: the shared token storage writes on its own connection, so no platform is ever called while
this session holds an uncommitted write: each step commits before the adapter calls out (Job.calling).

Settings (app config, CMS_* in the environment):
    PUBLISH_MAX_ATTEMPTS (5)           tries before a retryable error fails the publication
    PUBLISH_LEASE_SECONDS (120)        how long a claim lasts without a save
    PUBLISH_INLINE_WAIT_SECONDS (5)    retries and status checks due within this wait in the same run;
                                       later ones go back to the queue with their time as ETA
    PUBLISH_POLL_SECONDS (2)           first status check after submitting; doubles up to 5 minutes
    PUBLISH_RETRY_SCALE (1.0)          multiplies every retry and poll delay (0 in tests)
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from cms import workdays
from cms.archive import service as archive
from cms.channels.models import Publication
from cms.content import images
from cms.content.models import Asset, Post, Revision
from cms.extensions import db
from cms.platforms import retry_delay
from cms.publishing import rules, starts
from cms.publishing.channels import adapter_for
from cms.publishing.channels.base import LOCAL_ASSET, Article, PlatformError, Status, local_images
from cms.publishing.queries import send_facts
from cms.publishing.scheduling import enqueue
from cms.publishing.states import finish_unsent, set_state, settle_post

POLL_MAX = 300  # seconds between status checks at most
INLINE_POLLS = 3  # status checks one run makes before it leaves the rest to a later run
STEP_LABELS = {
    "images": "上传正文图片",
    "cover": "上传封面",
    "draft": "创建草稿",
    "publish": "发表",
    "push": "群发推送",
    "status": "查询发布状态",
    "withdraw": "撤回",
}


def setting(name: str):
    return current_app.config[name]  # defaults in cms/config.py (CMS_PUBLISH_*)


class LeaseLost(Exception):
    """Another worker holds this publication now (our lease ran out): stop touching it."""


class Job:
    """One publication being worked on by one run: what it sends, and saving what it learns."""

    def __init__(self, pub: Publication, owner: str):
        self.publication = pub
        self.owner = owner
        self.channel = pub.channel
        self.post = pub.post
        self.revision = db.session.scalar(select(Revision).where(Revision.post_id == pub.post_id,
                                                                 Revision.number == pub.revision_number))
        self.article = self.article_of(self.post, self.revision)

    @property
    def mine(self) -> set[str]:
        """The steps this run started (their calls are not in doubt); made on first use, so a
        subclass with its own __init__ (publishing.preview.PreviewJob) has it too."""
        return self.__dict__.setdefault("_mine", set())

    @staticmethod
    def article_of(post: Post, rev: Revision) -> Article:
        """What goes out of one revision, as the platforms take it."""
        return Article(title=rev.title, author=rev.author, digest=rev.digest, html=rev.html,
                       source_url=rev.source_url or "", open_comments=bool(post.open_comments),
                       original=rev.source_kind != "reprint", has_cover=rev.cover_asset_id is not None,
                       images=local_images(rev.html))

    @property
    def push(self) -> bool:
        return bool(self.publication.push) and self.channel.platform == "wechat"

    @property
    def members(self) -> list[Job]:
        """The articles that go out together: this one alone (a bundle has several)."""
        return [self]

    @property
    def pubs(self) -> list[Publication]:
        return [m.publication for m in self.members]

    def reload(self, *names: str) -> None:
        """Read again what another process may have written meanwhile (the callback endpoint
        fills `url`, `article_id`): this run keeps its loaded rows across commits."""
        for pub in self.pubs:
            db.session.refresh(pub, list(names))

    def drop_blocked(self) -> bool:
        """Finish the publication unsent if it must not go out now (C4 C5); True: nothing left."""
        blocked = send_blocker(self.publication)
        if blocked:
            finish_unsent(self.publication, *blocked)
        return blocked is not None

    # --- what goes out --------------------------------------------------------------------------

    @staticmethod
    def _stored(asset: Asset) -> images.StoredImage:
        b = asset.blob
        return images.StoredImage(data=b.data, format=b.format, width=b.width, height=b.height, bytes=b.bytes,
                                  sha256=b.sha256)

    def image(self, src: str, purpose: str) -> images.StoredImage:
        m = LOCAL_ASSET.match(src)
        asset = db.session.get(Asset, int(m.group(1))) if m else None
        if asset is None:
            raise PlatformError("permanent", None, f"文章中的图片 {src} 已不存在", step="images")
        stored = self._stored(asset)
        return _fit((stored.sha256, purpose), lambda: images.fit_for_wechat(stored, purpose))

    def cover(self, purpose: str) -> images.StoredImage | None:
        rev = self.revision
        if rev.cover_asset_id is None:
            return None
        asset = db.session.get(Asset, rev.cover_asset_id)
        return _cover(self._stored(asset), (rev.cover_focus_x, rev.cover_focus_y), purpose)

    # --- saving (each commits at once) ----------------------------------------------------------

    def _commit(self) -> None:
        pub, now = self.publication, workdays.now()
        pub.updated_at = now
        db.session.flush()
        lease = now + timedelta(seconds=float(setting("PUBLISH_LEASE_SECONDS")))
        held = db.session.execute(update(Publication).where(Publication.id == pub.id,
                                                            Publication.lease_owner == self.owner)
                                  .values(lease_until=lease).execution_options(synchronize_session=False))
        if held.rowcount != 1:
            db.session.rollback()
            raise LeaseLost(pub.id)
        db.session.commit()
        self._after_first_call()

    def save(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.publication, name, value)
        self._commit()

    def save_image(self, src: str, url: str, *, last: bool = False) -> None:
        """One image's platform URL; `last`: the images step is done with it (one commit)."""
        self.publication.image_urls = {**(self.publication.image_urls or {}), src: url}
        if last:
            self.publication.progress = self._mark("images", "done")
        self._commit()

    def _mark(self, step: str, state: str) -> dict:
        progress = dict(self.publication.progress or {})
        first = progress.get(step, {}).get("ts")  # when the step first started (lost calls are looked for since)
        progress[step] = {**progress.get(step, {}), "state": state, "at": workdays.now().isoformat(),
                          **({"ts": first or time.time()} if state == "started" else {})}
        return progress

    def started(self, step: str) -> None:
        """Mark `step` under way (committed) before its call goes out; once per run."""
        if step in self.mine and self.is_started(step, mine=True):
            return
        self.mine.add(step)
        self.save(progress=self._mark(step, "started"))

    def done(self, step: str, *, then: str | None = None, **fields) -> None:
        """`step` done with the ids it got; `then`: the next step marked under way in the same commit."""
        self.publication.progress = self._mark(step, "done")
        if then is not None and not self.is_done(then):
            self.mine.add(then)
            self.publication.progress = self._mark(then, "started")
        self.save(**fields)

    def is_started(self, step: str, *, mine: bool = False) -> bool:
        """Started and not answered by an earlier run (or, `mine`, by this one): the call may have
        reached the platform (the worker died in it, or the network failed), so look before
        sending again."""
        started = (self.publication.progress or {}).get(step, {}).get("state") == "started"
        return started and (mine or step not in self.mine)

    def is_done(self, step: str) -> bool:
        return (self.publication.progress or {}).get(step, {}).get("state") == "done"

    def started_at(self, step: str) -> float | None:
        return (self.publication.progress or {}).get(step, {}).get("ts")

    def calling(self) -> None:
        """A platform call is about to go out: nothing uncommitted may be held (SQLite: the token
        storage writes on its own connection), and no connection either (the token storage takes
        one of its own from the same pool while this thread waits on the platform)."""
        if db.session.new or db.session.dirty:
            self._commit()
        elif db.session().in_transaction():
            db.session.commit()  # read-only: ends the transaction, hands the connection back
        if self.__dict__.get("_called"):
            self._after_first_call()
            return
        self._called = True
        now = workdays.now()
        for pub in self.pubs:
            if pub.first_call_at is None:
                pub.first_call_at = now  # kept in memory, saved with the answer (no write held across the call)
        if starts.in_run():
            starts.STARTS.first_call(self.publication.id)

    def _after_first_call(self) -> None:
        """In a run, once this publication has made its first call, it lets every claimed one make
        theirs before it goes on (cms/publishing/starts.py); it waits with nothing uncommitted."""
        if self.__dict__.get("_called") and starts.in_run():
            starts.STARTS.hold()


_fitted: dict[tuple, images.StoredImage] = {}
_fitted_lock = threading.Lock()
FITTED_KEPT = 16  # images fitted for the platform kept per process: a post's go to all its channels


def _fit(key: tuple, make) -> images.StoredImage:
    """make() once for all the channels of a fan-out: an image fitted for the platform, by the
    stored image's sha256 and how it is fitted (a few recent ones are kept)."""
    with _fitted_lock:
        if key in _fitted:
            return _fitted[key]
    made = make()
    with _fitted_lock:
        if len(_fitted) >= FITTED_KEPT:
            _fitted.pop(next(iter(_fitted)))
        _fitted[key] = made
    return made


def _cover(stored: images.StoredImage, focus: tuple[float, float], purpose: str) -> images.StoredImage:
    """The 2.35:1 cover cut around its focus and fitted to `purpose`."""
    return _fit((stored.sha256, focus, purpose),
                lambda: images.fit_for_wechat(images.crop_cover(stored, "2.35:1", focus), purpose))


def send_blocker(pub: Publication) -> tuple[str, str] | None:
    """("cancelled" | "failed", message) when the publication must not go out now (C4 C5), from
    the post as it is now, not as this run loaded it."""
    facts = send_facts([pub.post_id])[pub.post_id]
    post = pub.post
    for name in ("status", "confidential"):  # the loaded post follows (the run settles it later)
        if getattr(post, name) != facts[name]:
            set_committed_value(post, name, facts[name])
    return rules.send_blocker(facts, pub.revision_number, pub.content_hash)


def release(pub: Publication, owner: str) -> None:
    db.session.execute(update(Publication).where(Publication.id == pub.id, Publication.lease_owner == owner)
                       .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))


def run_publication(pub_id: int, owner: str, *, begun: bool = False) -> str:
    """Run one claimed publication (or the 多图文 bundle it heads: every member goes with it) as far
    as it goes now; returns its state after the run. `begun`: begin.begin() has taken its first
    step already (checked, `sending`, attempt counted, committed)."""
    pub = db.session.get(Publication, pub_id, options=[joinedload(Publication.channel), joinedload(Publication.post)])
    if pub is None or pub.lease_owner != owner or not pub.active:
        return pub.state if pub is not None else "missing"
    adapter = adapter_for(pub.channel)
    if pub.bundle_id is not None:
        from cms.publishing.bundles import BundleJob

        job = BundleJob(pub, owner)
    else:
        job = Job(pub, owner)
    count_try = True
    deadline = time.monotonic() + float(setting("PUBLISH_INLINE_WAIT_SECONDS"))
    polls = 0
    while True:
        if begun:
            begun = False  # checked, counted and `sending` with the others that fell due (begin.py)
            pub, pubs = job.publication, job.pubs
        else:
            if job.publication.state in ("scheduled", "sending") and not adapter.sent(job) and job.drop_blocked():
                return job.publication.state  # nothing left to send (C4 C5)
            pub, pubs = job.publication, job.pubs  # a 多图文 bundle may have lost members, its headline too
            for p in pubs:
                if count_try:
                    p.attempts += 1
                if p.state == "scheduled":
                    set_state(p, "sending")
            job._commit()  # nothing uncommitted while the adapter calls out
        try:
            status = adapter.run(job)
        except PlatformError as e:
            if e.errcode is None:
                job.mine.discard(e.step)  # no answer (network, 5xx): the call is in doubt
            wait = [_after_error(p, e) for p in pubs][0]
            count_try = True
        else:
            wait = [_after_status(p, status) for p in pubs][0]
            count_try = False
            polls += 1
        if wait is None:
            return pub.state
        # Wait here only for what is due soon, and poll a few times at most: else back to the queue.
        if time.monotonic() + wait > deadline or polls > INLINE_POLLS:
            for p in pubs:
                release(p, owner)
            db.session.commit()
            enqueue(pub.post_id, pub.next_attempt_at)
            return pub.state
        job._commit()  # renew the lease across the wait
        if wait > 0:
            time.sleep(wait)


def _scale() -> float:
    return float(setting("PUBLISH_RETRY_SCALE"))


def _after_error(pub: Publication, e: PlatformError) -> float | None:
    """Record the error; fail the publication (None) or return the seconds until its next try."""
    label = STEP_LABELS.get(e.step, e.step)
    now = workdays.now()
    progress = dict(pub.progress or {})
    if e.errcode is not None and progress.get(e.step, {}).get("state") == "started":
        # The platform answered with a refusal: the call did nothing, so the next try is not in doubt.
        progress[e.step] = {**progress[e.step], "state": "refused"}
        pub.progress = progress
    pub.last_error_code = e.errcode
    pub.last_error = f"{label}：{e.message}" if label else e.message
    pub.last_error_at = now
    if e.kind != "permanent":
        delay = retry_delay(e.errcode, pub.attempts)
        if delay is not None and pub.attempts < int(setting("PUBLISH_MAX_ATTEMPTS")):
            wait = delay * _scale()
            pub.next_attempt_at = now + timedelta(seconds=wait)
            db.session.commit()
            return wait
        pub.last_error = f"{pub.last_error}（已尝试 {pub.attempts} 次）"
    pub.progress = {**(pub.progress or {}), "failed_step": e.step}
    set_state(pub, "failed", error={"code": e.errcode, "step": e.step, "message": pub.last_error})
    settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()
    return None


def _after_status(pub: Publication, status: Status) -> float | None:
    now = workdays.now()
    if status.state == "pending":
        if pub.state != "submitted":
            set_state(pub, "submitted")
        progress = dict(pub.progress or {})
        polls = int(progress.get("status", {}).get("polls", 0)) + 1
        progress["status"] = {"state": "started", "polls": polls, "at": now.isoformat()}
        pub.progress = progress
        wait = min(float(setting("PUBLISH_POLL_SECONDS")) * 2 ** min(polls - 1, 10), POLL_MAX) * _scale()
        pub.next_attempt_at = now + timedelta(seconds=wait)
        db.session.commit()
        return wait
    if status.state == "published":
        _finish_published(pub, status)
        return None
    if status.state == "removed":
        pub.last_error, pub.last_error_code, pub.last_error_at = status.message, status.errcode, now
        set_state(pub, "removed_by_platform", error={"message": status.message})
    else:
        pub.last_error, pub.last_error_code, pub.last_error_at = (
            f"{STEP_LABELS['status']}：{status.message}", status.errcode, now)
        pub.progress = {**(pub.progress or {}), "failed_step": "status"}
        set_state(pub, "failed", error={"code": status.errcode, "step": "status", "message": pub.last_error})
    settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()
    return None


def _finish_published(pub: Publication, status: Status) -> None:
    """Published: the state, the URL, the archive record (C13) and the post's status, in one
    transaction."""
    now = workdays.now()
    pub.url = status.url or pub.url
    pub.article_id = status.article_id or pub.article_id
    pub.published_at = now
    progress = dict(pub.progress or {})
    progress["status"] = {**progress.get("status", {}), "state": "done", "at": now.isoformat()}
    pub.progress = progress
    set_state(pub, "published", url=pub.url)
    _archive(pub)
    _tell_author(pub)
    settle_post(pub.post)
    pub.lease_owner = pub.lease_until = None
    db.session.commit()


def _tell_author(pub: Publication) -> None:
    """The author is told the post is out on this channel, with the published URL (in the text; the
    notification page shows it as a link) and a link to the post's page (issue 19)."""
    from flask_babel import gettext as _

    from cms.notify import service as notify

    post = pub.post
    if pub.url:
        text = _("「%(title)s」 is published on %(channel)s: %(url)s", title=post.title, channel=pub.channel.name,
                 url=pub.url)
    else:
        text = _("「%(title)s」 is published on %(channel)s.", title=post.title, channel=pub.channel.name)
    notify.notify([post.created_by], "published", text, f"/posts/{post.id}", post=post)


def _archive(pub: Publication) -> None:
    """C13: the archive record, in the publishing transaction."""
    revision = db.session.scalar(select(Revision).where(Revision.post_id == pub.post_id,
                                                        Revision.number == pub.revision_number))
    archive.record(post=pub.post, revision=revision, channel=pub.channel, action="published",
                   remote_ids=pub.remote_ids(), url=pub.url or "", push=pub.push, at=pub.published_at)
