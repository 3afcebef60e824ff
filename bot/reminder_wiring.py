"""Wiring of the reminder sweep: where each token's reminders go, and what the sweep needs."""

from __future__ import annotations

from collections.abc import Callable

from bot.bootstrap import Container
from bot.config import Settings, SettingsError
from bot.domain.reminders import TrackedToken
from bot.domain.routing import channel_for
from bot.services.gate import is_own
from bot.services.gitlab_errors import GitLabError
from bot.services.reminders import ReminderDeps, ReminderPoster


def reminder_channel(settings: Settings) -> Callable[[TrackedToken], str | None]:
    """Where a token's reminders go: its namespace's route, else the reminders channel."""
    routes = settings.reminders_routes
    default = settings.tokenbot_reminders_channel or ""

    def channel_of(token: TrackedToken) -> str | None:
        return channel_for(token.namespace.path, routes, default) or None

    return channel_of


def reminder_deps(settings: Settings, container: Container, poster: ReminderPoster) -> ReminderDeps:
    def own(token: TrackedToken) -> bool:
        try:
            return is_own(token, container.gate().identity())
        except (GitLabError, SettingsError):
            return False  # its buttons still refuse; it may be reminded of twice today

    return ReminderDeps(
        uow=container.uow,
        clock=container.clock,
        poster=poster,
        channel_of=reminder_channel(settings),
        thresholds=settings.tokenbot_reminder_days,
        digest_threshold=settings.tokenbot_digest_threshold,
        is_own=own,
    )
