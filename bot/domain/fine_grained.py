"""Fine-grained personal access tokens: the least GitLab permissions for what a token must do.

GitLab 19.2 made fine-grained personal access tokens generally available on every tier
(docs.gitlab.com/auth/tokens/fine_grained_access_tokens/). Instead of `scopes` they carry
`granular_scopes`: an `access` (`personal_projects`, `all_memberships`,
`selected_memberships` with `project_ids`/`group_ids`, `user`, `instance`) and a list of
`permissions`. The names below are GitLab's assignable permissions, each defined in a file
under `config/authz/permission_groups/assignable_permissions/` of gitlab-org/gitlab (the
path is kept with the name). Only personal access tokens have this form: project, group and
service-account tokens have no fine-grained form yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.capabilities import Capability
from bot.domain.gitlab_features import Availability, Feature, Verdict
from bot.domain.tokens import TokenType

PERMISSIONS_DIR = "config/authz/permission_groups/assignable_permissions"
# Which GitLab endpoint each permission opens: GitLab's generated list.
PERMISSIONS_DOC = "https://docs.gitlab.com/auth/tokens/fine_grained_access_tokens_rest/"
# Personal access tokens: a person's own, or a dedicated bot user's.
FINE_GRAINED_TYPES = frozenset({TokenType.PERSONAL_ACCESS_TOKEN, TokenType.BOT_USER_PAT})
ACCESS = "selected_memberships"


@dataclass(frozen=True, slots=True)
class Permission:
    name: str  # GitLab's permission name, as the API takes it
    definition: str  # its file under PERMISSIONS_DIR

    @property
    def source(self) -> str:
        return f"gitlab-org/gitlab {PERMISSIONS_DIR}/{self.definition}"


def _p(name: str, definition: str) -> Permission:
    return Permission(name, definition)


_DOWNLOAD_CODE = _p("download_code", "repository/code/download.yml")
_READ_PROJECT = _p("read_project", "projects/project/read.yml")

# Capability → the permissions it needs, or the reason no fine-grained token can do it.
PERMISSIONS: dict[Capability, tuple[Permission, ...] | str] = {
    Capability.CLONE: (_DOWNLOAD_CODE,),
    Capability.PUSH: (_DOWNLOAD_CODE, _p("push_code", "repository/code/push.yml")),
    Capability.READ_IMAGES: (
        _p("read_container_repository", "packages_and_registry/container_repository/read.yml"),
    ),
    Capability.PUSH_IMAGES: "GitLab's fine-grained tokens cannot push container images"
    " (docs.gitlab.com/auth/tokens/fine_grained_access_tokens_other/)",
    Capability.READ_PACKAGES: (_p("read_package", "packages_and_registry/package/read.yml"),),
    Capability.PUBLISH_PACKAGES: (
        _p("read_package", "packages_and_registry/package/read.yml"),
        _p("create_package", "packages_and_registry/package/create.yml"),
    ),
    Capability.READ_API: (
        _READ_PROJECT,
        _p("read_repository", "repository/repository/read.yml"),
        _p("read_merge_request", "repository/merge_request/read.yml"),
        _p("read_pipeline", "ci_cd/pipeline/read.yml"),
        _p("read_job", "ci_cd/job/read.yml"),
    ),
    Capability.TRIGGER_PIPELINES: (
        _READ_PROJECT,
        _p("create_pipeline", "ci_cd/pipeline/create.yml"),
    ),
    Capability.WRITE_API: "'change anything through the API' has no fine-grained set: name the"
    " endpoints it calls and pick their permissions from " + PERMISSIONS_DOC,
    Capability.CREATE_MRS: "tokenbot has not confirmed GitLab's permission for writing merge"
    " requests; pick it from " + PERMISSIONS_DOC,
    Capability.REGISTER_RUNNERS: "runner creation has no fine-grained permission tokenbot knows",
    Capability.MANAGE_RUNNERS: "runner management has no fine-grained permission tokenbot knows",
    Capability.CREATE_TOKENS: "token management has no fine-grained permission tokenbot knows",
    Capability.ROTATE_ITSELF: "rotating itself has no fine-grained permission tokenbot knows",
}


@dataclass(frozen=True, slots=True)
class FineGrainedAdvice:
    availability: Availability  # of fine-grained tokens on this GitLab
    availability_reason: str
    permissions: tuple[Permission, ...]  # empty when `blockers` says why it will not do
    blockers: tuple[str, ...]  # why a fine-grained token cannot do all of it

    @property
    def usable(self) -> bool:
        return not self.blockers and self.availability is not Availability.NO

    def steps(self, token_type: TokenType) -> tuple[str, ...]:
        """How to make it, in GitLab's words; empty when it will not do."""
        if not self.usable:
            return ()
        who = "the bot user" if token_type is TokenType.BOT_USER_PAT else "yourself"
        names = ", ".join(p.name for p in self.permissions)
        ids = ", ".join(f'"{p.name}"' for p in self.permissions)
        return (
            f"Fine-grained form: signed in as {who}, open Edit profile > Access tokens and"
            " add a fine-grained token (GitLab has no pre-filled link for these).",
            "Access: Selected memberships, only the projects or groups it works on.",
            f"Permissions: {names}; nothing else.",
            'Or through the API: POST /api/v4/user/personal_access_tokens with "granular_scopes":'
            f' [{{"access": "{ACCESS}", "project_ids": [...], "permissions": [{ids}]}}].',
        )


def fine_grained_advice(
    token_type: TokenType, capabilities: Iterable[Capability], verdict: Verdict
) -> FineGrainedAdvice | None:
    """The fine-grained form of a personal access token, or None where it has none."""
    if token_type not in FINE_GRAINED_TYPES or verdict.feature is not Feature.FINE_GRAINED_PATS:
        return None
    if verdict.no:
        return None
    permissions: dict[str, Permission] = {}
    blockers: list[str] = []
    for capability in sorted(set(capabilities)):
        found = PERMISSIONS[capability]
        if isinstance(found, str):
            blockers.append(found)
            continue
        permissions.update((p.name, p) for p in found)
    if not permissions and not blockers:
        return None  # nothing it must do was said: no permissions to name
    return FineGrainedAdvice(
        verdict.availability,
        verdict.reason,
        () if blockers else tuple(permissions.values()),
        tuple(blockers),
    )
