"""Exactly once through the real gateway, the simulator and a real database.

GitLab's answer can be lost after it did the work (502 from the proxy, a dropped connection,
a read timeout), and a worker can die at any line. Each test sets up one such moment and
checks what matters afterwards: how many live credentials bear the request's mark, whether
the request ended provisioned (one, delivered) or failed (none), and that nothing is stuck.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.minted import MintedStatus
from bot.domain.provenance import request_of
from bot.domain.request_policy import RequestPolicy, RiskRule
from bot.domain.requests import Delivery, RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.sandbox import AccessLevel as GitLabRole
from bot.services.gitlab_errors import OutcomeUnknownError
from bot.services.minting import Attempt, spec_of
from bot.services.orphans import revoke_orphan
from bot.services.ports import ConcurrentUpdateError
from bot.services.provisioning import Provisioning, provision_request
from bot.services.reconciler import Orphan, ReconcileDeps, reconcile
from bot.services.token_requests import (
    NotAllowedError,
    Person,
    RequestDeps,
    approve_request,
    submit_request,
)
from tests.integration.gitlab.conftest import NOW, TODAY, Company

TIMEOUT = timedelta(seconds=300)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def pass_timeout(self) -> None:
        self.now += TIMEOUT + timedelta(seconds=1)


@dataclass
class Told:
    finished: list[Provisioning] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    interrupted: list[TokenRequest] = field(default_factory=list)  # rotations left behind


class Notifier:
    def __init__(self, told: Told) -> None:
        self._told = told

    def finished(self, outcome: Provisioning) -> None:
        self._told.finished.append(outcome)

    def orphan(self, orphan: Orphan) -> None:
        self._told.orphans.append(orphan)

    def rotation_interrupted(self, request: TokenRequest) -> None:
        self._told.interrupted.append(request)


@dataclass
class World:
    company: Company
    deps: RequestDeps
    clock: Clock
    told: Told
    olga: Person
    alice: Person

    def reconcile_deps(self) -> ReconcileDeps:
        return ReconcileDeps(self.deps, timeout=TIMEOUT, notify=Notifier(self.told))

    def approved(self, name: str = "release-notes", **changes: object) -> TokenRequest:
        fields: dict[str, object] = {
            "token_type": TokenType.PROJECT_ACCESS_TOKEN,
            "target": "acme/platform/api",
            "name": name,
            "scopes": (Scope.READ_API,),
            "access_level": AccessLevel.REPORTER,
            "expires_on": TODAY + timedelta(days=30),
            "reason": "CI reads merged MRs to write release notes",
        } | changes
        request = submit_request(self.alice, RequestDraft(**fields), deps=self.deps)  # type: ignore[arg-type]
        return approve_request(request.id, self.olga, deps=self.deps)

    def live_marked(self, request_id: str) -> list[int]:
        """GitLab ids of live credentials of any kind bearing the request's mark."""
        state, now = self.company.sim.state, self.clock()
        found = [
            t.id
            for t in state.tokens.values()
            if t.is_active(now)
            and request_of(TokenType.PROJECT_ACCESS_TOKEN, t.name, t.description or "")
            == request_id
        ]
        found += [
            t.id
            for t in state.deploy_tokens.values()
            if t.is_active(now) and request_of(TokenType.DEPLOY_TOKEN, t.name, "") == request_id
        ]
        return found

    def request(self, request_id: str) -> TokenRequest:
        with self.deps.uow() as uow:
            request = uow.requests.get(request_id)
        assert request is not None
        return request

    def actions(self, request_id: str) -> list[AuditAction]:
        with self.deps.uow() as uow:
            return [e.action for e in uow.audit.events() if e.request_id == request_id]


@pytest.fixture
def world(company: Company, db: Engine) -> World:
    box = FernetBox("an-encryption-key-for-tests-only-0123456789")
    ids = (f"req{n:04d}" for n in itertools.count(1))
    clock = Clock()
    deps = RequestDeps(
        uow=lambda: SqlUnitOfWork(db, box),
        gitlab=company.gateway(timeout_seconds=1.0),
        policy=RequestPolicy(risky=RiskRule(approvals=1)),
        clock=clock,
        new_id=lambda: next(ids),
    )
    state = company.sim.state
    olga = state.add_user("olga", name="Olga Owner")
    state.add_member(olga, company.acme, GitLabRole.OWNER)
    return World(
        company, deps, clock, Told(), Person("U0OLGA", olga.id), Person("U0ALICE", company.alice.id)
    )


