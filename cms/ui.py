"""Small display helpers for every page (issue 19, Chinese throughout):

    person(user)                real name with the username small beside it (a Markup)
    user_roles(user)            the user's role labels in Chinese, "、"-joined
    policy_ref("C8")            the policy ID as <abbr title="the rule's text">C8</abbr> (cms/policy_texts.py)
    (static/policy_refs.js, with /policies.json, makes every bare policy ID in a page's text -- a
    flash, a label, a refusal: "（C8）" -- such an <abbr> in the browser, the HTML unchanged)
"""
from __future__ import annotations

from markupsafe import Markup

from cms.policy_texts import policy_ref

# CMS_TIMEZONE as people say it (issue 19: "Asia/Shanghai" on every page); others by their offset
ZONE_NAMES = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Hong_Kong": "香港时间",
              "Asia/Taipei": "台北时间", "Asia/Macau": "澳门时间", "UTC": "协调世界时"}


def zone_name(zone: str) -> str:
    if zone in ZONE_NAMES:
        return ZONE_NAMES[zone]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        offset = datetime.now(ZoneInfo(zone)).strftime("%z")
    except Exception:  # noqa: BLE001 - an unknown zone name: shown as configured
        return zone
    return f"UTC{offset[:3]}:{offset[3:]}"


def person(user) -> Markup:
    if user is None:
        return Markup("")
    return Markup('%s <small class="text-muted username">%s</small>') % (user.real_name, user.username)


def user_roles(user) -> str:
    from cms.permissions import role_label

    seen: list[str] = []
    for r in sorted(getattr(user, "roles", []) or [], key=lambda r: r.role):
        label = role_label(r.role)
        if label not in seen:
            seen.append(label)
    return "、".join(seen)


def init_app(app) -> None:
    """The filters and globals."""
    app.add_template_filter(person, "person")
    app.add_template_filter(user_roles, "user_roles")
    app.add_template_global(policy_ref, "policy_ref")
