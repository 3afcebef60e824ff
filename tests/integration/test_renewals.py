"""Rotate and Renew from a reminder, on a real database: requests that rotate, exactly once."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.bootstrap import utc_now
from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.credentials import TokenRecord
from bot.domain.reminders import TrackedStatus, token_key
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import Delivery, RequestDraft, RequestError, RequestState
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.gitlab_errors import GitLabError
from bot.services.inventory_sync import SyncDeps, sync_inventory
from bot.services.provisioning import provision_request
from bot.services.reminder_actions import ActionDeps
from bot.services.renewals import (
    RenewApproval,
    RenewDeps,
    renew_tracked_token,
    rotate_tracked_token,
)
from bot.services.token_requests import (
    Person,
    RequestDeps,
    RequestRejected,
    approve_request,
    requests_of,
    submit_request,
)
from tests.fake_gitlab import FakeGitLab
from tests.fakes import reveal_now

OWNER = Person("U0OWNER", 7)
DEV = Person("U0DEV", 8)
APPROVER = Person("U0APPROVER", 9)
TODAY = datetime.now(UTC).date()
KEY = token_key(TokenType.PROJECT_ACCESS_TOKEN, 1)


@pytest.fixture
def uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    box = FernetBox("test-only-key-0123456789-abcdefghijklmnop")
    return lambda: SqlUnitOfWork(db, box)


@pytest.fixture
def gitlab() -> FakeGitLab:
    fake = FakeGitLab()
    fake.group("acme")
    fake.project("acme/api")
    fake.member(DEV.gitlab_id, "acme/api", AccessLevel.DEVELOPER)
    fake.member(APPROVER.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    fake.member(OWNER.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    return fake


def _list(gitlab: FakeGitLab, gitlab_id: int = 1, days: int = 5) -> None:
    record = TokenRecord(
        TokenType.PROJECT_ACCESS_TOKEN,
        gitlab_id,
        "nightly-export",
        gitlab.places["acme/api"],
        ("read_api",),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=days),
    )
    gitlab.list_token("acme/api", record)


def _sync(gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork], owner: str | None) -> None:
    owners = {"acme": owner} if owner else {}
    sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=utc_now, owners=owners))


def _deps(
    gitlab: FakeGitLab,
    uow: Callable[[], SqlUnitOfWork],
    approval: RenewApproval = RenewApproval.RISKY,
) -> RenewDeps:
    ids = itertools.count(1)
    requests = RequestDeps(
        uow=uow,
        gitlab=gitlab,
        policy=RequestPolicy(),
        clock=utc_now,
        new_id=lambda: f"r{next(ids)}",
    )
    return RenewDeps(ActionDeps(uow, gitlab, utc_now), requests, approval)


def test_rotate_in_place_keeps_the_date_and_tracks_the_successor_for_the_clicker(
    gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork]
) -> None:
    _list(gitlab)
    _sync(gitlab, uow, OWNER.chat_id)
    deps = _deps(gitlab, uow)
    request = rotate_tracked_token(KEY, APPROVER, deps=deps, in_place=True)  # a Maintainer
    assert request.state is RequestState.APPROVED
    assert request.requester == APPROVER.chat_id  # the secret goes to who clicked
    assert request.renews is not None
    done = provision_request(request.id, deps=deps.requests)
    assert done.request.state is RequestState.PROVISIONED
    (ref, expires_on) = gitlab.rotated[-1]
    assert ref.gitlab_id == 1
    assert expires_on == TODAY + timedelta(days=5)
    assert gitlab.created == []  # rotated, not created
    with pytest.raises(RequestError):
        reveal_now(request.id, OWNER, deps=deps.requests)
    _, secret = reveal_now(request.id, APPROVER, deps=deps.requests)
    assert secret.reveal().startswith("glpat-")
    with uow() as unit:
        old = unit.inventory.get(KEY)
        new = unit.inventory.get(
            token_key(TokenType.PROJECT_ACCESS_TOKEN, done.request.gitlab_token_id or 0)
        )
        actions = [e.action for e in unit.audit.events()]
    assert old is not None
    assert old.status is TrackedStatus.REVOKED
    assert new is not None
    assert new.owner == APPROVER.chat_id
    assert new.expires_on == TODAY + timedelta(days=5)
    assert AuditAction.ROTATION_REQUESTED in actions
    assert AuditAction.ROTATED in actions


def test_who_may_rotate_and_when_not(gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork]) -> None:
    _list(gitlab)
    _list(gitlab, gitlab_id=2, days=-1)  # expired yesterday
    _sync(gitlab, uow, OWNER.chat_id)
    deps = _deps(gitlab, uow)
    with pytest.raises(RequestError, match="Maintainer or higher"):
        rotate_tracked_token(KEY, DEV, deps=deps)
    expired = token_key(TokenType.PROJECT_ACCESS_TOKEN, 2)
    with pytest.raises(RequestError, match="cannot be rotated; request a new one"):
        rotate_tracked_token(expired, OWNER, deps=deps)
    gitlab.fail_rotate = GitLabError("GitLab is down")
    first = rotate_tracked_token(KEY, OWNER, deps=deps, in_place=True)
    failed = provision_request(first.id, deps=deps.requests)
    assert failed.request.state is RequestState.FAILED
    with pytest.raises(RequestError, match="under way already"):  # the failed one is open
        rotate_tracked_token(KEY, OWNER, deps=deps)


@pytest.mark.parametrize(
    ("approval", "days", "state"),
    [
        (RenewApproval.RISKY, 60, RequestState.APPROVED),
        (RenewApproval.RISKY, 200, RequestState.PENDING),  # long lifetime is a risk flag
        (RenewApproval.NEVER, 200, RequestState.APPROVED),
        (RenewApproval.ALWAYS, 60, RequestState.PENDING),
    ],
)
def test_policy_decides_whether_a_renewal_needs_approval(
    gitlab: FakeGitLab,
    uow: Callable[[], SqlUnitOfWork],
    approval: RenewApproval,
    days: int,
    state: RequestState,
) -> None:
    _list(gitlab)
    _sync(gitlab, uow, OWNER.chat_id)
    deps = _deps(gitlab, uow, approval)
    new_date = TODAY + timedelta(days=days)
    request = renew_tracked_token(
        KEY, OWNER, expires_on=new_date, reason="the export still runs nightly", deps=deps
    )
    assert request.state is state
    if state is RequestState.PENDING:
        assert provision_request(request.id, deps=deps.requests).started is False
        approve_request(request.id, APPROVER, deps=deps.requests)
        if request.required_approvals == 2:
            with pytest.raises(RequestError):  # the owner may not approve their own renewal
                approve_request(request.id, OWNER, deps=deps.requests)
            return
    provision_request(request.id, deps=deps.requests)
    assert gitlab.rotated[-1][1] == new_date


def test_a_renewal_is_checked_against_policy_and_the_current_date(
    gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork]
) -> None:
    _list(gitlab, days=20)
    _sync(gitlab, uow, OWNER.chat_id)
    deps = _deps(gitlab, uow)
    with pytest.raises(RequestRejected) as rejected:
        renew_tracked_token(
            KEY, OWNER, expires_on=TODAY + timedelta(days=10), reason="x", deps=deps
        )
    fields = {p.field for p in rejected.value.problems}
    assert fields == {"expires_on", "reason"}
    with pytest.raises(RequestRejected, match="at most"):
        renew_tracked_token(
            KEY,
            OWNER,
            expires_on=TODAY + timedelta(days=900),
            reason="the export still runs nightly",
            deps=deps,
        )
    with uow() as unit:
        assert unit.requests.open_requests() == []  # nothing half-stored


def test_a_token_tokenbot_put_in_a_ci_variable_is_rewritten_or_kept_for_reveal(
    gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork]
) -> None:
    deps = _deps(gitlab, uow, RenewApproval.NEVER)
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "deployer",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=20),
        "deploys the api from CI",
        Delivery.CI_VARIABLE,
        "acme/api",
        "DEPLOY_TOKEN",
    )
    origin = submit_request(OWNER, draft, deps=deps.requests)
    approve_request(origin.id, APPROVER, deps=deps.requests)
    created = provision_request(origin.id, deps=deps.requests).request
    assert created.gitlab_token_id is not None
    first_value = gitlab.variables[("acme/api", "DEPLOY_TOKEN")]
    gitlab.list_token(
        "acme/api",
        TokenRecord(
            TokenType.PROJECT_ACCESS_TOKEN,
            created.gitlab_token_id,
            "deployer",
            gitlab.places["acme/api"],
            ("read_api",),
            AccessLevel.REPORTER,
            draft.expires_on,
        ),
    )
    _sync(gitlab, uow, None)  # the requester owns what tokenbot created
    key = token_key(TokenType.PROJECT_ACCESS_TOKEN, created.gitlab_token_id)

    renewal = rotate_tracked_token(key, OWNER, deps=deps, in_place=True)
    assert renewal.draft.delivery is Delivery.CI_VARIABLE
    done = provision_request(renewal.id, deps=deps.requests)
    assert done.problem is None
    assert gitlab.variables[("acme/api", "DEPLOY_TOKEN")] != first_value
    with pytest.raises(RequestError):  # nothing to reveal: it went into the variable
        reveal_now(renewal.id, OWNER, deps=deps.requests)
    shown = [r.id for r in requests_of(OWNER.chat_id, deps=deps.requests)]
    assert shown == [renewal.id]  # the rotated-away original is not listed twice

    successor = token_key(TokenType.PROJECT_ACCESS_TOKEN, done.request.gitlab_token_id or 0)
    gitlab.fail_variable = GitLabError("variables are read-only right now")
    again = rotate_tracked_token(successor, OWNER, deps=deps, in_place=True)
    kept = provision_request(again.id, deps=deps.requests)
    assert kept.request.state is RequestState.PROVISIONED
    assert kept.problem is not None
    assert "could not be updated" in kept.problem
    assert gitlab.revoked[-1].gitlab_id == done.request.gitlab_token_id  # only the rotated one
    _, secret = reveal_now(again.id, OWNER, deps=deps.requests)
    assert secret.reveal().startswith("glpat-")


# ---------------------------------------------------------------- Retry under today's policy
def _tightened() -> RequestPolicy:
    """Project tokens at most 7 days, only for members of acme/admins, read_repository only."""
    from bot.domain.request_policy import TypeRule

    rule = TypeRule(
        frozenset({Scope.READ_REPOSITORY}), max_lifetime_days=7, requesters=("acme/admins",)
    )
    return RequestPolicy(rules={TokenType.PROJECT_ACCESS_TOKEN: rule})


def test_a_failed_renewal_retried_after_the_policy_tightened_is_refused(
    gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork]
) -> None:
    """Found by an attack review: Retry of a renewal skipped the policy and could extend a
    token past today's maximum lifetime."""
    from dataclasses import replace

    _list(gitlab)
    _sync(gitlab, uow, OWNER.chat_id)
    deps = _deps(gitlab, uow, RenewApproval.NEVER)
    far = TODAY + timedelta(days=300)
    request = renew_tracked_token(
        KEY, OWNER, expires_on=far, reason="the export still runs nightly", deps=deps
    )
    gitlab.fail_rotate = GitLabError("GitLab is down")
    assert provision_request(request.id, deps=deps.requests).request.state is RequestState.FAILED
    gitlab.fail_rotate = None
    rotated_before = list(gitlab.rotated)
    retried = provision_request(request.id, deps=replace(deps.requests, policy=_tightened()))
    assert retried.request.state is RequestState.FAILED
    assert "policy no longer allows this request" in (retried.request.failure or "")
    assert "at most 7 days" in (retried.request.failure or "")
    assert gitlab.rotated == rotated_before  # nothing was sent to GitLab


def test_a_rotation_keeps_its_power_and_is_not_held_to_a_tighter_policy(
    gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork]
) -> None:
    """Rotate gives a fresh secret with the same expiry, scopes and role: the gate decides."""
    from dataclasses import replace

    _list(gitlab)
    _sync(gitlab, uow, OWNER.chat_id)
    deps = _deps(gitlab, uow)
    deps = replace(deps, requests=replace(deps.requests, policy=_tightened()))
    request = rotate_tracked_token(KEY, OWNER, deps=deps)
    assert provision_request(request.id, deps=deps.requests).request.state is (
        RequestState.PROVISIONED
    )
