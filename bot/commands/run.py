"""`tokenbot run`: the Slack bot, its scheduled jobs and its metrics, until it is stopped."""

from __future__ import annotations

import argparse
import gc
import logging
from collections.abc import Callable
from datetime import timedelta

from slack_sdk import WebClient

from bot.bootstrap import (
    Container,
    bootstrap,
    missing_for_requests,
    own_token_check,
    reconcile_deps,
    request_flow,
    slack_app,
    sync_deps,
)
from bot.commands import EXIT_OK
from bot.config import Settings
from bot.hygiene_slack_wiring import hygiene_jobs
from bot.observability.metrics import MetricsService, start_metrics
from bot.reminder_wiring import reminder_deps
from bot.scheduler import Job, platform_job, reminder_jobs, request_jobs, start_scheduler
from bot.services.handoffs import HandoffDeps
from bot.services.leases import run_exclusively
from bot.services.own_token_watch import watch_own_token
from bot.services.provisioning import observe_provisioning
from bot.slack.approvals import SlackApprovals, reminder_after
from bot.slack.handoff_notices import SlackHandoffNotifier
from bot.slack.link_page import CALLBACK_PATH, link_pages
from bot.slack.listeners.breakglass import SlackBreakGlassNotifier
from bot.slack.listeners.delivery import announce_expired
from bot.slack.reconcile_notices import SlackReconcileNotifier
from bot.slack.reminders import SlackReminderPoster
from bot.slack.server import (
    EVENTS_PATH,
    pages_only_app,
    serve_http,
    serve_in_background,
    serve_socket_mode,
    wsgi_app,
)
from bot.slack.webhook_endpoint import WEBHOOK_PATH
from bot.webhook_wiring import WebhookService, webhook_service

# The logger keeps the name it had when this lived in bot/cli.py: log lines show it.
log = logging.getLogger("bot.cli")


