"""The post and revision policy (issue 13): who may see, edit, create, and clear C5 on which post,
asked by the views, the API, the templates (`can(...)`) and the services, always with the post, so
its scope (department, channels) decides. Pure of Flask globals: every function takes the user.

Scope semantics:
- post.read_all held globally (editor, proofreader, chief, auditor, sysadmin, a global supervisor
  or account administrator): every post. Held for channels (a channel's supervisor or account
  administrator): the posts targeting at least one of those channels.
- Everyone sees their own posts and those of the departments they write for, head, or are in
  charge of (contributor, department_head, leader, each held per department).
- The review chain's own routing: whoever holds the post's current step (or deputises for its
  holder), or has decided or edited at a step of it, sees it (cms/workflow/policy.py).
- C5: clearing the confidential flag needs post.clear_confidential (the supervisor) for every
  channel the post targets; a post with no channel, a global supervisor only.
`visible_posts` (a query) and `can_view` (one post) give the same answer: tests/content/test_policy.py
proves it cell by cell."""
from __future__ import annotations

import sys

from sqlalchemy import false, or_, select

from cms.content.models import Post, Revision, post_channel
from cms.content.review_hooks import review
from cms.permissions import policy_for

EDITABLE_STATES = ("draft", "rejected")
AUTHOR_ROLES = ("contributor", "department_head", "leader")  # each held for a department


def _department_scopes(user, role: str) -> set[int]:
    return {r.scope_id for r in user.roles if r.role == role and r.scope_type == "department"}


def _departments(user) -> set[int]:
    found: set[int] = set()
    for role in AUTHOR_ROLES:
        found |= _department_scopes(user, role)
    return found


def reads_every_post(user) -> bool:
    """post.read_all held globally: no post is out of this user's scope."""
    return bool(user.is_active and user.has_global_permission("post.read_all"))


def read_channels(user) -> set[int]:
    """The channels whose posts this user reads through a channel-scoped role (empty if none)."""
    ids = user.scope_ids("post.read_all", "channel")
    return set() if ids is None else ids


def visible_posts(user, query):
    """Narrow a select over Post to what `user` may see (see the module's scope semantics)."""
    if reads_every_post(user):
        return query
    if not user.is_active:
        return query.where(false())
    conditions = [Post.created_by_id == user.id, Post.id.in_(review().reviewing_posts(user))]
    departments = _departments(user)
    if departments:
        conditions.append(Post.department_id.in_(departments))
    channels = read_channels(user)
    if channels:
        conditions.append(Post.id.in_(select(post_channel.c.post_id).where(post_channel.c.channel_id.in_(channels))))
    return query.where(or_(*conditions))


def can_view(user, post: Post) -> bool:
    if reads_every_post(user):
        return True
    if not user.is_active:
        return False
    if post.created_by_id == user.id or post.department_id in _departments(user):
        return True
    channels = read_channels(user)
    if channels and any(c.id in channels for c in post.channels):
        return True
    return review().takes_part(user, post)


def can_create(user, department_id: int | None = None) -> bool:
    """File a post for the department (default: the user's own, which is where a post is filed)."""
    dep = user.department_id if department_id is None else department_id
    return bool(user.is_active and user.has_permission("post.create", ("department", dep)))


def is_author_side(user, post: Post) -> bool:
    """The author, or a contributor or head of the post's department (who edit its drafts)."""
    return post.created_by_id == user.id or user.has_permission("post.create", ("department", post.department_id))


def can_edit(user, post: Post) -> bool:
    """Before review: the author, or a contributor or head of the post's department. In review
    (or approved and not yet out) the workflow decides: a may-edit step's holder, or the author's
    side, whose edit restarts the chain."""
    if not user.is_active:
        return False
    if post.status not in EDITABLE_STATES:
        if post.status in ("in_review", "approved"):
            return review().may_edit(user, post)
        return False
    return is_author_side(user, post)


def can_clear_confidential(user, post: Post) -> bool:
    """C5: the platform supervisor of every channel the post targets (a global one of any post)."""
    if not user.is_active:
        return False
    if user.has_global_permission("post.clear_confidential"):
        return True
    return bool(post.channels) and all(
        user.has_permission("post.clear_confidential", ("channel", c.id)) for c in post.channels)


policy_for(Post, sys.modules[__name__])


# --- revisions: a revision is seen with its post and restored by whoever may edit it -------------

class _RevisionPolicy:
    @staticmethod
    def can_view(user, rev: Revision) -> bool:
        return can_view(user, rev.post)

    @staticmethod
    def can_edit(user, rev: Revision) -> bool:  # revisions never change; a new one is an edit of the post
        return False

    @staticmethod
    def can_restore(user, rev: Revision) -> bool:
        return rev.number != rev.post.current.number and can_edit(user, rev.post)


revision_policy = _RevisionPolicy
policy_for(Revision, revision_policy)
