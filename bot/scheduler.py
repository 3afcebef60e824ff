"""APScheduler jobs that call use cases on a timer inside `tokenbot run`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.requests import TokenRequest
from bot.services.approval_nudges import SendNudge, nudge_waiting
from bot.services.breakglass_sweep import BreakGlassNotifier, SweepReport, sweep_break_glass
from bot.services.handoffs import HandoffDeps, advance_handoffs
from bot.services.hygiene_digest import HygieneDigestDeps, send_hygiene_digests
from bot.services.inventory_sync import SyncDeps, sync_inventory
from bot.services.job_token_access import expire_job_access, settle_job_access
from bot.services.known_platform import REFRESH_SECONDS, KnownPlatform
from bot.services.leases import run_exclusively
from bot.services.linking import discard_expired_states
from bot.services.reconciler import ReconcileDeps, reconcile_exclusively
from bot.services.reminders import ReminderDeps, sweep
from bot.services.reveal import discard_unrevealed
from bot.services.token_requests import RequestDeps, expire_requests

log = logging.getLogger(__name__)
STARTUP_DELAY = 60.0  # seconds: let start-up settle before the first sync and credential check


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    every_seconds: int  # ignored when `at` is set
    run: Callable[[], object]
    at: str | None = None  # "HH:MM": once a day at that time in `timezone`
    timezone: str = "UTC"
    first_after: float | None = None  # seconds after start of the first run (else one interval)
    weekday: str | None = None  # with `at`: once a week on that day ("monday"), not daily


def request_jobs(
    deps: RequestDeps,
    *,
    on_expired: Callable[[TokenRequest], None] | None = None,
    reconcile: ReconcileDeps | None = None,
    linking: bool = False,
    handoffs: HandoffDeps | None = None,
    breakglass: BreakGlassNotifier | None = None,
    nudge: tuple[timedelta, SendNudge] | None = None,
) -> list[Job]:
    """Housekeeping of token requests; each is safe to run in two processes at once.

    `on_expired` tells people about each request that expired (the chat front end's job);
    `reconcile` runs the reconciler every minute (one process at a time, by its lease);
    `linking` discards GitLab sign-ins nobody finished, every 10 minutes;
    `handoffs` moves hand-off rotations on every 10 minutes (the sync does too), in one
    process at a time (each step is exactly once in the database anyway);
    `breakglass` gets the break-glass sweep's news (overdue reviews, ended tokens), every
    minute, in one process at a time (each step is claimed once in the database too).
    `nudge` (after how long, and how) reminds approvers of waiting requests and escalates
    them, checked every 10 minutes; each nudge is claimed in the database, so sent once.
    """

    def expire() -> list[str]:
        expired = expire_requests(deps=deps)
        for request in expired:
            if on_expired is not None:
                try:
                    on_expired(request)
                except Exception:  # one failed notice must not hide the others
                    log.exception("telling about expired request %s failed", request.id)
        return [r.id for r in expired]

    jobs = [
        Job("discard-unrevealed-secrets", 60, lambda: discard_unrevealed(deps=deps)),
        Job("expire-undecided-requests", 900, expire),
        Job("settle-job-token-access", 60, lambda: settle_job_access(deps=deps)),
        Job("expire-undecided-job-token-access", 900, lambda: expire_job_access(deps=deps)),
    ]
    if nudge is not None:
        after, send = nudge
        jobs.append(
            Job(
                "remind-approvers",
                600,
                lambda: nudge_waiting(deps=deps, after=after, send=send),
            )
        )
    if reconcile is not None:
        settle = reconcile
        jobs.append(Job("reconcile-provisioning", 60, lambda: reconcile_exclusively(deps=settle)))
    if handoffs is not None:
        advance = handoffs
        jobs.append(
            Job(
                "advance-hand-offs",
                600,
                lambda: run_exclusively(
                    "hand-offs",
                    lambda: advance_handoffs(deps=advance),
                    uow=deps.uow,
                    clock=deps.clock,
                    longest=timedelta(minutes=30),
                ),
            )
        )
    if breakglass is not None:
        jobs.append(Job("break-glass-sweep", 60, lambda: sweep_exclusively(deps, breakglass)))
    if linking:
        jobs.append(
            Job(
                "discard-expired-sign-ins",
                600,
                lambda: discard_expired_states(deps_uow=deps.uow, clock=deps.clock),
            )
        )
    return jobs


def sweep_exclusively(deps: RequestDeps, notify: BreakGlassNotifier) -> SweepReport | None:
    """The break-glass sweep under its lease (None: another process is sweeping)."""
    return run_exclusively(
        "break-glass",
        lambda: sweep_break_glass(deps=deps, notify=notify),
        uow=deps.uow,
        clock=deps.clock,
        longest=timedelta(minutes=30),
    )


def reminder_jobs(
    *,
    sync: SyncDeps | None,
    groups: tuple[str, ...],
    sync_hours: float,
    reminders: ReminderDeps | None,
    at: str,
    timezone: str,
    own_token: Callable[[], object] | None = None,
) -> list[Job]:
    """The inventory sync on an interval and the daily sweep, each in one process at a time."""
    jobs = []
    if sync is not None and groups:
        deps = sync

        def sync_once() -> object:
            return run_exclusively(
                "inventory-sync",
                lambda: sync_inventory(groups, deps=deps),
                uow=deps.uow,
                clock=deps.clock,
                longest=timedelta(hours=2),
            )

        # A (re)started process syncs soon rather than hours later; the lease and the
        # incremental sync make that cheap when another replica has just done it.
        every = int(sync_hours * 3600)
        jobs.append(Job("inventory-sync", every, sync_once, first_after=min(STARTUP_DELAY, every)))
    if reminders is not None:
        remind = reminders

        def sweep_once() -> object:
            return run_exclusively(
                "reminder-sweep",
                lambda: sweep(deps=remind),
                uow=remind.uow,
                clock=remind.clock,
                longest=timedelta(hours=1),
            )

        jobs.append(Job("reminder-sweep", 0, sweep_once, at=at, timezone=timezone))
    if own_token is not None:
        # Hourly is cheap (one GET) and notices a revoked or expired bot token soon.
        jobs.append(Job("own-token-check", 3600, own_token, first_after=STARTUP_DELAY))
    return jobs


def hygiene_digest_job(deps: HygieneDigestDeps, *, day: str, at: str, timezone: str) -> Job:
    """The weekly hygiene digest; the lease keeps two replicas from building it at once, and
    each (week, channel) is claimed in the database, so posted once whatever runs it."""
    return Job(
        "hygiene-digest",
        0,
        lambda: run_exclusively(
            "hygiene-digest",
            lambda: send_hygiene_digests(deps=deps),
            uow=deps.uow,
            clock=deps.clock,
            longest=timedelta(hours=1),
        ),
        at=at,
        timezone=timezone,
        weekday=day,
    )


def platform_job(known: KnownPlatform, read_version_text: Callable[[], str]) -> Job:
    """Learn GitLab's version at once on start-up and again every few hours."""
    return Job(
        "read-gitlab-version",
        REFRESH_SECONDS,
        lambda: known.refresh(read_version_text),
        first_after=0.0,
    )


def start_scheduler(jobs: list[Job]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in jobs:
        trigger: BaseTrigger
        if job.at is not None:
            hour, minute = job.at.split(":")
            day = job.weekday[:3] if job.weekday else "*"  # APScheduler's "mon"..."sun"
            trigger = CronTrigger(
                day_of_week=day, hour=int(hour), minute=int(minute), timezone=job.timezone
            )
        else:
            trigger = IntervalTrigger(seconds=job.every_seconds)
        first = (
            {"next_run_time": datetime.now(UTC) + timedelta(seconds=job.first_after)}
            if job.first_after is not None
            else {}
        )
        scheduler.add_job(
            _logged(job),
            trigger,
            id=job.id,
            name=job.id,  # APScheduler logs a job by its name (else `_logged.<locals>.run`)
            **first,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            misfire_grace_time=3600,
        )
    scheduler.start()
    return scheduler


def _logged(job: Job) -> Callable[[], None]:
    """The job's run, logging its failure and outcome under its id."""

    def run() -> None:
        try:
            done = job.run()
        except Exception:  # a failed run must not stop the next one; the reason is logged
            log.exception("scheduled job %s failed", job.id)
            return
        log.debug("scheduled job %s done: %s", job.id, done)

    return run
