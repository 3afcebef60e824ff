"""Token requests with fakes: policy, no escalation, approvals, exactly-once, one reveal."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.audit import AuditAction
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import Delivery, RequestDraft, RequestError, RequestState
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.gitlab_errors import ValidationError
from bot.services.provisioning import provision_request
from bot.services.request_rotation import rotate_request_token
from bot.services.reveal import discard_unrevealed
from bot.services.token_requests import (
    NotAllowedError,
    Person,
    RequestDeps,
    RequestRejected,
    approve_request,
    cancel_request,
    deny_request,
    expire_requests,
    requests_of,
    submit_request,
    waiting_for,
)
from tests.fake_gitlab import FakeGitLab
from tests.fakes import FakeRequestUnitOfWork, reveal_now

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ADA = Person("U0ADA", 11)  # developer on the project: the requester
MEI = Person("U0MEI", 12)  # maintainer
OLA = Person("U0OLA", 13)  # owner of the group
DEV = Person("U0DEV", 14)  # another developer
PROJECT, GROUP = "acme/api", "acme"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def gitlab() -> FakeGitLab:
    fake = FakeGitLab()
    fake.group(GROUP)
    fake.project(PROJECT)
    fake.project("acme/deploy")
    for person, role in (
        (ADA, AccessLevel.DEVELOPER),
        (MEI, AccessLevel.MAINTAINER),
        (OLA, AccessLevel.OWNER),
        (DEV, AccessLevel.DEVELOPER),
    ):
        fake.member(person.gitlab_id, PROJECT, role)
    fake.member(OLA.gitlab_id, GROUP, AccessLevel.OWNER)
    fake.member(ADA.gitlab_id, GROUP, AccessLevel.DEVELOPER)
    fake.member(ADA.gitlab_id, "acme/deploy", AccessLevel.MAINTAINER)
    return fake


@pytest.fixture
def uow() -> FakeRequestUnitOfWork:
    return FakeRequestUnitOfWork()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(uow: FakeRequestUnitOfWork, gitlab: FakeGitLab, clock: Clock) -> RequestDeps:
    ids = (f"req{n}" for n in itertools.count(1))
    return RequestDeps(
        uow=uow, gitlab=gitlab, policy=RequestPolicy(), clock=clock, new_id=lambda: next(ids)
    )


def _draft(**changes: object) -> RequestDraft:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        PROJECT,
        "ci-reader",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2026, 12, 22),
        "CI reads the API to build release notes",
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def test_a_valid_request_is_stored_pending_with_an_audit_event(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    assert request.state is RequestState.PENDING
    assert request.required_approvals == 1
    assert request.pending_until == NOW + timedelta(days=7)
    assert uow.store.requests[request.id] == request
    assert [e.action for e in uow.store.audit] == [AuditAction.REQUESTED]


def test_field_problems_are_all_reported_and_nothing_is_stored(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    bad = _draft(name=" ", scopes=(Scope.READ_USER,), expires_on=date(2026, 11, 22), reason="x")
    with pytest.raises(RequestRejected) as caught:
        submit_request(ADA, bad, deps=deps)
    assert {p.field for p in caught.value.problems} == {"name", "scopes", "expires_on", "reason"}
    assert uow.store.requests == {}
    assert uow.store.audit == []


def test_a_role_above_the_requesters_own_is_refused(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected) as caught:
        submit_request(ADA, _draft(access_level=AccessLevel.MAINTAINER), deps=deps)
    assert caught.value.problems[0].field == "role"
    assert "you are Developer on acme/api" in caught.value.problems[0].message


def test_scopes_that_need_more_than_the_requesters_role_are_refused(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    gitlab.member(ADA.gitlab_id, PROJECT, AccessLevel.REPORTER)
    with pytest.raises(RequestRejected) as caught:
        submit_request(ADA, _draft(scopes=(Scope.WRITE_REPOSITORY,)), deps=deps)
    assert caught.value.problems[0].field == "scopes"


def test_a_non_member_and_an_unknown_target_are_refused(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected, match="not a member"):
        submit_request(Person("U0X", 99), _draft(), deps=deps)
    with pytest.raises(RequestRejected, match="was not found"):
        submit_request(ADA, _draft(target="acme/nope"), deps=deps)


def test_a_project_token_for_a_group_path_is_refused(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected, match="lives in a project"):
        submit_request(ADA, _draft(target=GROUP), deps=deps)


def test_risky_requests_need_two_different_approvers(deps: RequestDeps) -> None:
    request = submit_request(
        ADA, _draft(scopes=(Scope.API,), access_level=AccessLevel.DEVELOPER), deps=deps
    )
    assert request.risk_flags == ("api scope",)
    assert request.required_approvals == 2
    once = approve_request(request.id, MEI, deps=deps)
    assert once.state is RequestState.PENDING
    with pytest.raises(RequestError, match="approved this request already"):
        approve_request(request.id, MEI, deps=deps)
    twice = approve_request(request.id, OLA, deps=deps)
    assert twice.state is RequestState.APPROVED


def test_the_requester_cannot_approve_their_own_request(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    gitlab.member(ADA.gitlab_id, PROJECT, AccessLevel.OWNER)
    request = submit_request(ADA, _draft(), deps=deps)
    with pytest.raises(NotAllowedError, match="your own request"):
        approve_request(request.id, ADA, deps=deps)


def test_an_approver_without_rights_changes_nothing(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    with pytest.raises(NotAllowedError, match="needs Maintainer or higher on acme/api"):
        approve_request(request.id, DEV, deps=deps)
    assert uow.store.requests[request.id].approvals == ()


def test_group_tokens_need_an_owner_to_approve(deps: RequestDeps, gitlab: FakeGitLab) -> None:
    gitlab.member(MEI.gitlab_id, GROUP, AccessLevel.MAINTAINER)
    request = submit_request(
        ADA, _draft(token_type=TokenType.GROUP_ACCESS_TOKEN, target=GROUP), deps=deps
    )
    with pytest.raises(NotAllowedError, match="needs Owner"):
        approve_request(request.id, MEI, deps=deps)
    approve_request(request.id, OLA, deps=deps)


def test_configured_approvers_may_approve_without_a_gitlab_role(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab, clock: Clock
) -> None:
    configured = replace(deps, policy=RequestPolicy(approvers=frozenset({DEV.chat_id})), gate=None)
    request = submit_request(ADA, _draft(), deps=configured)
    assert approve_request(request.id, DEV, deps=configured).state is RequestState.APPROVED


def test_policy_is_enforced_again_at_approval(deps: RequestDeps) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    stricter = replace(deps, policy=RequestPolicy(rules={}))
    with pytest.raises(RequestError, match="policy no longer allows"):
        approve_request(request.id, MEI, deps=stricter)


def test_deny_needs_a_reason_and_records_who(deps: RequestDeps) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    with pytest.raises(RequestError, match="say why"):
        deny_request(request.id, MEI, "  ", deps=deps)
    denied = deny_request(request.id, MEI, "use the CI job token instead", deps=deps)
    assert (denied.state, denied.decided_by) == (RequestState.DENIED, MEI.chat_id)


def test_only_the_requester_can_cancel(deps: RequestDeps) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    with pytest.raises(RequestError, match="only the requester"):
        cancel_request(request.id, MEI.chat_id, deps=deps)
    assert cancel_request(request.id, ADA.chat_id, deps=deps).state is RequestState.CANCELLED


def test_undecided_requests_expire_after_the_pending_time(deps: RequestDeps, clock: Clock) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    clock.now = NOW + timedelta(days=7)
    with pytest.raises(RequestError, match="expired"):
        approve_request(request.id, MEI, deps=deps)
    assert [r.id for r in expire_requests(deps=deps)] == [request.id]


def test_provisioning_happens_once_and_the_secret_is_revealed_once(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab, clock: Clock
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    first = provision_request(request.id, deps=deps)
    second = provision_request(request.id, deps=deps)
    assert first.started
    assert not second.started
    assert len(gitlab.created) == 1
    assert first.request.state is RequestState.PROVISIONED
    with pytest.raises(RequestError, match="only the requester"):
        reveal_now(request.id, MEI, deps=deps)
    _, secret = reveal_now(request.id, ADA, deps=deps)
    assert secret.reveal().startswith("glpat-fake")
    with pytest.raises(RequestError, match="already revealed"):
        reveal_now(request.id, ADA, deps=deps)
    actions = [e.action for e in uow.store.audit]
    assert actions[-3:] == [AuditAction.PROVISIONING, AuditAction.PROVISIONED, AuditAction.REVEALED]
    assert all(secret.reveal() not in str(e.details) for e in uow.store.audit)


def test_a_lost_claim_does_not_call_gitlab(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    uow.store.claim_refusals = 1
    assert provision_request(request.id, deps=deps).started is False
    assert gitlab.created == []


def test_a_gitlab_failure_leaves_a_failed_request_an_approver_can_retry(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    gitlab.fail_create = ValidationError("GitLab refused the request: Name can't be blank")
    failed = provision_request(request.id, deps=deps).request
    assert failed.state is RequestState.FAILED
    assert failed.failure == "GitLab refused the request: Name can't be blank"
    retried = provision_request(request.id, deps=deps).request
    assert retried.state is RequestState.PROVISIONED


def test_an_unrevealed_secret_is_discarded_after_its_time(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, clock: Clock
) -> None:
    request = submit_request(ADA, _draft(), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    provision_request(request.id, deps=deps)
    clock.now = NOW + timedelta(hours=1)
    assert discard_unrevealed(deps=deps) == [request.id]
    with pytest.raises(RequestError, match="rotate the token"):
        reveal_now(request.id, ADA, deps=deps)


def test_delivery_into_a_ci_variable_keeps_no_secret(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab
) -> None:
    draft = _draft(
        delivery=Delivery.CI_VARIABLE, variable_project="acme/deploy", variable_key="API_TOKEN"
    )
    request = submit_request(ADA, draft, deps=deps)
    approve_request(request.id, MEI, deps=deps)
    provision_request(request.id, deps=deps)
    assert ("acme/deploy", "API_TOKEN") in gitlab.variables
    assert uow.store.secrets == {}
    assert AuditAction.DELIVERED in [e.action for e in uow.store.audit]


def test_a_failed_variable_write_revokes_the_new_token(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    draft = _draft(
        delivery=Delivery.CI_VARIABLE, variable_project="acme/deploy", variable_key="API_TOKEN"
    )
    request = submit_request(ADA, draft, deps=deps)
    approve_request(request.id, MEI, deps=deps)
    gitlab.fail_variable = ValidationError("GitLab refused the request: value is invalid")
    result = provision_request(request.id, deps=deps).request
    assert result.state is RequestState.FAILED
    assert len(gitlab.revoked) == 1


def test_variable_delivery_needs_maintainer_on_that_project(deps: RequestDeps) -> None:
    draft = _draft(
        delivery=Delivery.CI_VARIABLE, variable_project=PROJECT, variable_key="API_TOKEN"
    )
    with pytest.raises(RequestRejected, match="Maintainer or higher on that project"):
        submit_request(ADA, draft, deps=deps)


def _provisioned(deps: RequestDeps, **changes: object) -> str:
    request = submit_request(ADA, _draft(**changes), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    provision_request(request.id, deps=deps)
    reveal_now(request.id, ADA, deps=deps)
    return request.id


def test_a_rotation_keeps_the_expiry_and_hands_out_a_fresh_secret_once(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab
) -> None:
    request_id = _provisioned(deps)
    old_id = uow.store.requests[request_id].gitlab_token_id
    rotation = rotate_request_token(request_id, ADA, deps=deps)
    assert rotation.rotated
    assert rotation.to_reveal
    ((ref, expires_on),) = gitlab.rotated
    assert ref.gitlab_id == old_id
    assert ref.namespace == gitlab.places[PROJECT]
    assert expires_on == date(2026, 12, 22)  # not GitLab's rotation default of a week
    assert rotation.request.state is RequestState.PROVISIONED
    assert rotation.request.gitlab_token_id != old_id
    _, secret = reveal_now(request_id, ADA, deps=deps)
    assert secret.reveal() == f"glpat-fake{rotation.request.gitlab_token_id:016d}"
    rotated = [e for e in uow.store.audit if e.action is AuditAction.ROTATED]
    assert rotated[0].details["old_gitlab_token_id"] == str(old_id)


def test_only_the_requester_rotates_and_not_after_expiry(
    deps: RequestDeps, gitlab: FakeGitLab, clock: Clock
) -> None:
    request_id = _provisioned(deps)
    with pytest.raises(RequestError, match="only the requester"):
        rotate_request_token(request_id, MEI, deps=deps)
    clock.now = datetime(2026, 12, 22, 0, 0, tzinfo=UTC)  # 00:00 UTC on the expiry day
    with pytest.raises(RequestError, match="expired on 2026-12-22"):
        rotate_request_token(request_id, ADA, deps=deps)
    assert gitlab.rotated == []


def test_a_refused_rotation_leaves_the_old_token_in_place(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab
) -> None:
    request_id = _provisioned(deps)
    gitlab.fail_rotate = ValidationError("GitLab refused the request: token is revoked")
    rotation = rotate_request_token(request_id, ADA, deps=deps)
    assert not rotation.rotated
    assert rotation.problem == "GitLab refused the request: token is revoked"
    assert rotation.request.state is RequestState.PROVISIONED
    assert uow.store.secrets == {}
    assert uow.store.audit[-1].action is AuditAction.ROTATION_FAILED
    assert rotate_request_token(request_id, ADA, deps=deps).rotated  # may try again


def test_a_rotated_variable_token_is_written_again_or_waits_to_be_revealed(
    deps: RequestDeps, uow: FakeRequestUnitOfWork, gitlab: FakeGitLab
) -> None:
    request = submit_request(
        ADA,
        _draft(
            delivery=Delivery.CI_VARIABLE, variable_project="acme/deploy", variable_key="API_TOKEN"
        ),
        deps=deps,
    )
    approve_request(request.id, MEI, deps=deps)
    provision_request(request.id, deps=deps)
    first = gitlab.variables[("acme/deploy", "API_TOKEN")]
    rotation = rotate_request_token(request.id, ADA, deps=deps)
    assert not rotation.to_reveal
    assert gitlab.variables[("acme/deploy", "API_TOKEN")] != first
    assert uow.store.secrets == {}
    gitlab.fail_variable = ValidationError("GitLab refused the request: value is invalid")
    rotation = rotate_request_token(request.id, ADA, deps=deps)
    assert rotation.rotated
    assert rotation.to_reveal
    assert "could not be updated" in str(rotation.problem)
    assert request.id in uow.store.secrets


def test_waiting_for_lists_what_this_person_may_decide(deps: RequestDeps, clock: Clock) -> None:
    project = submit_request(ADA, _draft(), deps=deps)
    clock.now = NOW + timedelta(minutes=1)
    group = submit_request(
        ADA,
        _draft(token_type=TokenType.GROUP_ACCESS_TOKEN, target=GROUP, name="group-reader"),
        deps=deps,
    )
    assert [r.id for r in waiting_for(MEI, deps=deps)] == [project.id]  # not the group one
    assert {r.id for r in waiting_for(OLA, deps=deps)} == {project.id, group.id}
    assert waiting_for(ADA, deps=deps) == []  # never one's own
    assert waiting_for(DEV, deps=deps) == []
    approve_request(project.id, MEI, deps=deps)
    assert project.id not in [r.id for r in waiting_for(MEI, deps=deps)]
    assert [r.id for r in requests_of(ADA.chat_id, deps=deps)] == [group.id, project.id]


def test_the_same_request_submitted_twice_is_stored_once(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    submit_request(ADA, _draft(), deps=deps)
    with pytest.raises(RequestRejected, match="open request for 'ci-reader' there already"):
        submit_request(ADA, _draft(), deps=deps)
    assert len(uow.store.requests) == 1
    submit_request(ADA, _draft(name="another-reader"), deps=deps)
    assert len(uow.store.requests) == 2


def test_long_reasons_and_names_are_refused_by_policy_not_only_by_the_form(
    deps: RequestDeps,
) -> None:
    """Slack's max_length can be bypassed by a forged request; policy bounds what is stored."""
    with pytest.raises(RequestRejected, match="at most 1,000 characters"):
        submit_request(ADA, _draft(reason="x" * 1001), deps=deps)
    with pytest.raises(RequestRejected, match="1 to 255 characters"):
        submit_request(ADA, _draft(name="n" * 256), deps=deps)
    request = submit_request(ADA, _draft(), deps=deps)
    with pytest.raises(RequestError, match="at most 500 characters"):
        deny_request(request.id, MEI, "no " * 200, deps=deps)
