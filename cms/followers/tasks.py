"""Huey periodic tasks of the follower side (they only call cms.followers.operations).

    purge_messages     daily 03:10 (server time): messages past CMS_FOLLOWER_MESSAGE_RETENTION_DAYS
    fetch_figures      daily 08:20: the platform's figures of the last CMS_FOLLOWER_FIGURES_DAYS
                       days up to yesterday (the platform has them ready by the morning)
"""
from __future__ import annotations

import logging

from huey import crontab

from cms.tasks import huey, in_app_context

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="10", hour="3"))
@in_app_context
def purge_messages() -> dict:
    from cms.followers import operations

    counts = operations.purge()
    log.info("follower messages purged: %s", counts or "none")
    return counts


@huey.periodic_task(crontab(minute="20", hour="8"))
@in_app_context
def fetch_figures() -> dict:
    from cms.followers import operations

    return operations.fetch_all_figures()
