"""Password and login rules (policies U2 U3): pure functions, plain data in and out.

Messages are English msgids, marked with N_ for extraction and translated where shown."""
from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


def N_(s: str) -> str:  # marks a msgid for extraction; translated where it is shown
    return s


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    min_classes: int = 3
    history: int = 5
    max_age_days: int = 90

    @classmethod
    def from_config(cls, config) -> PasswordPolicy:
        return cls(config["PASSWORD_MIN_LENGTH"], config["PASSWORD_MIN_CLASSES"],
                   config["PASSWORD_HISTORY"], config["PASSWORD_MAX_AGE_DAYS"])


def character_classes(password: str) -> int:
    return sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or c in string.punctuation for c in password),
    ))


def password_problems(password: str, username: str, policy: PasswordPolicy,
                      previous_hashes: Iterable[str] = (),
                      matches: Callable[[str, str], bool] | None = None) -> list[tuple[str, dict]]:
    """Every way `password` breaks the policy (U2), as (msgid, format args); empty means fine."""
    problems: list[tuple[str, dict]] = []
    if len(password) < policy.min_length:
        problems.append((N_("At least %(n)d characters."), {"n": policy.min_length}))
    if character_classes(password) < policy.min_classes:
        problems.append((N_("Use at least %(n)d of: lower-case letters, upper-case letters, digits, symbols."),
                         {"n": policy.min_classes}))
    if username and username.lower() in password.lower():
        problems.append((N_("The password may not contain the username."), {}))
    if matches and any(matches(h, password) for h in previous_hashes):
        problems.append((N_("The password may not be one of your last %(n)d passwords."), {"n": policy.history}))
    return problems


def password_expired(changed_at: datetime | None, now: datetime, max_age_days: int) -> bool:
    return changed_at is None or now - changed_at > timedelta(days=max_age_days)


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int = 5
    lock_minutes: int = 15
    ip_max_failures: int = 20

    @classmethod
    def from_config(cls, config) -> LoginLimits:
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"], config["LOGIN_IP_MAX_FAILURES"])


def after_failure(failures_before: int, now: datetime, limits: LoginLimits) -> tuple[int, datetime | None]:
    """(new failure count, locked until) after one more wrong password (U3)."""
    failures = failures_before + 1
    if failures >= limits.max_failures:
        return 0, now + timedelta(minutes=limits.lock_minutes)
    return failures, None


THROTTLED = N_("Too many failed logins from this address. Try again in %(n)d minutes.")


def login_refusal(locked_until: datetime | None, ip_failures: int, now: datetime,
                  limits: LoginLimits) -> str | None:
    """Why a login is refused before the password is even checked, or None. Nothing here depends
    on whether the username exists: an unknown name has a lock of its own (replay_failures)."""
    if ip_failures >= limits.ip_max_failures:
        return THROTTLED
    if locked_until is not None and locked_until > now:
        return LOCKED_AFTER_FAILURES
    return None


LOCKED_AFTER_FAILURES = N_("The account is locked after repeated failures. Try again in %(n)d minutes.")


def state_refusal(state: str) -> str | None:
    """Why the holder of the right password may still not log in (U3 U4), or None. Said only after
    the right password: to anyone else a suspended or closed account looks like any other."""
    if state == "suspended":
        return N_("The account is locked. Ask an administrator.")
    if state == "departed":
        return N_("The account is closed.")
    return None


def replay_failures(times: Iterable[datetime], limits: LoginLimits) -> tuple[int, datetime | None]:
    """(failure count, locked until) after the failed logins at `times` (oldest first), as
    after_failure would have counted them for an account: a failure while locked does not count.
    For a username nobody has, so that it locks after the same failures as a real one (U3)."""
    failures, locked_until = 0, None
    for at in times:
        if locked_until is not None and at < locked_until:
            continue
        failures, locked_until = after_failure(failures, at, limits)
    return failures, locked_until


# --- contributors (C6) ---------------------------------------------------------------------------

def designations(roles: Iterable[tuple[str, str | None, int | None]], state: str) -> frozenset[int]:
    """The departments a user answers for as their contributor (供稿员, C6): the departments of their
    contributor roles, while the account is active (a locked or departed account answers for none)."""
    if state != "active":
        return frozenset()
    return frozenset(scope_id for role, scope_type, scope_id in roles
                     if role == "contributor" and scope_type == "department" and scope_id is not None)


def designation_changes(before: frozenset[int], after: frozenset[int]) -> dict[int, str]:
    """department id -> "added" or "removed": what the office is told (C6)."""
    return {**{d: "added" for d in after - before}, **{d: "removed" for d in before - after}}
