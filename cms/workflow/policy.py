"""The review task policy (issue 13): a review task is a submission's current step. Who may see it,
decide it, reassign it, and send the post's preview, with the post's scope.

The chain routes each step to its holders (cms/workflow/service.py `_route`: by role and scope, the
deputy, the next level up); the routing decides, not a bare permission name:
- whoever holds the current step, or deputises for a holder through an active delegation, decides
  it and sees the post; so does whoever already decided or edited at one of the post's steps;
- reassigning a step: workflow.manage (the system administrator; a global role), while the step is open;
- a preview to one's phone: the author, or a reviewer of this post (post.review for the
  post's department, one of its channels, or globally; or taking part in its chain).
Pure of Flask globals: every function takes the user."""
from __future__ import annotations

import sys

from sqlalchemy import exists, or_, select

from cms.content.models import Post
from cms.permissions import policy_for
from cms.workflow.models import Assignee, Review, Submission

TAKING_PART = ("approve", "reject", "edit")  # a reviewer's own entries on the timeline


def _acting_ids(user) -> list[int]:
    from cms.workflow.queries import active_delegations

    return [user.id, *(holder for holder, deputy in active_delegations().items() if deputy == user.id)]


def reviewing_posts(user):
    """A select of the ids of the posts whose chain this user takes part in."""
    holding = (select(Submission.post_id).join(Assignee, Assignee.submission_id == Submission.id)
               .where(Submission.state == "active", Assignee.user_id.in_(_acting_ids(user))))
    decided = select(Review.post_id).where(Review.user_id == user.id, Review.action.in_(TAKING_PART))
    return holding.union(decided)


def takes_part(user, post: Post) -> bool:
    from cms.extensions import db

    ids = _acting_ids(user)
    return bool(db.session.scalar(select(or_(
        exists().where(Submission.post_id == post.id, Submission.state == "active",
                       Assignee.submission_id == Submission.id, Assignee.user_id.in_(ids)),
        exists().where(Review.post_id == post.id, Review.user_id == user.id, Review.action.in_(TAKING_PART))))))


def reviews_in_scope(user, post: Post) -> bool:
    """post.review for this post's department, one of its channels, or globally; or a part in its chain."""
    if not user.is_active:
        return False
    scopes = [("department", post.department_id), *(("channel", c.id) for c in post.channels)]
    return (user.has_global_permission("post.review") or any(user.has_permission("post.review", s) for s in scopes)
            or takes_part(user, post))


# --- the review task: a submission ----------------------------------------------------------------

def can_view(user, sub: Submission) -> bool:
    from cms.content.policy import can_view as can_view_post

    return can_view_post(user, sub.post)


def can_decide(user, sub: Submission) -> bool:
    """The holder of the current step, or a deputy of a holder (the engine asks the rest: C4 C5 C7)."""
    from cms.workflow.service import acting_for

    return bool(user.is_active and sub.state == "active" and acting_for(user, sub)[0])


def can_edit(user, sub: Submission) -> bool:
    """Edit the post during its review: the workflow's may-edit rule (C7)."""
    from cms.workflow.service import may_edit

    return bool(user.is_active and sub.state in ("active", "approved") and may_edit(user, sub.post))


def can_reassign(user, sub: Submission | None) -> bool:
    return bool(user.is_active and user.has_permission("workflow.manage") and sub is not None
                and sub.state == "active")


def can_preview(user, post: Post) -> bool:
    """Send the current revision to one's own WeChat: the author or a reviewer of this post."""
    from cms.content.policy import can_view as can_view_post

    return can_view_post(user, post) and (post.created_by_id == user.id or reviews_in_scope(user, post))


policy_for(Submission, sys.modules[__name__])
