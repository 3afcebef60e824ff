"""The request policy is asked at submit, again at approval and again at provisioning: a
request made under an older policy stops where today's policy no longer allows it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.request_policy import RequestPolicy, TypeRule
from bot.domain.requests import RequestError, RequestState
from bot.domain.tokens import AccessLevel, Scope, TokenType, valid_scopes
from bot.services.provisioning import provision_request
from bot.services.token_requests import (
    RequestDeps,
    RequestRejected,
    approve_request,
    submit_request,
)
from tests.fake_gitlab import FakeGitLab
from tests.unit.test_token_requests import (
    ADA,
    DEV,
    GROUP,
    MEI,
    OLA,
    _draft,
    clock,
    deps,
    gitlab,
    uow,
)

__all__ = ["clock", "deps", "gitlab", "uow"]  # the fixtures
PAT = TokenType.PROJECT_ACCESS_TOKEN


def _with(deps: RequestDeps, **rule: object) -> RequestDeps:
    """`deps` whose policy has one rule, for project access tokens."""
    base = TypeRule(valid_scopes(PAT))
    return replace(deps, policy=RequestPolicy(rules={PAT: replace(base, **rule)}))  # type: ignore[arg-type]


def test_only_members_of_the_policys_groups_may_request_the_type(deps: RequestDeps) -> None:
    members_only = _with(deps, requesters=(GROUP,))
    assert submit_request(ADA, _draft(), deps=members_only).state is RequestState.PENDING
    with pytest.raises(RequestRejected) as caught:
        submit_request(DEV, _draft(name="other"), deps=members_only)
    [problem] = caught.value.problems
    assert problem.field == "token_type"
    assert problem.message == "policy lets only members of acme request this type"


def test_a_role_policy_does_not_allow_is_refused(deps: RequestDeps) -> None:
    reporters = _with(deps, roles=frozenset({AccessLevel.REPORTER}))
    with pytest.raises(RequestRejected, match="not allowed here: Developer; allowed: Reporter"):
        submit_request(ADA, _draft(access_level=AccessLevel.DEVELOPER), deps=reporters)


def test_a_request_the_policy_has_since_forbidden_is_refused_at_approval(
    deps: RequestDeps,
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    tightened = _with(deps, allowed_scopes=frozenset({Scope.READ_REPOSITORY}))
    with pytest.raises(RequestError, match="policy no longer allows this request: not allowed"):
        approve_request(request.id, MEI, deps=tightened)


def test_a_policy_that_now_asks_more_approvals_waits_for_them(deps: RequestDeps) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    assert request.required_approvals == 1
    stricter = _with(deps, approvals=2)
    once = approve_request(request.id, MEI, deps=stricter)
    assert (once.state, once.required_approvals) == (RequestState.PENDING, 2)
    assert approve_request(request.id, OLA, deps=stricter).state is RequestState.APPROVED


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"max_lifetime_days": 7}, "policy no longer allows this request: at most 7 days"),
        ({"requesters": ("acme/admins",)}, "policy lets only members of acme/admins"),
        ({"approvals": 2}, "policy now asks 2 approvals for this request and it has 1"),
    ],
)
def test_provisioning_refuses_what_the_policy_no_longer_allows(
    deps: RequestDeps, gitlab: FakeGitLab, rule: dict[str, object], reason: str
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    outcome = provision_request(request.id, deps=_with(deps, **rule))
    assert outcome.request.state is RequestState.FAILED
    assert reason in (outcome.request.failure or "")
    assert gitlab.created == []
