"""The Slack checks: the bot token (auth.test), and the bot in every channel the settings name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services.checks_ports import (
    SLACK_UNREACHABLE,
    CheckSetup,
    SlackIdentity,
    SlackProbe,
    SlackProblemError,
)
from bot.services.checks_report import CheckResult, Status, skip

_AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
_REPLACE_SLACK = (
    "copy the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page"
    " into SLACK_BOT_TOKEN (reinstall the app if the token was revoked); see docs/slack.md"
)


@dataclass(frozen=True, slots=True)
class _Channel:
    id: str
    uses: tuple[str, ...]  # the settings naming it


def slack_checks(slack: SlackProbe | None, setup: CheckSetup) -> list[CheckResult]:
    channels = _channels(setup)
    unset = _unset_channel_skips(setup)
    if slack is None:
        why = "SLACK_BOT_TOKEN is not set: Slack is off"
        skipped = [skip("slack.channel", why, target=c.id) for c in channels]
        return [skip("slack", why), *skipped, *unset]
    auth, identity = check_slack_auth(slack, setup)
    if identity is None:
        why = _why_no_channels(auth)
        return [auth, *(skip("slack.channel", why, target=c.id) for c in channels), *unset]
    results = [check_channel(slack, c, identity) for c in channels]
    return [auth, *results, *unset]


def _why_no_channels(auth: CheckResult) -> str:
    if auth.status is not Status.FAIL:
        return "Slack is off"
    if auth.facts.get("error") == SLACK_UNREACHABLE:
        return "Slack cannot be reached"
    if auth.facts.get("error") in _AUTH_ERRORS:
        return "Slack refused the bot token"
    return "auth.test failed"


def _channels(setup: CheckSetup) -> list[_Channel]:
    """Each channel once, with every setting that names it."""
    uses: dict[str, list[str]] = {}
    named: list[tuple[str | None, str]] = [
        (setup.approvals_channel, "TOKENBOT_APPROVALS_CHANNEL"),
        (setup.reminders_channel, "TOKENBOT_REMINDERS_CHANNEL"),
    ]
    named += [(c, f"TOKENBOT_APPROVALS_ROUTES {p}") for p, c in setup.approvals_routes.items()]
    named += [(c, f"TOKENBOT_REMINDERS_ROUTES {p}") for p, c in setup.reminders_routes.items()]
    for channel, use in named:
        if channel:
            uses.setdefault(channel, []).append(use)
    return [_Channel(channel, tuple(names)) for channel, names in uses.items()]


def _unset_channel_skips(setup: CheckSetup) -> list[CheckResult]:
    skipped = []
    if not setup.approvals_channel:
        skipped.append(
            skip(
                "slack.channel",
                "TOKENBOT_APPROVALS_CHANNEL is not set: token requests are off in Slack",
                target="approvals",
            )
        )
    if not setup.reminders_channel:
        skipped.append(
            skip(
                "slack.channel",
                "TOKENBOT_REMINDERS_CHANNEL is not set: no expiry reminders are posted",
                target="reminders",
            )
        )
    return skipped


def check_slack_auth(
    slack: SlackProbe, setup: CheckSetup
) -> tuple[CheckResult, SlackIdentity | None]:
    try:
        identity = slack.identity()
    except SlackProblemError as exc:
        return _slack_auth_failure(exc, setup), None
    detail = (
        f"workspace {identity.team or '?'} ({identity.team_id}), bot user"
        f" @{identity.user or '?'} ({identity.user_id})"
    )
    facts = {"team": identity.team, "team_id": identity.team_id, "bot_user_id": identity.user_id}
    return CheckResult("slack", Status.PASS, detail, facts=facts), identity


def _slack_auth_failure(exc: SlackProblemError, setup: CheckSetup) -> CheckResult:
    facts = {"error": exc.error}
    if exc.error == SLACK_UNREACHABLE:
        return CheckResult(
            "slack",
            Status.FAIL,
            f"Slack cannot be reached at {setup.slack_api_url} ({exc.detail})",
            fix="check the network and any proxy, and SLACK_API_URL if you changed it",
            facts=facts,
        )
    if exc.error in _AUTH_ERRORS:
        return CheckResult(
            "slack",
            Status.FAIL,
            f"Slack refuses SLACK_BOT_TOKEN ({exc.error})",
            fix=_REPLACE_SLACK,
            facts=facts,
        )
    return CheckResult(
        "slack",
        Status.FAIL,
        f"auth.test failed ({exc.error})",
        fix="try again in a minute; if it persists, see Slack's auth.test documentation for"
        f" '{exc.error}'",
        facts=facts,
    )


def check_channel(slack: SlackProbe, channel: _Channel, identity: SlackIdentity) -> CheckResult:
    name, bot = "slack.channel", f"@{identity.user or 'tokenbot'}"
    used = f"used by {', '.join(channel.uses)}"
    facts: dict[str, Any] = {"channel": channel.id, "settings": list(channel.uses)}
    try:
        info = slack.channel(channel.id)
    except SlackProblemError as exc:
        facts["error"] = exc.error
        return _channel_failure(exc, channel, bot, used, facts)
    label = f"#{info.name}" if info.name else channel.id
    facts |= {"name": info.name, "is_member": info.is_member, "is_private": info.is_private}
    if info.is_archived:
        return CheckResult(
            name,
            Status.FAIL,
            f"{label} is archived ({used})",
            fix=f"unarchive {label}, or name another channel in {channel.uses[0].split()[0]}",
            target=channel.id,
            facts=facts,
        )
    if info.is_member is None:
        return CheckResult(
            name,
            Status.WARN,
            f"Slack did not say whether {bot} is in {label} ({used})",
            fix=f"make sure {bot} is in {label}: type `/invite {bot}` there",
            target=channel.id,
            facts=facts,
        )
    if not info.is_member:
        return CheckResult(
            name,
            Status.FAIL,
            f"{bot} is not in {label} ({used}), so it cannot post there",
            fix=f"in {label}, type `/invite {bot}`",
            target=channel.id,
            facts=facts,
        )
    return CheckResult(
        name, Status.PASS, f"{bot} is in {label} ({used})", target=channel.id, facts=facts
    )


def _channel_failure(
    exc: SlackProblemError, channel: _Channel, bot: str, used: str, facts: dict[str, Any]
) -> CheckResult:
    name = "slack.channel"
    if exc.error == "missing_scope":
        needed = exc.needed or "channels:read, groups:read"
        return CheckResult(
            name,
            Status.WARN,
            f"cannot tell whether {bot} is in {channel.id} ({used}): the Slack app lacks the"
            f" {needed} scope",
            fix=f"add {needed} to oauth_config.scopes.bot in manifest.yml and reinstall the app"
            f" (docs/slack.md); until then make sure {bot} is in the channel",
            target=channel.id,
            facts=facts,
        )
    if exc.error == "channel_not_found":
        return CheckResult(
            name,
            Status.FAIL,
            f"no channel {channel.id} that {bot} can see ({used})",
            fix="check the channel id (channel details, at the bottom); a private channel needs"
            f" `/invite {bot}` in it first",
            target=channel.id,
            facts=facts,
        )
    what = exc.detail if exc.error == SLACK_UNREACHABLE else exc.error
    return CheckResult(
        name,
        Status.FAIL,
        f"conversations.info failed for {channel.id} ({what}; {used})",
        fix="try again in a minute",
        target=channel.id,
        facts=facts,
    )
