"""The hygiene report: counts, the worst credentials' order and bound, and weeks in UTC."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.hygiene import Finding, FindingKind
from bot.domain.hygiene_report import (
    FlaggedCredential,
    build_report,
    monday_of,
    namespace_label,
    week_starts,
)
from bot.domain.reminders import TrackedToken
from bot.domain.routing import route_for
from bot.domain.tokens import TokenType

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()
PROJECT = Namespace(NamespaceKind.PROJECT, 7, "acme/payments/checkout")
GROUP = Namespace(NamespaceKind.GROUP, 3, "acme/web")


def _finding(kind: FindingKind) -> Finding:
    return Finding(kind, f"why {kind.value}", f"instead {kind.value}")


def _credential(
    gitlab_id: int,
    *kinds: FindingKind,
    expires_on: date | None = None,
    where: Namespace = PROJECT,
    team: str | None = None,
) -> FlaggedCredential:
    token = TrackedToken(
        f"project_access_token:{gitlab_id}",
        TokenType.PROJECT_ACCESS_TOKEN,
        gitlab_id,
        f"token-{gitlab_id}",
        where,
        expires_on=expires_on,
    )
    return FlaggedCredential(token, tuple(_finding(k) for k in kinds), team)


def test_counts_cover_every_kind_and_a_credential_counts_once_per_kind() -> None:
    report = build_report(
        [
            _credential(1, FindingKind.UNUSED, FindingKind.BROAD_SCOPE),
            _credential(2, FindingKind.UNUSED),
            _credential(3),
        ],
        now=NOW,
    )
    assert set(report.counts) == set(FindingKind)
    assert report.counts[FindingKind.UNUSED] == 2
    assert report.counts[FindingKind.BROAD_SCOPE] == 1
    assert report.counts[FindingKind.UNOWNED] == 0
    assert (report.total, report.flagged_count) == (3, 2)


def test_worst_is_most_findings_then_soonest_expiry_then_key() -> None:
    soon, later = TODAY + timedelta(days=3), TODAY + timedelta(days=30)
    three = (FindingKind.UNUSED, FindingKind.BROAD_SCOPE, FindingKind.HIGH_ROLE)
    report = build_report(
        [
            _credential(5, FindingKind.UNUSED, expires_on=soon),
            _credential(4, *three, expires_on=None),  # most findings, though undated
            _credential(3, FindingKind.UNUSED, expires_on=None),  # undated: after dated ties
            _credential(2, FindingKind.UNUSED, expires_on=later),
            _credential(1, FindingKind.UNUSED, expires_on=soon),  # ties with 5: key decides
            _credential(9),  # no findings: never among the worst
        ],
        now=NOW,
    )
    assert [c.token.gitlab_id for c in report.worst] == [4, 1, 5, 2, 3]


def test_worst_is_bounded() -> None:
    many = [_credential(n, FindingKind.UNUSED) for n in range(30)]
    assert len(build_report(many, now=NOW).worst) == 10
    assert len(build_report(many, now=NOW, worst=3).worst) == 3
    assert build_report(many, now=NOW, worst=0).worst == ()


@pytest.mark.parametrize(
    ("days", "in_chart"),
    [
        (-1, False),  # expired yesterday
        (0, False),  # expires today: it stopped working at 00:00 UTC already
        (1, True),  # tomorrow: the first day of the horizon
        (90, True),  # the last day of the horizon
        (91, False),  # one day past it
    ],
)
def test_the_ninety_day_horizon(days: int, in_chart: bool) -> None:
    report = build_report([_credential(1, expires_on=TODAY + timedelta(days=days))], now=NOW)
    assert report.expiring == (1 if in_chart else 0)


def test_weeks_run_monday_to_sunday_and_are_all_present() -> None:
    report = build_report([], now=NOW)
    starts = [bar.week_start for bar in report.weeks]
    assert all(d.weekday() == 0 for d in starts)
    assert starts[0] == date(2026, 12, 7)  # the week holding tomorrow (Thursday the 10th)
    assert starts[-1] == monday_of(TODAY + timedelta(days=90))
    assert all(b - a == timedelta(weeks=1) for a, b in itertools.pairwise(starts))
    assert all(bar.total == 0 and bar.flagged == 0 for bar in report.weeks)


def test_a_sunday_and_the_next_monday_fall_in_different_weeks() -> None:
    sunday, monday = date(2026, 12, 13), date(2026, 12, 14)
    report = build_report(
        [
            _credential(1, FindingKind.UNUSED, expires_on=sunday),
            _credential(2, expires_on=monday),
        ],
        now=NOW,
    )
    bars = {bar.week_start: bar for bar in report.weeks}
    assert bars[date(2026, 12, 7)].total == 1
    assert bars[date(2026, 12, 7)].flagged == 1
    assert bars[date(2026, 12, 14)].total == 1
    assert bars[date(2026, 12, 14)].flagged == 0


def test_today_is_the_utc_date_whatever_the_clocks_zone() -> None:
    """23:30 UTC on the 9th is already the 10th in Tokyo: the horizon stays in UTC."""
    late = datetime(2026, 12, 9, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=9)))
    report = build_report([_credential(1, expires_on=date(2026, 12, 10))], now=late)
    assert report.expiring == 1  # tomorrow in UTC, so still to expire


def test_bars_stack_by_team_else_by_namespace() -> None:
    soon = TODAY + timedelta(days=2)
    report = build_report(
        [
            _credential(1, expires_on=soon, team="acme/payments"),
            _credential(2, expires_on=soon),  # no route: its project's group
            _credential(3, expires_on=soon, where=GROUP),  # a group's token: the group
        ],
        now=NOW,
    )
    bar = next(b for b in report.weeks if b.total)
    assert bar.counts == {"acme/payments": 2, "acme/web": 1}
    assert report.by_stack == {"acme/payments": 2, "acme/web": 1}


def test_namespace_labels() -> None:
    token = _credential(1).token
    assert namespace_label(token) == "acme/payments"
    assert namespace_label(_credential(2, where=GROUP).token) == "acme/web"
    top = Namespace(NamespaceKind.PROJECT, 9, "solo")
    assert namespace_label(_credential(3, where=top).token) == "solo"


def test_week_starts_of_one_day() -> None:
    assert week_starts(date(2026, 12, 13), date(2026, 12, 13)) == [date(2026, 12, 7)]


@pytest.mark.parametrize(
    ("path", "team"),
    [
        ("acme/payments/checkout", "acme/payments"),
        ("ACME/Payments/checkout", "acme/payments"),  # GitLab paths ignore case
        ("acme/payments-legacy/x", "acme"),  # whole segments only
        ("other/thing", None),
    ],
)
def test_the_team_is_the_most_specific_reminder_route(path: str, team: str | None) -> None:
    routes = {"acme": "C1", "/acme/payments/": "C2"}
    assert route_for(path, routes) == team
