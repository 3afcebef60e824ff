"""`tokenbot breakglass-sweep`: escalate overdue break-glass reviews and revoke break-glass
tokens whose lifetime is over (for cron; `tokenbot run` does it every minute)."""

from __future__ import annotations

import argparse
import sys

from bot.bootstrap import bootstrap, missing_for_requests, request_flow
from bot.commands import EXIT_FAILED, EXIT_OK
from bot.config import Settings, SettingsError
from bot.scheduler import sweep_exclusively
from bot.slack.app import create_client
from bot.slack.listeners.breakglass import SlackBreakGlassNotifier


def add_breakglass_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot breakglass-sweep`."""
    commands.add_parser(
        "breakglass-sweep",
        help="escalate overdue break-glass reviews; revoke break-glass tokens past their end",
        description="Each overdue review escalates once to its approvals channel, and each"
        " break-glass token past TOKENBOT_BREAKGLASS_HOURS is revoked once, however often"
        " this runs (tokenbot run does it every minute).",
    )


def run_breakglass_sweep(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN")
    assert settings.slack_bot_token is not None  # noqa: S101 - require() checked it
    container = bootstrap(settings)
    try:
        flow = request_flow(settings, container)
        if flow is None:
            missing = ", ".join(missing_for_requests(settings))
            raise SettingsError(f"token requests are off; not set: {missing}")
        client = create_client(
            token=settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url
        )
        report = sweep_exclusively(flow.deps, SlackBreakGlassNotifier(client, flow))
    finally:
        container.close()
    if report is None:
        print("tokenbot: another process is sweeping right now; try again later", file=sys.stderr)
        return EXIT_FAILED
    print(f"{len(report.escalated)} escalated, {len(report.ended)} ended")
    for request_id in report.failed:
        print(f"not finished: break-glass {request_id}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK
