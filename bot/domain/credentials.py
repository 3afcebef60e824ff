"""Credentials as they exist in GitLab: records, the specs to create them, and their secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.domain.tokens import AccessLevel, Scope, TokenType


class Secret:
    """A token value. It never shows itself in repr, str, f-strings, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a secret cannot be empty")
        self._value = value

    def reveal(self) -> str:
        """The value itself: call this only where it leaves for its one rightful place."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> str:
        raise TypeError("secrets are not pickled")


class NamespaceKind(StrEnum):
    PROJECT = "project"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Namespace:
    """A GitLab project or group, by id and full path."""

    kind: NamespaceKind
    id: int
    path: str
    web_url: str = ""


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One credential as GitLab lists it (never with its secret)."""

    token_type: TokenType
    gitlab_id: int
    name: str
    namespace: Namespace | None  # None for a user's own personal access tokens
    scopes: tuple[str, ...] = ()
    access_level: AccessLevel | None = None
    expires_on: date | None = None  # GitLab's expires_at: unusable from 00:00 UTC that day
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False
    active: bool = True
    user_id: int | None = None  # the bot user, service account or owner behind it
    description: str = ""
    account: str = ""  # the username of the account behind it, where GitLab names it
    last_used_ips: tuple[str, ...] = ()  # where GitLab lists them (PATs, GitLab 17.x+)

    @property
    def ref(self) -> TokenRef:
        return TokenRef(self.token_type, self.gitlab_id, self.namespace, self.user_id)


@dataclass(frozen=True, slots=True)
class TokenRef:
    """Enough to find a credential again: kind, id, where it lives, whose it is."""

    token_type: TokenType
    gitlab_id: int
    namespace: Namespace | None
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A credential just created or rotated: the only moment GitLab shows its secret."""

    record: TokenRecord
    secret: Secret


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """What to create. `where` is a project or group path (or numeric id as text)."""

    token_type: TokenType
    where: str
    name: str
    scopes: tuple[Scope, ...] = ()
    access_level: AccessLevel | None = None
    expires_on: date | None = None
    description: str = ""
    service_account: str | None = None  # username; created in the group when missing
    deploy_username: str | None = None
    request_id: str | None = None  # the request it is minted for (see domain/provenance.py)
    # A hand-off successor's service account: the account the old token belongs to, whose
    # power its owner holds already (bot/domain/handoff.py); never set for a new request.
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class GitLabUser:
    id: int
    username: str
    name: str
    state: str = "active"
    bot: bool = False
    email: str | None = None


@dataclass(frozen=True, slots=True)
class BotCredential:
    """The bot's own GitLab token, as `personal_access_tokens/self` describes it."""

    gitlab_id: int
    name: str
    scopes: tuple[str, ...]
    expires_on: date | None
    user_id: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class PlaceTokens:
    """Every credential of one group or project, read completely (or not readable)."""

    namespace: Namespace
    records: tuple[TokenRecord, ...]
    readable: bool = True  # False: the bot may not list this place; keep what was known
    # A listing of its own about this namespace (e.g. "personal": its members' PATs),
    # remembered and marked gone apart from the namespace's own credentials.
    part: str = ""
    # A group's projects, its subgroups' included, as the walk found them (None: not counted)
    projects: int | None = None

    @property
    def key(self) -> str:
        base = place_key(self.namespace)
        return f"{base}/{self.part}" if self.part else base

    @property
    def label(self) -> str:
        return f"{self.namespace.path} ({self.part})" if self.part else self.namespace.path


def place_key(namespace: Namespace) -> str:
    return f"{namespace.kind.value}:{namespace.id}"


@dataclass(frozen=True, slots=True)
class InventoryProgress:
    """Where an inventory walk is, for progress bars."""

    projects_done: int
    projects_total: int
    tokens_found: int
    requests: int = 0
    errors: tuple[str, ...] = field(default_factory=tuple)
