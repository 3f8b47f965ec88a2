"""Huey tasks of the callbacks (they only call cms.callbacks.service).

    rematch_event(event_id, attempt=0)   a MASSSENDJOBFINISH or PUBLISHJOBFINISH that matched no
                                         publication when it came (the worker had not saved the
                                         msg_id or publish_id yet), tried again after 30 s, 2, 10
                                         and 30 minutes; then it stays stored, unhandled
"""
from __future__ import annotations

import logging

from cms.tasks import huey, in_app_context

log = logging.getLogger(__name__)

REMATCH_DELAYS = (30, 120, 600, 1800)  # seconds before each try


@huey.task()
@in_app_context
def rematch_event(event_id: int, attempt: int = 0) -> bool:
    from cms.callbacks import service

    done = service.rematch(event_id)
    if not done and attempt + 1 < len(REMATCH_DELAYS):
        rematch_event.schedule(args=(event_id, attempt + 1), delay=REMATCH_DELAYS[attempt + 1])
    return done


def schedule_rematch(event_id: int) -> None:
    try:
        rematch_event.schedule(args=(event_id, 0), delay=REMATCH_DELAYS[0])
    except Exception:  # noqa: BLE001 - the queue is down: the event stays stored, unhandled
        log.exception("could not schedule another look at callback event %s", event_id)
