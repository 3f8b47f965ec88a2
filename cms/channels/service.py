"""Channels: what the administrators do with them, and the platform clients built from them.

    channels() / get_channel(id) / get_channel_by_name(name) / managed_channels(user)
    create_channel(values) / update_channel(channel, values)     validated, audited (C1 C2 C17 C18)
    rotate_secret(channel, new_secret)                           C17: a new AppSecret, dated
    set_theme(channel, values)                                   C10
    mp_client(channel) / toutiao_client(channel)                 clients on the shared token storage
    clients.api_base_url(channel)                                        channel's own > sandbox > setting > real
    test_connection(channel) -> (ok, message)                    the platform's answer, audited
    secret_overdue(channel) / secret_age_days / secret_due_at    C17
    push_allowance(channel) -> (pushes, "day" | "month")         C18
    can_manage(user, channel=None)                               who may manage which channel

Credentials are never returned: views and audit entries see `channel_snapshot()`, which names what
is stored, not what it is. Only mp_client / toutiao_client decrypt the AppSecret."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cms import workdays
from cms.articles.themes import theme_from_dict, theme_to_dict
from cms.audit.service import record
from cms.channels import clients, rules
from cms.channels.callback_config import point_sandbox
from cms.channels.models import (
    ACCOUNT_KINDS,
    AUDIENCES,
    CHANNEL_TYPES,
    CREDENTIAL_PLATFORMS,
    LEVELS,
    PLATFORMS,
    Channel,
)
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.transactions import operation

# The fields create_channel / update_channel take, in the order problems are reported.
FIELDS = ("name", "platform", "channel_type", "audience", "level", "account_kind", "app_id", "app_secret",
          "callback_token", "encoding_aes_key", "callback_mode", "api_base_url", "slug", "push_quota", "rotation_days",
          "manager_id", "active")
FIELD_LABELS = {
    "name": _l("Name"),
    "platform": _l("Platform"),
    "channel_type": _l("Type (C1)"),
    "audience": _l("Audience (C1)"),
    "level": _l("Level (C2)"),
    "account_kind": _l("Account kind"),
    "app_id": _l("AppID"),
    "app_secret": _l("AppSecret"),
    "callback_token": _l("Callback token"),
    "encoding_aes_key": _l("EncodingAESKey"),
    "callback_mode": _l("Message encryption mode"),
    "api_base_url": _l("API base URL"),
    "slug": _l("Feed name"),
    "push_quota": _l("Push quota (C18)"),
    "rotation_days": _l("AppSecret rotation (days, C17)"),
    "manager_id": _l("Designated manager (C17)"),
    "active": _l("Active"),
}
FIELD_POLICY = {"channel_type": "C1", "audience": "C1", "level": "C2", "app_secret": "C17",
                "rotation_days": "C17", "manager_id": "C17", "push_quota": "C18"}
CREDENTIAL_FIELDS = ("app_secret", "callback_token", "encoding_aes_key")


# --- reading -------------------------------------------------------------------------------------

def channels() -> list[Channel]:
    return list(db.session.scalars(select(Channel).order_by(Channel.id)))


def get_channel(channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(_("No such channel."), code="not_found")
    return channel


def get_channel_by_name(name: str) -> Channel:
    channel = db.session.scalar(select(Channel).where(Channel.name == name))
    if channel is None:
        raise NotFound(_("No channel named %(name)s.", name=name), code="not_found")
    return channel


def can_manage(user, channel: Channel | None = None) -> bool:
    """channel.manage for this channel (a global or a channel-scoped account administrator); with
    no channel, held globally (creating channels). cms/publishing/policy.py decides."""
    from cms.channels.policy import can_manage_channel

    return can_manage_channel(user, channel)


def managed_channels(user) -> list[Channel]:
    return [c for c in channels() if can_manage(user, c)]


def manager_candidates() -> list:
    """Active users who may hold a channel's credentials (C17): account administrators."""
    from cms.auth.models import RoleAssignment, User

    return list(db.session.scalars(
        select(User).join(RoleAssignment).where(RoleAssignment.role == "account_admin", User.state == "active")
        .distinct().order_by(User.id)))


