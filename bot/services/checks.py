"""`tokenbot check`: is everything tokenbot needs in place? One result per check.

Pure: the database, GitLab and Slack are reached through the small ports below. Their
adapters live in `bot/db/checks.py`, `bot/gitlab/gateway.py` and `bot/slack/checks.py`;
`bot/check_command.py` wires them and prints the report. Nothing here ever sees a secret: the
settings arrive as `CheckSetup`, which only says whether each secret is set.

A check that cannot run (GitLab not configured, Slack refused the token) is `skip` and says
why; `warn` means "works, but act soon" (a credential near its expiry, a Maintainer where
Owner is needed for everything). Only `fail` makes the command fail, unless `strict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from bot.domain.credentials import BotCredential
from bot.domain.expiry import days_left
from bot.domain.tokens import AccessLevel
from bot.services.gitlab_errors import (
    BotCredentialError,
    GitLabError,
    MissingScopeError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)

REQUIRED_SCOPE = "api"
DOCS = "docs/operations-check.md"


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status word, not a password
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report: what was checked, how it went, and what to do if it failed."""

    name: str  # a stable id: settings, database, gitlab, gitlab.credential, ...
    status: Status
    detail: str
    fix: str | None = None
    target: str | None = None  # the group or channel a per-item check is about
    facts: Mapping[str, Any] = field(default_factory=dict)  # JSON-friendly, never a secret

    @property
    def label(self) -> str:
        return f"{self.name} {self.target}" if self.target else self.name


