"""The weekly hygiene digest on a real database (SQLite, or PostgreSQL when set): once a week
per channel, claimed before it is posted; a refused post is tried again, a crash after the post
is not (a missed digest beats two); the chart's failure leaves the digest posted, saying so."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot.bootstrap import utc_now
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.hygiene import FindingKind
from bot.domain.hygiene_report import HygieneReport
from bot.services.hygiene_digest import (
    DigestTarget,
    HygieneDigestDeps,
    send_hygiene_digests,
    week_start,
)
from bot.services.reminders import PostError

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"chart"
EVERYONE, PAYMENTS = DigestTarget("C0REMINDERS"), DigestTarget("C0PAYMENTS", ("acme/payments",))


class RecordingPoster:
    def __init__(self) -> None:
        self.digests: list[tuple[str, str]] = []  # channel, ts
        self.charts: list[tuple[str, str, bytes]] = []
        self.missing: list[tuple[str, str]] = []
        self.refuse: set[str] = set()  # channels whose digest Slack refuses
        self.refuse_chart = False
        self.crash_after_post = False  # the process dies between the post and its record
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def post_digest(self, target: DigestTarget, report: HygieneReport) -> str:
        if target.channel in self.refuse:
            raise PostError("Slack refused the digest (channel_not_found)")
        with self._lock:
            ts = f"1700000000.{next(self._ts):06d}"
            self.digests.append((target.channel, ts))
        if self.crash_after_post:
            raise SystemExit("killed")
        return ts

    def attach_chart(self, target: DigestTarget, ts: str, chart: bytes) -> None:
        if self.refuse_chart:
            raise PostError("Slack refused the chart (not_allowed_token_type)")
        self.charts.append((target.channel, ts, chart))

    def chart_missing(self, target: DigestTarget, ts: str, report: HygieneReport) -> None:
        self.missing.append((target.channel, ts))


def _report() -> HygieneReport:
    counts = dict.fromkeys(FindingKind, 0)
    return HygieneReport(utc_now(), 3, counts, (), (), flagged=0)


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture
def deps(sql_uow: Callable[[], SqlUnitOfWork], poster: RecordingPoster) -> HygieneDigestDeps:
    return HygieneDigestDeps(
        uow=sql_uow,
        clock=utc_now,
        poster=poster,
        targets=(EVERYONE, PAYMENTS),
        report_for=lambda target: _report(),
        chart_of=lambda report: PNG,
        timezone="Europe/Berlin",
    )


def test_the_digest_is_posted_once_a_week_per_channel(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    with freeze_time(MONDAY):
        first = send_hygiene_digests(deps=deps)
        again = send_hygiene_digests(deps=deps)
    with freeze_time(MONDAY + timedelta(days=6, hours=12)):  # Sunday 21:00 UTC: same week
        sunday = send_hygiene_digests(deps=deps)
    with freeze_time(MONDAY + timedelta(days=7)):
        next_week = send_hygiene_digests(deps=deps)
    assert first.posted == ("C0REMINDERS", "C0PAYMENTS")
    assert again.posted == ()
    assert again.already == ("C0REMINDERS", "C0PAYMENTS")
    assert sunday.posted == ()
    assert next_week.posted == ("C0REMINDERS", "C0PAYMENTS")
    assert next_week.week_start == date(2026, 12, 14)
    assert [c for c, _ in poster.digests] == ["C0REMINDERS", "C0PAYMENTS"] * 2
    assert [(c, chart) for c, _, chart in poster.charts] == [
        ("C0REMINDERS", PNG),
        ("C0PAYMENTS", PNG),
    ] * 2


def test_the_week_starts_on_monday_where_the_reminders_are_read() -> None:
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: a new week there.
    late_sunday = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert week_start(late_sunday, "Europe/Berlin") == date(2026, 12, 7)
    assert week_start(late_sunday, "UTC") == date(2026, 11, 30)


def test_two_processes_at_once_post_each_digest_once(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        send_hygiene_digests(deps=deps)

    with freeze_time(MONDAY, tick=True):
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(c for c, _ in poster.digests) == ["C0PAYMENTS", "C0REMINDERS"]


def test_a_refused_post_is_tried_again_on_the_next_run(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    poster.refuse = {"C0PAYMENTS"}
    with freeze_time(MONDAY):
        first = send_hygiene_digests(deps=deps)
        poster.refuse = set()
        second = send_hygiene_digests(deps=deps)
    assert first.posted == ("C0REMINDERS",)
    assert first.failed == ("C0PAYMENTS: Slack refused the digest (channel_not_found)",)
    assert second.posted == ("C0PAYMENTS",)


def test_a_crash_between_the_post_and_its_record_never_posts_twice(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    poster.crash_after_post = True
    with freeze_time(MONDAY), pytest.raises(SystemExit):
        send_hygiene_digests(deps=deps)
    poster.crash_after_post = False
    with freeze_time(MONDAY + timedelta(hours=5)):  # long after any stale-claim timeout
        after = send_hygiene_digests(deps=deps)
    assert [c for c, _ in poster.digests] == ["C0REMINDERS", "C0PAYMENTS"]
    assert after.already == ("C0REMINDERS",)


def test_a_chart_that_fails_leaves_the_digest_posted_and_saying_so(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    poster.refuse_chart = True
    with freeze_time(MONDAY):
        run = send_hygiene_digests(deps=deps)
        again = send_hygiene_digests(deps=deps)
    assert run.posted == ("C0REMINDERS", "C0PAYMENTS")
    assert run.without_chart == ("C0REMINDERS", "C0PAYMENTS")
    assert poster.missing == poster.digests
    assert again.posted == ()


def test_a_chart_that_cannot_be_drawn_leaves_the_digest_posted(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    def broken(report: HygieneReport) -> bytes:
        raise ValueError("no fonts")

    with freeze_time(MONDAY):
        run = send_hygiene_digests(deps=_with(deps, chart_of=broken))
    assert run.without_chart == ("C0REMINDERS", "C0PAYMENTS")
    assert poster.charts == []


def test_a_report_that_fails_claims_nothing_and_holds_up_no_other_channel(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    calls = itertools.count()

    def flaky(target: DigestTarget) -> HygieneReport:
        if next(calls) == 0:
            raise RuntimeError("database away")
        return _report()

    with freeze_time(MONDAY):
        first = send_hygiene_digests(deps=_with(deps, report_for=flaky))
        later = send_hygiene_digests(deps=deps)
    assert first.failed == ("C0REMINDERS: the report failed (RuntimeError)",)
    assert first.posted == ("C0PAYMENTS",)
    assert later.posted == ("C0REMINDERS",)


def test_one_channel_gets_one_digest_however_many_targets_name_it(
    deps: HygieneDigestDeps, poster: RecordingPoster
) -> None:
    twice = (EVERYONE, DigestTarget("C0REMINDERS", ("acme/platform",)))
    with freeze_time(MONDAY):
        run = send_hygiene_digests(deps=_with(deps, targets=twice))
    assert run.posted == ("C0REMINDERS",)


def _with(deps: HygieneDigestDeps, **changes: object) -> HygieneDigestDeps:
    from dataclasses import replace

    return replace(deps, **changes)  # type: ignore[arg-type]