def channel_snapshot(channel: Channel) -> dict:
    """What a page, the CLI or an audit entry may show of a channel: never a credential's value.
    (Key names avoid the words the audit trail redacts, so the facts stay readable.)"""
    return {
        "name": channel.name, "platform": channel.platform, "channel_type": channel.channel_type,
        "audience": channel.audience, "level": channel.level, "account_kind": channel.account_kind,
        "app_id": channel.app_id, "api_base_url": channel.api_base_url, "slug": channel.slug,
        "push_quota": channel.push_quota, "rotation_days": channel.rotation_days,
        "manager_id": channel.manager_id, "active": channel.active, "callback_mode": channel.callback_mode,
        "rotated_at": channel.secret_rotated_at.isoformat() if channel.secret_rotated_at else None,
        "stored": [f for f, present in (("app_secret", channel.has_secret),
                                        ("callback_token", channel.has_callback_token),
                                        ("encoding_aes_key", channel.has_encoding_aes_key)) if present],
    }


# --- C17 and C18 ---------------------------------------------------------------------------------

def rotation_days(channel: Channel) -> int:
    return channel.rotation_days or int(current_app.config["CHANNEL_SECRET_MAX_AGE_DAYS"])


def secret_age_days(channel: Channel, now: datetime | None = None) -> int | None:
    return rules.secret_age_days(channel.secret_rotated_at, now or workdays.now())


def secret_due_at(channel: Channel) -> datetime | None:
    return rules.secret_due_at(channel.secret_rotated_at, rotation_days(channel))


def secret_overdue(channel: Channel, now: datetime | None = None) -> bool:
    """C17: the AppSecret is older than its rotation period (or was never dated)."""
    return rules.secret_overdue(channel.secret_rotated_at, rotation_days(channel), now or workdays.now(),
                                has_secret=channel.has_secret)


def secret_due_soon(channel: Channel, now: datetime | None = None) -> bool:
    return rules.secret_due_soon(channel.secret_rotated_at, rotation_days(channel), now or workdays.now(),
                                 int(current_app.config["CHANNEL_SECRET_REMIND_DAYS"]),
                                 has_secret=channel.has_secret)


def overdue_channels(user=None) -> list[Channel]:
    """Active channels whose AppSecret is overdue (or due soon); only those `user` manages if given."""
    found = [c for c in channels() if c.active and c.platform in CREDENTIAL_PLATFORMS
             and (secret_overdue(c) or secret_due_soon(c))]
    return [c for c in found if user is None or can_manage(user, c)]


def push_allowance(channel: Channel) -> tuple[int, str]:
    """(pushes allowed, "day" | "month") for an official account (C18, WECHAT_API.md 4)."""
    return rules.push_allowance(channel.account_kind, channel.push_quota)


# --- create, update, rotate ----------------------------------------------------------------------

