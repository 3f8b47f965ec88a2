"""Huey tasks of the outbox (they only call cms.publishing.runner).

    publish_due(post_id=None)   run the due publications of a post (enqueued with the time asked
                                for as its ETA by scheduling.schedule, and again for each retry and
                                status check that is not waited for inline)
    sweep_publications()        each minute (Huey's smallest period): anything due and unclaimed
    on worker start             the same sweep at once, and a run for every publication still
                                leased (a killed worker's) when its lease runs out
"""
from __future__ import annotations

import logging
import threading

from huey import crontab

from cms.tasks import huey, in_app_context

log = logging.getLogger(__name__)
_started = threading.Lock()
_start_done = False


@huey.task()
@in_app_context
def publish_due(post_id: int | None = None, not_before: str | None = None) -> dict:
    """`not_before`: the time asked for (ISO-8601); the task fires up to a second early and waits."""
    from cms.publishing import runner

    runner.wait_until(not_before)
    return runner.run_due(post_id)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_publications() -> int:
    from cms.publishing import runner

    return runner.sweep()


@huey.task()
@in_app_context
def resume_publications() -> tuple[int, int]:
    """At a worker's start: what was missed while no worker ran, and what a killed one left."""
    from cms.publishing import runner

    return runner.sweep(), runner.resume_leased()


@huey.on_startup()
def _on_worker_start() -> None:
    """Once per worker process (Huey calls this in each of its threads)."""
    global _start_done
    with _started:
        if _start_done:
            return
        _start_done = True
    try:
        resume_publications()
    except Exception:  # noqa: BLE001 - the minute sweep does it later
        log.exception("could not enqueue the start-up sweep")
