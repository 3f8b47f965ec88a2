"""Pure channel rules: no Flask, no database, plain data in and out.

    secret_age_days(rotated_at, now)                      days since the AppSecret was last set
    secret_due_at(rotated_at, max_age_days)               when it must be changed next (C17)
    secret_overdue(rotated_at, max_age_days, now, ...)    past that date (or never dated)
    secret_due_soon(rotated_at, max_age_days, now, remind_days)
    push_allowance(account_kind, push_quota)              (pushes, "day" | "month") for C18
    credential_problems(platform, values, creating=...)   {field: [problem code]} of the credentials
    effective_mode(chosen, has_key)                       the callback mode a channel holds pushes to
    callback_mode_problem(mode, has_key)                  "choice" | "needs_key" | None: a WeChat
                                                          channel's callback mode (issue 13 part 3)
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

# WECHAT_API.md 4: a subscription account pushes once a day, a service account 4 times a month.
DEFAULT_PUSHES = {"subscription": (1, "day"), "service": (4, "month")}


SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


APP_ID = re.compile(r"^[A-Za-z0-9_.-]{4,64}$")


WECHAT_APP_ID = re.compile(r"^wx[A-Za-z0-9]{6,30}$")


CALLBACK_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # the MP console's rule for the server token


AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")  # EncodingAESKey: 43 letters and digits


BASE_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def secret_age_days(rotated_at: datetime | None, now: datetime) -> int | None:
    if rotated_at is None:
        return None
    return max((now - rotated_at).days, 0)


def secret_due_at(rotated_at: datetime | None, max_age_days: int) -> datetime | None:
    return rotated_at + timedelta(days=max_age_days) if rotated_at is not None else None


def secret_overdue(rotated_at: datetime | None, max_age_days: int, now: datetime, *,
                   has_secret: bool = True) -> bool:
    """C17: credentials are changed regularly. A secret never dated counts as overdue."""
    if not has_secret:
        return False
    if rotated_at is None:
        return True
    return now >= rotated_at + timedelta(days=max_age_days)


def secret_due_soon(rotated_at: datetime | None, max_age_days: int, now: datetime, remind_days: int, *,
                    has_secret: bool = True) -> bool:
    """Due within `remind_days`, not yet overdue."""
    if not has_secret or rotated_at is None or secret_overdue(rotated_at, max_age_days, now):
        return False
    return now >= rotated_at + timedelta(days=max_age_days - remind_days)


def push_allowance(account_kind: str, push_quota: int | None) -> tuple[int, str]:
    """(pushes allowed, period) of an official account (C18): the channel's own quota when set,
    counted over its kind's period, else the platform's."""
    limit, period = DEFAULT_PUSHES.get(account_kind, DEFAULT_PUSHES["service"])
    return (push_quota if push_quota is not None else limit), period


def credential_problems(platform: str, values: dict, *, creating: bool, has_secret: bool = False) -> dict:
    """Problem codes per field for a channel's platform and credentials. `values` holds the stripped
    strings given (a secret left blank is ""). Codes: required, format, not_applicable."""
    problems: dict[str, list[str]] = {}

    def bad(field, code):
        problems.setdefault(field, []).append(code)

    app_id = values.get("app_id") or ""
    secret = values.get("app_secret") or ""
    if platform in ("wechat", "toutiao"):
        if not app_id:
            bad("app_id", "required")
        elif not (WECHAT_APP_ID if platform == "wechat" else APP_ID).match(app_id):
            bad("app_id", "format")
        if not secret and (creating or not has_secret):
            bad("app_secret", "required")
        elif secret and (len(secret) > 128 or any(c.isspace() for c in secret)):
            bad("app_secret", "format")
    if platform == "wechat":
        token = values.get("callback_token") or ""
        if token and not CALLBACK_TOKEN.match(token):
            bad("callback_token", "format")
        aes = values.get("encoding_aes_key") or ""
        if aes and not AES_KEY.match(aes):
            bad("encoding_aes_key", "format")
    if platform == "website":
        slug = values.get("slug") or ""
        if not slug:
            bad("slug", "required")
        elif not SLUG.match(slug):
            bad("slug", "format")
    base = values.get("api_base_url") or ""
    if base and not BASE_URL.match(base):
        bad("api_base_url", "format")
    return problems


# The MP console's message encryption modes (WECHAT_API.md 2); cms/callbacks/rules.py says what
# each takes.
CALLBACK_MODES = ("plaintext", "compatible", "safe")


def effective_mode(chosen: str | None, has_key: bool) -> str:
    """The channel's choice, or (none made) safe with a stored EncodingAESKey, else plaintext."""
    if chosen in CALLBACK_MODES:
        return chosen
    return "safe" if has_key else "plaintext"


def callback_mode_problem(mode: str | None, has_key: bool) -> str | None:
    """None (automatic: safe with a stored EncodingAESKey, else plaintext) or one of the MP
    console's modes; compatible and safe open encrypted pushes, so they need the key."""
    if mode is None:
        return None
    if mode not in CALLBACK_MODES:
        return "choice"
    if mode != "plaintext" and not has_key:
        return "needs_key"
    return None
