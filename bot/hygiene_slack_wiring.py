"""Wiring of token hygiene in Slack: the weekly digest's channels and reports, and the buttons.

Imported by bootstrap inside `slack_app` (this module needs `Container` from bootstrap).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.config import Settings
from bot.domain.hygiene_report import DEFAULT_WORST, HygieneReport
from bot.hygiene_wiring import hygiene_deps
from bot.scheduler import Job, hygiene_digest_job
from bot.services.hygiene import hygiene_report
from bot.services.hygiene_digest import (
    DigestTarget,
    HygieneDigestDeps,
    HygieneDigestPoster,
    combined,
)
from bot.slack.flow import ReminderFlow, RequestFlow
from bot.slack.hygiene_digest import SlackHygieneDigestPoster
from bot.slack.hygiene_flow import HygieneFlow

if TYPE_CHECKING:
    from bot.bootstrap import Container

log = logging.getLogger(__name__)
DIGEST_OFF = "off"


def digest_targets(settings: Settings) -> tuple[DigestTarget, ...]:
    """The reminders channel (everything), then each routed channel with the teams it serves."""
    targets: list[DigestTarget] = []
    if settings.tokenbot_reminders_channel:
        targets.append(DigestTarget(settings.tokenbot_reminders_channel))
    by_channel: dict[str, list[str]] = {}
    for route, channel in settings.reminders_routes.items():
        by_channel.setdefault(channel, []).append(route.strip("/"))
    taken = {t.channel for t in targets}
    targets += [
        DigestTarget(channel, tuple(sorted(teams)))
        for channel, teams in by_channel.items()
        if channel not in taken
    ]
    return tuple(targets)


def digest_enabled(settings: Settings) -> bool:
    return settings.tokenbot_hygiene_digest_day != DIGEST_OFF and bool(digest_targets(settings))


def hygiene_digest_deps(
    settings: Settings, container: Container, poster: HygieneDigestPoster
) -> HygieneDigestDeps:
    # matplotlib takes a while to load: only commands that post digests pay for it.
    from bot.reports.chart import render_chart  # noqa: PLC0415

    deps = hygiene_deps(settings, container)

    def report_for(target: DigestTarget) -> HygieneReport:
        if not target.teams:
            return hygiene_report(deps=deps, worst=DEFAULT_WORST)
        reports = [
            hygiene_report(deps=deps, team=team, worst=DEFAULT_WORST) for team in target.teams
        ]
        return combined(reports, worst=DEFAULT_WORST)

    return HygieneDigestDeps(
        uow=container.uow,
        clock=container.clock,
        poster=poster,
        targets=digest_targets(settings),
        report_for=report_for,
        chart_of=render_chart,
        timezone=settings.tokenbot_reminder_timezone,
    )


def hygiene_flow(
    settings: Settings,
    container: Container,
    reminders: ReminderFlow | None,
    requests: RequestFlow | None,
) -> HygieneFlow | None:
    """The hygiene buttons and the Home tab's findings act through GitLab, like the reminders'."""
    if reminders is None:
        return None
    return HygieneFlow(reminders, hygiene_deps(settings, container), requests)


def hygiene_jobs(settings: Settings, container: Container, client: WebClient) -> list[Job]:
    """The weekly digest job, unless it is off or there is no channel to post it to."""
    if not digest_enabled(settings):
        log.info("the hygiene digest is off; set TOKENBOT_REMINDERS_CHANNEL (and the day)")
        return []
    deps = hygiene_digest_deps(settings, container, SlackHygieneDigestPoster(client))
    return [
        hygiene_digest_job(
            deps,
            day=settings.tokenbot_hygiene_digest_day,
            at=settings.tokenbot_reminder_time,
            timezone=settings.tokenbot_reminder_timezone,
        )
    ]