def add_run_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot run`."""
    run_cmd = commands.add_parser(
        "run",
        help="run the Slack bot",
        description="Socket Mode when SLACK_APP_TOKEN is set; otherwise an HTTP server with"
        " Slack's endpoint at /slack/events, and /healthz and /readyz.",
    )
    run_cmd.add_argument(
        "--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)"
    )
    run_cmd.add_argument("--host", default="0.0.0.0", help="HTTP address (default: 0.0.0.0)")  # noqa: S104


def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN")
    if settings.slack_app_token is None:
        settings.require("SLACK_SIGNING_SECRET")
    container = bootstrap(settings)
    scheduler = None
    metrics: MetricsService | None = None
    stop_pages: Callable[[], None] | None = None
    hooks: WebhookService | None = None
    try:
        flow = request_flow(settings, container)
        app = slack_app(settings, container, flow)
        metrics = start_metrics(
            engine=container.db,
            clock=container.clock,
            port=settings.tokenbot_metrics_port,
            host=args.host,
            socket_mode=settings.slack_app_token is not None,
        )
        observe_provisioning(metrics.metrics.record_provisioning)
        jobs: list[Job] = []
        if flow is not None:
            notify = SlackReconcileNotifier(app.client, flow)
            jobs += request_jobs(
                flow.deps,
                on_expired=lambda request: announce_expired(app.client, request, flow),
                reconcile=reconcile_deps(settings, container, notify),
                linking=flow.linking is not None,
                handoffs=HandoffDeps(flow.deps, SlackHandoffNotifier(app.client)),
                breakglass=SlackBreakGlassNotifier(app.client, flow),
                nudge=(reminder_after(flow), SlackApprovals(app.client, flow).nudge),
            )
        else:
            log.info(
                "token requests are off; not set: %s", ", ".join(missing_for_requests(settings))
            )
        poster = SlackReminderPoster(app.client, renewals=flow is not None)
        jobs += _reminder_jobs(settings, container, poster, app.client)
        jobs += hygiene_jobs(settings, container, app.client)
        hooks = webhook_service(settings, container, poster, SlackHandoffNotifier(app.client))
        jobs += _platform_jobs(settings, container)
        if jobs:
            scheduler = start_scheduler(jobs)
        # What start-up made lives for the whole process: keep it out of the collector's scans
        # (a full collection paused acks by about 100 ms in the benchmark).
        gc.freeze()
        port = settings.port if args.port is None else args.port
        pages = link_pages(flow.linking) if flow is not None and flow.linking else None
        if settings.slack_app_token is not None:
            # Socket Mode serves HTTP only for the sign-in pages and, given their secret,
            # GitLab's webhooks.
            webhook = hooks.endpoint if settings.tokenbot_gitlab_webhook_secret else None
            if pages is not None or webhook is not None:
                stop_pages = serve_in_background(
                    pages_only_app(pages, webhook),
                    host=args.host,
                    port=port,
                    on_listening=lambda url: _print_side_server(
                        url, pages=pages is not None, webhook=webhook is not None
                    ),
                )
            print("tokenbot connecting to Slack in Socket Mode", flush=True)
            serve_socket_mode(app, app_token=settings.slack_app_token.get_secret_value())
        else:
            serve_http(
                wsgi_app(
                    app,
                    ready=container.ready,
                    metrics=metrics.app_registry,
                    pages=pages,
                    webhook=hooks.endpoint,
                ),
                host=args.host,
                port=port,
                on_listening=lambda url: print(
                    f"tokenbot listening on {url} (Slack endpoint {EVENTS_PATH})", flush=True
                ),
            )
    finally:
        if stop_pages is not None:
            stop_pages()
        if hooks is not None:
            hooks.close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if metrics is not None:
            metrics.close()
        container.close()
    return EXIT_OK


def _print_side_server(url: str, *, pages: bool, webhook: bool) -> None:
    if pages:
        print(f"tokenbot serving GitLab sign-in on {url}{CALLBACK_PATH}", flush=True)
    if webhook:
        print(f"tokenbot serving GitLab webhooks on {url}{WEBHOOK_PATH}", flush=True)


def _platform_jobs(settings: Settings, container: Container) -> list[Job]:
    known = container.advice.known
    if known is None or settings.gitlab_url is None or settings.gitlab_token is None:
        return []
    return [platform_job(known, lambda: container.gitlab().instance_metadata().version)]


def _reminder_jobs(
    settings: Settings, container: Container, poster: SlackReminderPoster, client: WebClient
) -> list[Job]:
    """Sync and sweep on a schedule, as far as the settings allow; say what is off."""
    has_gitlab = settings.gitlab_url is not None and settings.gitlab_token is not None
    notify = SlackHandoffNotifier(client)
    sync = sync_deps(settings, container, notify) if has_gitlab else None
    reminders = (
        reminder_deps(settings, container, poster)
        if settings.tokenbot_reminders_channel is not None
        else None
    )
    if sync is None or not settings.tokenbot_watched_groups:
        log.info("inventory sync is off; set GITLAB_URL, GITLAB_TOKEN, TOKENBOT_WATCHED_GROUPS")
    if reminders is None:
        log.info("expiry reminders are off; set TOKENBOT_REMINDERS_CHANNEL")
    own_token = None
    if has_gitlab:

        def own_token() -> object:
            return run_exclusively(
                "own-token-check",
                lambda: watch_own_token(
                    own_token_check(settings, container),
                    uow=container.uow,
                    clock=container.clock,
                ),
                uow=container.uow,
                clock=container.clock,
                longest=timedelta(minutes=10),
            )

    return reminder_jobs(
        own_token=own_token,
        sync=sync,
        groups=settings.tokenbot_watched_groups,
        sync_hours=settings.tokenbot_sync_interval_hours,
        reminders=reminders,
        at=settings.tokenbot_reminder_time,
        timezone=settings.tokenbot_reminder_timezone,
    )
