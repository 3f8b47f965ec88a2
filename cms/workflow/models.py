"""Review chains: templates with immutable versions, the rule table choosing one, and per post
its submissions, step assignees, reviews (the signature trail, C11) and delegations."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db


class WorkflowTemplate(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    versions: Mapped[list[WorkflowVersion]] = relationship(back_populates="template",
                                                           order_by="WorkflowVersion.number")

    @property
    def latest(self) -> WorkflowVersion:
        return self.versions[-1]


class WorkflowVersion(db.Model):
    """One saved shape of a template. Never changed: an edit is a new version, and a post in
    flight keeps the version it was submitted under."""

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("workflow_template.id"))
    number: Mapped[int]
    steps: Mapped[list] = mapped_column(JSON)  # [engine.Step.to_dict()]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    template: Mapped[WorkflowTemplate] = relationship(back_populates="versions")
    created_by = relationship("User")

    __table_args__ = (UniqueConstraint("template_id", "number", name="uq_workflow_version_number"),)

    def step_objs(self):
        from cms.workflow.engine import Step

        return tuple(Step.from_dict(s) for s in self.steps)


class WorkflowRule(db.Model):
    """Which template a post follows, by channel and category (either may be blank = any). The
    most specific rule wins; the rule with both blank is the default."""

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(24))
    template_id: Mapped[int] = mapped_column(ForeignKey("workflow_template.id"))

    channel = relationship("Channel")
    template: Mapped[WorkflowTemplate] = relationship()

    __table_args__ = (UniqueConstraint("channel_id", "category", name="uq_workflow_rule_channel_category"),)


class Submission(db.Model):
    """One pass of a post through its chain, from submit to approval, rejection or withdrawal."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("workflow_version.id"))
    state: Mapped[str] = mapped_column(String(12), default="active", index=True)  # active|approved|rejected|withdrawn|corrected
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)  # finding id → the author's reason
    round: Mapped[int] = mapped_column(default=1)  # +1 each time an author's edit restarts the chain
    step: Mapped[int | None]
    step_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    routing: Mapped[str] = mapped_column(String(12), default="role")  # engine.route's "how"
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated: Mapped[bool] = mapped_column(default=False)
    push: Mapped[dict] = mapped_column(JSON, default=dict)  # channel id (str) → push? (C18)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publish_day: Mapped[date | None] = mapped_column(index=True)  # C8
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    post = relationship("Post")
    version: Mapped[WorkflowVersion] = relationship()
    submitted_by = relationship("User")
    assignees: Mapped[list[Assignee]] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                                    order_by="Assignee.id")


class Assignee(db.Model):
    """Who holds the submission's current step (rows replaced when the step moves)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)

    submission: Mapped[Submission] = relationship(back_populates="assignees")
    user = relationship("User")

    __table_args__ = (UniqueConstraint("submission_id", "user_id", name="uq_assignee"),)


class Review(db.Model):
    """One entry of a post's timeline: a submission, a decision (approve/reject: the signatures of
    C11, each naming the revision number and hash it saw), an edit at a may-edit step, a
    withdrawal, a restart, a reassignment. Never changed, except that a restart marks earlier
    decisions stale (kept for the record)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(12))  # submit|approve|reject|edit|withdraw|restart|reassign|route|correct
    step: Mapped[int | None]
    role: Mapped[str] = mapped_column(String(32), default="")
    round: Mapped[int] = mapped_column(default=1)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # delegation
    revision: Mapped[int]
    revision_hash: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # push choices, escalation, routing
    stale: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    user = relationship("User", foreign_keys=[user_id])
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])

    __table_args__ = (Index("ix_review_post_id_created", "post_id", "id"),)


@event.listens_for(WorkflowVersion, "before_update")
def _versions_are_immutable(mapper, connection, target):
    raise PermissionError("a workflow version is never changed: save a new one")


@event.listens_for(Review, "before_update")
def _reviews_only_go_stale(mapper, connection, target):
    changed = {a.key for a in inspect(target).attrs if a.history.has_changes()}
    if changed - {"stale"}:
        raise PermissionError("a review is never changed, only marked stale")


class Delegation(db.Model):
    """A reviewer hands their steps to a named deputy for a period (recorded)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User", foreign_keys=[user_id])
    deputy = relationship("User", foreign_keys=[deputy_id])
