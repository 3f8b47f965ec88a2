"""The user policy (issue 13): who may see and change which account. user.manage is held only
globally (the system administrator, U6), so no scope is asked; a user sees their own profile.
Pure of Flask globals: every function takes the acting user."""
from __future__ import annotations

import sys

from cms.auth.models import User
from cms.permissions import policy_for


def can_manage_users(actor) -> bool:
    """The users and departments pages, the locked-accounts list (U3)."""
    return bool(actor.is_active and actor.has_permission("user.manage"))


def can_view(actor, target: User) -> bool:
    return bool(actor.is_active and (actor.id == target.id or can_manage_users(actor)))


def can_edit(actor, target: User) -> bool:
    """Real name, department, title, roles (U1): the administrator; one's own profile has its own page."""
    return can_manage_users(actor)


def can_lock(actor, target: User) -> bool:  # U3: lock, unlock, force a password reset
    return can_manage_users(actor)


def can_confirm_departure(actor, target: User) -> bool:  # U4
    return can_manage_users(actor)


def can_view_contributors(actor) -> bool:
    """C6: the contributors register, for those who read every post: the office's editors and
    proofreaders, the reviewers above them, and the administrator who gives the roles."""
    return bool(actor.is_active and actor.holds("post.read_all"))


policy_for(User, sys.modules[__name__])