def _text(values: dict, name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()


def _int(values: dict, name: str, low: int, high: int, errors: dict, message: str) -> int | None:
    raw = _text(values, name)
    if raw == "":
        return None
    try:
        number = int(raw)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors.setdefault(name, []).append(message)
        return None
    return number


def _refuse(errors: dict) -> None:
    if not errors:
        return
    ordered = {f: errors[f] for f in FIELDS if f in errors}
    first = next(iter(ordered))
    problems = "；".join(f"{FIELD_LABELS[f]}：{' '.join(str(m) for m in msgs)}" for f, msgs in ordered.items())
    raise Refused(_("The channel was not saved. %(problems)s", problems=problems),
                  code=FIELD_POLICY.get(first, "invalid"), status=400,
                  fields={f: [str(m) for m in msgs] for f, msgs in ordered.items()})


def _parse(values: dict, channel: Channel | None) -> dict[str, Any]:
    """Validate `values` (strings as a form sends them) for a new channel (channel None) or an
    existing one. Returns the clean values; raises Refused naming every bad field at once."""
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    out: dict[str, Any] = {}
    creating = channel is None
    current = (lambda name: getattr(channel, name)) if channel else (lambda name: None)

    def given(name: str) -> bool:
        return creating or name in values

    if given("name"):
        name = _text(values, "name")
        if not name:
            bad("name", _("A name is required."))
        elif len(name) > 64:
            bad("name", _("At most %(n)d characters.", n=64))
        elif db.session.scalar(select(Channel.id).where(Channel.name == name,
                                                         Channel.id != (channel.id if channel else -1))):
            bad("name", _("Another channel is already named %(name)s.", name=name))
        out["name"] = name
    platform = channel.platform if channel else _text(values, "platform")
    if creating and platform not in PLATFORMS:
        bad("platform", _("Choose a platform: WeChat official account, Toutiao-style account or website."))
    elif not creating and "platform" in values and _text(values, "platform") not in ("", platform):
        bad("platform", _("A channel's platform cannot change: create a new channel instead."))
    out["platform"] = platform
    for name, allowed, message in (
            ("channel_type", CHANNEL_TYPES, _("Choose the channel's type: brand, sales, employee tools or other (C1).")),
            ("audience", AUDIENCES, _("Choose the channel's audience: employees, partners or the public (C1).")),
            ("level", LEVELS, _("Choose the channel's level: group, subsidiary, employee-interactive or department (C2).")),
            ("account_kind", ACCOUNT_KINDS, _("Choose a service account or a subscription account."))):
        if not given(name):
            continue
        value = _text(values, name)
        if name == "account_kind" and platform != "wechat" and not value:
            value = "service"
        if value not in allowed:
            bad(name, message)
        out[name] = value

    cred = {k: _text(values, k) for k in ("app_id", "app_secret", "callback_token", "encoding_aes_key",
                                          "api_base_url", "slug")}
    if not creating:
        for k in ("app_id", "api_base_url", "slug"):
            if k not in values:
                cred[k] = current(k) or ""
    problems = rules.credential_problems(platform, cred, creating=creating,
                                         has_secret=bool(channel and channel.has_secret))
    messages = {
        ("app_id", "required"): _("A WeChat channel needs its AppID.") if platform == "wechat"
        else _("A Toutiao-style channel needs its app_id."),
        ("app_id", "format"): _("An AppID is wx followed by letters and digits, as the MP console shows it.")
        if platform == "wechat" else _("4 to 64 letters, digits, dots, dashes or underscores."),
        ("app_secret", "required"): _("Enter the AppSecret: it is stored encrypted and never shown again (C17)."),
        ("app_secret", "format"): _("An AppSecret has no spaces and at most 128 characters."),
        ("callback_token", "format"): _("The callback token is 3 to 32 letters or digits."),
        ("encoding_aes_key", "format"): _("The EncodingAESKey is 43 letters or digits."),
        ("slug", "required"): _("A website channel needs a feed name (lower-case letters, digits, dashes)."),
        ("slug", "format"): _("Lower-case letters, digits and dashes only."),
        ("api_base_url", "format"): _("A base URL starts with http:// or https:// and has no query."),
    }
    for field, codes in problems.items():
        for code in codes:
            bad(field, messages[(field, code)])
    if (platform in CREDENTIAL_PLATFORMS and not creating and cred["app_id"] != (channel.app_id or "")
            and not cred["app_secret"] and "app_id" not in errors):
        bad("app_secret", _("A new AppID needs its AppSecret."))
    if platform in CREDENTIAL_PLATFORMS:
        out["app_id"] = cred["app_id"] or None
        out["api_base_url"] = (cred["api_base_url"].rstrip("/") + "/") if cred["api_base_url"] else None
        for k in CREDENTIAL_FIELDS:
            if cred[k]:
                out[k] = cred[k]  # blank keeps what is stored
    if platform == "wechat" and given("callback_mode"):
        mode = _text(values, "callback_mode") or None  # blank: automatic
        has_key = bool(cred["encoding_aes_key"]) or bool(channel and channel.has_encoding_aes_key)
        problem = rules.callback_mode_problem(mode, has_key)
        if problem == "choice":
            bad("callback_mode", _("Choose automatic, safe, compatible or plaintext mode."))
        elif problem == "needs_key":
            bad("callback_mode", _("Compatible and safe modes need the EncodingAESKey: enter it, or choose "
                                   "plaintext mode."))
        out["callback_mode"] = mode
    if platform == "website" and given("slug"):
        slug = cred["slug"]
        if slug and "slug" not in errors and db.session.scalar(
                select(Channel.id).where(Channel.slug == slug, Channel.id != (channel.id if channel else -1))):
            bad("slug", _("Another channel uses this feed name."))
        out["slug"] = slug or None

    if given("push_quota"):
        out["push_quota"] = _int(values, "push_quota", 0, 100, errors,
                                 _("A whole number from 0 to 100, or blank for the platform's quota (C18)."))
        if platform != "wechat":
            out["push_quota"] = None
    if given("rotation_days"):
        out["rotation_days"] = _int(values, "rotation_days", 1, 365, errors,
                                    _("A whole number of days from 1 to 365, or blank for the default (C17)."))
    if given("manager_id"):
        out["manager_id"] = _manager(values.get("manager_id"), platform, channel, bad)
    if "active" in values:
        out["active"] = bool(values["active"]) and values["active"] not in ("0", "false", "n", "no", "off")
    _refuse(errors)
    return out


def _manager(raw, platform: str, channel: Channel | None, bad) -> int | None:
    from cms.auth.models import User

    raw = "" if raw is None else str(raw).strip()
    if not raw:
        if platform in CREDENTIAL_PLATFORMS:
            bad("manager_id", _("Name the designated manager who holds this channel's credentials (C17)."))
        return None
    user = db.session.get(User, int(raw)) if raw.isdigit() else None
    if user is None or not user.is_active or not can_manage(user, channel):
        bad("manager_id", _("The designated manager must be an active account administrator (C17)."))
        return None
    return user.id


def _apply(channel: Channel, clean: dict) -> list[str]:
    """Set the clean values; returns the credentials replaced."""
    replaced = []
    for k, v in clean.items():
        if k in CREDENTIAL_FIELDS:
            continue
        setattr(channel, k, v)
    if "app_secret" in clean:
        channel.set_secret(clean["app_secret"])
        channel.secret_rotated_at = workdays.now()
        replaced.append("app_secret")
    if "callback_token" in clean:
        channel.set_callback_token(clean["callback_token"])
        replaced.append("callback_token")
    if "encoding_aes_key" in clean:
        channel.set_encoding_aes_key(clean["encoding_aes_key"])
        replaced.append("encoding_aes_key")
    return replaced


@operation
def create_channel(values: dict) -> Channel:
    """A new channel from form-like values (FIELDS). WeChat and Toutiao-style channels need an AppID,
    an AppSecret and a designated manager (C17); website channels a feed name. Audited."""
    clean = _parse(values, None)
    channel = Channel(theme={}, active=clean.pop("active", True))
    _apply(channel, clean)
    db.session.add(channel)
    db.session.flush()
    record("channel.created", channel, after=channel_snapshot(channel))
    db.session.commit()
    _after_credentials_change(channel, [])
    return channel


@operation
def update_channel(channel: Channel, values: dict) -> Channel:
    """Change what `values` holds; a credential left blank keeps the stored one. A new AppSecret here
    is a rotation (its date restarts, C17). Audited with the values of credentials redacted."""
    clean = _parse(values, channel)
    before = channel_snapshot(channel)
    old_app_id, old_base = channel.app_id, channel.api_base_url
    replaced = _apply(channel, clean)
    after = channel_snapshot(channel)
    if before == after and not replaced:
        return channel
    record("channel.updated", channel, before=before, after={**after, "replaced": replaced})
    db.session.commit()
    if (replaced or old_app_id != channel.app_id or old_base != channel.api_base_url
            or before["callback_mode"] != after["callback_mode"]):
        _after_credentials_change(channel, [old_app_id])
    return channel


@operation
def rotate_secret(channel: Channel, new_secret: str) -> Channel:
    """C17: a new AppSecret (changed on the platform first), dated now. The value is never audited."""
    new_secret = (new_secret or "").strip()
    errors: dict[str, list[str]] = {}
    if channel.platform not in CREDENTIAL_PLATFORMS:
        raise Refused(_("A website channel has no AppSecret."), code="invalid", status=400)
    problems = rules.credential_problems(channel.platform, {"app_id": channel.app_id or "", "app_secret": new_secret},
                                         creating=True)
    if "app_secret" in problems:
        errors["app_secret"] = [_("Enter the new AppSecret.") if not new_secret
                                else _("An AppSecret has no spaces and at most 128 characters.")]
    elif channel.has_secret and channel.secret() == new_secret:
        errors["app_secret"] = [_("This is the AppSecret already stored: reset it on the platform first, "
                                  "then enter the new one (C17).")]
    _refuse(errors)
    before = {"rotated_at": channel.secret_rotated_at.isoformat() if channel.secret_rotated_at else None}
    channel.set_secret(new_secret)
    channel.secret_rotated_at = workdays.now()
    due = secret_due_at(channel)
    record("channel.secret_rotated", channel, before=before,
           after={"rotated_at": channel.secret_rotated_at.isoformat(), "due": due.isoformat() if due else None})
    db.session.commit()
    _after_credentials_change(channel, [])
    return channel


@operation
def set_theme(channel: Channel, values: dict) -> Channel:
    """The channel's theme (C10: one format for every post of a channel). Revisions already saved
    keep the HTML they were rendered with; the next save of a post uses the new theme."""
    try:
        theme = theme_from_dict(values)
    except ValueError as e:
        raise Refused(str(e), code="C10", fields={"theme": [str(e)]}) from None
    before = dict(channel.theme or {})
    channel.theme = theme_to_dict(theme)
    record("channel.theme_changed", channel, before=before, after=channel.theme)
    db.session.commit()
    return channel


def _after_credentials_change(channel: Channel, old_app_ids: list) -> None:
    """After the commit: forget tokens fetched with the old credentials, and let a mounted sandbox
    know the account (make run)."""
    for app_id in {*old_app_ids, channel.app_id} - {None}:
        clients.forget_tokens(app_id)
    app = current_app._get_current_object()
    if "sandbox" in app.extensions:
        register_sandbox_accounts(app, [channel])


# --- clients -------------------------------------------------------------------------------------


def test_connection(channel: Channel) -> tuple[bool, str]:
    """Fetch a token with the stored credentials; (ok, the platform's answer in Chinese). Audited."""
    ok, message = clients.platform_answer(channel)
    secret = channel.secret() if channel.has_secret else None
    if secret:
        message = message.replace(secret, "[redacted]")  # an answer never echoes it, but be sure
    record("channel.connection_tested", channel, after={"ok": ok, "answer": message})
    db.session.commit()
    return ok, message


test_connection.__test__ = False  # not a pytest test, whatever its name


# --- the sandbox (make run) ----------------------------------------------------------------------

@operation
def register_sandbox_accounts(app, only: list[Channel] | None = None) -> int:
    """Make the sandbox mounted in `app` know the channels that use it with the sandbox's secret,
    with their account kind (a subscription account pushes once a day) and name, so "test
    connection" and publishing answer as the platform would. The sandbox keeps its state in memory:
    this runs at each process's first request and after a channel is saved. A WeChat channel with a
    callback token also gets its server configuration there (cms.channels.callback_config.point_sandbox).
    Returns how many were added."""
    from cms.sandbox import SANDBOX_SECRET

    state = app.extensions.get("sandbox")
    if state is None:
        return 0
    added = 0
    for channel in only if only is not None else channels():
        if channel.platform not in CREDENTIAL_PLATFORMS or not channel.app_id or not channel.has_secret:
            continue
        base = clients.sandbox_base(channel.platform)
        if base is None or clients.api_base_url(channel) != base or channel.secret() != SANDBOX_SECRET:
            continue
        with state.lock:
            if channel.platform == "wechat":
                account = state.accounts.get(channel.app_id)
                if account is None:
                    state.add_account(channel.app_id, SANDBOX_SECRET, kind=channel.account_kind, name=channel.name)
                    added += 1
                elif account.kind != channel.account_kind and not account.pushes:
                    account.kind = channel.account_kind
                point_sandbox(state, channel)  # its server configuration: callbacks come back to us
            elif channel.app_id not in state.toutiao_accounts:
                state.add_toutiao_account(channel.app_id, SANDBOX_SECRET, name=channel.name)
                added += 1
    return added
