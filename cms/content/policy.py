"""Who may see and edit which post: one policy, asked by the views, the API and the services
(so secondary views such as diff, preview and the request form get the same check as editing)."""
from __future__ import annotations

from sqlalchemy import or_

from cms.content.models import Post

EDITABLE_STATES = ("draft", "rejected")


def _department_scopes(user, role: str) -> set[int]:
    return {r.scope_id for r in user.roles if r.role == role and r.scope_type == "department"}


def visible_posts(user, query):
    """Narrow a select over Post to what `user` may see: everything with post.read_all; otherwise
    their own posts and those of the departments they write for, head or are in charge of."""
    if user.has_permission("post.read_all"):
        return query
    departments = set()
    for role in ("contributor", "department_head", "leader"):
        departments |= _department_scopes(user, role)
    return query.where(or_(Post.created_by_id == user.id, Post.department_id.in_(departments)))


def can_view(user, post: Post) -> bool:
    return user.has_permission("post.read_all") or post.created_by_id == user.id or any(
        post.department_id in _department_scopes(user, role) for role in ("contributor", "department_head", "leader"))


def can_edit(user, post: Post) -> bool:
    """Before review: the author, or a contributor or head of the post's department. In review
    (or approved and not yet out) the workflow decides: a may-edit step's holder, or the author's
    side, whose edit restarts the chain."""
    if post.status not in EDITABLE_STATES:
        if post.status in ("in_review", "approved"):
            from cms.workflow.service import may_edit

            return may_edit(user, post)
        return False
    return post.created_by_id == user.id or user.has_permission("post.create", ("department", post.department_id))
