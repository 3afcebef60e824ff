"""Credential kinds, GitLab scopes and roles: the vocabulary every other module speaks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class TokenType(StrEnum):
    """Stable ids of the credentials tokenbot can recommend (a public contract)."""

    CI_JOB_TOKEN = "ci_job_token"
    PROJECT_ACCESS_TOKEN = "project_access_token"
    GROUP_ACCESS_TOKEN = "group_access_token"
    SERVICE_ACCOUNT_PAT = "service_account_pat"
    BOT_USER_PAT = "bot_user_pat"
    PERSONAL_ACCESS_TOKEN = "personal_access_token"
    DEPLOY_TOKEN = "deploy_token"
    DEPLOY_KEY = "deploy_key"
    PIPELINE_TRIGGER_TOKEN = "pipeline_trigger_token"
    RUNNER_AUTHENTICATION_TOKEN = "runner_authentication_token"
    OAUTH_APPLICATION = "oauth_application"
    CI_ID_TOKEN = "ci_id_token"


class AccessLevel(IntEnum):
    """GitLab membership roles, by their API `access_level` numbers."""

    GUEST = 10
    PLANNER = 15
    REPORTER = 20
    DEVELOPER = 30
    MAINTAINER = 40
    OWNER = 50

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Scope(StrEnum):
    """GitLab token scopes tokenbot may recommend (admin scopes deliberately absent)."""

    API = "api"
    READ_API = "read_api"
    READ_USER = "read_user"
    READ_REPOSITORY = "read_repository"
    WRITE_REPOSITORY = "write_repository"
    READ_REGISTRY = "read_registry"
    WRITE_REGISTRY = "write_registry"
    CREATE_RUNNER = "create_runner"
    MANAGE_RUNNER = "manage_runner"
    SELF_ROTATE = "self_rotate"
    K8S_PROXY = "k8s_proxy"
    READ_PACKAGE_REGISTRY = "read_package_registry"
    WRITE_PACKAGE_REGISTRY = "write_package_registry"


# Scopes a user-backed token (PAT, project/group/service-account token) can carry.
# Resource tokens (project/group) may not carry read_user (gitlab-api.md §10).
_PAT_SCOPES = frozenset(
    {
        Scope.API,
        Scope.READ_API,
        Scope.READ_USER,
        Scope.READ_REPOSITORY,
        Scope.WRITE_REPOSITORY,
        Scope.READ_REGISTRY,
        Scope.WRITE_REGISTRY,
        Scope.CREATE_RUNNER,
        Scope.MANAGE_RUNNER,
        Scope.SELF_ROTATE,
        Scope.K8S_PROXY,
    }
)
_DEPLOY_TOKEN_SCOPES = frozenset(
    {
        Scope.READ_REPOSITORY,
        Scope.READ_REGISTRY,
        Scope.WRITE_REGISTRY,
        Scope.READ_PACKAGE_REGISTRY,
        Scope.WRITE_PACKAGE_REGISTRY,
    }
)

VALID_SCOPES: dict[TokenType, frozenset[Scope]] = {
    TokenType.PROJECT_ACCESS_TOKEN: _PAT_SCOPES - {Scope.READ_USER},
    TokenType.GROUP_ACCESS_TOKEN: _PAT_SCOPES - {Scope.READ_USER},
    TokenType.SERVICE_ACCOUNT_PAT: _PAT_SCOPES,
    TokenType.BOT_USER_PAT: _PAT_SCOPES,
    TokenType.PERSONAL_ACCESS_TOKEN: _PAT_SCOPES,
    TokenType.DEPLOY_TOKEN: _DEPLOY_TOKEN_SCOPES,
}

# Token types whose holder gets a membership role we choose (bot or service-account users).
ROLE_BEARING: frozenset[TokenType] = frozenset(
    {
        TokenType.PROJECT_ACCESS_TOKEN,
        TokenType.GROUP_ACCESS_TOKEN,
        TokenType.SERVICE_ACCOUNT_PAT,
        TokenType.BOT_USER_PAT,
    }
)

# Scopes that `api` already includes for the token's reach (GitLab "Access token scopes":
# api covers the API, the container registry, the dependency proxy and the package registry;
# self-rotate endpoints accept api). Repository scopes are not included: Git over HTTP needs them.
SUBSUMED_BY_API: frozenset[Scope] = frozenset(
    {Scope.READ_API, Scope.READ_REGISTRY, Scope.WRITE_REGISTRY, Scope.SELF_ROTATE}
)


@dataclass(frozen=True, slots=True)
class TokenProfile:
    """What the seeds' comparison tables say about one credential kind."""

    title: str
    rotation: str
    reach: str
    visibility: str
    risk: str  # low | medium | high
    rotates_automatically: bool = False


def valid_scopes(token_type: TokenType) -> frozenset[Scope]:
    """Scopes GitLab accepts for this token type; empty for credentials without scopes."""
    return VALID_SCOPES.get(token_type, frozenset())


def minimal_scopes(scopes: set[Scope]) -> tuple[Scope, ...]:
    """Drop scopes that another chosen scope already grants; stable, sorted output."""
    kept = set(scopes)
    if Scope.API in kept:
        kept -= SUBSUMED_BY_API
    if Scope.WRITE_REPOSITORY in kept:
        kept.discard(Scope.READ_REPOSITORY)
    return tuple(sorted(kept, key=lambda scope: list(Scope).index(scope)))
