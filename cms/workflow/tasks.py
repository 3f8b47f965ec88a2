"""The review chain's clock: reminders for overdue steps, and C8's end-of-day flag."""
from huey import crontab

from cms.tasks import huey, in_app_context


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def remind_overdue_steps():
    """Each step has a due time (4 working hours by default): remind its holders once it passes."""
    from cms.workflow.service import remind_overdue

    return remind_overdue()


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def flag_unpublished_approved():
    """C8: approved posts not out by the end of their day are flagged in the audit trail."""
    from cms.workflow.service import flag_unpublished

    return flag_unpublished()
