"""`tokenbot check`: is everything tokenbot needs in place? One result per check.

Pure: the database, GitLab and Slack are reached through the small ports in
`checks_ports.py`. Their adapters live in `bot/db/checks.py`, `bot/gitlab/gateway.py` and
`bot/slack/checks.py`; `bot/check_command.py` wires them and prints the report. Nothing here
ever sees a secret: the settings arrive as `CheckSetup`, which only says whether each secret
is set.

A check that cannot run (GitLab not configured, Slack refused the token) is `skip` and says
why; `warn` means "works, but act soon" (a credential near its expiry, a Maintainer where
Owner is needed for everything). Only `fail` makes the command fail, unless `strict`.

This module runs them all (`run_checks`) and re-exports the names callers use; the checks are
in `checks_settings.py`, `checks_database.py`, `checks_gitlab.py` and `checks_slack.py`, the
report and its output in `checks_report.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.services.checks_database import check_database
from bot.services.checks_gitlab import (
    REQUIRED_SCOPE,
    check_credential,
    check_group,
    check_reachable,
    gitlab_checks,
)
from bot.services.checks_ports import (
    SLACK_UNREACHABLE,
    CheckSetup,
    DatabaseUnavailableError,
    GitLabAccount,
    GitLabInstance,
    GitLabProbe,
    SchemaProbe,
    SchemaState,
    SlackChannel,
    SlackIdentity,
    SlackProbe,
    SlackProblemError,
)
from bot.services.checks_report import (
    CheckReport,
    CheckResult,
    Status,
    report_json,
    report_lines,
)
from bot.services.checks_settings import check_settings
from bot.services.checks_slack import check_channel, check_slack_auth, slack_checks
from bot.services.checks_webhooks import WebhookCheckDeps, webhook_checks

__all__ = [
    "DOCS",
    "REQUIRED_SCOPE",
    "SLACK_UNREACHABLE",
    "CheckDeps",
    "CheckReport",
    "CheckResult",
    "CheckSetup",
    "DatabaseUnavailableError",
    "GitLabAccount",
    "GitLabInstance",
    "GitLabProbe",
    "SchemaProbe",
    "SchemaState",
    "SlackChannel",
    "SlackIdentity",
    "SlackProbe",
    "SlackProblemError",
    "Status",
    "WebhookCheckDeps",
    "check_channel",
    "check_credential",
    "check_database",
    "check_group",
    "check_reachable",
    "check_settings",
    "check_slack_auth",
    "gitlab_checks",
    "report_json",
    "report_lines",
    "run_checks",
    "slack_checks",
]

DOCS = "docs/operations-check.md"


@dataclass(frozen=True, slots=True)
class CheckDeps:
    setup: CheckSetup
    database: SchemaProbe
    today: date  # the UTC date: tokens stop working at 00:00 UTC on their expiry day
    gitlab: GitLabProbe | None = None  # None when GITLAB_URL or GITLAB_TOKEN is not set
    slack: SlackProbe | None = None  # None when SLACK_BOT_TOKEN is not set
    webhooks: WebhookCheckDeps | None = None  # checks_webhooks.py


def run_checks(deps: CheckDeps) -> CheckReport:
    """Every check, in order; later checks are skipped when what they need has failed."""
    results = [check_settings(deps.setup), check_database(deps.database)]
    results += gitlab_checks(deps.gitlab, deps.setup, deps.today)
    results += webhook_checks(deps.webhooks)
    results += slack_checks(deps.slack, deps.setup)
    return CheckReport(tuple(results))
