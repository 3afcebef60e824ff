"""`tokenbot remind`: post the expiry reminders due today (for cron instead of `tokenbot run`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

from slack_sdk import WebClient

from bot.bootstrap import Container, bootstrap, missing_for_requests, request_flow, slack_app
from bot.commands import EXIT_FAILED, EXIT_OK
from bot.commands.remind_hygiene import run_hygiene_digest
from bot.config import Settings
from bot.domain.approval_notices import Nudge
from bot.domain.reminders import Reminder
from bot.reminder_wiring import reminder_deps
from bot.services.approval_nudges import nudge_waiting
from bot.services.leases import run_exclusively
from bot.services.reminders import plan_reminders, sweep
from bot.shell.reminder_table import REMINDER_HEADERS, reminder_rows
from bot.shell.tables import render_table
from bot.slack.approvals import SlackApprovals, reminder_after
from bot.slack.reminders import SlackReminderPoster


def add_remind_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot remind`."""
    remind_cmd = commands.add_parser(
        "remind",
        help="post the expiry reminders due today (for cron instead of tokenbot run)",
        description="Posts each due reminder once to its channel; --dry-run lists them and"
        " posts nothing. Run `tokenbot sync` first so the inventory is current.",
    )
    remind_cmd.add_argument("--dry-run", action="store_true", help="list what is due; post nothing")
    remind_cmd.add_argument(
        "--hygiene",
        action="store_true",
        help="post this week's token hygiene digest now instead (once a week per channel)",
    )


def run_remind(args: argparse.Namespace, settings: Settings) -> int:
    if args.hygiene:
        return run_hygiene_digest(settings)
    container = bootstrap(settings)
    try:
        # Without a channel nothing is ever due: say so instead of "nothing is due today".
        settings.require("TOKENBOT_REMINDERS_CHANNEL")
        if args.dry_run:
            due = plan_reminders(deps=reminder_deps(settings, container, _NoPoster()))
            table = render_table(reminder_rows(due), REMINDER_HEADERS)
            print(table if due else "nothing is due today")
            return EXIT_OK
        settings.require("SLACK_BOT_TOKEN", "TOKENBOT_REMINDERS_CHANNEL")
        app = slack_app(settings, container, None)
        # Rotate and Renew are offered when the running bot can act on them (requests are on).
        poster = SlackReminderPoster(app.client, renewals=not missing_for_requests(settings))
        deps = reminder_deps(settings, container, poster)
        # The scheduled sweep's lease: the claims keep posts single anyway; this keeps two
        # sweeps from pacing the same channels at once.
        report = run_exclusively(
            "reminder-sweep",
            lambda: sweep(deps=deps),
            uow=deps.uow,
            clock=deps.clock,
            longest=timedelta(hours=1),
        )
        nudged = _remind_approvers(settings, container, app.client)
    finally:
        container.close()
    # The approvers' line comes after the sweep's own, which scripts read first.
    if report is None:
        if nudged:
            print(nudged)
        print("tokenbot: another process is sweeping right now; try again later", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"{len(report.due)} due, {report.posted} posted"
        f" ({report.digests} digests), {report.lost_to_another_process} taken by another process"
    )
    if nudged:
        print(nudged)
    for failure in report.failed:
        print(f"not posted: {failure}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


def _remind_approvers(settings: Settings, container: Container, client: WebClient) -> str | None:
    """With token requests on: send the approvers' reminders and escalations that are due,
    and say how many."""
    flow = request_flow(settings, container)
    if flow is None:
        return None
    sent = nudge_waiting(
        deps=flow.deps, after=reminder_after(flow), send=SlackApprovals(client, flow).nudge
    )
    reminders = sum(1 for _, nudge in sent if nudge is Nudge.REMINDER)
    return f"{reminders} approval reminders, {len(sent) - reminders} escalations"


class _NoPoster:
    """Stands in for Slack in a dry run; never called."""

    def post(self, reminder: Reminder) -> str:
        raise AssertionError("a dry run posts nothing")

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        raise AssertionError("a dry run posts nothing")
