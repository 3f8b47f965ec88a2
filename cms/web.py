"""Small helpers the HTML views share."""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, has_request_context, request
from flask_login import current_user

from cms.errors import Refused
from cms.permissions import PERMISSIONS, can


def safe_next(target: str | None) -> str | None:
    """Only a local path is followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def flash_refusal(e: Refused, form=None, field_map: dict | None = None) -> None:
    """Show a service's refusal: on the form fields it names, else as a message."""
    placed = False
    if form is not None:
        for name, messages in (e.fields or {}).items():
            field = getattr(form, (field_map or {}).get(name, name), None)
            if field is not None and hasattr(field, "errors"):
                if isinstance(field.errors, tuple):
                    field.errors = list(field.errors)
                field.errors.extend(str(m) for m in messages)
                placed = True
    if not placed:
        flash(e.message, "danger")


def request_origin() -> tuple[object | None, str]:
    """(the logged-in user, the client's address) of the request being served, for the audit
    trail and the archive (registered with cms.audit.origin by create_app)."""
    if not has_request_context():
        return None, ""
    user = current_user._get_current_object() if current_user and current_user.is_authenticated else None
    return user, request.remote_addr or ""


def requires(permission: str):
    """Declare a view's permission, held in some scope (`User.holds`). Anonymous → the login page
    (401 JSON under /api); logged in without the permission anywhere → 403. The object decision is
    the policy's, asked by the view or the service with the object."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.blueprint == "api":
                    abort(401)
                from cms.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.holds(permission):  # an entry point: the view asks the policy
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator


def template_can(action: str, obj) -> bool:
    """The templates' `can(action, obj)`: the object's policy asked for the logged-in user."""
    return can(action, obj, current_user)
