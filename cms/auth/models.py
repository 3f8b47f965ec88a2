"""People: departments, users, role assignments, password history, API tokens, login attempts."""
from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.dbtypes import UTCDateTime
from cms.extensions import db

USER_STATES = ("active", "suspended", "departed")


class Department(db.Model):
    """A node of the company tree: group company → subsidiaries → departments."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="department")  # group | subsidiary | department
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # The office (办公室) hosts editors and proofreaders; the administration office (综合办)
    # records group filings. Flags, so a company names its own departments.
    is_office: Mapped[bool] = mapped_column(default=False)
    is_admin_office: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent", order_by="Department.id")

    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_department_parent_name"),)

    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    real_name: Mapped[str] = mapped_column(String(64))  # U1 U5: real name, shown everywhere
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    hire_date: Mapped[date | None]
    leave_date: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(16), default="active")
    departed_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    password_hash: Mapped[str] = mapped_column(String(255), default="")
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    must_change_password: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped when the password changes or access is withdrawn: every open session ends.
    session_version: Mapped[int] = mapped_column(default=1)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The WeChat ID (微信号) a reviewer receives draft previews on (message/mass/preview).
    wechat_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    department: Mapped[Department] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )
    deputy: Mapped[User | None] = relationship(foreign_keys=[deputy_id], remote_side=[id])

    # Flask-Login: only an active user has a session or a working token (U4).
    @property
    def is_active(self) -> bool:
        return self.state == "active"

    # The browser's session is a UserSession row; Flask's cookie holds only its random token,
    # set on the user by the login (cms.auth.sessions.begin) and by the user_loader.
    session_token = None  # str | None: not a column

    def get_id(self) -> str | None:
        return self.session_token

    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def holds(self, permission: str) -> bool:
        """Held in at least one scope. For entry points only (the `requires` gate, menus, home page
        sections): whether to show or open a page. Never an answer about an object (issue 13)."""
        from cms.permissions import SELF, role_grants

        if permission == SELF:  # their own pages: any active user, with or without roles
            return self.is_active
        return self.is_active and any(role_grants(r.role, permission) for r in self.roles)

    def has_permission(self, permission: str, scope: tuple[str, int] | None = None) -> bool:
        """Held for `scope` (a global role covers every scope). A permission some role holds only
        for a scope, asked without one, raises ScopeRequired: ask the object's policy instead."""
        from cms.permissions import SCOPED_PERMISSIONS, SELF, ScopeRequired, role_grants

        if permission == SELF:  # their own pages: any active user, with or without roles
            return self.is_active
        if scope is None and permission in SCOPED_PERMISSIONS:
            raise ScopeRequired(f"{permission!r} is held per scope: name the object's scope, or ask its policy")
        return self.is_active and any(
            role_grants(r.role, permission) and r.covers(scope) for r in self.roles
        )

    def has_global_permission(self, permission: str) -> bool:
        """Held through a role not limited to a scope (every channel, every department)."""
        from cms.permissions import role_grants

        return self.is_active and any(role_grants(r.role, permission) and r.scope_type is None for r in self.roles)

    def scope_ids(self, permission: str, kind: str) -> set[int] | None:
        """None when `permission` is held globally; else the ids of the `kind` scopes it is held for
        (empty when not held)."""
        from cms.permissions import role_grants

        if self.has_global_permission(permission):
            return None
        if not self.is_active:
            return set()
        return {r.scope_id for r in self.roles if role_grants(r.role, permission) and r.scope_type == kind}

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(db.Model):
    """A role held globally (scope_type None) or for a department or a channel. A leader holds
    one `leader` row per department in their charge."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str | None] = mapped_column(String(16))  # None | department | channel
    scope_id: Mapped[int | None]

    user: Mapped[User] = relationship(back_populates="roles")

    __table_args__ = (
        UniqueConstraint("user_id", "role", "scope_type", "scope_id", name="uq_role_assignment"),
        Index("ix_role_assignment_role_scope", "role", "scope_type", "scope_id"),
    )

    @property
    def spec(self) -> tuple[str, str | None, int | None]:
        """(role, scope_type, scope_id): what set_roles takes and rules.designations reads."""
        return self.role, self.scope_type, self.scope_id

    def covers(self, scope: tuple[str, int] | None) -> bool:
        """A global role covers everything; a scoped one only its own scope, never a scope-less ask
        (issue 13: "no scope named" used to answer yes for every scoped role)."""
        if self.scope_type is None:
            return True
        return scope is not None and (self.scope_type, self.scope_id) == tuple(scope)

    def label(self) -> str:
        from cms.permissions import role_label

        return role_label(self.role)


class PasswordHistory(db.Model):
    """The previous password hashes, so the last PASSWORD_HISTORY are not reused (U2)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)


class ApiToken(db.Model):
    """A personal bearer token; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One browser login: the cookie carries a random token, the row its SHA-256 (a copy of the
    table opens no session). The session lasts while the row is open and the user's
    session_version is the one it began under: logout, a password change, a lock or a departure
    ends it on the server, so a copied cookie stops working (U3 U4)."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token) hex
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str] = mapped_column(String(32), default="")  # logout | password | access_withdrawn

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Failed logins, for the per-IP throttle and the lock of a username nobody has (U3)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    __table_args__ = (Index("ix_login_attempt_ip_at", "ip", "at"),
                      Index("ix_login_attempt_username_at", "username", "at"))


def users_with_role(role: str, scope: tuple[str, int] | None = None):
    """Active users holding `role` for `scope` (or globally)."""
    q = select(User).join(RoleAssignment).where(RoleAssignment.role == role, User.state == "active")
    if scope is not None:
        q = q.where(
            (RoleAssignment.scope_type.is_(None))
            | ((RoleAssignment.scope_type == scope[0]) & (RoleAssignment.scope_id == scope[1]))
        )
    return db.session.scalars(q.distinct().order_by(User.id)).all()