@dataclass(frozen=True, slots=True)
class CheckReport:
    results: tuple[CheckResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    def passed(self, *, strict: bool = False) -> bool:
        """No failure (and, when `strict`, no warning either); skips never fail."""
        bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
        return not any(r.status in bad for r in self.results)


# ---------------------------------------------------------------- ports
@dataclass(frozen=True, slots=True)
class SchemaState:
    """The database's Alembic revision against this tokenbot's latest one."""

    current: str | None  # None: no schema yet
    head: str | None
    known: bool = True  # `current` is one of this tokenbot's migrations
    exists: bool = True  # False: a SQLite file that has not been created yet


class DatabaseUnavailableError(Exception):
    """The database cannot be reached; str() is one line for a person, without secrets."""


class SchemaProbe(Protocol):
    @property
    def where(self) -> str:
        """The database for people to read (a URL with the password hidden)."""

    def schema(self) -> SchemaState:
        """Connect and read the revision; DatabaseUnavailableError if that is impossible."""


@dataclass(frozen=True, slots=True)
class GitLabInstance:
    """What `GET /metadata` says about the GitLab answering at GITLAB_URL."""

    version: str
    revision: str = ""
    enterprise: bool | None = None


@dataclass(frozen=True, slots=True)
class GitLabAccount:
    """The GitLab user behind the bot's credential (`GET /user`)."""

    id: int
    username: str
    is_admin: bool = False


class GitLabProbe(Protocol):
    """The part of the GitLab gateway the checks use (PythonGitlabGateway has it all)."""

    def instance_metadata(self) -> GitLabInstance: ...

    def bot_credential(self) -> BotCredential: ...

    def current_account(self) -> GitLabAccount: ...

    def group_role(self, group: str, user_id: int) -> AccessLevel | None:
        """The user's effective role on the group; None if not a member; NotFoundError if
        there is no such group or the bot cannot see it."""


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    """What `auth.test` says about the bot token."""

    team: str
    team_id: str
    user: str
    user_id: str


@dataclass(frozen=True, slots=True)
class SlackChannel:
    id: str
    name: str
    is_member: bool | None  # None: Slack did not say
    is_archived: bool = False
    is_private: bool = False


SLACK_UNREACHABLE = "unreachable"


class SlackProblemError(Exception):
    """Slack said no (`error` is its error code, e.g. `invalid_auth`, `missing_scope`), or
    could not be reached (`error` is SLACK_UNREACHABLE)."""

    def __init__(self, error: str, *, needed: str | None = None, detail: str = "") -> None:
        super().__init__(detail or error)
        self.error = error
        self.needed = needed  # the scope Slack asks for after `missing_scope`
        self.detail = detail


class SlackProbe(Protocol):
    def identity(self) -> SlackIdentity: ...

    def channel(self, channel_id: str) -> SlackChannel: ...


# ---------------------------------------------------------------- inputs
@dataclass(frozen=True, slots=True)
class CheckSetup:
    """The settings as the checks need them: values that are not secret, and for each secret
    only whether it is set."""

    gitlab_url: str | None = None
    gitlab_token_set: bool = False
    watched_groups: tuple[str, ...] = ()
    slack_token_set: bool = False
    slack_app_token_set: bool = False
    slack_signing_secret_set: bool = False
    slack_api_url: str = ""
    approvals_channel: str | None = None
    reminders_channel: str | None = None
    approvals_routes: Mapping[str, str] = field(default_factory=dict)
    reminders_routes: Mapping[str, str] = field(default_factory=dict)
    secret_key_set: bool = False
    reminder_days: tuple[int, ...] = (30, 14, 7, 3, 1)
    self_rotate_days: int | None = None
    # Why a due rotation of the bot's own token could not keep the new value (None: it can).
    rotation_problem: str | None = None
    config_file: str | None = None

    @property
    def gitlab_configured(self) -> bool:
        return self.gitlab_url is not None and self.gitlab_token_set

    @property
    def warn_days(self) -> int:
        """Warn when the bot's token has this many days or fewer left: the first reminder."""
        return max(self.reminder_days, default=0)


@dataclass(frozen=True, slots=True)
class CheckDeps:
    setup: CheckSetup
    database: SchemaProbe
    today: date  # the UTC date: tokens stop working at 00:00 UTC on their expiry day
    gitlab: GitLabProbe | None = None  # None when GITLAB_URL or GITLAB_TOKEN is not set
    slack: SlackProbe | None = None  # None when SLACK_BOT_TOKEN is not set


def run_checks(deps: CheckDeps) -> CheckReport:
    """Every check, in order; later checks are skipped when what they need has failed."""
    results = [check_settings(deps.setup), check_database(deps.database)]
    results += gitlab_checks(deps.gitlab, deps.setup, deps.today)
    results += slack_checks(deps.slack, deps.setup)
    return CheckReport(tuple(results))


# ---------------------------------------------------------------- settings
def check_settings(setup: CheckSetup) -> CheckResult:
    """Settings that only make sense together; each problem names what to set."""
    problems: list[tuple[Status, str, str]] = []
    problems += _gitlab_setting_problems(setup)
    problems += _slack_setting_problems(setup)
    facts = {"config_file": setup.config_file, "enabled": _enabled(setup)}
    if not problems:
        source = (
            f"{setup.config_file} and the environment" if setup.config_file else "the environment"
        )
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


# ---------------------------------------------------------------- database
_UPGRADE = "run `tokenbot db upgrade` (`tokenbot run` also does it when it starts)"


def check_database(probe: SchemaProbe) -> CheckResult:
    where = probe.where
    try:
        state = probe.schema()
    except DatabaseUnavailableError as exc:
        return CheckResult(
            "database",
            Status.FAIL,
            f"cannot connect to {where}: {exc}",
            fix="check DATABASE_URL and that the database server is running and reachable",
            facts={"where": where},
        )
    facts = {"where": where, "revision": state.current, "latest": state.head}
    if not state.exists:
        return CheckResult(
            "database", Status.FAIL, f"{where} does not exist yet", fix=_UPGRADE, facts=facts
        )
    if state.current is None:
        return CheckResult(
            "database", Status.FAIL, f"{where} has no tables yet", fix=_UPGRADE, facts=facts
        )
    if not state.known:
        return CheckResult(
            "database",
            Status.FAIL,
            f"{where} is at revision {state.current}, which this tokenbot does not know (a newer"
            " tokenbot migrated it?)",
            fix="run the tokenbot version that migrated it, or a newer one",
            facts=facts,
        )
    if state.current != state.head:
        return CheckResult(
            "database",
            Status.FAIL,
            f"{where} is at revision {state.current}; the latest is {state.head}",
            fix=_UPGRADE,
            facts=facts,
        )
    return CheckResult(
        "database", Status.PASS, f"{where}, at the latest revision ({state.head})", facts=facts
    )


# ---------------------------------------------------------------- GitLab
_REPLACE_GITLAB = (
    "create a new token for tokenbot's GitLab account with the api scope and an expiry date,"
    " and put it in GITLAB_TOKEN (or the file GITLAB_TOKEN_FILE names); see"
    " docs/getting-started.md"
)


@dataclass(frozen=True, slots=True)
class _Bot:
    user_id: int
    username: str | None
    is_admin: bool

    @property
    def who(self) -> str:
        return f"@{self.username}" if self.username else f"tokenbot's account (user {self.user_id})"


def gitlab_checks(gitlab: GitLabProbe | None, setup: CheckSetup, today: date) -> list[CheckResult]:
    if gitlab is None:
        why = "GITLAB_URL and GITLAB_TOKEN are not both set: GitLab is off"
        return [_skip("gitlab", why), _skip("gitlab.credential", why), *_group_skips(setup, why)]
    reach = check_reachable(gitlab, setup)
    if reach.status is Status.FAIL:
        why = "GitLab could not be reached"
        return [reach, _skip("gitlab.credential", why), *_group_skips(setup, why)]
    credential, bot = check_credential(gitlab, setup, today)
    if bot is None:
        return [reach, credential, *_group_skips(setup, "the bot's credential did not work")]
    if not setup.watched_groups:
        return [reach, credential, *_group_skips(setup, "")]
    return [reach, credential, *(check_group(gitlab, group, bot) for group in setup.watched_groups)]


def _group_skips(setup: CheckSetup, why: str) -> list[CheckResult]:
    if not setup.watched_groups:
        return [
            _skip(
                "gitlab.group",
                "TOKENBOT_WATCHED_GROUPS is not set: no inventory and no expiry reminders",
            )
        ]
    return [_skip("gitlab.group", why, target=group) for group in setup.watched_groups]


def check_reachable(gitlab: GitLabProbe, setup: CheckSetup) -> CheckResult:
    url = setup.gitlab_url or "GITLAB_URL"
    try:
        instance = gitlab.instance_metadata()
    except (BotCredentialError, MissingScopeError, PermissionDeniedError):
        # GitLab answered; what it thinks of the token is the next check's business.
        detail = f"{url} answers (it shows its version only to a working token)"
        return CheckResult("gitlab", Status.PASS, detail, facts={"url": url, "version": None})
    except NotFoundError:
        return CheckResult(
            "gitlab",
            Status.FAIL,
            f"{url} answers, but has no GitLab API at /api/v4 (404)",
            fix="set GITLAB_URL to GitLab's base URL, e.g. https://gitlab.example.com (without"
            " /api/v4)",
            facts={"url": url},
        )
    except UnavailableError as exc:
        return CheckResult(
            "gitlab",
            Status.FAIL,
            f"{url}: {exc}",
            fix="check GITLAB_URL, the network and any proxy between tokenbot and GitLab, and"
            " that GitLab is up",
            facts={"url": url},
        )
    except GitLabError as exc:
        return CheckResult(
            "gitlab", Status.FAIL, f"{url}: {exc}", fix="check GITLAB_URL", facts={"url": url}
        )
    edition = ""
    if instance.enterprise is not None:
        edition = " (Enterprise Edition)" if instance.enterprise else " (Community Edition)"
    return CheckResult(
        "gitlab",
        Status.PASS,
        f"{url} answers: GitLab {instance.version}{edition}",
        facts={"url": url, "version": instance.version, "enterprise": instance.enterprise},
    )


def check_credential(
    gitlab: GitLabProbe, setup: CheckSetup, today: date
) -> tuple[CheckResult, _Bot | None]:
    """The bot's own token: accepted, with the api scope, and how long it has left."""
    name = "gitlab.credential"
    try:
        credential = gitlab.bot_credential()
    except BotCredentialError as exc:
        detail = f"GitLab refuses GITLAB_TOKEN: it {exc.reason}"
        return CheckResult(name, Status.FAIL, detail, fix=_REPLACE_GITLAB), None
    except MissingScopeError:
        detail = "GITLAB_TOKEN cannot even read itself: it lacks the api and read_api scopes"
        return CheckResult(name, Status.FAIL, detail, fix=_REPLACE_GITLAB), None
    except GitLabError as exc:
        return CheckResult(name, Status.FAIL, str(exc), fix="try again in a minute"), None
    account = _account(gitlab)
    bot = _Bot(
        credential.user_id or (account.id if account else 0),
        account.username if account else None,
        account.is_admin if account else False,
    )
    status, notes, fixes = _credential_verdict(credential, setup, today)
    left = days_left(credential.expires_on, today)
    expiry = (
        f"expires {credential.expires_on} ({_days(left)} left)"
        if credential.expires_on
        else "never expires"
    )
    scopes = ", ".join(credential.scopes) or "none"
    detail = f"token '{credential.name}' of {bot.who}: scopes {scopes}; {expiry}"
    facts = {
        "token_id": credential.gitlab_id,
        "token_name": credential.name,
        "username": bot.username,
        "user_id": bot.user_id,
        "scopes": list(credential.scopes),
        "expires_on": credential.expires_on.isoformat() if credential.expires_on else None,
        "days_left": left,
        "active": credential.active,
    }
    result = CheckResult(
        name,
        status,
        "; ".join([detail, *notes]),
        fix="; ".join(fixes) or None,
        facts=facts,
    )
    usable = credential.active and (left is None or left > 0)
    return result, bot if usable and bot.user_id else None


def _account(gitlab: GitLabProbe) -> GitLabAccount | None:
    try:
        return gitlab.current_account()
    except GitLabError:
        return None  # only the username in the messages is lost


def _credential_verdict(
    credential: BotCredential, setup: CheckSetup, today: date
) -> tuple[Status, list[str], list[str]]:
    left = days_left(credential.expires_on, today)
    if not credential.active or (left is not None and left <= 0):
        return Status.FAIL, ["it no longer works (expired or revoked)"], [_REPLACE_GITLAB]
    status, notes, fixes = Status.PASS, [], []
    if REQUIRED_SCOPE not in credential.scopes:
        status = Status.FAIL
        notes.append(
            f"it lacks the {REQUIRED_SCOPE} scope tokenbot needs to create and rotate tokens"
        )
        fixes.append(_REPLACE_GITLAB)
    rotates = setup.self_rotate_days is not None and not setup.rotation_problem
    if left is None or left > setup.warn_days:
        return status, notes, fixes
    if rotates and setup.self_rotate_days is not None and left > setup.self_rotate_days:
        notes.append(f"tokenbot rotates it when {setup.self_rotate_days} days are left")
        return status, notes, fixes
    status = Status.FAIL if status is Status.FAIL else Status.WARN
    if rotates:
        notes.append("its rotation is due")
        fixes.append(
            "make sure `tokenbot run` is running: it rotates the token within the hour; its"
            " log says why if it cannot"
        )
    else:
        notes.append(f"it stops working at 00:00 UTC on {credential.expires_on}")
        fixes.append(
            "rotate it before then: create a new token and replace GITLAB_TOKEN, or let tokenbot"
            " do it (TOKENBOT_SELF_ROTATE_DAYS with GITLAB_TOKEN_FILE, see docs/gitlab.md)"
        )
    return status, notes, fixes


def _days(left: int | None) -> str:
    return "1 day" if left == 1 else f"{left} days"


def check_group(gitlab: GitLabProbe, group: str, bot: _Bot) -> CheckResult:
    name = "gitlab.group"
    try:
        level = gitlab.group_role(group, bot.user_id)
    except NotFoundError:
        return CheckResult(
            name,
            Status.FAIL,
            f"there is no group '{group}' that {bot.who} can see",
            fix="check the full path in TOKENBOT_WATCHED_GROUPS (e.g. acme/platform), and add"
            f" {bot.who} to the group as Owner",
            target=group,
        )
    except GitLabError as exc:
        return CheckResult(name, Status.FAIL, str(exc), fix="try again in a minute", target=group)
    return _role_verdict(group, level, bot)


def _role_verdict(group: str, level: AccessLevel | None, bot: _Bot) -> CheckResult:
    name = "gitlab.group"
    facts = {"role": level.label if level else None, "access_level": int(level) if level else None}
    if level is None and bot.is_admin:
        detail = f"{bot.who} is an administrator (not a member, but may do everything)"
        return CheckResult(name, Status.PASS, detail, target=group, facts=facts)
    owner = f"make {bot.who} Owner of {group} (Manage > Members)"
    if level is None:
        return CheckResult(
            name, Status.FAIL, f"{bot.who} is not a member", fix=owner, target=group, facts=facts
        )
    if level >= AccessLevel.OWNER:
        return CheckResult(name, Status.PASS, f"{bot.who} is Owner", target=group, facts=facts)
    if level >= AccessLevel.MAINTAINER:
        detail = (
            f"{bot.who} is Maintainer: enough for project, deploy and trigger tokens, but not"
            " for the group's access tokens and service accounts"
        )
        return CheckResult(name, Status.WARN, detail, fix=owner, target=group, facts=facts)
    detail = f"{bot.who} is only {level.label}: it cannot read or manage the tokens there"
    return CheckResult(name, Status.FAIL, detail, fix=owner, target=group, facts=facts)


# ---------------------------------------------------------------- Slack
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
        skipped = [_skip("slack.channel", why, target=c.id) for c in channels]
        return [_skip("slack", why), *skipped, *unset]
    auth, identity = check_slack_auth(slack, setup)
    if identity is None:
        why = "Slack refused the bot token" if auth.status is Status.FAIL else "Slack is off"
        return [auth, *(_skip("slack.channel", why, target=c.id) for c in channels), *unset]
    results = [check_channel(slack, c, identity) for c in channels]
    return [auth, *results, *unset]


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
            _skip(
                "slack.channel",
                "TOKENBOT_APPROVALS_CHANNEL is not set: token requests are off in Slack",
                target="approvals",
            )
        )
    if not setup.reminders_channel:
        skipped.append(
            _skip(
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
            f"Slack's Web API at {setup.slack_api_url} cannot be reached ({exc.detail})",
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


# ---------------------------------------------------------------- output
def _skip(name: str, why: str, *, target: str | None = None) -> CheckResult:
    return CheckResult(name, Status.SKIP, why, target=target)


def report_lines(report: CheckReport, *, strict: bool = False) -> list[str]:
    """One line per check: status, check, detail and, when it did not pass, what to do."""
    width = min(max((len(r.label) for r in report.results), default=0), 32)
    lines = []
    for result in report.results:
        line = f"{result.status.value}  {result.label:<{width}}  {result.detail}"
        if result.fix and result.status in {Status.FAIL, Status.WARN}:
            line += f"; to fix: {result.fix}"
        lines.append(line)
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in Status)
    verdict = "not ready"
    if report.passed(strict=strict):
        verdict = "ready, with warnings" if report.count(Status.WARN) else "ready"
    lines.append(f"{verdict}: {counts}" + (" (strict: warnings fail)" if strict else ""))
    return lines


def report_json(report: CheckReport, *, strict: bool = False) -> dict[str, Any]:
    """The `check --json` document; its field names are a public contract."""
    return {
        "ok": report.passed(strict=strict),
        "strict": strict,
        "counts": {s.value: report.count(s) for s in Status},
        "checks": [_result_json(r) for r in report.results],
    }


def _result_json(result: CheckResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "target": result.target,
        "status": result.status.value,
        "detail": result.detail,
        "fix": result.fix,
        "facts": dict(result.facts),
    }
