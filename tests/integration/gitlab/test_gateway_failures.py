"""How the gateway fails: messages a person can act on, retries within a time budget."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.domain.credentials import InventoryProgress, TokenSpec
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.gitlab.http import RetryPolicy
from bot.services.gitlab_errors import (
    BotCredentialError,
    MissingScopeError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
    ValidationError,
)
from tests.integration.gitlab.conftest import TODAY, Company

API_TOKEN = TokenSpec(
    TokenType.PROJECT_ACCESS_TOKEN,
    "acme/platform/api",
    "reader",
    (Scope.READ_API,),
    AccessLevel.REPORTER,
    TODAY + timedelta(days=30),
)


def test_an_expired_bot_credential_says_so(company: Company) -> None:
    gateway = company.gateway(company.token(company.bot, days=-1))
    with pytest.raises(BotCredentialError, match="has expired"):
        gateway.namespace("acme")


def test_a_revoked_bot_credential_says_so(company: Company) -> None:
    gateway = company.gateway(company.token(company.bot, revoked=True))
    with pytest.raises(BotCredentialError, match="was revoked"):
        gateway.namespace("acme")


def test_an_unknown_bot_credential_is_not_accepted(company: Company) -> None:
    gateway = company.gateway("glpat-this-is-not-a-real-token")
    with pytest.raises(BotCredentialError, match="not accepted"):
        gateway.bot_credential()


def test_a_read_only_credential_is_told_which_scope_it_lacks(company: Company) -> None:
    gateway = company.gateway(company.token(company.bot, scopes=("read_api",)))
    with pytest.raises(MissingScopeError, match="api"):
        gateway.create_token(API_TOKEN)


def test_places_the_bot_may_not_read_are_skipped_and_reported(company: Company) -> None:
    gateway = company.gateway(company.token(company.dan))
    seen: list[InventoryProgress] = []
    records = list(gateway.inventory(["acme"], progress=seen.append))
    assert records == []
    assert seen
    assert seen[-1].projects_done == seen[-1].projects_total
    assert any(
        "tokens of acme/platform/api" in e and "lacks the role" in e for e in seen[-1].errors
    )


def test_creating_without_rights_is_refused_with_gitlabs_reason(company: Company) -> None:
    gateway = company.gateway(company.token(company.dan))
    with pytest.raises(PermissionDeniedError, match="does not have permission"):
        gateway.create_token(API_TOKEN)


def test_a_forbidden_action_is_a_permission_error(company: Company) -> None:
    gateway = company.gateway(company.token(company.dan))
    with pytest.raises(PermissionDeniedError):
        gateway.allow_job_token("acme/platform/api", from_project="acme/platform/api")


def test_a_missing_project_is_not_found(company: Company) -> None:
    with pytest.raises(NotFoundError, match="acme/ghost"):
        company.gateway().effective_role(company.dan.id, "acme/ghost")


def test_gitlabs_validation_message_is_passed_through(company: Company) -> None:
    too_long = TokenSpec(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/platform/api",
        "x",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=400),
    )
    with pytest.raises(ValidationError, match="Expires at must be before 2027-11-22"):
        company.gateway().create_token(too_long)


def test_a_429_is_retried_after_its_retry_after(company: Company) -> None:
    company.sim.faults.rate_limit(path="*/access_tokens", retry_after=0, count=2)
    issued = company.gateway().create_token(API_TOKEN)
    assert issued.record.name == "reader"
    assert company.sim.requests.count(method="POST", path="*/access_tokens", status=429) == 2


def test_a_500_is_retried_then_succeeds(company: Company) -> None:
    company.sim.faults.error(500, path="*/projects/*", method="GET", count=1)
    assert company.gateway().namespace("acme/billing").path == "acme/billing"
    assert company.sim.requests.count(status=500) == 1


def test_a_dropped_connection_is_retried(company: Company) -> None:
    company.sim.faults.drop_connection(path="*/personal_access_tokens/self", count=1)
    assert company.gateway().bot_credential().name == "tokenbot"


def test_a_slow_gitlab_times_out_within_the_retry_budget(company: Company) -> None:
    company.sim.faults.latency(1500, path="*/personal_access_tokens/self")
    gateway = company.gateway(
        timeout_seconds=0.2,
        retry=RetryPolicy(total_seconds=1.0, max_attempts=3, first_backoff=0.05),
    )
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="did not answer in time"):
        gateway.bot_credential()
    assert time.monotonic() - started < 2.0


def test_persistent_5xx_gives_up_within_the_budget(company: Company) -> None:
    company.sim.faults.error(503, count=None)
    gateway = company.gateway(
        retry=RetryPolicy(total_seconds=0.5, max_attempts=10, first_backoff=0.05, max_backoff=0.1)
    )
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="503"):
        gateway.namespace("acme")
    assert time.monotonic() - started < 1.5


def test_the_request_rate_never_exceeds_the_budget(company: Company) -> None:
    gateway = company.gateway(requests_per_second=40.0)
    for _ in range(60):
        gateway.namespace("acme/billing")
    assert company.sim.requests.peak_rate(window_s=1.0) <= 41
