"""A request approved by a process that died before it claimed it is not left approved.

The approval is committed, then the same click claims the request for provisioning; a
process killed between the two leaves it APPROVED, its card saying "creating the token…"
without a Retry button. The reconciler takes it over once the provisioning timeout passed.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.requests import RequestDraft, RequestState
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.provisioning import provision_request
from bot.services.reconciler import reconcile
from bot.services.token_requests import submit_request
from tests.integration.gitlab.conftest import TODAY
from tests.integration.gitlab.test_exactly_once import World, world

__all__ = ["world"]  # the fixture


def test_an_approved_request_no_worker_claimed_goes_back_to_failed_for_retry(
    world: World,
) -> None:
    request = world.approved()  # and the process died before provision_request claimed it
    assert reconcile(deps=world.reconcile_deps()).rolled_back == []  # it may still come
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.rolled_back == [request.id]
    assert result.finished == []
    failed = world.request(request.id)
    assert failed.state is RequestState.FAILED
    assert failed.unsure_since is None  # nothing was sent
    assert world.live_marked(request.id) == []
    assert [o.request.id for o in world.told.finished] == [request.id]  # card and requester
    done = provision_request(request.id, deps=world.deps).request  # an approver's Retry
    assert done.state is RequestState.PROVISIONED
    assert world.live_marked(request.id) == [done.gitlab_token_id]


def test_a_request_still_waiting_for_approval_is_not_taken_over(world: World) -> None:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/platform/api",
        "waiting",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=30),
        "CI reads merged MRs to write release notes",
    )
    waiting = submit_request(world.alice, draft, deps=world.deps)
    world.clock.pass_timeout()
    result = reconcile(deps=world.reconcile_deps())
    assert result.rolled_back == []
    assert world.request(waiting.id).state is RequestState.PENDING
