"""The hygiene report: counts by finding, the worst credentials, and what expires week by week.

Pure: the service hands in every credential it judged (findings already without the silenced
ones) and the time; this module counts, orders and buckets.

- **Worst** are the credentials with the most findings; ties go to the one expiring soonest
  (never-expiring ones after every dated one), then to the key, so the order is stable. At
  most `worst` of them (default `DEFAULT_WORST`).
- **Weeks** cover the credentials that stop working in the next `HORIZON_DAYS` days: those
  whose expiry date is tomorrow up to today + 90 (UTC dates; a token stops at 00:00 UTC on its
  expiry date, so one expiring today already has). Bars are ISO weeks, Monday first, from the
  week holding tomorrow to the week holding the last day, each week present even when empty.
  A bar stacks its credentials by team (the reminder route they fall under) or, without one,
  by namespace: a project's group, or the group itself.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.domain.credentials import NamespaceKind
from bot.domain.hygiene import Finding, FindingKind
from bot.domain.reminders import TrackedToken

DEFAULT_WORST = 10
HORIZON_DAYS = 90


@dataclass(frozen=True, slots=True)
class FlaggedCredential:
    """One tracked credential and what is wrong with it (possibly nothing)."""

    token: TrackedToken
    findings: tuple[Finding, ...]
    team: str | None  # the reminder route it falls under, if one matches

    @property
    def stack(self) -> str:
        """What the chart stacks it under: its team, else its namespace."""
        return self.team or namespace_label(self.token)


@dataclass(frozen=True, slots=True)
class WeekBar:
    week_start: date  # a Monday
    counts: Mapping[str, int]  # stack label (team or namespace path) -> credentials expiring
    flagged: int  # how many of them have findings

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class HygieneReport:
    generated_at: datetime
    total: int  # credentials judged
    counts: Mapping[FindingKind, int]  # credentials with each finding (every kind, maybe 0)
    worst: tuple[FlaggedCredential, ...]
    weeks: tuple[WeekBar, ...]
    flagged: int = 0  # credentials with at least one finding
    horizon_days: int = HORIZON_DAYS
    by_stack: Mapping[str, int] = field(default_factory=dict)  # expiring in the horizon

    @property
    def flagged_count(self) -> int:
        return self.flagged

    @property
    def expiring(self) -> int:
        """Credentials that stop working within the horizon (the chart's bars)."""
        return sum(bar.total for bar in self.weeks)


def build_report(
    credentials: Iterable[FlaggedCredential],
    *,
    now: datetime,
    worst: int = DEFAULT_WORST,
    horizon_days: int = HORIZON_DAYS,
) -> HygieneReport:
    """The report over `credentials` at `now` (see the module text for the rules)."""
    today = now.astimezone(UTC).date()
    first, last = today + timedelta(days=1), today + timedelta(days=horizon_days)
    counts = dict.fromkeys(FindingKind, 0)
    stacks: dict[date, Counter[str]] = {start: Counter() for start in week_starts(first, last)}
    marked: Counter[date] = Counter()
    flagged: list[FlaggedCredential] = []
    total = 0
    for credential in credentials:
        total += 1
        if credential.findings:
            flagged.append(credential)
            for finding in credential.findings:  # at most one of each kind per credential
                counts[finding.kind] += 1
        expires = credential.token.expires_on
        if expires is not None and first <= expires <= last:
            start = monday_of(expires)
            stacks[start][credential.stack] += 1
            marked[start] += bool(credential.findings)
    weeks = tuple(WeekBar(s, dict(c), marked[s]) for s, c in stacks.items())
    by_stack: Counter[str] = Counter()
    for bar in weeks:
        by_stack.update(bar.counts)
    return HygieneReport(
        generated_at=now,
        total=total,
        counts=counts,
        worst=tuple(heapq.nsmallest(max(worst, 0), flagged, key=worst_first)),
        weeks=weeks,
        flagged=len(flagged),
        horizon_days=horizon_days,
        by_stack=dict(by_stack.most_common()),
    )


def worst_first(credential: FlaggedCredential) -> tuple[int, date, str]:
    """Sort key: most findings, then soonest expiry (undated last), then key."""
    expires = credential.token.expires_on or date.max
    return -len(credential.findings), expires, credential.token.key


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_starts(first: date, last: date) -> list[date]:
    """The Mondays of every week from the one holding `first` to the one holding `last`."""
    start, end = monday_of(first), monday_of(last)
    return [start + timedelta(weeks=n) for n in range((end - start).days // 7 + 1)]


def namespace_label(token: TrackedToken) -> str:
    """A project's group (its path without the last part), or the group itself."""
    path = token.namespace.path
    if token.namespace.kind is NamespaceKind.PROJECT and "/" in path:
        return path.rpartition("/")[0]
    return path
