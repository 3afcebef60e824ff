"""Wiring of `POST /gitlab/webhook` for `tokenbot run`: endpoint, refresh queue, use case.

Kept beside bootstrap.py (which it calls) so the composition root stays one screenful.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.bootstrap import Container, sync_deps
from bot.config import Settings
from bot.domain.webhook_events import WebhookEvent, groups_to_refresh
from bot.reminder_wiring import reminder_deps
from bot.services.handoffs import HandoffNotifier
from bot.services.reminders import ReminderPoster
from bot.services.webhook_queue import RefreshQueue
from bot.services.webhooks import WebhookDeps, refresh_and_remind
from bot.slack.webhook_endpoint import WebhookEndpoint

log = logging.getLogger(__name__)


@dataclass
class WebhookService:
    endpoint: WebhookEndpoint
    close: Callable[[], None]


def webhook_service(
    settings: Settings,
    container: Container,
    poster: ReminderPoster,
    notify: HandoffNotifier | None = None,
) -> WebhookService:
    """The endpoint; it refreshes only when GitLab and watched groups are configured."""
    secret = settings.tokenbot_gitlab_webhook_secret
    watched = settings.tokenbot_watched_groups
    has_gitlab = settings.gitlab_url is not None and settings.gitlab_token is not None
    queue: RefreshQueue | None = None
    if secret is not None and has_gitlab and watched:
        reminders = (
            reminder_deps(settings, container, poster)
            if settings.tokenbot_reminders_channel is not None
            else None
        )
        deps = WebhookDeps(sync_deps(settings, container, notify), reminders)
        queue = RefreshQueue(lambda groups: refresh_and_remind(groups, deps=deps))
    elif secret is not None:
        log.info(
            "webhooks are answered but refresh nothing; set GITLAB_URL, GITLAB_TOKEN and"
            " TOKENBOT_WATCHED_GROUPS"
        )

    def on_event(event: WebhookEvent) -> None:
        groups = groups_to_refresh(event, watched)
        if queue is None or not groups:
            log.info("webhook names no watched group; nothing to refresh")
            return
        queue.submit(groups)

    endpoint = WebhookEndpoint(
        secret=secret.get_secret_value() if secret is not None else None, on_event=on_event
    )
    return WebhookService(endpoint, queue.close if queue is not None else lambda: None)
