"""The "my work" home page: each feature adds a provider that lists what waits for a user.

A provider takes the user and returns None (nothing for them) or a section dict:
{"title", "items": [{"label", "url", "due"?, "overdue"?}], "empty"}."""
from collections.abc import Callable

PROVIDERS: list[Callable] = []


def provider(fn: Callable) -> Callable:
    PROVIDERS.append(fn)
    return fn


def work_for(user) -> list[dict]:
    return [s for s in (p(user) for p in PROVIDERS) if s is not None]


@provider
def _password_expiry(user):
    from flask_babel import gettext as _

    from cms import workdays
    from cms.auth.service import policy

    if user.password_changed_at is None:
        return None
    days_left = policy().max_age_days - (workdays.now() - user.password_changed_at).days
    if days_left > 14:
        return None
    from flask import url_for

    return {"title": _("Password"), "items": [{
        "label": _("Your password expires in %(n)d days (U2).", n=max(days_left, 0)),
        "url": url_for("auth.change_password"), "overdue": days_left <= 3}]}


@provider
def _locked_accounts(user):
    """Sysadmins see accounts locked after failures (U3)."""
    from cms.auth.policy import can_manage_users

    if not can_manage_users(user):
        return None
    from flask import url_for
    from flask_babel import gettext as _
    from sqlalchemy import or_, select

    from cms import workdays
    from cms.auth.models import User
    from cms.extensions import db

    locked = db.session.scalars(select(User).where(or_(
        User.state == "suspended", User.locked_until > workdays.now())).order_by(User.id)).all()
    return {"title": _("Locked accounts"), "empty": _("No account is locked."),
            "items": [{"label": f"{u.real_name}（{u.username}）", "url": url_for("admin.user_edit", user_id=u.id)}
                      for u in locked]}
