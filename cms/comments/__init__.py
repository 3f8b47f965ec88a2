"""Follower comments on published WeChat articles (issue 15, C16): synced from the platform
(comment/list), answered, featured (精选) and deleted by moderators, each reply screened first by the
same checks as posts (C15, C5/C16).

    rules.py       pure: reply deadlines, a comment's state, the sync diff, response-time figures
    policy.py      who sees and acts on which comment (comment.moderate, global or per channel)
    models.py      CommentThread (one article's comments), FollowerComment, ReplyTemplate
    screening.py   the checks a reply passes before it is sent
    operations.py  every state change (@operation, audited)
    queries.py     the queue, the figures
    views.py       the pages (/comments); tasks.py the periodic sync
"""
