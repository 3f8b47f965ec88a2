"""What the people feature does: users, roles, passwords, logins, tokens. Each function owns its
transaction and writes the audit trail (U7)."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from cms import workdays
from cms.audit.service import record
from cms.auth import hooks, rules, sessions
from cms.auth.models import (
    USER_STATES,
    ApiToken,
    Department,
    LoginAttempt,
    PasswordHistory,
    RoleAssignment,
    User,
)
from cms.dbtypes import db_int
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.permissions import ROLE_SCOPES, ROLES, role_label
from cms.transactions import operation

TOKEN_PREFIX = "cms_"


def policy() -> rules.PasswordPolicy:
    return rules.PasswordPolicy.from_config(current_app.config)


def limits() -> rules.LoginLimits:
    return rules.LoginLimits.from_config(current_app.config)


def user_snapshot(user: User) -> dict:
    return {
        "username": user.username, "real_name": user.real_name, "department": user.department_id,
        "title": user.title, "phone": user.phone, "state": user.state,
        "hire_date": user.hire_date, "leave_date": user.leave_date,
        "roles": sorted(role_key(r) for r in user.roles),
    }


def role_key(r: RoleAssignment) -> str:
    return r.role if r.scope_type is None else f"{r.role}@{r.scope_type}:{r.scope_id}"


def _designations(user: User) -> frozenset[int]:
    return rules.designations((r.spec for r in user.roles), user.state)


def _tell_designations(user: User, before: frozenset[int]) -> None:
    """C6: when the departments a user answers for as contributor change (a role given or taken,
    an account created, locked, unlocked or closed), every handler runs in this transaction."""
    changes = rules.designation_changes(before, _designations(user))
    if changes:
        db.session.flush()
        for handler in hooks.after_designation:  # e.g. the office's notification (cms/notify)
            handler(user, changes, workdays.now())


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."), code="not_found")
    return user


def get_by_username(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(_("No user named %(name)s.", name=username), code="not_found")
    return user


# --- passwords ---------------------------------------------------------------------------------

def password_problems(user_or_name, password: str) -> list[str]:
    username = getattr(user_or_name, "username", user_or_name)
    previous: list[str] = []
    if isinstance(user_or_name, User) and user_or_name.id:
        previous = [user_or_name.password_hash] + list(db.session.scalars(
            select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_or_name.id)
            .order_by(PasswordHistory.id.desc()).limit(max(policy().history - 1, 0))
        ))
    found = rules.password_problems(password, username, policy(), [p for p in previous if p],
                                    check_password_hash)
    return [_(msg, **args) for msg, args in found]


def _set_password(user: User, password: str, *, must_change: bool) -> None:
    problems = password_problems(user, password)
    if problems:
        raise Refused(" ".join(problems), code="U2", fields={"password": problems})
    if user.password_hash:
        db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = workdays.now()
    user.must_change_password = must_change
    if user.id:
        sessions.end_all(user, "password")  # every open session ends (U2 U3)


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change (U2): the current password is asked again."""
    if not check_password_hash(user.password_hash, current):
        raise Refused(_("The current password is wrong."), code="invalid", fields={"current": [_("Wrong password.")]})
    _set_password(user, new, must_change=False)
    record("user.password_changed", user, actor=user)
    db.session.commit()


def generate_password() -> str:
    """An initial password that always satisfies the policy."""
    while True:
        candidate = secrets.token_urlsafe(12) + "-7a"
        if rules.character_classes(candidate) >= 3:
            return candidate


def needs_password_change(user: User) -> bool:
    return user.must_change_password or rules.password_expired(
        user.password_changed_at, workdays.now(), policy().max_age_days)


# --- logins ------------------------------------------------------------------------------------

def _ip_failures(ip: str) -> int:
    since = workdays.now() - timedelta(minutes=limits().lock_minutes)
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(LoginAttempt.ip == ip, LoginAttempt.at > since)) or 0


_dummy_hash: str | None = None


