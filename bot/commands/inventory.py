"""`tokenbot inventory` lists GitLab's credentials; `tokenbot sync` tracks them in the database."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from typing import Any

from bot.bootstrap import bootstrap, gitlab_gateway, sync_deps, utc_now
from bot.commands import EXIT_FAILED, EXIT_OK, UsageError
from bot.config import Settings
from bot.domain.credentials import InventoryProgress, TokenRecord
from bot.domain.expiry import days_left
from bot.services.inventory_sync import SyncError, sync_inventory
from bot.services.leases import run_exclusively
from bot.shell.tables import inventory_rows, render_table, state
from bot.slack.app import create_client
from bot.slack.handoff_notices import SlackHandoffNotifier

SYNC_WAIT_SECONDS = 900  # `tokenbot sync` waits this long for a sync another process runs


def add_inventory_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot inventory`."""
    inventory_cmd = commands.add_parser(
        "inventory",
        help="list every credential in GitLab groups (read-only)",
        description="Lists group, project, service-account, deploy and trigger tokens, deploy"
        " keys and people's personal access tokens (where GitLab shows them) of the groups"
        " given (default: TOKENBOT_WATCHED_GROUPS), with expiry and last use.",
    )
    inventory_cmd.add_argument("groups", nargs="*", metavar="GROUP", help="group paths")
    inventory_cmd.add_argument("--json", action="store_true", help="print JSON lines")


def add_sync_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot sync`."""
    commands.add_parser(
        "sync",
        help="sync the watched groups' credentials into the database (for reminders)",
        description="Reads every group, project, service-account, deploy and trigger token of"
        " TOKENBOT_WATCHED_GROUPS. Resumes an interrupted sync; tokenbot run also syncs on a"
        " schedule (TOKENBOT_SYNC_INTERVAL_HOURS).",
    )


def run_inventory(args: argparse.Namespace, settings: Settings) -> int:
    groups = args.groups or list(settings.tokenbot_watched_groups)
    return _inventory(groups, as_json=args.json, settings=settings)


def _inventory(groups: list[str], *, as_json: bool, settings: Settings) -> int:
    if not groups:
        raise UsageError("name at least one group, or set TOKENBOT_WATCHED_GROUPS")
    gateway = gitlab_gateway(settings)
    show_progress = sys.stderr.isatty()

    def progress(step: InventoryProgress) -> None:
        if show_progress:
            print(
                f"\rprojects {step.projects_done}/{step.projects_total},"
                f" credentials {step.tokens_found}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    skipped: tuple[str, ...] = ()

    def remember(step: InventoryProgress) -> None:
        nonlocal skipped
        skipped = step.errors
        progress(step)

    records = list(gateway.inventory(groups, progress=remember))
    if show_progress:
        print(file=sys.stderr)
    today = utc_now().date()
    if as_json:
        for record in records:
            print(json.dumps(record_json(record, today)))
    else:
        print(render_table(inventory_rows(records, today)))
    for note in skipped:
        print(f"skipped {note}", file=sys.stderr)
    return EXIT_OK


def record_json(record: TokenRecord, today: date) -> dict[str, Any]:
    return {
        "token_type": record.token_type.value,
        "gitlab_id": record.gitlab_id,
        "name": record.name,
        "where": record.namespace.path if record.namespace else None,
        "scopes": list(record.scopes),
        "access_level": int(record.access_level) if record.access_level else None,
        "expires_on": record.expires_on.isoformat() if record.expires_on else None,
        "days_left": days_left(record.expires_on, today),
        "last_used_at": record.last_used_at.isoformat() if record.last_used_at else None,
        "last_used_ips": list(record.last_used_ips),
        "account": record.account or None,
        "state": state(record, today),
    }


def run_sync(args: argparse.Namespace, settings: Settings) -> int:
    container = bootstrap(settings)
    deps = sync_deps(settings, container, _handoff_notifier(settings))
    show_progress = sys.stderr.isatty()

    def progress(step: InventoryProgress) -> None:
        if show_progress:
            done, total = step.projects_done, max(step.projects_total, 1)
            bar = "#" * (30 * done // total)
            print(
                f"\r[{bar:<30}] projects {done}/{step.projects_total},"
                f" credentials {step.tokens_found}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    try:
        # The same lease as the scheduled sync in `tokenbot run`: two syncs at once would share
        # the open run, and one would fail on the places the other wrote. Wait for the other.
        waited_until = time.monotonic() + SYNC_WAIT_SECONDS
        while True:
            report = run_exclusively(
                "inventory-sync",
                lambda: sync_inventory(
                    settings.tokenbot_watched_groups, deps=deps, progress=progress
                ),
                uow=deps.uow,
                clock=deps.clock,
                longest=timedelta(hours=2),
            )
            if report is not None or time.monotonic() > waited_until:
                break
            if show_progress:
                print("\rwaiting: another process is syncing", end="", file=sys.stderr)
            time.sleep(2)
    except SyncError as exc:
        if show_progress:
            print(file=sys.stderr)
        print(f"tokenbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        container.close()
    if show_progress:
        print(file=sys.stderr)
    if report is None:
        print(
            f"tokenbot: another process has been syncing for over {SYNC_WAIT_SECONDS // 60}"
            " minutes; try again later",
            file=sys.stderr,
        )
        return EXIT_FAILED
    resumed = " (resumed)" if report.resumed else ""
    print(
        f"synced {report.places} places{resumed}: {report.tokens} credentials,"
        f" {report.added} new, {report.changed} changed, {report.gone} gone"
    )
    if report.handoffs_done:
        print(f"finished {report.handoffs_done} hand-offs: their old tokens are revoked")
    for path in report.unreadable:
        print(f"skipped {path}: the bot may not list its tokens", file=sys.stderr)
    return EXIT_OK


def _handoff_notifier(settings: Settings) -> SlackHandoffNotifier | None:
    """Owners are told in Slack of the hand-offs a sync moves on, when Slack is set up."""
    if settings.slack_bot_token is None:
        return None
    token = settings.slack_bot_token.get_secret_value()
    return SlackHandoffNotifier(create_client(token=token, api_url=settings.slack_api_url))
