"""Behaviours a review found missing: lost answers, 429 loops, scopes, e-mail, outages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.domain.credentials import NamespaceKind, Secret, TokenSpec
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.gitlab.http import RetryPolicy
from bot.services.gitlab_errors import OutcomeUnknownError, UnavailableError
from tests.integration.gitlab.conftest import TODAY, Company

SPEC = TokenSpec(
    TokenType.PROJECT_ACCESS_TOKEN,
    "acme/platform/api",
    "reader",
    (Scope.READ_API,),
    AccessLevel.REPORTER,
    TODAY + timedelta(days=30),
)


def _tokens_named(company: Company, name: str) -> int:
    return sum(1 for t in company.sim.state.tokens.values() if t.name == name)


def test_rotating_a_group_deploy_token_keeps_it_on_the_group(company: Company) -> None:
    gateway = company.gateway()
    assert company.acme.id == company.api.id  # a project with the group's number: the trap
    old = gateway.create_token(
        TokenSpec(TokenType.DEPLOY_TOKEN, "acme", "registry", (Scope.READ_REGISTRY,))
    )
    new = gateway.rotate_token(old.record.ref)
    assert new.record.namespace is not None
    assert new.record.namespace.kind is NamespaceKind.GROUP
    assert new.record.namespace.path == "acme"


def test_a_create_whose_answer_is_lost_is_not_repeated(company: Company) -> None:
    company.sim.faults.error(502, method="POST", path="*/access_tokens", after=True)
    with pytest.raises(OutcomeUnknownError, match="may have happened"):
        company.gateway().create_token(SPEC)
    assert company.sim.requests.count(method="POST", path="*/access_tokens") == 1
    assert _tokens_named(company, "reader") == 1  # GitLab made it; no second one


def test_a_rotation_whose_connection_drops_is_reported_as_unknown(company: Company) -> None:
    gateway = company.gateway()
    issued = gateway.create_token(SPEC)
    company.sim.faults.drop_connection(method="POST", path="*/rotate", after=True)
    with pytest.raises(OutcomeUnknownError, match="old token may be revoked"):
        gateway.rotate_token(issued.record.ref)
    assert company.sim.requests.count(method="POST", path="*/rotate") == 1


def test_a_500_on_a_create_is_retried_because_gitlab_rolled_back(company: Company) -> None:
    company.sim.faults.error(500, method="POST", path="*/access_tokens")
    assert company.gateway().create_token(SPEC).record.name == "reader"
    assert company.sim.requests.count(method="POST", path="*/access_tokens") == 2
    assert _tokens_named(company, "reader") == 1


def test_persistent_429s_stay_within_the_retry_budget(company: Company) -> None:
    company.sim.faults.rate_limit(count=None, retry_after=1)
    gateway = company.gateway(retry=RetryPolicy(total_seconds=0.5, max_attempts=5))
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="429"):
        gateway.bot_credential()
    assert time.monotonic() - started < 2.0
    assert company.sim.requests.count(status=429) <= 2


def test_ci_variables_in_different_environments_are_kept_apart(company: Company) -> None:
    gateway = company.gateway()
    gateway.set_ci_variable(
        "acme/billing", "DEPLOY", Secret("production-value-1"), environment_scope="production"
    )
    gateway.set_ci_variable(
        "acme/billing", "DEPLOY", Secret("staging-value-22"), environment_scope="staging"
    )
    gateway.set_ci_variable(
        "acme/billing", "DEPLOY", Secret("staging-value-33"), environment_scope="staging"
    )
    variables = gateway._gl.projects.get("acme/billing").variables.list(get_all=True)
    values = {v.environment_scope: v.value for v in variables if v.key == "DEPLOY"}
    assert values == {"production": "production-value-1", "staging": "staging-value-33"}


def test_users_are_found_by_exact_email_only_where_gitlab_allows_it(company: Company) -> None:
    admin = company.sim.state.add_user("root", is_admin=True)
    found = company.gateway(company.token(admin)).find_user(email="alice@acme.test")
    assert found is not None
    assert found.username == "alice"
    assert company.gateway().find_user(email="alice@acme.test") is None  # bot: not an admin
    assert company.gateway(company.token(admin)).find_user(email="ali") is None


def test_an_outage_while_checking_a_401_is_an_outage(company: Company) -> None:
    # Dan may not list the api project's tokens: GitLab answers 401, and tokenbot asks /user whether
    # its credential is fine. If /user is down, that is an outage, not a bad credential.
    gateway = company.gateway(
        company.token(company.dan), retry=RetryPolicy(total_seconds=0.2, max_attempts=2)
    )
    company.sim.faults.error(502, path="/api/v4/user", count=None)
    with pytest.raises(UnavailableError, match="502"):
        list(gateway.inventory(["acme"]))
