"""Fine-grained job token permissions: the resources a job needs, as the least GitLab policies.

GitLab 18.3 made fine-grained permissions for CI/CD job tokens generally available
(https://docs.gitlab.com/ci/jobs/fine_grained_permissions/): an allowlist entry with
`defaultPermissions: false` lets the source's jobs reach only the endpoints its
`jobTokenPolicies` name. The names are GitLab's `CiJobTokenScopePolicies` GraphQL enum
(app/graphql/types/ci/job_token_scope/policies_enum.rb over lib/ci/job_token/policies.rb in
gitlab-org/gitlab). Each resource has a read policy and an admin one, which GitLab's settings
page calls "Read and write": a write is never asked for where reading is enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.gitlab_features import Verdict


class JobResource(StrEnum):
    """The resources the request form offers (GitLab's policy groups, same order)."""

    DEPLOYMENTS = "deployments"
    ENVIRONMENTS = "environments"
    JOBS = "jobs"
    PACKAGES = "packages"
    PIPELINES = "pipelines"
    RELEASES = "releases"
    SECURE_FILES = "secure_files"
    TERRAFORM_STATE = "terraform_state"

    @property
    def label(self) -> str:
        return _LABELS[self]


class Need(StrEnum):
    READ = "read"
    WRITE = "write"  # GitLab's "Read and write": the admin policy


_LABELS = {
    JobResource.DEPLOYMENTS: "Deployments",
    JobResource.ENVIRONMENTS: "Environments",
    JobResource.JOBS: "Jobs and their artifacts",
    JobResource.PACKAGES: "Packages (package registry)",
    JobResource.PIPELINES: "Pipelines",
    JobResource.RELEASES: "Releases",
    JobResource.SECURE_FILES: "Secure files",
    JobResource.TERRAFORM_STATE: "Terraform state",
}
_NEED_WORDS = {Need.READ: "read", Need.WRITE: "read and write"}
# What each resource and need is in GitLab's CiJobTokenScopePolicies enum.
POLICY_OF: dict[tuple[JobResource, Need], str] = {
    (resource, need): f"{'READ' if need is Need.READ else 'ADMIN'}_{resource.value.upper()}"
    for resource in JobResource
    for need in Need
}
RESOURCE_OF: dict[str, tuple[JobResource, Need]] = {p: key for key, p in POLICY_OF.items()}
MAX_CHOICES = len(POLICY_OF)


class PolicyChoiceError(ValueError):
    """A choice the form does not offer: the message says so to the person who sent it."""


@dataclass(frozen=True, slots=True)
class JobPolicies:
    """An allowlist entry's permissions: GitLab's defaults, or exactly these policies."""

    policies: tuple[str, ...] = ()  # sorted GitLab enum names; empty with default=True
    default: bool = True

    @property
    def describe(self) -> str:
        if self.default:
            return "GitLab's default permissions (everything a job token can reach)"
        if not self.policies:
            return "fine-grained: no resource beyond what permissions cannot restrict"
        return "fine-grained: " + "; ".join(_policy_words(p) for p in self.policies)


DEFAULT_PERMISSIONS = JobPolicies()


def choice(resource: JobResource, need: Need) -> str:
    """The value a form option carries, e.g. `packages:read`."""
    return f"{resource.value}:{need.value}"


def choice_label(resource: JobResource, need: Need) -> str:
    return f"{resource.label}: {_NEED_WORDS[need]}"


def least_policies(choices: Iterable[str]) -> JobPolicies:
    """The chosen `resource:need` values as the fewest GitLab policies (fine-grained).

    A resource chosen both to read and to write gets only the admin policy, which GitLab's
    settings page offers as "Read and write". Unknown values raise PolicyChoiceError.
    """
    wanted: dict[JobResource, Need] = {}
    for raw in choices:
        resource, need = _parse(raw)
        if wanted.get(resource) is not Need.WRITE:
            wanted[resource] = need
    return JobPolicies(tuple(sorted(POLICY_OF[(r, n)] for r, n in wanted.items())), False)


def from_gitlab(default: bool, policies: Iterable[str]) -> JobPolicies:
    """An entry as GitLab lists it; policy names tokenbot does not offer are kept as given."""
    if default:
        return DEFAULT_PERMISSIONS
    return JobPolicies(tuple(sorted({str(p)[:64] for p in policies})), False)


# GitLab's table of endpoints (docs "Fine-grained permissions for CI/CD job tokens") marks
# some "None": no permission controls them, e.g. `GET /job` and the container registry API.
UNCONTROLLED = "`GET /job` and the container registry API"


def reach_advice(verdict: Verdict) -> str:
    """What the advice adds about limiting an allowlist entry, on this GitLab."""
    if not verdict.yes:
        return (
            f"Fine-grained job token permissions {verdict.reason}: an allowlist entry lets the"
            " other project's jobs reach everything above."
        )
    resources = ", ".join(r.label.lower() for r in JobResource)
    return (
        "This GitLab has fine-grained job token permissions: an allowlist entry can be limited"
        f" to the resources the jobs need, read or read and write each ({resources})."
        " Request job-token access asks which, and tokenbot sets the least policies."
        f" Endpoints no permission controls ({UNCONTROLLED}) stay reachable."
    )


def _parse(raw: str) -> tuple[JobResource, Need]:
    text = raw.strip().lower()
    resource, _, need = text.partition(":")
    try:
        return JobResource(resource), Need(need)
    except ValueError:
        offered = ", ".join(choice(r, n) for r in JobResource for n in Need)
        shown = raw.strip()[:40] or "(empty)"
        raise PolicyChoiceError(
            f"{shown} is not a resource tokenbot offers; use {offered}."
        ) from None


def _policy_words(policy: str) -> str:
    known = RESOURCE_OF.get(policy)
    if known is None:
        return policy
    resource, need = known
    return f"{choice_label(resource, need)} ({policy})"
