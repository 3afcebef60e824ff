"""A rotation a dead process left in ROTATING is ended by the reconciler, from GitLab's list.

The Rotate button claims the request (ROTATING), records that the rotate is about to be sent,
sends it, and records the answer. A process killed in between leaves the request ROTATING:
Rotate refuses it ("this request is rotating") until the reconciler, once the provisioning
timeout has passed, asks GitLab which credential bearing the request's mark is live.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from bot.domain.audit import AuditAction
from bot.domain.credentials import TokenRecord, TokenRef, TokenSpec
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.services.provisioning import provision_request
from bot.services.reconciler import Reconciliation, reconcile
from bot.services.request_rotation import rotate_request_token
from bot.services.token_requests import RequestDeps
from tests.fakes import reveal_now
from tests.integration.gitlab.conftest import TODAY
from tests.integration.gitlab.test_exactly_once import World, world

__all__ = ["world"]  # the fixture


def _died_rotating(world: World, *, gitlab_rotated: bool) -> TokenRequest:
    """A provisioned request whose Rotate was sent (and carried out by GitLab, or not) by a
    process that died before it recorded the answer."""
    request = provision_request(world.approved().id, deps=world.deps).request
    assert request.state is RequestState.PROVISIONED
    reveal_now(request.id, world.alice, deps=world.deps)  # Rotate is offered after the reveal
    request = world.request(request.id)
    now = world.clock()
    with world.deps.uow() as uow:
        rotating = uow.requests.update(request.rotating(world.alice.chat_id, today=TODAY, now=now))
        sent = uow.requests.update(rotating.sending(now))
        uow.commit()
    if gitlab_rotated:
        gitlab, draft = world.deps.gitlab, sent.draft
        ref = TokenRef(
            draft.token_type, request.gitlab_token_id or 0, gitlab.namespace(draft.target)
        )
        gitlab.rotate_token(ref, expires_on=draft.expires_on)  # its answer dies with the process
    return sent


def _stuck(world: World, request: TokenRequest) -> None:
    with pytest.raises(RequestError, match="this request is rotating"):
        rotate_request_token(request.id, world.alice, deps=world.deps)


def test_a_rotation_gitlab_never_did_goes_back_to_the_old_token(world: World) -> None:
    left = _died_rotating(world, gitlab_rotated=False)
    _stuck(world, left)
    assert reconcile(deps=world.reconcile_deps()).rotations == []  # it may still answer
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.rotations == [left.id]
    assert result.errors == []
    back = world.request(left.id)
    assert back.state is RequestState.PROVISIONED
    assert back.gitlab_token_id == left.gitlab_token_id
    assert back.unsure_since is None  # GitLab's list agrees: nothing to sweep
    assert world.live_marked(left.id) == [left.gitlab_token_id]
    assert world.told.interrupted == []  # the requester's secret still works
    actions = world.actions(left.id)
    assert actions[-2:] == [AuditAction.ROTATION_FAILED, AuditAction.RECONCILED]
    again = rotate_request_token(left.id, world.alice, deps=world.deps)
    assert again.rotated
    assert world.live_marked(left.id) == [again.request.gitlab_token_id]
    assert again.request.claimed_at == world.clock()  # the rotation's claim
    assert again.request.unsure_since is None  # its answer came


def test_a_rotation_gitlab_did_ends_on_the_successor_and_the_requester_is_told(
    world: World,
) -> None:
    left = _died_rotating(world, gitlab_rotated=True)
    [successor] = world.live_marked(left.id)
    assert successor != left.gitlab_token_id
    _stuck(world, left)
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.rotations == [left.id]
    assert result.revoked == 0  # the successor is the request's token, not an orphan
    done = world.request(left.id)
    assert (done.state, done.gitlab_token_id) == (RequestState.PROVISIONED, successor)
    assert done.unsure_since is None
    assert [r.id for r in world.told.interrupted] == [left.id]
    with world.deps.uow() as uow:
        assert uow.secrets.expiry(left.id) is None  # no secret is stored here
        [event] = [e for e in uow.audit.events() if e.action is AuditAction.RECONCILED]
    assert event.details["gitlab_token_id"] == str(successor)
    assert event.details["old_gitlab_token_id"] == str(left.gitlab_token_id)
    # Rotate acts on the live token: a fresh secret, one live token, the family intact.
    again = rotate_request_token(left.id, world.alice, deps=world.deps)
    assert again.rotated
    assert world.live_marked(left.id) == [again.request.gitlab_token_id]


def test_a_rotation_left_behind_waits_while_gitlab_cannot_be_asked(world: World) -> None:
    left = _died_rotating(world, gitlab_rotated=True)
    world.clock.pass_timeout()
    world.company.sim.faults.error(502, method="GET", path="*/access_tokens", count=None)
    result = reconcile(deps=world.reconcile_deps())
    assert result.rotations == []
    assert [e.split(":")[0] for e in result.errors] == [f"request {left.id}"]
    assert world.request(left.id).state is RequestState.ROTATING  # untouched
    assert world.told.interrupted == []
    world.company.sim.faults.clear()
    assert reconcile(deps=world.reconcile_deps()).rotations == [left.id]  # the next run
    assert world.request(left.id).state is RequestState.PROVISIONED


class _BothAsk:
    """A gateway through which two reconcilers ask GitLab at once, before either acts."""

    def __init__(self, deps: RequestDeps, barrier: threading.Barrier) -> None:
        self._gitlab = deps.gitlab
        self._barrier = barrier

    def marked_tokens(self, spec: TokenSpec, request_id: str) -> list[TokenRecord]:
        found = self._gitlab.marked_tokens(spec, request_id)
        self._barrier.wait(timeout=10)
        return found

    def __getattr__(self, name: str) -> object:
        return getattr(self._gitlab, name)


def test_of_two_reconcilers_at_once_only_one_takes_the_rotation_over(world: World) -> None:
    left = _died_rotating(world, gitlab_rotated=True)
    world.clock.pass_timeout()
    barrier = threading.Barrier(2)
    both = replace(world.deps, gitlab=_BothAsk(world.deps, barrier))  # type: ignore[arg-type]
    deps = replace(world.reconcile_deps(), requests=both)  # no lease: both run at once
    results: list[Reconciliation] = []

    def run() -> None:
        results.append(reconcile(deps=deps))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2
    assert sorted(len(r.rotations) for r in results) == [0, 1]
    assert [r.id for r in world.told.interrupted] == [left.id]
    assert world.actions(left.id).count(AuditAction.RECONCILED) == 1
    assert world.request(left.id).state is RequestState.PROVISIONED
