"""The gateway's job token allowlist methods against the simulator over HTTP.

GitLab answers an entry that exists with 400 "Target project is already in the job token
scope" (app/services/ci/job_token_scope/add_project_service.rb rescues RecordNotUnique; the
route in lib/api/project_job_token_scope.rb answers `bad_request!(result[:message])`), and one
that is not there with 400 "... is not in the job token scope"; the simulator does the same
(bot/sandbox/endpoints/job_token_scope.py).
"""

from __future__ import annotations

import pytest

from bot.domain.job_token_access import Place, SourceKind
from bot.domain.job_token_policies import DEFAULT_PERMISSIONS, JobPolicies
from bot.services.gitlab_errors import NotFoundError, OutcomeUnknownError, PermissionDeniedError
from tests.integration.gitlab.conftest import Company


def test_add_is_idempotent_and_remove_takes_it_away(company: Company) -> None:
    gateway, api, billing = company.gateway(), company.api, company.billing
    assert gateway.add_job_token_source(billing.id, SourceKind.PROJECT, api.id) is True
    assert billing.job_token_project_allowlist == [api.id]
    assert gateway.add_job_token_source(billing.id, SourceKind.PROJECT, api.id) is False
    assert billing.job_token_project_allowlist == [api.id]
    assert gateway.job_token_allowlist(billing.id).projects == {api.id}  # not billing itself
    assert gateway.remove_job_token_source(billing.id, SourceKind.PROJECT, api.id) is True
    assert gateway.remove_job_token_source(billing.id, SourceKind.PROJECT, api.id) is False
    assert billing.job_token_project_allowlist == []


def test_a_group_goes_to_the_groups_allowlist(company: Company) -> None:
    gateway, billing, platform = company.gateway(), company.billing, company.platform
    assert gateway.add_job_token_source(billing.id, SourceKind.GROUP, platform.id) is True
    assert gateway.job_token_allowlist(billing.id).groups == {platform.id}
    assert gateway.remove_job_token_source(billing.id, SourceKind.GROUP, platform.id) is True
    assert billing.job_token_group_allowlist == []


def test_a_lost_answer_says_so_and_the_allowlist_tells_the_truth(company: Company) -> None:
    gateway, api, billing = company.gateway(), company.api, company.billing
    company.sim.faults.drop_connection(
        method="POST", path="*/job_token_scope/allowlist", after=True
    )
    with pytest.raises(OutcomeUnknownError):
        gateway.add_job_token_source(billing.id, SourceKind.PROJECT, api.id)
    assert gateway.job_token_allowlist(billing.id).holds(SourceKind.PROJECT, api.id)


def test_an_unknown_source_is_not_found(company: Company) -> None:
    with pytest.raises(NotFoundError):
        company.gateway().add_job_token_source(company.billing.id, SourceKind.PROJECT, 999_999)


# ------------------------------------------------------------------ fine-grained (GraphQL)
# The mutation and the read-back query are GitLab's (bot/gitlab/job_token_graphql.py names the
# sources); the simulator answers them in bot/sandbox/job_token_graphql.py.
READ_PACKAGES = JobPolicies(("READ_PACKAGES",), default=False)


def _places(company: Company) -> tuple[Place, Place]:
    billing, api = company.billing, company.api
    return Place(billing.path_with_namespace, billing.id), Place(api.path_with_namespace, api.id)


def test_an_entry_is_added_with_exactly_its_policies_and_read_back(company: Company) -> None:
    gateway, (billing, api) = company.gateway(), _places(company)
    listed = gateway.add_job_token_source_with_policies(
        billing, SourceKind.PROJECT, api, READ_PACKAGES
    )
    assert listed == READ_PACKAGES
    assert company.billing.job_token_entry_permissions[f"project:{api.id}"] == (
        False,
        ("READ_PACKAGES",),
    )
    assert gateway.job_token_entry_policies(billing, SourceKind.PROJECT, api) == READ_PACKAGES
    assert gateway.job_token_allowlist(billing.id).holds(SourceKind.PROJECT, api.id)


def test_an_entry_gitlab_had_already_is_not_added_again(company: Company) -> None:
    gateway, (billing, api) = company.gateway(), _places(company)
    assert gateway.add_job_token_source(billing.id, SourceKind.PROJECT, api.id) is True
    added = gateway.add_job_token_source_with_policies(
        billing, SourceKind.PROJECT, api, READ_PACKAGES
    )
    assert added is None
    assert gateway.job_token_entry_policies(billing, SourceKind.PROJECT, api) == (
        DEFAULT_PERMISSIONS
    )


def test_a_lost_graphql_answer_says_so_and_the_read_back_tells_the_truth(
    company: Company,
) -> None:
    gateway, (billing, api) = company.gateway(), _places(company)
    company.sim.faults.error(502, method="POST", path="/api/graphql", after=True)
    with pytest.raises(OutcomeUnknownError):
        gateway.add_job_token_source_with_policies(billing, SourceKind.PROJECT, api, READ_PACKAGES)
    assert gateway.job_token_entry_policies(billing, SourceKind.PROJECT, api) == READ_PACKAGES


def test_a_group_entry_is_read_from_the_groups_allowlist(company: Company) -> None:
    gateway, (billing, _api) = company.gateway(), _places(company)
    platform = Place(company.platform.full_path, company.platform.id)
    policies = JobPolicies(("ADMIN_RELEASES", "READ_JOBS"), default=False)
    assert (
        gateway.add_job_token_source_with_policies(billing, SourceKind.GROUP, platform, policies)
        == policies
    )
    assert gateway.job_token_entry_policies(billing, SourceKind.PROJECT, platform) is None
    assert gateway.job_token_entry_policies(billing, SourceKind.GROUP, platform) == policies


def test_no_maintainer_no_entry_and_a_plain_refusal(company: Company) -> None:
    """dan is a Developer of api: GitLab's top-level error, translated, nothing added."""
    (_billing, api) = _places(company)
    platform_api = Place(api.path, api.id)
    tool = Place(company.tool.path_with_namespace, company.tool.id)
    gateway = company.gateway(company.token(company.dan))
    with pytest.raises(PermissionDeniedError):
        gateway.add_job_token_source_with_policies(
            platform_api, SourceKind.PROJECT, tool, READ_PACKAGES
        )
    assert company.api.job_token_project_allowlist == []
