"""What the checks read: the database, GitLab and Slack ports, and the settings as `CheckSetup`.

The adapters live in `bot/db/checks.py`, `bot/gitlab/gateway.py` and `bot/slack/checks.py`.
`CheckSetup` never holds a secret, only whether each one is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.credentials import BotCredential
from bot.domain.service_accounts import CreationVerdict
from bot.domain.tokens import AccessLevel


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

    def service_account_creation(self, group: str) -> CreationVerdict:
        """May tokenbot create a service account in `group`? (domain/service_accounts.py)"""


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
    user_map_size: int = 0  # people TOKENBOT_USER_MAP names
    sign_in_enabled: bool = False  # GitLab sign-in (account linking) is configured
    sign_in_callback: str | None = None  # TOKENBOT_PUBLIC_URL + /gitlab/oauth/callback

    @property
    def gitlab_configured(self) -> bool:
        return self.gitlab_url is not None and self.gitlab_token_set

    @property
    def warn_days(self) -> int:
        """Warn when the bot's token has this many days or fewer left: the first reminder."""
        return max(self.reminder_days, default=0)
