"""Every setting tokenbot has: its name, type, default and description, and nothing else.

`Settings` (`bot/settings_model.py`) adds the checks and derived values; the settings
reference (`tokenbot settings --reference`, docs/configuration.md) is generated from these
fields in this order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.platform import Tier
from bot.domain.policy import GITLAB_MAX_LIFETIME_DAYS

SLACK_DEFAULT_API_URL = "https://slack.com/api/"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tokenbot"


class SettingsFields(BaseSettings):
    """The settings as declared; the environment variable is the field name in capitals."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Default: a SQLite file"
        " `tokenbot.db` in TOKENBOT_DATA_DIR. PostgreSQL: `postgresql://user@host/db`.",
    )
    tokenbot_data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory for the SQLite database"
        " and other local state; kept 0700, its files 0600, whatever the umask. Default:"
        " `$XDG_DATA_HOME/tokenbot` or `~/.local/share/tokenbot`.",
    )
    gitlab_url: str | None = Field(
        None, description="Base URL of your GitLab, e.g. `https://gitlab.example.com`."
    )
    gitlab_token: SecretStr | None = Field(
        None, description="The bot's own GitLab credential (a service-account token)."
    )
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (`xoxb-...`).")
    slack_signing_secret: SecretStr | None = Field(
        None, description="Slack signing secret, used to verify requests in HTTP mode."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="Slack app-level token (`xapp-...`); when set, Socket Mode is used."
    )
    port: Annotated[int, Field(ge=0, le=65535)] = Field(
        3000, description="Port of the HTTP server in HTTP mode (`tokenbot run`)."
    )
    slack_api_url: str = Field(SLACK_DEFAULT_API_URL, description="Base URL of Slack's Web API.")
    tokenbot_gitlab_offering: Literal["auto", "gitlab_com", "self_managed", "dedicated"] = Field(
        "auto",
        description="Which GitLab you run: `gitlab_com`, `self_managed`, `dedicated`,"
        " or `auto` (GitLab.com if GITLAB_URL is gitlab.com, Self-Managed if it is another"
        " host, unknown if unset).",
    )
    tokenbot_gitlab_tier: Tier = Field(
        Tier.UNKNOWN,
        description="Your GitLab tier: `free`, `premium`, `ultimate` or"
        " `unknown`. The advisor uses it to say which credentials you can have.",
    )
    tokenbot_gitlab_version: str | None = Field(
        None,
        description="GitLab's version (e.g. `18.6` or `19.2.1-ee`) for when tokenbot cannot"
        " ask GitLab (`tokenbot advise`, the shell without GITLAB_URL). When GitLab answers"
        " `/metadata`, its own version wins. Unset and unreadable: tokenbot gives the"
        " cautious answer and says so.",
    )
    tokenbot_default_lifetime_days: Annotated[int, Field(ge=1, le=GITLAB_MAX_LIFETIME_DAYS)] = (
        Field(
            90,
            description="Lifetime the advisor recommends for credentials with an expiry"
            " date, in days; also the request form's first date and the lifetime above which a"
            " request is risky, where TOKENBOT_POLICY does not say otherwise.",
        )
    )
    tokenbot_max_lifetime_days: Annotated[int, Field(ge=1, le=GITLAB_MAX_LIFETIME_DAYS)] = Field(
        GITLAB_MAX_LIFETIME_DAYS,
        description="Longest lifetime policy allows, in days (GitLab's own maximum is 365);"
        " TOKENBOT_POLICY can set it per token type.",
    )
    tokenbot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    tokenbot_log_format: Literal["auto", "json", "text"] = Field(
        "auto",
        description="Log format on standard error: `json` (one object per line), `text`, or"
        " `auto`: text on a terminal, JSON otherwise. See docs/observability.md.",
    )
    tokenbot_metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = Field(
        None,
        description="Serve Prometheus metrics at `/metrics` on this port, on a server of their"
        " own (`tokenbot run`). Unset: HTTP mode serves them at `/metrics` on PORT, Socket Mode"
        " not at all. See docs/observability.md.",
    )
    tokenbot_watched_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated GitLab group paths whose credentials tokenbot"
        " inventories, e.g. `acme,partners/shared`.",
    )
    tokenbot_reminders_channel: str | None = Field(
        None,
        description="Slack channel id (`C...`) where expiry reminders are posted; the bot"
        " must be a member. Without it, no reminders are posted.",
    )
    tokenbot_reminders_routes: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=CHANNELID` pairs: reminders for tokens in"
        " that namespace go to that channel; the most specific path wins.",
    )
    tokenbot_reminder_days: Annotated[tuple[int, ...], NoDecode] = Field(
        (30, 14, 7, 3, 1),
        description="Comma-separated days before expiry on which a token is reminded of;"
        " the expiry day (or, if missed, an 'expired' notice) always follows.",
    )
    tokenbot_reminder_time: str = Field(
        "09:00", description="Time of day (`HH:MM`) of the daily reminder sweep."
    )
    tokenbot_reminder_timezone: str = Field(
        "UTC",
        description="IANA time zone of TOKENBOT_REMINDER_TIME, e.g. `Europe/Berlin`. Expiry"
        " days are always counted in UTC, as GitLab does.",
    )
    tokenbot_digest_threshold: Annotated[int, Field(ge=1, le=1000)] = Field(
        5,
        description="When a sweep has more reminders than this for one channel, it posts"
        " one digest grouped by days left instead.",
    )
    tokenbot_hygiene_digest_day: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "off"
    ] = Field(
        "monday",
        description="Weekday of the weekly token hygiene digest, posted at TOKENBOT_REMINDER_TIME"
        " (TOKENBOT_REMINDER_TIMEZONE) to the reminders channel and each channel of"
        " TOKENBOT_REMINDERS_ROUTES; `off`: no digest. See docs/hygiene.md.",
    )
    tokenbot_unused_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        30,
        description="Token hygiene: a credential older than this many days that was not used"
        " in that time (or never) is reported as unused. See docs/hygiene.md.",
    )
    tokenbot_large_group_projects: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        20,
        description="Token hygiene: a group access token or group deploy token on a group"
        " with more projects than this (its subgroups' included) is reported as reaching"
        " too far. See docs/hygiene.md.",
    )
    tokenbot_sync_interval_hours: Annotated[float, Field(gt=0, le=168)] = Field(
        6.0, description="How often `tokenbot run` syncs the watched groups' inventory."
    )
    tokenbot_owners: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=SLACKID` pairs: who owns tokens in that"
        " namespace that tokenbot did not create (the most specific path wins).",
    )
    tokenbot_admins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated Slack user ids who may act on any reminder (rotate,"
        " renew, revoke, claim, let expire).",
    )
    tokenbot_renew_needs_approval: Literal["never", "risky", "always"] = Field(
        "risky",
        description="Whether Renew on a reminder goes through approval: `never`, `risky`"
        " (when the renewed token would carry a risk flag) or `always`.",
    )
    tokenbot_handoff_hours: Annotated[int, Field(ge=1, le=720)] = Field(
        72,
        description="How long a hand-off rotation keeps the old token working beside its"
        " successor, in hours: the old one is revoked once the successor is seen in use, or"
        " when this deadline passes. See docs/handoff.md.",
    )
    tokenbot_breakglass_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated GitLab group paths whose members (direct or through a"
        " parent group, asked of GitLab at each use) may use `/token breakglass`: a"
        " short-lived token at once, without approval, announced and reviewed afterwards."
        " Empty: nobody. See docs/breakglass.md.",
    )
    tokenbot_breakglass_hours: int = Field(
        24,
        description="How long a break-glass token lives, in hours (1 to 24): tokenbot"
        " revokes it then; GitLab's expiry date, the next midnight UTC, is the backstop.",
    )
    tokenbot_breakglass_review_hours: Annotated[int, Field(ge=1, le=168)] = Field(
        4,
        description="How soon an approver must acknowledge a break-glass review, in hours;"
        " after that it escalates once to the approvals channel, mentioning TOKENBOT_APPROVERS.",
    )
    tokenbot_gitlab_webhook_secret: SecretStr | None = Field(
        None,
        description="Secret token GitLab sends in `X-Gitlab-Token` with each webhook to"
        " `POST /gitlab/webhook`; without it the endpoint answers 401 to everything."
        " `tokenbot webhooks install` registers hooks with it. See docs/webhooks.md.",
    )
    tokenbot_self_rotate_days: Annotated[int, Field(ge=1, le=364)] | None = Field(
        None,
        description="Rotate the bot's own GitLab token when this many days or fewer are"
        " left, writing the new value back to GITLAB_TOKEN_FILE. Unset: never.",
    )
    tokenbot_gitlab_ca_bundle: Path | None = Field(
        None,
        description="PEM file with the CA certificates of a self-managed GitLab behind"
        " a private CA.",
    )
    tokenbot_gitlab_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = Field(
        10.0, description="Timeout of one GitLab API request, in seconds."
    )
    tokenbot_gitlab_retry_seconds: Annotated[float, Field(ge=0, le=600)] = Field(
        30.0,
        description="How long one GitLab call may keep retrying 429s, 5xx answers and"
        " dropped connections (honouring Retry-After), in seconds.",
    )
    tokenbot_gitlab_requests_per_second: Annotated[float, Field(gt=0, le=10000)] = Field(
        20.0,
        description="Most GitLab API requests tokenbot starts per second, across all"
        " its threads (GitLab.com allows about 33 per second per user).",
    )
    tokenbot_inventory_concurrency: Annotated[int, Field(ge=1, le=64)] = Field(
        8, description="How many projects an inventory reads at the same time."
    )
    tokenbot_slack_ack_threads: Annotated[int, Field(ge=1, le=256)] = Field(
        32,
        description="Threads that acknowledge Slack interactions (Bolt's listener pool):"
        " they only ack and queue the work, or give answers that need no GitLab.",
    )
    tokenbot_slack_work_threads: Annotated[int, Field(ge=1, le=256)] = Field(
        16,
        description="Threads that do the work after a Slack interaction is acknowledged"
        " (GitLab calls, provisioning, Home tabs). Acknowledging runs on threads of its"
        " own, which this work can never take.",
    )
    tokenbot_slack_work_queue: Annotated[int, Field(ge=0, le=10000)] = Field(
        100,
        description="How many Slack interactions may wait for a free work thread. Beyond"
        " that, the person is told tokenbot is busy and to try again; Slack still gets its"
        " answer at once.",
    )
    tokenbot_slack_still_working_seconds: Annotated[float, Field(gt=0, le=300)] = Field(
        5.0,
        description="After how many seconds an interaction whose work is not done yet"
        " (GitLab slow or tokenbot's GitLab request budget spent) tells the person it is"
        " still working on it.",
    )
    tokenbot_secret_key: SecretStr | None = Field(
        None,
        description="Key (any random string of 32 or more characters) that encrypts a new"
        " token's secret while it waits to be revealed. Without it, tokens can only be"
        " delivered into CI/CD variables.",
    )
    tokenbot_secret_ttl_minutes: Annotated[int, Field(ge=1, le=1440)] = Field(
        60,
        description="How long a new token's secret waits to be revealed before it is"
        " discarded, in minutes.",
    )
    tokenbot_provisioning_timeout_seconds: Annotated[int, Field(ge=1, le=86400)] = Field(
        300,
        description="How long a request may stay in provisioning (or approved without"
        " provisioning ever starting) before the reconciler (every minute in tokenbot run, or"
        " `tokenbot reconcile`) takes it over: it adopts and delivers what GitLab made, or sets"
        " the request back to failed for Retry. Also how long after an unanswered create it"
        " checks GitLab for credentials no request accounts for.",
    )
    tokenbot_pending_days: Annotated[int, Field(ge=1, le=90)] = Field(
        7, description="How long a token request waits for approval before it expires, in days."
    )
    tokenbot_approvers: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated chat user ids (Slack `U...` ids) who may approve any"
        " request, besides the target's Maintainers and Owners in GitLab.",
    )
    tokenbot_fallback_approvers: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated Slack user ids (`U...`) asked when nobody but the"
        " requester could approve a request, and when a request is still waiting twice"
        " TOKENBOT_APPROVAL_REMINDER_HOURS after it was made. They decide through the same"
        " rules as anyone (a Maintainer or Owner of the target, or in TOKENBOT_APPROVERS);"
        " one the rules would refuse is told whom to ask instead.",
    )
    tokenbot_approval_reminder_hours: Annotated[int, Field(ge=1, le=720)] = Field(
        24,
        description="Hours after which the approvers who have not acted on a waiting"
        " request are reminded by direct message; after twice as long the request is"
        " escalated to TOKENBOT_FALLBACK_APPROVERS in its approvals channel. Each happens"
        " once per request.",
    )
    tokenbot_approver_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=SUBTEAMID` pairs: the approval card of a"
        " request for that namespace (and everything under it) also mentions that Slack"
        " user group (`S...`); the most specific path wins. The group is mentioned only:"
        " its members decide by the same rules as anyone.",
    )
    tokenbot_approvals_channel: str | None = Field(
        None,
        description="Slack channel id (`C...`) where token requests are posted for"
        " approval; the bot must be a member.",
    )
    tokenbot_approvals_routes: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=CHANNELID` pairs: requests for that"
        " namespace (and everything under it) go to that channel instead of"
        " TOKENBOT_APPROVALS_CHANNEL; the most specific path wins.",
    )
    tokenbot_user_map: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `SLACKID=gitlab_username` pairs that link people"
        " explicitly, overriding the match by e-mail address.",
    )
    tokenbot_public_url: str | None = Field(
        None,
        description="Address at which people's browsers reach tokenbot, e.g."
        " `https://tokenbot.example.com`. GitLab sign-in sends people back to this plus"
        " `/gitlab/oauth/callback` (register that as the OAuth application's redirect URI)."
        " `tokenbot webhooks install` registers this plus `/gitlab/webhook` as the hook URL.",
    )
    tokenbot_gitlab_oauth_client_id: str | None = Field(
        None,
        description="Application ID of tokenbot's OAuth application in GitLab (scope"
        " `read_user`). With the secret and TOKENBOT_PUBLIC_URL it turns on GitLab sign-in:"
        " people link their Slack account to their GitLab user. See docs/identity.md.",
    )
    tokenbot_gitlab_oauth_client_secret: SecretStr | None = Field(
        None, description="Secret of tokenbot's OAuth application in GitLab."
    )
    tokenbot_two_approvals_when_risky: bool = Field(
        True,
        description="Require two different approvers for risky requests (api scope,"
        " write scopes, Owner role, group-wide token, long lifetime); TOKENBOT_POLICY's"
        " `risky` table can say what is risky and how many approvals it needs.",
    )
    tokenbot_policy: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict,
        description="Per-type request policy: which token types may be requested, their"
        " scopes, roles, default and maximum lifetime, who may request them (GitLab groups),"
        " their approvals, and which requests are risky. A `[tokenbot_policy]` table in the"
        " config file, or the same as JSON in the environment. Keys left out fall back to"
        " the settings above. See docs/policy.md.",
    )
