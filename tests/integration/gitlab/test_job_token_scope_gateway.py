"""The gateway's job token allowlist methods against the simulator over HTTP.

GitLab answers an entry that exists with 400 "Target project is already in the job token
scope" (app/services/ci/job_token_scope/add_project_service.rb rescues RecordNotUnique; the
route in lib/api/project_job_token_scope.rb answers `bad_request!(result[:message])`), and one
that is not there with 400 "... is not in the job token scope"; the simulator does the same
(bot/sandbox/endpoints/job_token_scope.py).
"""

from __future__ import annotations

import pytest

from bot.domain.job_token_access import SourceKind
from bot.services.gitlab_errors import NotFoundError, OutcomeUnknownError
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
