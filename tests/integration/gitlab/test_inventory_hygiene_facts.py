"""The sync fills what the hygiene findings need, through the real simulator over HTTP: when
each credential was created, and how many projects each group holds.

GitLab's REST API shows `created_at` for personal, project and group access tokens
(docs.gitlab.com/api/personal_access_tokens, /api/project_access_tokens,
/api/group_access_tokens), for pipeline trigger tokens (/api/pipeline_triggers) and for deploy
keys (/api/deploy_keys), but not for deploy tokens (/api/deploy_tokens lists id, name,
username, expires_at, revoked, expired and scopes only): their age stays unknown, so the
unused rule never judges them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.hygiene import FindingKind, HygieneRules
from bot.sandbox import add_deploy_key, add_deploy_token, add_resource_token, add_trigger
from bot.services.hygiene import HygieneDeps, hygiene_report
from bot.services.inventory_sync import SyncDeps, sync_inventory
from tests.integration.gitlab.conftest import NOW, TODAY, Company

Uow = Callable[[], SqlUnitOfWork]


def _sync(company: Company, uow: Uow) -> None:
    sync_inventory(["acme"], deps=SyncDeps(uow, company.gateway(), lambda: NOW))


def test_the_sync_records_when_credentials_were_created(company: Company, sql_uow: Uow) -> None:
    state = company.sim.state
    born = NOW - timedelta(days=3)
    state.clock = lambda: born
    add_resource_token(state, company.api, name="ci", expires_at=TODAY + timedelta(days=30))
    add_trigger(state, company.api, company.alice, description="nightly")
    add_deploy_key(state, company.api, title="deploy")
    add_deploy_token(state, company.api, name="pull")
    state.clock = lambda: NOW
    _sync(company, sql_uow)
    with sql_uow() as uow:
        facts = {f.token.name: f for f in uow.hygiene.facts(today=TODAY)}
    assert facts["ci"].created_at == born
    assert facts["nightly"].created_at == born
    assert facts["deploy"].created_at == born
    assert facts["pull"].created_at is None  # GitLab does not say
    assert facts["nightly"].creator_known  # the trigger's owner
    assert not facts["ci"].creator_known  # a project token's creator is not in the API


def test_the_sync_counts_each_groups_projects_with_its_subgroups(
    company: Company, sql_uow: Uow
) -> None:
    state = company.sim.state
    add_resource_token(state, company.acme, name="wide", expires_at=TODAY + timedelta(days=30))
    add_resource_token(
        state, company.platform, name="narrow", expires_at=TODAY + timedelta(days=30)
    )
    _sync(company, sql_uow)
    with sql_uow() as uow:
        facts = {f.token.name: f for f in uow.hygiene.facts(today=TODAY)}
    assert facts["wide"].group_projects == 2  # acme/billing and acme/platform/api
    assert facts["narrow"].group_projects == 1

    def large(limit: int) -> int:
        deps = HygieneDeps(sql_uow, lambda: NOW, HygieneRules(large_group_projects=limit))
        return hygiene_report(deps=deps).counts[FindingKind.LARGE_GROUP]

    assert large(2) == 0  # acme holds exactly 2: not above the limit
    assert large(1) == 1  # acme is just above it; platform's 1 is not


def test_a_group_growing_is_seen_by_the_next_sync(company: Company, sql_uow: Uow) -> None:
    state = company.sim.state
    add_resource_token(state, company.acme, name="wide", expires_at=TODAY + timedelta(days=30))
    _sync(company, sql_uow)
    state.add_project("new-one", group=company.platform)
    _sync(company, sql_uow)
    with sql_uow() as uow:
        (fact,) = [f for f in uow.hygiene.facts(today=TODAY) if f.token.name == "wide"]
    assert fact.group_projects == 3
