"""Fine-grained job token permissions through the use cases, over the real database and a
hand-written GitLab: the least policies asked, set once, read back, kept on the entry."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.job_token_access import JobAccessState, Place, SourceKind
from bot.domain.job_token_policies import DEFAULT_PERMISSIONS, JobPolicies
from bot.domain.platform import Offering, Platform, Tier
from bot.domain.request_policy import RequestPolicy
from bot.services.job_token_access import (
    approve_job_access,
    settle_job_access,
    submit_job_access,
)
from bot.services.request_deps import RequestDeps, RequestRejected
from tests.fake_gitlab import FakeGitLab
from tests.integration.test_job_token_access import DAN, DRAFT, OLGA, gitlab

__all__ = ["gitlab"]  # the fixture
NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
S = JobAccessState
WITH_183 = Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 3))
BEFORE_183 = Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 2))
READ_PACKAGES = JobPolicies(("READ_PACKAGES",), default=False)
ASKING = replace(DRAFT, resources=("packages:read",))


def _deps(
    sql_uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab, platform: Platform
) -> RequestDeps:
    ids = (f"j{n}" for n in itertools.count(1))
    return RequestDeps(
        sql_uow, gitlab, RequestPolicy(), lambda: NOW, lambda: next(ids), platform=lambda: platform
    )


@pytest.fixture
def deps(sql_uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab) -> RequestDeps:
    return _deps(sql_uow, gitlab, WITH_183)


def _entry(gitlab: FakeGitLab) -> tuple[Place, Place]:
    api, web = gitlab.places["acme/api"], gitlab.places["acme/web"]
    return Place("acme/api", api.id), Place("acme/web", web.id)


def test_the_least_policies_are_stored_set_in_one_mutation_and_kept(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, replace(DRAFT, resources=("packages:read",)), deps=deps)
    assert access.policies == READ_PACKAGES
    allowed = approve_job_access(access.id, OLGA, deps=deps)
    assert (allowed.state, allowed.policies, allowed.failure) == (S.ALLOWED, READ_PACKAGES, None)
    assert [w[0] for w in gitlab.allowlist_writes] == ["add_policies"]
    target, source = _entry(gitlab)
    assert gitlab.job_token_entry_policies(target, SourceKind.PROJECT, source) == READ_PACKAGES
    with deps.uow() as uow:
        stored = uow.job_access.get(access.id)
        events = uow.audit.events()
    assert stored is not None
    assert stored.policies == READ_PACKAGES
    assert events[-1].details["policies"] == "READ_PACKAGES"


def test_no_resources_chosen_is_today_s_default_permissions_over_rest(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    assert approve_job_access(access.id, OLGA, deps=deps).policies == DEFAULT_PERMISSIONS
    assert [w[0] for w in gitlab.allowlist_writes] == ["add"]


def test_before_18_3_resources_are_refused_by_field_and_nothing_is_stored(
    sql_uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    deps = _deps(sql_uow, gitlab, BEFORE_183)
    with pytest.raises(RequestRejected) as refused:
        submit_job_access(DAN, ASKING, deps=deps)
    [problem] = refused.value.problems
    assert problem.field == "resources"
    assert "need GitLab 18.3 or later" in problem.message
    with deps.uow() as uow:
        assert uow.job_access.in_states(*S) == []


def test_an_unknown_version_is_not_assumed_to_have_them(
    sql_uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    deps = _deps(sql_uow, gitlab, Platform())
    with pytest.raises(RequestRejected, match="TOKENBOT_GITLAB_VERSION"):
        submit_job_access(DAN, ASKING, deps=deps)


def test_a_forged_resource_is_refused_by_field_and_nothing_is_stored(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected) as refused:
        submit_job_access(DAN, replace(DRAFT, resources=("variables:write",)), deps=deps)
    assert refused.value.problems[0].field == "resources"
    assert "not a resource tokenbot offers" in refused.value.problems[0].message
    with deps.uow() as uow:
        assert uow.job_access.in_states(*S) == []


def test_a_lost_answer_is_settled_from_the_read_back_without_a_second_add(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, ASKING, deps=deps)
    gitlab.lose_allowlist_answers = 1
    assert approve_job_access(access.id, OLGA, deps=deps).state is S.ADDING
    [settled] = settle_job_access(deps=deps)
    assert (settled.state, settled.policies) == (S.ALLOWED, READ_PACKAGES)
    assert [w[0] for w in gitlab.allowlist_writes] == ["add_policies"]
    assert settle_job_access(deps=deps) == []


def test_an_add_that_never_reached_gitlab_is_added_by_settle_with_its_policies(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, ASKING, deps=deps)
    gitlab.lose_allowlist_answers = 1
    approve_job_access(access.id, OLGA, deps=deps)
    gitlab.allowlists.clear()  # as if the request died before GitLab had it
    gitlab.entry_policies.clear()
    assert settle_job_access(deps=deps)[0].policies == READ_PACKAGES
    assert [w[0] for w in gitlab.allowlist_writes] == ["add_policies", "add_policies"]


def test_an_entry_added_in_gitlab_meanwhile_is_not_taken_over(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    """Someone added the source by hand (default permissions) before the approval."""
    access = submit_job_access(DAN, ASKING, deps=deps)
    target, source = _entry(gitlab)
    gitlab.add_job_token_source(target.id, SourceKind.PROJECT, source.id)
    failed = approve_job_access(access.id, OLGA, deps=deps)
    assert failed.state is S.FAILED
    assert "neither tracks nor removes" in (failed.failure or "")


def test_after_a_lost_answer_an_entry_with_other_permissions_is_not_taken_over(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, ASKING, deps=deps)
    gitlab.lose_allowlist_answers = 1
    approve_job_access(access.id, OLGA, deps=deps)
    target, source = _entry(gitlab)
    gitlab.entry_policies[(target.id, SourceKind.PROJECT, source.id)] = DEFAULT_PERMISSIONS
    [settled] = settle_job_access(deps=deps)
    assert settled.state is S.FAILED
    assert "GitLab's default permissions" in (settled.failure or "")