LOST_ANSWERS: dict[str, Callable[[Company], object]] = {
    "502 after create": lambda c: c.sim.faults.error(
        502, method="POST", path="*/access_tokens", after=True
    ),
    "connection dropped after create": lambda c: c.sim.faults.drop_connection(
        method="POST", path="*/access_tokens", after=True
    ),
    # The client waits 1 s (the world's gateway); GitLab made the token, then answers late.
    "answer slower than the client waits": lambda c: c.sim.faults.latency(
        1500, method="POST", path="*/access_tokens", count=1, after=True
    ),
}


@pytest.mark.parametrize("fault", list(LOST_ANSWERS))
def test_a_lost_create_answer_is_resolved_by_adopting_what_gitlab_made(
    world: World, fault: str
) -> None:
    request = world.approved()
    LOST_ANSWERS[fault](world.company)
    outcome = provision_request(request.id, deps=world.deps).request
    # The look-up right after the lost answer found the token and took it over.
    assert outcome.state is RequestState.PROVISIONED
    assert world.live_marked(request.id) == [outcome.gitlab_token_id]
    assert AuditAction.ADOPTED in world.actions(request.id)
    assert outcome.unsure_since is not None  # the reconciler checks once more, later


def test_retry_after_an_unanswered_create_never_mints_a_second_token(world: World) -> None:
    request = world.approved()
    # The answer is lost, and the look-up that follows fails too: tokenbot cannot know.
    world.company.sim.faults.error(502, method="POST", path="*/access_tokens", after=True)
    world.company.sim.faults.error(502, method="GET", path="*/access_tokens", count=10)
    failed = provision_request(request.id, deps=world.deps).request
    assert failed.state is RequestState.FAILED
    assert "Retry is safe" in (failed.failure or "")
    assert len(world.live_marked(request.id)) == 1  # GitLab made one
    world.company.sim.faults.clear()
    done = provision_request(request.id, deps=world.deps).request  # an approver's Retry
    assert done.state is RequestState.PROVISIONED
    assert world.live_marked(request.id) == [done.gitlab_token_id]


def test_a_request_left_in_provisioning_by_a_dead_worker_is_finished_by_the_reconciler(
    world: World,
) -> None:
    request = world.approved()
    # The worker claimed it, recorded that it was about to send, sent the create, and died
    # before the answer came back: GitLab holds the token, the database says provisioning.
    with world.deps.uow() as uow:
        claimed = uow.requests.claim_for_provisioning(request.id, world.clock())
        uow.commit()
    assert claimed is not None
    attempt = Attempt(claimed, world.deps)
    attempt.before_send()
    world.deps.gitlab.create_token(spec_of(attempt.request))
    # Not yet: the worker may only be slow.
    assert reconcile(deps=world.reconcile_deps()).finished == []
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.finished == [request.id]
    done = world.request(request.id)
    assert done.state is RequestState.PROVISIONED
    assert world.live_marked(request.id) == [done.gitlab_token_id]
    with world.deps.uow() as uow:
        assert uow.secrets.expiry(request.id) is not None  # waiting behind Reveal
    assert [o.request.id for o in world.told.finished] == [request.id]


def test_a_dead_worker_that_never_reached_gitlab_leaves_a_failed_retryable_request(
    world: World,
) -> None:
    request = world.approved()
    with world.deps.uow() as uow:
        uow.requests.claim_for_provisioning(request.id, world.clock())
        uow.commit()
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.rolled_back == [request.id]
    failed = world.request(request.id)
    assert failed.state is RequestState.FAILED
    assert failed.unsure_since is None
    assert world.live_marked(request.id) == []
    assert provision_request(request.id, deps=world.deps).request.state is RequestState.PROVISIONED


def test_a_create_that_lands_after_the_look_up_is_revoked_once_no_answer_can_come(
    world: World,
) -> None:
    request = world.approved()
    # A 502 from the proxy while Rails is still working: the look-up finds nothing yet.
    world.company.sim.faults.error(502, method="POST", path="*/access_tokens")
    failed = provision_request(request.id, deps=world.deps).request
    assert failed.state is RequestState.FAILED
    assert failed.unsure_since is not None
    late = world.deps.gitlab.create_token(spec_of(world.request(request.id)))  # Rails finished
    assert world.live_marked(request.id) == [late.record.gitlab_id]
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.settled == 1
    assert result.revoked == 1
    assert world.live_marked(request.id) == []
    assert world.request(request.id).unsure_since is None
    assert AuditAction.COMPENSATED in world.actions(request.id)


