"""`tokenbot check`: the command's arguments, its wiring, and its output.

bot/cli.py adds the sub-command with `add_check_parser(commands)` and dispatches "check" to
`run_check(args, settings)`. The checks themselves are in bot/services/checks.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.bootstrap import gitlab_gateway, utc_now
from bot.config import Settings
from bot.db.checks import SqlSchemaProbe
from bot.gitlab.gateway import PythonGitlabGateway
from bot.gitlab.token_file import writable_problem
from bot.services.checks import (
    CheckDeps,
    CheckSetup,
    SlackProbe,
    WebhookCheckDeps,
    report_json,
    report_lines,
    run_checks,
)
from bot.services.checks_features import checked_platform, feature_lines, features_json
from bot.services.webhook_install import hook_url
from bot.slack.checks import SlackWebProbe, check_client

EXIT_OK, EXIT_FAILED = 0, 1
# A check should answer in seconds: GitLab calls retry 429s/5xx for at most this long.
CHECK_RETRY_SECONDS = 5.0

DESCRIPTION = (
    "Checks, one line each: the settings; the database (reachable, migrated); GitLab"
    " (reachable; the bot's credential, its scopes and days to expiry; its role on each"
    " watched group; tokenbot's webhook on each watched group); Slack (auth.test; the bot in"
    " the approvals and reminders channels and in"
    " the channels of TOKENBOT_*_ROUTES). Exit code 0 when nothing failed (warnings and"
    " skipped checks do not fail, unless --strict), 1 otherwise. Never shows a secret."
)


def add_check_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot check` on the CLI's sub-command parsers."""
    check = commands.add_parser(
        "check",
        help="check settings, database, GitLab and Slack; one line per check",
        description=DESCRIPTION,
    )
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.add_argument("--strict", action="store_true", help="warnings fail too (exit code 1)")


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Run every check, print the report, and return the exit code."""
    strict = bool(getattr(args, "strict", False))
    config = getattr(args, "config", None) or settings.config_file
    report = run_checks(check_deps(settings, config_file=config))
    platform, origin = checked_platform(settings.platform, report)
    if getattr(args, "json", False):
        document = report_json(report, strict=strict) | {"gitlab": features_json(platform, origin)}
        print(json.dumps(document, indent=2))
    else:
        # The verdict stays the last line: scripts read it there.
        print(
            "\n".join([*feature_lines(platform, origin), "", *report_lines(report, strict=strict)])
        )
    return EXIT_OK if report.passed(strict=strict) else EXIT_FAILED


def check_deps(settings: Settings, *, config_file: Path | None = None) -> CheckDeps:
    """The checks wired to the real database, GitLab and Slack named by `settings`."""
    gitlab = _gitlab(settings)
    return CheckDeps(
        setup=check_setup(settings, config_file=config_file),
        database=SqlSchemaProbe(settings.effective_database_url),
        today=utc_now().date(),
        gitlab=gitlab,
        slack=_slack(settings),
        webhooks=_webhooks(settings, gitlab),
    )


def check_setup(settings: Settings, *, config_file: Path | None = None) -> CheckSetup:
    """What the checks need to know of the settings; secrets only as set or not."""
    return CheckSetup(
        gitlab_url=_without_credentials(settings.gitlab_url),
        gitlab_token_set=settings.gitlab_token is not None,
        watched_groups=settings.tokenbot_watched_groups,
        slack_token_set=settings.slack_bot_token is not None,
        slack_app_token_set=settings.slack_app_token is not None,
        slack_signing_secret_set=settings.slack_signing_secret is not None,
        slack_api_url=_without_credentials(settings.slack_api_url) or "",
        approvals_channel=settings.tokenbot_approvals_channel,
        reminders_channel=settings.tokenbot_reminders_channel,
        approvals_routes=settings.approvals_routes,
        reminders_routes=settings.reminders_routes,
        secret_key_set=settings.tokenbot_secret_key is not None,
        reminder_days=settings.tokenbot_reminder_days,
        self_rotate_days=settings.tokenbot_self_rotate_days,
        rotation_problem=_rotation_problem(settings),
        config_file=str(config_file) if config_file else None,
        user_map_size=len(settings.user_map),
        sign_in_enabled=settings.sign_in_enabled,
        sign_in_callback=settings.oauth_redirect_uri,
    )


def _gitlab(settings: Settings) -> PythonGitlabGateway | None:
    if settings.gitlab_url is None or settings.gitlab_token is None:
        return None
    retry = min(settings.tokenbot_gitlab_retry_seconds, CHECK_RETRY_SECONDS)
    return gitlab_gateway(settings.model_copy(update={"tokenbot_gitlab_retry_seconds": retry}))


def _webhooks(settings: Settings, gitlab: PythonGitlabGateway | None) -> WebhookCheckDeps:
    public = settings.tokenbot_public_url
    return WebhookCheckDeps(
        gitlab=gitlab,
        secret_set=settings.tokenbot_gitlab_webhook_secret is not None,
        groups=settings.tokenbot_watched_groups,
        url=hook_url(public) if public else None,
    )


def _slack(settings: Settings) -> SlackProbe | None:
    if settings.slack_bot_token is None:
        return None
    client = check_client(
        token=settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url
    )
    return SlackWebProbe(client)


def _rotation_problem(settings: Settings) -> str | None:
    """Why a rotation of the bot's own token could not be kept (None: it could)."""
    if settings.tokenbot_self_rotate_days is None or settings.gitlab_token is None:
        return None
    path = settings.secret_file("GITLAB_TOKEN")
    if path is None:
        return "GITLAB_TOKEN was not read from a file (GITLAB_TOKEN_FILE)"
    return writable_problem(path)


def _without_credentials(url: str | None) -> str | None:
    """The URL without any `user:password@` part."""
    if url is None:
        return None
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
