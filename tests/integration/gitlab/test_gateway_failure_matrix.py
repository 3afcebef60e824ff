"""Every gateway operation, through each failure GitLab can throw at it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.domain.credentials import Secret, TokenSpec
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.gitlab.gateway import PythonGitlabGateway
from bot.gitlab.http import RetryPolicy
from bot.services.gitlab_errors import BotCredentialError, UnavailableError
from tests.integration.gitlab.conftest import TODAY, Company

Operation = Callable[[PythonGitlabGateway, Company], object]


def _spec() -> TokenSpec:
    return TokenSpec(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/platform/api",
        "matrix",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=30),
    )


def _existing_ref(company: Company):  # a token made with a healthy gateway, before faults
    return company.gateway().create_token(_spec()).record.ref


# The request of each operation that a fault should hit (not merely its first look-up).
TARGETS: dict[str, tuple[str, str]] = {
    "namespace": ("GET", "*/projects/*"),
    "create_token": ("POST", "*/access_tokens"),
    "rotate_token": ("POST", "*/rotate"),
    "revoke_token": ("DELETE", "*/access_tokens/*"),
    "allow_job_token": ("POST", "*/allowlist"),
    "set_ci_variable": ("POST", "*/variables"),
    "inventory": ("GET", "*/triggers"),
    "effective_role": ("GET", "*/members/all/*"),
    "find_user": ("GET", "/api/v4/users"),
    "bot_credential": ("GET", "*/personal_access_tokens/self"),
}

OPERATIONS: dict[str, Operation] = {
    "namespace": lambda gw, c: gw.namespace("acme/platform/api"),
    "create_token": lambda gw, c: gw.create_token(_spec()),
    "rotate_token": lambda gw, c: gw.rotate_token(c.ref, expires_on=TODAY + timedelta(days=9)),
    "revoke_token": lambda gw, c: gw.revoke_token(c.ref),
    "allow_job_token": lambda gw, c: gw.allow_job_token(
        "acme/billing", from_project="acme/platform/api"
    ),
    "set_ci_variable": lambda gw, c: gw.set_ci_variable(
        "acme/billing", "TOKEN", Secret("a-secret-value-1")
    ),
    "inventory": lambda gw, c: list(gw.inventory(["acme"])),
    "effective_role": lambda gw, c: gw.effective_role(c.alice.id, "acme/platform/api"),
    "find_user": lambda gw, c: gw.find_user(username="alice"),
    "bot_credential": lambda gw, c: gw.bot_credential(),
}


@pytest.fixture
def prepared(company: Company) -> Company:
    company.ref = _existing_ref(company)  # type: ignore[attr-defined]
    company.sim.requests.clear()
    return company


@pytest.mark.parametrize("name", OPERATIONS)
def test_an_expired_bot_credential_fails_every_operation_plainly(
    prepared: Company, name: str
) -> None:
    gateway = prepared.gateway(prepared.token(prepared.bot, days=0))
    with pytest.raises(BotCredentialError, match="has expired"):
        OPERATIONS[name](gateway, prepared)


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_survives_a_429(prepared: Company, name: str) -> None:
    method, path = TARGETS[name]
    prepared.sim.faults.rate_limit(method=method, path=path, count=1, retry_after=0)
    OPERATIONS[name](prepared.gateway(), prepared)
    assert prepared.sim.requests.count(method=method, path=path, status=429) == 1


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_survives_a_500(prepared: Company, name: str) -> None:
    method, path = TARGETS[name]
    prepared.sim.faults.error(500, method=method, path=path, count=1)
    OPERATIONS[name](prepared.gateway(), prepared)
    assert prepared.sim.requests.count(method=method, path=path, status=500) == 1


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_times_out_within_its_budget(prepared: Company, name: str) -> None:
    method, path = TARGETS[name]
    prepared.sim.faults.latency(600, method=method, path=path, count=None)
    gateway = prepared.gateway(
        timeout_seconds=0.15,
        retry=RetryPolicy(total_seconds=0.3, max_attempts=2, first_backoff=0.01),
    )
    # A create or rotate that times out may have happened: it is not repeated, and says so.
    expected = (
        "may have happened"
        if name in {"create_token", "rotate_token"}
        else ("did not answer in time")
    )
    with pytest.raises(UnavailableError, match=expected):
        OPERATIONS[name](gateway, prepared)
