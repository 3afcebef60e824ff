"""Revoke a credential the reconciler reported: a person decided, through the gate."""

from __future__ import annotations

from bot.domain.access import Action
from bot.domain.minted import MintedCredential
from bot.domain.requests import RequestError, RequestState
from bot.domain.tokens import TokenType
from bot.services.compensation import retire
from bot.services.gate import request_subject
from bot.services.minting import spec_of
from bot.services.people import Person
from bot.services.token_requests import RequestDeps


def revoke_orphan(
    request_id: str, token_type: TokenType, gitlab_id: int, person: Person, *, deps: RequestDeps
) -> MintedCredential:
    """Revoke a live credential bearing the request's mark that the request does not hold.

    The gate decides as for revoking the request's own token (its requester while their role
    covers it, a manager of its place, an admin). The credential is looked up in GitLab again,
    so a stale button cannot revoke anything else.
    """
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None:
        raise RequestError(f"there is no request {request_id}")
    gate = deps.gate
    subject = request_subject(request, gate.power_of_request(request))
    gate.require(Action.REVOKE, person, subject, request.draft.target)
    held = request.state in {RequestState.PROVISIONED, RequestState.ROTATING}
    if held and request.gitlab_token_id == gitlab_id:
        raise RequestError("this is the token the request holds now; revoke it from its reminder")
    live = deps.gitlab.marked_tokens(spec_of(request), request_id)
    found = [r for r in live if r.token_type is token_type and r.gitlab_id == gitlab_id]
    if not found:
        raise RequestError("GitLab no longer has this credential live: nothing to revoke")
    reason = f"revoked by {person.chat_id} after the reconciler reported it"
    return retire(request_id, [found[0].ref], reason, deps=deps)[0]
