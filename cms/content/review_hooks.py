"""What the post policy and the content service must ask of the review workflow, which sits above
content (cms/workflow imports content, never the other way round, issue 14).

cms.workflow registers its answers here when it is imported (create_app imports it with its
blueprint). Asking before that is a programming error, never a silent "no": a missing workflow
must not quietly hide reviewers' posts or let an edit skip C7's restart."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewHooks:
    takes_part: Callable      # (user, post) -> bool: holds a step of its chain, or decided one
    reviewing_posts: Callable  # (user) -> a select of the ids of such posts
    may_edit: Callable        # (user, post) -> bool: an edit in review (C7)
    after_revision: Callable  # (user, post, new revision, previous) -> None, in the save's transaction


_hooks: ReviewHooks | None = None


def register(hooks: ReviewHooks) -> None:
    global _hooks
    _hooks = hooks


def review() -> ReviewHooks:
    if _hooks is None:
        raise RuntimeError("cms.workflow is not loaded: the post policy cannot ask who reviews a post")
    return _hooks
