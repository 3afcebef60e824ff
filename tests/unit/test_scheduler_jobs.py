"""The scheduled jobs call the right use cases, and a failing run is logged, not fatal."""

from __future__ import annotations

import itertools
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestState
from bot.domain.tokens import AccessLevel
from bot.scheduler import STARTUP_DELAY, Job, _logged, reminder_jobs, request_jobs, start_scheduler
from bot.services.inventory_sync import SyncDeps
from bot.services.token_requests import RequestDeps, submit_request
from tests.fake_gitlab import FakeGitLab
from tests.fakes import FakeRequestUnitOfWork
from tests.unit.test_token_requests import ADA, PROJECT, _draft

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_the_jobs_expire_requests_and_discard_secrets() -> None:
    gitlab = FakeGitLab()
    gitlab.project(PROJECT)
    gitlab.member(ADA.gitlab_id, PROJECT, AccessLevel.DEVELOPER)
    uow = FakeRequestUnitOfWork()
    moment = [NOW]
    ids = (f"r{n}" for n in itertools.count())
    deps = RequestDeps(
        uow=uow,
        gitlab=gitlab,
        policy=RequestPolicy(),
        clock=lambda: moment[0],
        new_id=lambda: next(ids),
    )
    request = submit_request(ADA, _draft(), deps=deps)
    told: list[str] = []
    jobs = {job.id: job for job in request_jobs(deps, on_expired=lambda r: told.append(r.id))}
    assert {j.id: j.every_seconds for j in jobs.values()} == {
        "discard-unrevealed-secrets": 60,
        "expire-undecided-requests": 900,
        "settle-job-token-access": 60,
        "expire-undecided-job-token-access": 900,
    }
    moment[0] = NOW + timedelta(days=8)
    assert jobs["expire-undecided-requests"].run() == [request.id]
    assert uow.store.requests[request.id].state is RequestState.EXPIRED
    assert told == [request.id]
    assert jobs["expire-undecided-requests"].run() == []  # told once
    assert told == [request.id]
    assert jobs["discard-unrevealed-secrets"].run() == []


def test_a_failing_job_is_logged_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("database went away")

    _logged(Job("boom", 60, boom))()
    assert "scheduled job boom failed" in caplog.text
    assert caplog.records[-1].levelno == logging.ERROR


def test_a_started_process_syncs_and_checks_its_token_soon_then_on_the_interval() -> None:
    ran: list[str] = []
    scheduler = start_scheduler(
        [
            Job("soon", 3600, lambda: ran.append("soon"), first_after=0.2),
            Job("later", 3600, lambda: ran.append("later")),
        ]
    )
    try:
        for _ in range(100):
            if ran:
                break
            threading.Event().wait(0.05)
        assert ran == ["soon"]  # the other waits a whole interval
        later = scheduler.get_job("later").next_run_time
        assert later > datetime.now(UTC) + timedelta(minutes=59)
    finally:
        scheduler.shutdown(wait=False)
    jobs = reminder_jobs(
        sync=SyncDeps(
            uow=FakeRequestUnitOfWork,
            gitlab=FakeGitLab(),
            clock=lambda: datetime.now(UTC),
            owners={},
        ),
        groups=("acme",),
        sync_hours=6,
        reminders=None,
        at="09:00",
        timezone="UTC",
        own_token=lambda: None,
    )
    first = {job.id: job.first_after for job in jobs}
    assert first == {"inventory-sync": STARTUP_DELAY, "own-token-check": STARTUP_DELAY}
