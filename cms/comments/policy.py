"""Who sees and acts on follower comments (issue 15, C16). Pure of Flask globals: every function
takes the user. The moderator role (comment.moderate) is held globally (every channel) or for a
channel (that channel's comments only): each question passes the comment's channel as the scope.

- a comment: seen, replied to, featured or deleted by a moderator of its channel;
- an article's comments (a CommentThread): synced, opened and closed by a moderator of its channel;
- saved reply templates: shared by all moderators (held in any scope); each reply is still screened."""
from __future__ import annotations

from cms.channels.policy import active, holds_on
from cms.comments.models import CommentThread, FollowerComment, ReplyTemplate
from cms.permissions import policy_for

MODERATE = "comment.moderate"


def moderates(user, channel_id: int) -> bool:
    return active(user) and holds_on(user, MODERATE, channel_id)


def moderated_channel_ids(user, channel_ids) -> list[int]:
    """Of these channels, the ones the user moderates."""
    return [cid for cid in channel_ids if moderates(user, cid)]


class _CommentPolicy:
    @staticmethod
    def can_view(user, comment: FollowerComment) -> bool:
        return moderates(user, comment.channel_id)

    @staticmethod
    def can_reply(user, comment: FollowerComment) -> bool:
        return moderates(user, comment.channel_id)

    @staticmethod
    def can_moderate(user, comment: FollowerComment) -> bool:  # 精选, delete, delete a reply
        return moderates(user, comment.channel_id)


comment_policy = _CommentPolicy
can_view = comment_policy.can_view
can_reply = comment_policy.can_reply
can_moderate = comment_policy.can_moderate
policy_for(FollowerComment, comment_policy)


class _ThreadPolicy:
    @staticmethod
    def can_view(user, thread: CommentThread) -> bool:
        return moderates(user, thread.channel_id)

    can_sync = can_view
    can_open = can_view  # comment/open and comment/close


thread_policy = _ThreadPolicy
policy_for(CommentThread, thread_policy)


class _TemplatePolicy:
    @staticmethod
    def can_view(user, template: ReplyTemplate) -> bool:
        return active(user) and user.holds(MODERATE)

    can_edit = can_view


template_policy = _TemplatePolicy
policy_for(ReplyTemplate, template_policy)


def can_use_templates(user) -> bool:
    return active(user) and user.holds(MODERATE)
