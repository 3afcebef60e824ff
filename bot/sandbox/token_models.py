"""Records for access tokens, deploy tokens, trigger tokens and CI/CD variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.sandbox.models import SourceRef


@dataclass
class AccessToken:
    """A row of GitLab's `personal_access_tokens`: PATs, resource and service-account tokens."""

    id: int
    user_id: int
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: date | None
    digest: str
    description: str | None = None
    revoked: bool = False
    last_used_at: datetime | None = None
    last_used_ips: list[str] = field(default_factory=list)
    previous_id: int | None = None
    # Until then GitLab's LastUsedService holds its per-token lease and records nothing.
    usage_lease_until: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        """Expired from 00:00 UTC on the `expires_at` day (GitLab `Expirable#expired?`)."""
        return self.expires_at is not None and self.expires_at <= now.date()

    def is_active(self, now: datetime) -> bool:
        return not self.revoked and not self.is_expired(now)


@dataclass
class DeployToken:
    """A project or group deploy token; `expires_at` is a timestamp."""

    id: int
    source: SourceRef
    name: str
    username: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    digest: str
    revoked: bool = False

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at < now

    def is_active(self, now: datetime) -> bool:
        return not self.revoked and not self.is_expired(now)


@dataclass
class TriggerToken:
    """A pipeline trigger token; GitLab shows its owner the full value on every read."""

    id: int
    project_id: int
    owner_id: int
    description: str
    token: str
    created_at: datetime
    updated_at: datetime
    last_used: datetime | None = None
    expires_at: date | None = None


@dataclass
class CiVariable:
    """A project CI/CD variable; (key, environment_scope) is unique per project."""

    project_id: int
    key: str
    value: str
    variable_type: str = "env_var"
    protected: bool = False
    masked: bool = False
    hidden: bool = False
    raw: bool = False
    environment_scope: str = "*"
    description: str | None = None
