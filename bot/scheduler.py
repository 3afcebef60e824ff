"""APScheduler jobs that call use cases on a timer inside `tokenbot run`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services.provisioning import discard_unrevealed
from bot.services.token_requests import RequestDeps, expire_requests

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    every_seconds: int
    run: Callable[[], object]


def request_jobs(deps: RequestDeps) -> list[Job]:
    """Housekeeping of token requests; each is safe to run in two processes at once."""
    return [
        Job("discard-unrevealed-secrets", 60, lambda: discard_unrevealed(deps=deps)),
        Job("expire-undecided-requests", 900, lambda: expire_requests(deps=deps)),
    ]


def start_scheduler(jobs: list[Job]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(
            _logged(job),
            "interval",
            seconds=job.every_seconds,
            id=job.id,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
    scheduler.start()
    return scheduler


def _logged(job: Job) -> Callable[[], None]:
    def run() -> None:
        try:
            done = job.run()
        except Exception:  # a failed run must not stop the next one; the reason is logged
            log.exception("scheduled job %s failed", job.id)
            return
        log.debug("scheduled job %s done: %s", job.id, done)

    return run
