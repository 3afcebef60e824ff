"""The resources a job needs, as the least GitLab job token policies (a table)."""

from __future__ import annotations

import pytest

from bot.domain.job_token_policies import (
    DEFAULT_PERMISSIONS,
    POLICY_OF,
    JobPolicies,
    JobResource,
    Need,
    PolicyChoiceError,
    choice,
    from_gitlab,
    least_policies,
)

# lib/ci/job_token/policies.rb in gitlab-org/gitlab: the enum values tokenbot may send
GITLAB_POLICIES = {
    "READ_DEPLOYMENTS", "ADMIN_DEPLOYMENTS", "READ_ENVIRONMENTS", "ADMIN_ENVIRONMENTS",
    "READ_JOBS", "ADMIN_JOBS", "READ_MERGE_REQUESTS", "READ_PACKAGES", "ADMIN_PACKAGES",
    "READ_PIPELINES", "ADMIN_PIPELINES", "READ_RELEASES", "ADMIN_RELEASES", "READ_REPOSITORIES",
    "READ_SECURE_FILES", "ADMIN_SECURE_FILES", "READ_TERRAFORM_STATE", "ADMIN_TERRAFORM_STATE",
    "READ_WORK_ITEMS",
}  # fmt: skip


@pytest.mark.parametrize(
    ("choices", "policies"),
    [
        (["packages:read"], ("READ_PACKAGES",)),
        (["packages:write"], ("ADMIN_PACKAGES",)),
        (["packages:read", "packages:write"], ("ADMIN_PACKAGES",)),
        (["packages:write", "packages:read"], ("ADMIN_PACKAGES",)),
        (["releases:write", "jobs:read"], ("ADMIN_RELEASES", "READ_JOBS")),
        (["secure_files:read", "secure_files:read"], ("READ_SECURE_FILES",)),
        ([" Terraform_State:READ "], ("READ_TERRAFORM_STATE",)),
        (
            ["deployments:write", "environments:read"],
            ("ADMIN_DEPLOYMENTS", "READ_ENVIRONMENTS"),
        ),
        ([], ()),
    ],
)
def test_chosen_resources_become_the_least_policies(
    choices: list[str], policies: tuple[str, ...]
) -> None:
    assert least_policies(choices) == JobPolicies(policies, default=False)


@pytest.mark.parametrize(
    "forged", ["packages:delete", "admin", "variables:read", "", "packages", ":read"]
)
def test_a_choice_the_form_does_not_offer_is_refused_with_what_is_offered(forged: str) -> None:
    with pytest.raises(PolicyChoiceError, match="is not a resource tokenbot offers; use"):
        least_policies(["packages:read", forged])


def test_every_offered_policy_is_one_gitlab_has() -> None:
    assert set(POLICY_OF.values()) <= GITLAB_POLICIES
    assert len(POLICY_OF) == 2 * len(JobResource)


def test_reading_never_asks_for_an_admin_policy() -> None:
    for resource in JobResource:
        read = least_policies([choice(resource, Need.READ)]).policies
        assert read == (f"READ_{resource.value.upper()}",)


def test_gitlab_s_listing_keeps_what_it_says() -> None:
    assert from_gitlab(True, ["READ_JOBS"]) == DEFAULT_PERMISSIONS
    assert from_gitlab(False, ["READ_WORK_ITEMS", "READ_JOBS"]).policies == (
        "READ_JOBS",
        "READ_WORK_ITEMS",
    )
    assert "Packages (package registry): read (READ_PACKAGES)" in (
        least_policies(["packages:read"]).describe
    )
    assert DEFAULT_PERMISSIONS.describe.startswith("GitLab's default permissions")