def test_a_variable_that_cannot_be_written_revokes_the_token_even_when_the_revoke_fails(
    world: World,
) -> None:
    request = world.approved(
        delivery=Delivery.CI_VARIABLE,
        variable_project="acme/platform/api",
        variable_key="RELEASE_TOKEN",
    )
    faults = world.company.sim.faults
    faults.error(500, method="POST", path="*/variables", count=10)
    faults.error(500, method="DELETE", path="*/access_tokens/*", count=10)
    failed = provision_request(request.id, deps=world.deps).request
    assert failed.state is RequestState.FAILED
    assert len(world.live_marked(request.id)) == 1  # the revoke did not go through
    with world.deps.uow() as uow:
        [entry] = uow.minted.of_request(request.id)
    assert entry.status is MintedStatus.REVOKING
    assert entry.exposed
    faults.clear()
    result = reconcile(deps=world.reconcile_deps())
    assert result.revoked == 1
    assert result.revokes_pending == 0
    assert world.live_marked(request.id) == []


def test_a_marked_token_that_is_not_what_was_approved_is_reported_not_adopted(
    world: World,
) -> None:
    request = world.approved()
    # Someone with the rights makes a Maintainer token and types this request's mark on it.
    forged = spec_of(request)
    from dataclasses import replace

    fake = world.deps.gitlab.create_token(replace(forged, access_level=AccessLevel.MAINTAINER))
    with world.deps.uow() as uow:
        current = uow.requests.get(request.id)
        assert current is not None
        uow.requests.update(replace(current, unsure_since=world.clock()))
        uow.commit()
    done = provision_request(request.id, deps=world.deps).request
    assert done.state is RequestState.PROVISIONED
    assert done.gitlab_token_id != fake.record.gitlab_id  # a new one, as approved
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.reported == 1
    [orphan] = world.told.orphans
    assert orphan.record.access_level is AccessLevel.MAINTAINER
    with pytest.raises(NotAllowedError):
        revoke_orphan(
            request.id,
            orphan.record.token_type,
            orphan.record.gitlab_id,
            Person("U0DAN", world.company.dan.id),
            deps=world.deps,
        )
    revoke_orphan(
        request.id, orphan.record.token_type, orphan.record.gitlab_id, world.olga, deps=world.deps
    )
    assert world.live_marked(request.id) == [done.gitlab_token_id]


def test_an_unanswered_rotation_is_never_sent_again_blindly(world: World) -> None:
    request = world.approved()
    done = provision_request(request.id, deps=world.deps).request
    world.company.sim.faults.error(502, method="POST", path="*/rotate", after=True)
    from bot.services.request_rotation import rotate_request_token

    first = rotate_request_token(request.id, world.alice, deps=world.deps)
    assert not first.rotated
    second = rotate_request_token(request.id, world.alice, deps=world.deps)
    # The second rotation found the successor GitLab made (it keeps the mark) and rotated
    # that one: one live token, and GitLab did not revoke the family.
    assert second.rotated
    assert world.live_marked(request.id) == [second.request.gitlab_token_id]
    assert second.request.gitlab_token_id != done.gitlab_token_id


def test_the_dead_worker_cannot_finish_a_request_the_reconciler_took_over(world: World) -> None:
    request = world.approved()
    with world.deps.uow() as uow:
        claimed = uow.requests.claim_for_provisioning(request.id, world.clock())
        uow.commit()
    assert claimed is not None
    slow = Attempt(claimed, world.deps)  # a worker that hangs past the timeout
    world.clock.pass_timeout()
    reconcile(deps=world.reconcile_deps())  # nothing was sent: back to FAILED
    with pytest.raises(ConcurrentUpdateError):
        slow.before_send()  # the hung worker wakes up: its next write is refused
    assert world.live_marked(request.id) == []


def test_the_outcome_unknown_message_does_not_send_people_to_the_inventory(
    world: World,
) -> None:
    world.company.sim.faults.error(502, method="POST", path="*/access_tokens", after=True)
    with pytest.raises(OutcomeUnknownError) as caught:
        world.deps.gitlab.create_token(spec_of(world.approved()))
    assert "tokenbot inventory" not in str(caught.value)
