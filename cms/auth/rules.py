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


def login_refusal(state: str, locked_until: datetime | None, ip_failures: int, now: datetime,
                  limits: LoginLimits) -> str | None:
    """Why a login is refused before the password is even checked, or None."""
    if ip_failures >= limits.ip_max_failures:
        return THROTTLED
    if locked_until is not None and locked_until > now:
        return N_("The account is locked after repeated failures. Try again in %(n)d minutes.")
    if state == "suspended":
        return N_("The account is locked. Ask an administrator.")
    if state == "departed":
        return N_("The account is closed.")
    return None
