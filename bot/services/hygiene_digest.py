"""The weekly hygiene digest: counts by finding and the worst credentials, once a week a channel.

The reminders channel gets the whole inventory's digest; each channel of TOKENBOT_REMINDERS_ROUTES
gets its team's. Each (week, channel) is claimed in the database before anything is posted: of
two processes only one posts, and a process that dies after its claim posts nothing more that
week (a missed digest is better than two; the claim is never given back on a timer). Only a
post Slack refused gives the claim back, so the next run tries again. The chart goes with the
digest once the digest itself is posted; a chart that cannot be made or uploaded leaves the
digest posted, saying so.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.hygiene import FindingKind
from bot.domain.hygiene_report import HygieneReport, WeekBar, worst_first
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.reminders import PostError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DigestTarget:
    channel: str
    teams: tuple[str, ...] = ()  # the routed namespaces it serves; (): the whole inventory


class HygieneDigestPoster(Protocol):
    def post_digest(self, target: DigestTarget, report: HygieneReport) -> str:
        """Post the digest; the id (Slack `ts`) of its message. PostError if Slack refused."""

    def attach_chart(self, target: DigestTarget, ts: str, chart: bytes) -> None:
        """Upload the chart (PNG) with the digest `ts`. PostError if that failed."""

    def chart_missing(self, target: DigestTarget, ts: str, report: HygieneReport) -> None:
        """Say on the digest `ts` that its chart could not be attached."""


@dataclass(frozen=True, slots=True)
class HygieneDigestDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    poster: HygieneDigestPoster
    targets: tuple[DigestTarget, ...]
    report_for: Callable[[DigestTarget], HygieneReport]
    chart_of: Callable[[HygieneReport], bytes]
    timezone: str = "UTC"  # whose Monday starts the week (TOKENBOT_REMINDER_TIMEZONE)


@dataclass(frozen=True, slots=True)
class DigestRun:
    week_start: date
    posted: tuple[str, ...] = ()  # channels
    already: tuple[str, ...] = ()  # posted or claimed before, by this process or another
    failed: tuple[str, ...] = field(default_factory=tuple)  # "channel: why"
    without_chart: tuple[str, ...] = ()


def week_start(now: datetime, timezone: str) -> date:
    """The Monday of `now`'s week where the reminders are read."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


def send_hygiene_digests(*, deps: HygieneDigestDeps) -> DigestRun:
    """Post this week's digest to every target that has not had it."""
    now = deps.clock()
    week = week_start(now, deps.timezone)
    posted: list[str] = []
    already: list[str] = []
    failed: list[str] = []
    bare: list[str] = []
    for target in _distinct(deps.targets):
        try:  # before the claim: a report that fails loses no week
            report = deps.report_for(target)
        except Exception as exc:  # one team's report must not hold up the other channels
            log.exception("hygiene report for %s failed", target.channel)
            failed.append(f"{target.channel}: the report failed ({exc.__class__.__name__})")
            continue
        with deps.uow() as uow:
            won = uow.hygiene_digests.claim(week, target.channel, now)
            uow.commit()
        if not won:
            already.append(target.channel)
            continue
        outcome = _post_one(deps, week, target, report)
        if outcome is None:
            posted.append(target.channel)
        elif outcome == _NO_CHART:
            posted.append(target.channel)
            bare.append(target.channel)
        else:
            failed.append(f"{target.channel}: {outcome}")
    return DigestRun(week, tuple(posted), tuple(already), tuple(failed), tuple(bare))


_NO_CHART = "no chart"


def _post_one(
    deps: HygieneDigestDeps, week: date, target: DigestTarget, report: HygieneReport
) -> str | None:
    """None when posted with its chart; _NO_CHART when posted without; else why not posted."""
    try:
        ts = deps.poster.post_digest(target, report)
    except PostError as exc:
        with deps.uow() as uow:
            uow.hygiene_digests.release(week, target.channel)
            uow.commit()
        return str(exc)
    with deps.uow() as uow:
        uow.hygiene_digests.posted(week, target.channel, ts)
        uow.commit()
    try:
        deps.poster.attach_chart(target, ts, deps.chart_of(report))
    except Exception as exc:  # the digest stands without its picture, and says so
        log.warning("hygiene chart not attached in %s: %s", target.channel, exc)
        try:
            deps.poster.chart_missing(target, ts, report)
        except PostError as note_failed:
            log.warning("could not say the chart is missing: %s", note_failed)
        return _NO_CHART
    return None


def _distinct(targets: Sequence[DigestTarget]) -> list[DigestTarget]:
    """One target per channel (the first given wins: the reminders channel comes first)."""
    seen: dict[str, DigestTarget] = {}
    for target in targets:
        seen.setdefault(target.channel, target)
    return list(seen.values())


def combined(reports: Sequence[HygieneReport], *, worst: int) -> HygieneReport:
    """One digest for a channel that serves several teams: their reports added up (a
    credential falls under one team only, so nothing is counted twice)."""
    if len(reports) == 1:
        return reports[0]
    counts: Counter[FindingKind] = Counter()
    bars: dict[date, tuple[Counter[str], list[int]]] = {}
    stacks: Counter[str] = Counter()
    for report in reports:
        counts.update(dict(report.counts))
        stacks.update(dict(report.by_stack))
        for bar in report.weeks:
            into, flagged = bars.setdefault(bar.week_start, (Counter(), [0]))
            into.update(dict(bar.counts))
            flagged[0] += bar.flagged
    first = reports[0]
    every = [item for report in reports for item in report.worst]
    return HygieneReport(
        generated_at=first.generated_at,
        total=sum(r.total for r in reports),
        counts={kind: counts[kind] for kind in first.counts},
        worst=tuple(heapq.nsmallest(worst, every, key=worst_first)),
        weeks=tuple(WeekBar(day, dict(c), f[0]) for day, (c, f) in sorted(bars.items())),
        flagged=sum(r.flagged for r in reports),
        horizon_days=first.horizon_days,
        by_stack=dict(stacks.most_common()),
    )