def _dummy_password_hash() -> str:
    """A hash of a random password, made by the same method and cost as users' hashes
    (generate_password_hash's defaults), so that checking against it costs what a real check costs."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash(secrets.token_urlsafe(16))
    return _dummy_hash


def _password_matches(user: User | None, password: str) -> bool:
    """Exactly one hash check whoever asks: against a dummy hash when there is no user (or no
    password), so a failed login takes as long for an unknown name as for a wrong password."""
    real = user.password_hash if user is not None and user.password_hash else None
    matched = check_password_hash(real or _dummy_password_hash(), password)
    return matched and real is not None


def _name_lock(username: str, now, lim: rules.LoginLimits):
    """When a username nobody has is locked: its failed logins replayed as an account's (U3), so
    that five failures lock it too and the lock says nothing about whether the name exists."""
    times = db.session.scalars(
        select(LoginAttempt.at).where(LoginAttempt.username == username[:64],
                                      LoginAttempt.at > now - timedelta(days=30))
        .order_by(LoginAttempt.at.desc()).limit(1000)).all()
    return rules.replay_failures(reversed(times), lim)[1]


def authenticate(username: str, password: str, ip: str) -> User:
    """The user if the login may proceed; Refused with the reason otherwise (U3).

    A failure neither says nor shows whether the username exists: an unknown name and a wrong
    password get the same message and status, run the same queries and one password hash check
    each, and lock after the same failures. A suspended or closed account is named only to whoever
    gives its right password."""
    now, lim = workdays.now(), limits()
    username = username.strip()
    user = db.session.scalar(select(User).where(User.username == username))
    name_locked_until = _name_lock(username, now, lim)  # for both, so both run the same queries
    locked_until = user.locked_until if user is not None else name_locked_until
    why = rules.login_refusal(locked_until, _ip_failures(ip), now, lim)
    if why:
        record("login.refused", user or ("user", username), after={"reason": why}, actor=user, ip=ip)
        db.session.commit()
        raise Refused(_(why, n=lim.lock_minutes), code="U3", status=429 if why == rules.THROTTLED else 403)
    if not _password_matches(user, password):
        db.session.add(LoginAttempt(ip=ip, username=username[:64]))
        db.session.flush()
        locked_now = _name_lock(username, now, lim) is not None  # for both again, as above
        if user is not None:
            user.failed_logins, user.locked_until = rules.after_failure(user.failed_logins, now, lim)
            if user.locked_until:
                record("user.locked_after_failures", user, after={"until": user.locked_until}, actor=user, ip=ip)
            locked_now = user.locked_until is not None
        record("login.failed", user or ("user", username), actor=user, ip=ip)
        db.session.commit()
        if locked_now:
            raise Refused(_(rules.LOCKED_AFTER_FAILURES, n=lim.lock_minutes), code="U3", status=403)
        raise Refused(_("Wrong username or password."), code="invalid", status=401)
    why = rules.state_refusal(user.state)
    if why:
        record("login.refused", user, after={"reason": why}, actor=user, ip=ip)
        db.session.commit()
        raise Refused(_(why), code="U4" if user.state == "departed" else "U3", status=403)
    user.failed_logins, user.locked_until = 0, None
    record("login", user, actor=user, ip=ip)
    db.session.commit()
    return user


def record_logout(user: User) -> None:
    record("logout", user, actor=user)
    db.session.commit()


# --- users and roles (sysadmin) -----------------------------------------------------------------

def _department(department_id) -> Department:
    dep = db.session.get(Department, department_id) if db_int(department_id) and department_id > 0 else None
    if dep is None:
        raise Refused(_("Choose an existing department."), code="invalid",
                      fields={"department": [_("No such department.")]})
    return dep


@operation
def create_user(*, username: str, real_name: str, department_id: int, title: str = "", phone: str = "",
                hire_date: date | None = None, roles: list[tuple[str, str | None, int | None]] = (),
                password: str | None = None, must_change: bool = True) -> tuple[User, str]:
    """A new user (U1: real name, department and title) → (user, initial password)."""
    username = (username or "").strip()
    errors = {}
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum() or len(username) > 64:
        errors["username"] = [_("Letters, digits, '-', '_' and '.' only, at most 64.")]
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = [_("This username is taken.")]
    if not (real_name or "").strip():
        errors["real_name"] = [_("The real name is required (U1).")]
    for name, value, limit in (("real_name", real_name, 64), ("title", title, 64), ("phone", phone, 32)):
        if len(value or "") > limit:  # the columns' sizes (PostgreSQL refuses longer values)
            errors.setdefault(name, []).append(_("At most %(n)d characters.", n=limit))
    if errors:
        raise Refused(_("The user could not be created: %(what)s", what="; ".join(
            m for ms in errors.values() for m in ms)), code="U1" if "real_name" in errors else "invalid",
            fields=errors)
    dep = _department(department_id)
    initial = password or generate_password()
    problems = password_problems(username, initial)
    if problems:
        raise Refused(" ".join(problems), code="U2", fields={"password": problems})
    user = User(username=username, real_name=real_name.strip(), department=dep, title=title or "",
                phone=phone or "", hire_date=hire_date, must_change_password=must_change)
    db.session.add(user)
    db.session.flush()
    _set_password(user, initial, must_change=must_change)
    user.session_version = 1
    _replace_roles(user, roles)
    record("user.created", user, after=user_snapshot(user))
    _tell_designations(user, frozenset())
    db.session.commit()
    return user, initial


@operation
def update_user(user: User, **fields) -> User:
    before = user_snapshot(user)
    old_department_id = user.department_id
    if "department_id" in fields:
        user.department = _department(fields.pop("department_id"))
    for name in ("real_name", "title", "phone", "hire_date"):
        if name in fields:
            setattr(user, name, fields[name])
    if not (user.real_name or "").strip():
        raise Refused(_("The real name is required (U1)."), code="U1", fields={"real_name": [_("Required.")]})
    record("user.updated", user, before=before, after=user_snapshot(user))
    if user.department.id != old_department_id:
        db.session.flush()
        for handler in hooks.after_transfer:  # G6: e.g. the groups' removal tasks, in this transaction
            handler(user, old_department_id, workdays.now())
    db.session.commit()
    return user


def _replace_roles(user: User, roles) -> None:
    wanted = set()
    for role, scope_type, scope_id in roles:
        if role not in ROLES:
            raise Refused(_("Unknown role: %(role)s", role=role), code="invalid", fields={"roles": [role]})
        if scope_type not in ROLE_SCOPES[role]:
            raise Refused(_("%(role)s cannot be held for this scope.", role=role_label(role)),
                          code="invalid", fields={"roles": [role]})
        if scope_type is not None and not (db_int(scope_id) and scope_id > 0):
            raise Refused(_("%(role)s needs the id of its %(scope)s.", role=role_label(role), scope=scope_type),
                          code="invalid", fields={"roles": [role]})
        if scope_type == "department":
            _department(scope_id)
        elif scope_type == "channel":
            # By its table, like a foreign key would: channels sit above people (a channel names its
            # manager), so auth does not import them.
            channel = db.metadata.tables["channel"]
            if db.session.scalar(select(channel.c.id).where(channel.c.id == scope_id)) is None:
                raise Refused(_("No such channel."), code="invalid", fields={"roles": [role]})
        wanted.add((role, scope_type, scope_id if scope_type else None))
    have = {r.spec: r for r in user.roles}
    for key, r in have.items():
        if key not in wanted:
            user.roles.remove(r)
    for key in wanted - set(have):
        user.roles.append(RoleAssignment(role=key[0], scope_type=key[1], scope_id=key[2]))


@operation
def set_roles(user: User, roles) -> User:
    before, designated = user_snapshot(user), _designations(user)
    _replace_roles(user, roles)
    db.session.flush()
    record("user.roles_changed", user, before={"roles": before["roles"]},
           after={"roles": sorted(role_key(r) for r in user.roles)})
    _tell_designations(user, designated)
    db.session.commit()
    return user


def parse_role(text: str, user_department: int | None = None) -> tuple[str, str | None, int | None]:
    """'leader@department:3', 'contributor' (scoped to the user's department when it must be),
    'supervisor@channel:2' → (role, scope_type, scope_id)."""
    role, _sep, scope = text.strip().partition("@")
    if role not in ROLES:
        raise Refused(_("Unknown role: %(role)s", role=role), code="invalid")
    if not scope:
        if None in ROLE_SCOPES[role]:
            return role, None, None
        return role, "department", user_department
    kind, _sep, ident = scope.partition(":")
    if not ident.isdigit() or len(ident) > 18:
        raise Refused(_("Write a scoped role as role@department:ID or role@channel:ID."), code="invalid")
    return role, kind, int(ident)


def _withdraw_access(user: User) -> None:
    sessions.end_all(user, "access_withdrawn")  # every open session ends at its next request (U3 U4)
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = workdays.now()


@operation
def lock(user: User, reason: str = "") -> None:
    """An administrator locks an account (U3: a leaked password is reported, the account locked)."""
    if user.state == "departed":
        raise Refused(_("The account is already closed."), code="conflict", status=409)
    before, designated = user.state, _designations(user)
    user.state = "suspended"
    _withdraw_access(user)
    record("user.locked", user, before={"state": before}, after={"state": user.state, "reason": reason})
    _tell_designations(user, designated)
    db.session.commit()


@operation
def unlock(user: User) -> None:
    if user.state != "suspended" and not user.locked_until:
        raise Refused(_("The account is not locked."), code="conflict", status=409)
    before, designated = user.state, _designations(user)
    user.state = "active" if user.state == "suspended" else user.state
    user.locked_until, user.failed_logins = None, 0
    record("user.unlocked", user, before={"state": before}, after={"state": user.state})
    _tell_designations(user, designated)
    db.session.commit()


@operation
def force_reset(user: User) -> str:
    """A new one-time password the user must change at next login (U3); sessions end."""
    password = generate_password()
    _set_password(user, password, must_change=True)
    _withdraw_access(user)
    record("user.password_reset", user)
    db.session.commit()
    return password


@operation
def depart(user: User, leave_date: date, confirmed_by: User) -> None:
    """U4: a departing employee's access is removed at once, confirmed by an administrator."""
    if user.state == "departed":
        raise Refused(_("%(name)s is already marked departed.", name=user.real_name), code="conflict", status=409)
    from cms.auth.policy import can_confirm_departure

    if not can_confirm_departure(confirmed_by, user):
        raise Refused(_("A departure is confirmed by an administrator (U4)."), code="U4",
                      fields={"confirmed_by": [confirmed_by.username]})
    before, designated = user_snapshot(user), _designations(user)
    user.state, user.leave_date, user.departed_confirmed_by_id = "departed", leave_date, confirmed_by.id
    _withdraw_access(user)
    record("user.departed", user, before=before,
           after={**user_snapshot(user), "confirmed_by": confirmed_by.username})
    for handler in hooks.after_departure:  # G6: e.g. the groups' removal tasks, in this transaction
        handler(user, workdays.now())
    _tell_designations(user, designated)
    db.session.commit()


def users(department_id: int | None = None, state: str | None = None):
    q = select(User).order_by(User.department_id, User.id)
    if department_id:
        q = q.where(User.department_id == department_id)
    if state:
        if state not in USER_STATES:
            raise Refused(_("Unknown state: %(state)s", state=state), code="invalid", status=400)
        q = q.where(User.state == state)
    return q


# --- departments -------------------------------------------------------------------------------

@operation
def create_department(name: str, parent_id: int | None, kind: str = "department", *,
                      is_office: bool = False, is_admin_office: bool = False) -> Department:
    name = (name or "").strip()
    if not name:
        raise Refused(_("The department needs a name."), code="invalid", fields={"name": [_("Required.")]})
    if kind not in ("group", "subsidiary", "department"):
        raise Refused(_("Unknown kind of unit."), code="invalid", fields={"kind": [kind]})
    if parent_id:
        _department(parent_id)
    if db.session.scalar(select(Department.id).where(Department.name == name, Department.parent_id == parent_id)):
        message = _("There already is a unit named %(name)s here.", name=name)
        raise Refused(message, code="conflict", status=409, fields={"name": [message]})
    dep = Department(name=name, parent_id=parent_id or None, kind=kind, is_office=is_office,
                     is_admin_office=is_admin_office)
    db.session.add(dep)
    db.session.flush()
    record("department.created", dep, after={"name": name, "parent": parent_id, "kind": kind})
    db.session.commit()
    return dep


def department_tree() -> list[tuple[int, Department]]:
    """(depth, department) in tree order."""
    deps = db.session.scalars(select(Department).order_by(Department.id)).all()
    children: dict[int | None, list[Department]] = {}
    for d in deps:
        children.setdefault(d.parent_id, []).append(d)
    out: list[tuple[int, Department]] = []

    def walk(parent, depth):
        for d in children.get(parent, []):
            out.append((depth, d))
            walk(d.id, depth + 1)

    walk(None, 0)
    return out


# --- API tokens --------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


WECHAT_ID = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")


@operation
def set_wechat_id(user: User, wechat_id: str) -> None:
    """The WeChat ID previews of drafts go to (WeChat's rule: 6-20 letters, digits, - and _,
    starting with a letter); blank removes it."""
    wechat_id = wechat_id.strip()
    if wechat_id and not WECHAT_ID.match(wechat_id):
        message = _("A WeChat ID is 6 to 20 letters, digits, - or _, starting with a letter.")
        raise Refused(message, fields={"wechat_id": [message]})
    record("user.wechat_id_set", user, before={"wechat_id": user.wechat_id}, after={"wechat_id": wechat_id})
    user.wechat_id = wechat_id
    db.session.commit()


def create_token(user: User, name: str = "") -> str:
    """A new bearer token, returned once; only its hash is stored."""
    if not user.is_active:
        raise Refused(_("The account is not active."), code="U4", status=409)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:64], token_hash=hash_token(token)))
    record("token.created", user, after={"name": name})
    db.session.commit()
    return token


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."), code="not_found")
    token.revoked_at = workdays.now()
    record("token.revoked", user, after={"name": token.name})
    db.session.commit()


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to (a departed or locked user's tokens stop, U4)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.is_active:
        return None
    now = workdays.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now  # coarse, so reads do not write on every call
        db.session.commit()
    return row.user


def purge_login_attempts(older_than_days: int = 30) -> int:
    cutoff = workdays.now() - timedelta(days=older_than_days)
    return db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff)).rowcount
