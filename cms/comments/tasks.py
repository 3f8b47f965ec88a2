"""Huey task of follower comments (it only calls cms.comments.operations).

    sync_comments()   every 5 minutes: every published WeChat article with
                      comments open, comment/list → stored (idempotent: two at once store nothing twice)
"""
from __future__ import annotations

from huey import crontab

from cms.tasks import huey, in_app_context


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def sync_comments() -> int:
    from cms.comments import operations

    return sum(r.inserted for r in operations.sync_all())
