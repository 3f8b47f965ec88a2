"""Work groups (工作群, G1-G12): the registry of filed groups, their members, the tasks the rules set
(removals G6, dissolutions G7, membership reviews G3), the leaders' same-day tasks and notices
with their acknowledgements (G11). The penalties G11 proposes go to the violations register
(cms/groups/penalties.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

TASK_KINDS = ("removal", "dissolution", "review")
TASK_STATES = ("open", "done")
MESSAGE_KINDS = ("task", "notice")


class WorkGroup(db.Model):
    """One filed group: the 工作微信群备案表 (G2: name, category, owner, purpose, department, the
    expected end of a temporary group), approved by the leader in charge of the department and
    recorded by the administration office before it counts as created (filed → approved → active)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    ends_on: Mapped[date | None]  # temporary groups: when the work is expected to end (G7)
    state: Mapped[str] = mapped_column(String(16), default="filed", index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refused_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    refused_reason: Mapped[str] = mapped_column(String(500), default="")
    # G7: when the work ended (the owner said so, or ends_on passed), an extension with its reason,
    # the notice posted in the group, and the dissolution itself.
    work_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_reason: Mapped[str] = mapped_column(String(500), default="")
    dissolution_reason: Mapped[str] = mapped_column(String(200), default="")
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # G3

    department = relationship("Department")
    owner = relationship("User", foreign_keys=[owner_id])
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    members: Mapped[list[GroupMember]] = relationship(back_populates="group", order_by="GroupMember.id")
    tasks: Mapped[list[GroupTask]] = relationship(back_populates="group", order_by="GroupTask.due_at")

    @property
    def current_members(self) -> list[GroupMember]:
        return [m for m in self.members if m.removed_at is None]

    def __repr__(self) -> str:
        return f"<WorkGroup {self.id} {self.name} {self.state}>"


class GroupMember(db.Model):
    """A member (G4 real name): a user, or a named outside partner (partner groups). The expected
    nickname is made from the category's format; the actual one is what the owner saw in the group."""

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    external_name: Mapped[str] = mapped_column(String(100), default="")
    expected_nickname: Mapped[str] = mapped_column(String(200), default="")
    nickname: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    group: Mapped[WorkGroup] = relationship(back_populates="members")
    user = relationship("User", foreign_keys=[user_id])

    @property
    def display_name(self) -> str:
        return self.user.real_name if self.user is not None else self.external_name


class GroupTask(db.Model):
    """Something the rules ask of the group's owner by a time: remove a leaver or transferee (G6,
    48 hours), dissolve a temporary group whose work ended (G7, 5 days), review the membership
    (G3). The daily sweep marks the late ones overdue."""

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("group_member.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(200), default="")  # departure | transfer | ...
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(8), default="open")
    overdue: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    group: Mapped[WorkGroup] = relationship(back_populates="tasks")
    member: Mapped[GroupMember | None] = relationship()

    __table_args__ = (Index("ix_group_task_state_due", "state", "due_at"),)


class GroupMessage(db.Model):
    """G11: a leader's same-day task in the group (naming the person responsible, answered within
    30 minutes) or a notice (every member acknowledges 收到, no fine), recorded by the owner and
    sent to each recipient as a WeCom card whose link records the acknowledgement."""

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # task | notice
    text: Mapped[str] = mapped_column(String(500))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    late_penalty_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the 100-yuan proposal made

    group: Mapped[WorkGroup] = relationship()
    leader = relationship("User", foreign_keys=[leader_id])
    responsible = relationship("User", foreign_keys=[responsible_id])
    acks: Mapped[list[GroupAck]] = relationship(back_populates="message", order_by="GroupAck.id")


class GroupAck(db.Model):
    """One recipient of a message: acknowledged (收到) when they opened the card's link logged in,
    or when the owner recorded it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("group_message.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(8), default="")  # card | owner

    message: Mapped[GroupMessage] = relationship(back_populates="acks")
    user = relationship("User")
