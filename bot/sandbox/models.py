"""Records for the simulator's users, groups, projects and memberships."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum


class AccessLevel(IntEnum):
    """GitLab role levels (`Gitlab::Access`)."""

    NO_ACCESS = 0
    MINIMAL_ACCESS = 5
    GUEST = 10
    PLANNER = 15
    REPORTER = 20
    SECURITY_MANAGER = 25
    DEVELOPER = 30
    MAINTAINER = 40
    OWNER = 50
    ADMIN = 60


# Levels a member or resource token may hold (`options_with_owner`).
MEMBER_LEVELS = frozenset(
    {
        AccessLevel.GUEST,
        AccessLevel.PLANNER,
        AccessLevel.REPORTER,
        AccessLevel.SECURITY_MANAGER,
        AccessLevel.DEVELOPER,
        AccessLevel.MAINTAINER,
        AccessLevel.OWNER,
    }
)


class UserType(StrEnum):
    """GitLab `user_type` values the simulator knows."""

    HUMAN = "human"
    PROJECT_BOT = "project_bot"
    SERVICE_ACCOUNT = "service_account"


class SourceKind(StrEnum):
    """What a membership, bot or token belongs to."""

    PROJECT = "project"
    GROUP = "group"


@dataclass(frozen=True)
class SourceRef:
    """A project or group, by kind and id."""

    kind: SourceKind
    id: int


@dataclass
class User:
    """A human, bot or service-account user."""

    id: int
    username: str
    name: str
    email: str
    created_at: datetime
    user_type: UserType = UserType.HUMAN
    is_admin: bool = False
    state: str = "active"
    # The project or group a bot user was created for.
    bot_source: SourceRef | None = None
    # The group (or project) that provisioned a service account.
    provisioned_by_group_id: int | None = None
    provisioned_by_project_id: int | None = None
    # Shown to everyone and matched exactly by `GET /users?search=` (`User.with_public_email`).
    public_email: str | None = None
    # A salted hash; only set for people who may sign in to the web pages (OAuth).
    password_hash: str | None = None

    @property
    def is_bot(self) -> bool:
        """GitLab counts service accounts as bots too (`bot: true` in the API)."""
        return self.user_type is not UserType.HUMAN

    @property
    def is_resource_bot(self) -> bool:
        """The user behind a project or group access token; may not create tokens."""
        return self.user_type is UserType.PROJECT_BOT


@dataclass
class Group:
    """A group; `parent_id` makes it a subgroup."""

    id: int
    name: str
    path: str
    full_path: str
    created_at: datetime
    parent_id: int | None = None
    description: str = ""


@dataclass
class Project:
    """A project living in a group namespace."""

    id: int
    name: str
    path: str
    namespace_id: int
    path_with_namespace: str
    created_at: datetime
    description: str = ""
    default_branch: str = "main"
    job_token_inbound_enabled: bool = True
    job_token_project_allowlist: list[int] = field(default_factory=list)
    job_token_group_allowlist: list[int] = field(default_factory=list)
    # "project:ID" / "group:ID" -> (default permissions?, fine-grained policies); an entry
    # not here has GitLab's default permissions (added over REST, which takes no policies)
    job_token_entry_permissions: dict[str, tuple[bool, tuple[str, ...]]] = field(
        default_factory=dict
    )


@dataclass
class Membership:
    """A direct membership of a user in a project or group."""

    user_id: int
    source: SourceRef
    access_level: AccessLevel
    created_at: datetime
    created_by_id: int | None = None
    expires_at: date | None = None
