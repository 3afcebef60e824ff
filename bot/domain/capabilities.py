"""What a token must be able to do, and the least scopes and role that allow it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.tokens import VALID_SCOPES, AccessLevel, Scope, TokenType, minimal_scopes


class Capability(StrEnum):
    """Stable ids of the jobs a person can say a token must do."""

    CLONE = "clone"
    PUSH = "push"
    READ_IMAGES = "read_images"
    PUSH_IMAGES = "push_images"
    READ_PACKAGES = "read_packages"
    PUBLISH_PACKAGES = "publish_packages"
    READ_API = "read_api"
    WRITE_API = "write_api"
    CREATE_MRS = "create_mrs"
    TRIGGER_PIPELINES = "trigger_pipelines"
    REGISTER_RUNNERS = "register_runners"
    MANAGE_RUNNERS = "manage_runners"
    CREATE_TOKENS = "create_tokens"
    ROTATE_ITSELF = "rotate_itself"


@dataclass(frozen=True, slots=True)
class CapabilityRule:
    label: str
    scopes: frozenset[Scope]  # for user-backed tokens (PATs, project/group/service-account)
    role: AccessLevel  # least membership role on the target project
    group_role: AccessLevel | None = None  # when the target is a group, if it differs
    deploy_scopes: frozenset[Scope] | None = None  # None: deploy tokens cannot do it
    why: str = ""


_R = AccessLevel
_S = Scope

RULES: dict[Capability, CapabilityRule] = {
    Capability.CLONE: CapabilityRule(
        "Clone or pull repositories",
        frozenset({_S.READ_REPOSITORY}),
        _R.REPORTER,
        deploy_scopes=frozenset({_S.READ_REPOSITORY}),
        why="read_repository allows Git-over-HTTPS pulls; Reporter can read code.",
    ),
    Capability.PUSH: CapabilityRule(
        "Push commits and tags",
        frozenset({_S.WRITE_REPOSITORY}),
        _R.DEVELOPER,
        why="write_repository allows Git-over-HTTPS pushes; Developer can push to unprotected"
        " branches (protected branches may need Maintainer).",
    ),
    Capability.READ_IMAGES: CapabilityRule(
        "Pull container images",
        frozenset({_S.READ_REGISTRY}),
        _R.REPORTER,
        deploy_scopes=frozenset({_S.READ_REGISTRY}),
        why="read_registry allows pulling images; Reporter can read the registry.",
    ),
    Capability.PUSH_IMAGES: CapabilityRule(
        "Push container images",
        frozenset({_S.READ_REGISTRY, _S.WRITE_REGISTRY}),
        _R.DEVELOPER,
        deploy_scopes=frozenset({_S.READ_REGISTRY, _S.WRITE_REGISTRY}),
        why="pushing an image needs both read_registry and write_registry; Developer can push.",
    ),
    Capability.READ_PACKAGES: CapabilityRule(
        "Download packages",
        frozenset({_S.READ_API}),
        _R.REPORTER,
        deploy_scopes=frozenset({_S.READ_PACKAGE_REGISTRY}),
        why="read_api includes the package registry; Reporter can download packages.",
    ),
    Capability.PUBLISH_PACKAGES: CapabilityRule(
        "Publish packages",
        frozenset({_S.API}),
        _R.DEVELOPER,
        deploy_scopes=frozenset({_S.WRITE_PACKAGE_REGISTRY}),
        why="only api lets an access token publish packages (deploy tokens have"
        " write_package_registry); Developer can publish.",
    ),
    Capability.READ_API: CapabilityRule(
        "Read through the API (projects, issues, pipelines)",
        frozenset({_S.READ_API}),
        _R.REPORTER,
        why="read_api is read-only (GET requests).",
    ),
    Capability.WRITE_API: CapabilityRule(
        "Change things through the API",
        frozenset({_S.API}),
        _R.DEVELOPER,
        why="any API write needs the api scope.",
    ),
    Capability.CREATE_MRS: CapabilityRule(
        "Create or update merge requests",
        frozenset({_S.API}),
        _R.DEVELOPER,
        why="merge requests are written through the API (api scope); Developer can open them.",
    ),
    Capability.TRIGGER_PIPELINES: CapabilityRule(
        "Run pipelines through the API",
        frozenset({_S.API}),
        _R.DEVELOPER,
        why="creating a pipeline is an API write; Developer can run pipelines.",
    ),
    Capability.REGISTER_RUNNERS: CapabilityRule(
        "Create (register) runners",
        frozenset({_S.CREATE_RUNNER}),
        _R.MAINTAINER,
        group_role=_R.OWNER,
        why="create_runner only creates runners; project runners need Maintainer, group"
        " runners Owner.",
    ),
    Capability.MANAGE_RUNNERS: CapabilityRule(
        "Manage existing runners",
        frozenset({_S.MANAGE_RUNNER}),
        _R.MAINTAINER,
        group_role=_R.OWNER,
        why="manage_runner is limited to runner management.",
    ),
    Capability.CREATE_TOKENS: CapabilityRule(
        "Create or rotate other access tokens",
        frozenset({_S.API}),
        _R.MAINTAINER,
        group_role=_R.OWNER,
        why="token management is an API write; project tokens need Maintainer, group tokens Owner.",
    ),
    Capability.ROTATE_ITSELF: CapabilityRule(
        "Rotate itself before it expires",
        frozenset({_S.SELF_ROTATE}),
        _R.GUEST,
        why="self_rotate lets the token replace itself and nothing else.",
    ),
}


def supported(token_type: TokenType) -> tuple[Capability, ...]:
    """Capabilities a token type can be given, in a stable order."""
    if token_type is TokenType.DEPLOY_TOKEN:
        return tuple(cap for cap in Capability if RULES[cap].deploy_scopes is not None)
    if token_type in VALID_SCOPES:
        return tuple(Capability)
    return ()


def scopes_for(token_type: TokenType, capabilities: frozenset[Capability]) -> tuple[Scope, ...]:
    """The least set of scopes covering every capability for this token type."""
    if token_type not in VALID_SCOPES:
        return ()  # deploy keys, job tokens and the like carry no scopes
    chosen: set[Scope] = set()
    for cap in capabilities:
        rule = RULES[cap]
        if token_type is TokenType.DEPLOY_TOKEN:
            chosen |= rule.deploy_scopes or frozenset()
        else:
            chosen |= rule.scopes
    return minimal_scopes(chosen)


def role_for(capabilities: frozenset[Capability], *, group_target: bool) -> AccessLevel:
    """The least membership role that allows every capability (Guest when none is needed)."""
    role = AccessLevel.GUEST
    for cap in capabilities:
        rule = RULES[cap]
        needed = rule.group_role if group_target and rule.group_role else rule.role
        role = max(role, needed)
    return role
