"""`tokenbot reconcile`: run the reconciler once, now, and say what it did.

bot/cli.py adds the sub-command with `add_reconcile_parser(commands)` and dispatches
"reconcile" to `run_reconcile(args, settings)`. The reconciler is bot/services/reconciler.py;
`tokenbot run` also runs it every minute.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.bootstrap import (
    Container,
    bootstrap,
    missing_for_requests,
    reconcile_deps,
    request_flow,
)
from bot.config import Settings, SettingsError
from bot.services.job_token_access import settle_job_access
from bot.services.reconciler import ReconcileNotifier, Reconciliation, reconcile_exclusively
from bot.slack.app import create_client
from bot.slack.reconcile_notices import SlackReconcileNotifier

EXIT_OK, EXIT_FAILED = 0, 1

DESCRIPTION = (
    "Sends again every revoke GitLab did not confirm; takes over each request left in"
    " provisioning (or approved and never started) longer than"
    " TOKENBOT_PROVISIONING_TIMEOUT_SECONDS (adopting and delivering what GitLab made for it,"
    " or setting it back to failed for Retry); ends each rotation left rotating that long"
    " (provisioned on the token GitLab holds live, its requester told when the old secret no"
    " longer works); and checks GitLab for"
    " credentials bearing a request's mark that no request holds (revoked when nobody can have"
    " their secret, else reported in the approvals channel). With SLACK_BOT_TOKEN set, people"
    " are told in Slack as `tokenbot run` would tell them. It also settles each CI/CD job"
    " token allowlist entry whose add or removal GitLab did not answer, from what GitLab's"
    " allowlist holds. Exit code 1 when a revoke is still pending or GitLab could not be asked."
)


def add_reconcile_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot reconcile` on the CLI's sub-command parsers."""
    command = commands.add_parser(
        "reconcile",
        help="finish or roll back token requests GitLab's lost answers or a crash left behind",
        description=DESCRIPTION,
    )
    command.add_argument("--json", action="store_true", help="print one JSON document")


def run_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    missing = missing_for_requests(settings, in_slack=False)
    if missing:
        raise SettingsError(
            f"token requests are off, so there is nothing to reconcile; set {', '.join(missing)}"
        )
    container = bootstrap(settings)
    try:
        deps = reconcile_deps(settings, container, _notifier(settings, container))
        assert deps is not None  # noqa: S101 - missing_for_requests() was empty
        result = reconcile_exclusively(deps=deps)
        entries = [] if result is None else settle_job_access(deps=deps.requests)
    finally:
        container.close()
    if result is None:
        print(
            "tokenbot: another process is reconciling right now; try again later", file=sys.stderr
        )
        return EXIT_FAILED
    settled_entries = len(entries)
    if args.json:
        print(json.dumps({**_as_dict(result), "job_token_entries_settled": settled_entries}))
    else:
        print(f"{_as_text(result)}; {settled_entries} job token allowlist entries settled")
    for error in result.errors:
        print(f"not checked: {error}", file=sys.stderr)
    return EXIT_FAILED if result.errors or result.revokes_pending else EXIT_OK


def _notifier(settings: Settings, container: Container) -> ReconcileNotifier | None:
    flow = request_flow(settings, container)
    if flow is None or settings.slack_bot_token is None:
        return None
    client = create_client(
        token=settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url
    )
    return SlackReconcileNotifier(client, flow)


def _as_dict(result: Reconciliation) -> dict[str, object]:
    return {
        "finished": result.finished,
        "rolled_back": result.rolled_back,
        "rotations": result.rotations,
        "settled": result.settled,
        "revoked": result.revoked,
        "revokes_pending": result.revokes_pending,
        "reported": result.reported,
        "errors": result.errors,
        "seconds": round(result.seconds, 3),
    }


def _as_text(result: Reconciliation) -> str:
    return (
        f"{len(result.finished)} finished, {len(result.rolled_back)} rolled back to failed,"
        f" {len(result.rotations)} interrupted rotations ended,"
        f" {result.settled} checked against GitLab, {result.revoked} revoked,"
        f" {result.revokes_pending} revokes still pending, {result.reported} reported"
        f" ({result.seconds:.2f} s)"
    )
