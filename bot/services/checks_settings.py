"""The `settings` check: settings that only make sense together; each problem names what to set."""

from __future__ import annotations

from bot.services.checks_ports import CheckSetup
from bot.services.checks_report import CheckResult, Status


def check_settings(setup: CheckSetup) -> CheckResult:
    """Settings that only make sense together; each problem names what to set."""
    problems: list[tuple[Status, str, str]] = []
    problems += _gitlab_setting_problems(setup)
    problems += _slack_setting_problems(setup)
    problems = problems or _run_problems(setup)  # the other problems say what is missing
    facts = {
        "config_file": setup.config_file,
        "enabled": _enabled(setup),
        "configured": configured(setup),
    }
    source = f"{setup.config_file} and the environment" if setup.config_file else "the environment"
    if not problems:
        on = ", ".join(_enabled(setup)) or "only the advisor"
        return CheckResult("settings", Status.PASS, f"read from {source}; on: {on}", facts=facts)
    status = Status.FAIL if any(s is Status.FAIL for s, _, _ in problems) else Status.WARN
    return CheckResult(
        "settings",
        status,
        "; ".join(what for _, what, _ in problems),
        fix="; ".join(fix for _, _, fix in problems),
        facts=facts,
    )


NOT_CONFIGURED = "not configured: `tokenbot run` will not start"


def configured(setup: CheckSetup) -> bool:
    """Is anything of Slack or GitLab set at all?"""
    return any(
        (
            setup.slack_token_set,
            setup.slack_app_token_set,
            setup.slack_signing_secret_set,
            setup.gitlab_url is not None,
            setup.gitlab_token_set,
            setup.watched_groups,
            *(value for _, value in _channel_settings(setup)),
        )
    )


def _run_problems(setup: CheckSetup) -> list[tuple[Status, str, str]]:
    """`tokenbot run` needs SLACK_BOT_TOKEN: with nothing set it is the one thing to say."""
    if setup.slack_token_set:
        return []
    if not configured(setup):
        return [
            (
                Status.FAIL,
                f"{NOT_CONFIGURED} (neither Slack nor GitLab is set)",
                "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or SLACK_SIGNING_SECRET), GITLAB_URL"
                " and GITLAB_TOKEN, in the environment or a config file (--config,"
                " TOKENBOT_CONFIG); see docs/configuration.md",
            )
        ]
    return [
        (
            Status.WARN,
            "`tokenbot run` will not start: SLACK_BOT_TOKEN is not set (the terminal commands"
            " work)",
            "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (see docs/slack.md) to run the Slack bot",
        )
    ]


def _gitlab_setting_problems(setup: CheckSetup) -> list[tuple[Status, str, str]]:
    found = []
    if (setup.gitlab_url is not None) != setup.gitlab_token_set:
        have, lack = ("GITLAB_URL", "GITLAB_TOKEN")
        if setup.gitlab_token_set:
            have, lack = lack, have
        found.append((Status.FAIL, f"{have} is set but {lack} is not", f"set {lack} too"))
    if setup.watched_groups and not setup.gitlab_configured:
        found.append(
            (
                Status.FAIL,
                "TOKENBOT_WATCHED_GROUPS is set but GitLab is not configured",
                "set GITLAB_URL and GITLAB_TOKEN",
            )
        )
    if setup.self_rotate_days is not None and setup.rotation_problem:
        found.append(
            (
                Status.WARN,
                f"TOKENBOT_SELF_ROTATE_DAYS is set but a rotated token could not be saved:"
                f" {setup.rotation_problem}",
                "read GITLAB_TOKEN from a file tokenbot may replace (GITLAB_TOKEN_FILE), or"
                " unset TOKENBOT_SELF_ROTATE_DAYS and rotate by hand",
            )
        )
    return found


def _slack_setting_problems(setup: CheckSetup) -> list[tuple[Status, str, str]]:
    found = []
    channels = [name for name, value in _channel_settings(setup) if value]
    if channels and not setup.slack_token_set:
        found.append(
            (
                Status.FAIL,
                f"{', '.join(channels)} set but SLACK_BOT_TOKEN is not",
                "set SLACK_BOT_TOKEN",
            )
        )
    if setup.slack_token_set and not (setup.slack_app_token_set or setup.slack_signing_secret_set):
        found.append(
            (
                Status.FAIL,
                "`tokenbot run` needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)",
                "set SLACK_APP_TOKEN (see docs/slack.md)",
            )
        )
    if setup.approvals_channel and not (setup.gitlab_configured and setup.secret_key_set):
        missing = [
            name
            for name, ok in (
                ("GITLAB_URL", setup.gitlab_url is not None),
                ("GITLAB_TOKEN", setup.gitlab_token_set),
                ("TOKENBOT_SECRET_KEY", setup.secret_key_set),
            )
            if not ok
        ]
        found.append(
            (
                Status.WARN,
                "TOKENBOT_APPROVALS_CHANNEL is set but token requests are off"
                f" ({', '.join(missing)} not set)",
                f"set {' and '.join(missing)}",
            )
        )
    return found


def _channel_settings(setup: CheckSetup) -> list[tuple[str, object]]:
    return [
        ("TOKENBOT_APPROVALS_CHANNEL", setup.approvals_channel),
        ("TOKENBOT_REMINDERS_CHANNEL", setup.reminders_channel),
        ("TOKENBOT_APPROVALS_ROUTES", bool(setup.approvals_routes)),
        ("TOKENBOT_REMINDERS_ROUTES", bool(setup.reminders_routes)),
    ]


def _enabled(setup: CheckSetup) -> list[str]:
    on = []
    if setup.gitlab_configured:
        on.append(f"GitLab at {setup.gitlab_url}")
    if setup.watched_groups:
        on.append(f"{len(setup.watched_groups)} watched group(s)")
    if setup.slack_token_set:
        on.append("Slack (Socket Mode)" if setup.slack_app_token_set else "Slack (HTTP)")
    if setup.approvals_channel and setup.gitlab_configured and setup.secret_key_set:
        on.append("token requests")
    if setup.reminders_channel:
        on.append("expiry reminders")
    if setup.self_rotate_days is not None:
        on.append("self-rotation")
    return on
