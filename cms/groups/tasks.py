"""Huey tasks of the work groups (they only call the operations).

    sweep_groups()      hourly (the daily sweep, run each hour so no deadline waits a day): overdue removals and
                        dissolutions marked and their owners told (G6 G7), temporary groups whose end
                        date passed, membership reviews due (G3)
    sweep_answers()     every minute: same-day tasks unanswered past 30 minutes (G11)
"""
from __future__ import annotations

from huey import crontab

from cms.tasks import huey, in_app_context


@huey.periodic_task(crontab(minute="5"))
@in_app_context
def sweep_groups() -> dict:
    from cms.groups import operations

    return operations.sweep()


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_answers() -> int:
    from cms.groups import messages

    return messages.sweep()
