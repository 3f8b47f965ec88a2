"""Huey tasks of notifications: they only call the service (cms/notify/service.py)."""
from __future__ import annotations

from huey import crontab

from cms.tasks import huey, in_app_context


@huey.task()
@in_app_context
def send_wecom(notification_ids: list[int], attempt: int = 1) -> dict:
    """The WeCom messages of notifications just committed; a busy platform is tried again later."""
    from cms.notify.service import deliver_wecom

    outcome = deliver_wecom(notification_ids, attempt=attempt)
    if outcome["retry"]:
        send_wecom.schedule((outcome["retry"], attempt + 1), delay=outcome["delay"])
    return outcome


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def sweep_wecom() -> dict:
    """Pending WeCom messages whose task was lost (a queue that was down, a worker killed)."""
    from cms.notify.service import sweep_wecom as sweep

    return sweep()
