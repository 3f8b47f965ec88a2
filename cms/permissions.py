"""Who may do what: roles map to permissions in one table, and one decorator declares each view's
permission. The URL-map test walks every endpoint and proves each one either declares a
permission here or is on PUBLIC_ENDPOINTS.

Two questions, kept apart (issue 13):
- `User.holds(perm)`: held in at least one scope. Only the `requires` gate and the menus ask it, to
  decide whether to show or open an entry point; it never decides about an object.
- `User.has_permission(perm, scope)`: held for this scope. A permission that some role may hold for
  a scope (ROLE_SCOPES) asked with no scope raises ScopeRequired: a programming error, never a yes.
Object decisions go through one policy per kind of object (cms/content/policy.py: post, revision;
cms/workflow/policy.py: review task; cms/publishing/policy.py: publication, channel, scheduling,
the C8 override, bundles, withdrawals; cms/auth/policy.py: user), each answering
`can_view / can_edit / can_<action>(user, obj)` with the object's scope. Templates ask them through
the `can(action, obj)` global registered below.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Any logged-in, active user (their own profile, home page, password change).
SELF = "self"

ROLE_LABELS = {
    "contributor": _l("Contributor"),
    "department_head": _l("Department head"),
    "leader": _l("Leader in charge"),
    "editor": _l("Editor"),
    "proofreader": _l("Proofreader"),
    "supervisor": _l("Platform supervisor"),
    "chief": _l("Chief executive"),
    "account_admin": _l("Account administrator"),
    "moderator": _l("Comment moderator"),
    "group_admin": _l("Group administrator"),
    "finance": _l("Finance"),
    "payment_custodian": _l("Payment custodian"),
    "auditor": _l("Auditor"),
    "sysadmin": _l("System administrator"),
}
ROLES = tuple(ROLE_LABELS)

# The scope kinds a role may be held for (None = globally). DESIGN.md "Roles and scope".
ROLE_SCOPES: dict[str, tuple[str | None, ...]] = {
    "contributor": ("department",),
    "department_head": ("department",),
    "leader": ("department",),
    "editor": (None,),
    "proofreader": (None,),
    "supervisor": (None, "channel"),
    "chief": (None,),
    "account_admin": (None, "channel"),
    "moderator": (None, "channel"),
    "group_admin": (None,),
    "finance": (None,),
    "payment_custodian": (None,),
    "auditor": (None,),
    "sysadmin": (None,),
}

REVIEW_ROLES = ("department_head", "leader", "editor", "proofreader", "supervisor", "chief")

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "contributor": {"post.create"},
    # violation.view: the violations of their department's people (G10 U8; cms/violations/policy.py)
    "department_head": {"post.create", "post.review", "group.file", "violation.view"},
    "leader": {"post.review", "group.approve", "payment.override"},
    "editor": {"post.review", "post.read_all"},
    "proofreader": {"post.review", "post.read_all"},
    "supervisor": {"post.review", "post.read_all", "post.clear_confidential", "publish.request_withdraw",
                   "publish.approve_withdraw", "archive.read"},
    "chief": {"post.review", "post.read_all"},
    "account_admin": {"post.read_all", "channel.manage", "publish", "publish.request_withdraw", "archive.read"},
    "moderator": {"comment.moderate"},
    "group_admin": {"group.admin", "group.file"},
    "finance": {"payment.finance"},
    "payment_custodian": {"payment.pay"},
    "auditor": {"audit.read", "post.read_all", "archive.read"},
    "sysadmin": {"user.manage", "settings.manage", "audit.read", "workflow.manage", "post.read_all", "archive.read"},
}
PERMISSIONS = sorted(set().union(*ROLE_PERMISSIONS.values()) | {SELF})

# Permissions granted by at least one role that may be held for a scope: asking one of them
# without a scope is a programming error (ScopeRequired).
SCOPED_PERMISSIONS = frozenset(
    perm for role, perms in ROLE_PERMISSIONS.items() if any(kind is not None for kind in ROLE_SCOPES[role])
    for perm in perms)


class ScopeRequired(ValueError):
    """`has_permission(perm)` without a scope for a permission some role holds only for a scope.
    Ask the object's policy (which passes the object's channel or department), or `holds(perm)` at
    an entry point."""

# Endpoints that answer without a login: the allowlist the URL-map test checks against (each also
# needs its reason and what a visitor gets in tests/test_url_map.py PUBLIC).
PUBLIC_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "auth.login",
    "main.healthz",
    "main.favicon",
    "api.openapi",
    "site.page",  # the website channel's published pages, their images and its feed
    "site.image",
    "site.feed",
    # WeChat → us (cms/callbacks): called by the platform, so no login; authenticated instead by the
    # signature made with the channel's callback token (and the EncodingAESKey in safe mode).
    "callbacks.wechat",
}


# Whole blueprints that answer without a login: the platform sandbox, mounted only when
# CMS_SANDBOX is on (never in production), speaks the platforms' own token auth.
PUBLIC_BLUEPRINTS = ("sandbox",)


def is_public(endpoint: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or endpoint.partition(".")[0] in PUBLIC_BLUEPRINTS


def role_grants(role: str, permission: str) -> bool:
    return permission == SELF or permission in ROLE_PERMISSIONS.get(role, ())


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def roles_with(permission: str) -> list[str]:
    return [r for r in ROLES if role_grants(r, permission)]


def endpoint_permission(app, endpoint: str) -> str | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "permission", None)


# --- one policy per kind of object -----------------------------------------------------------------

POLICIES: dict[type, object] = {}


def policy_for(kind: type, module) -> None:
    """Register `module` (its can_* functions) as the policy of objects of class `kind`."""
    POLICIES[kind] = module


def can(action: str, obj, user) -> bool:
    """`can("clear_confidential", post, user)` → the post policy's can_clear_confidential(user, post)
    (templates call `can(action, obj)` for the current user: cms/web.py template_can). An unknown
    kind or action raises: a typo must not read as "no"."""
    module = next((m for kind, m in POLICIES.items() if isinstance(obj, kind)), None)
    if module is None:
        raise LookupError(f"no policy for {type(obj).__name__}")
    check = getattr(module, f"can_{action}")
    return bool(check(user, obj))
