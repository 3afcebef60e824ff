"""Rotate on a token someone requested (its DM, `/token mine`, the Home tab, shell `rotate ID`)
by hand-off where its type allows one: the same renewal request as Rotate on a reminder.

A token tokenbot made is tracked by the next sync; until then it is tracked here, from the
request (what was approved, with GitLab's id), so its hand-off can start at once.
"""

from __future__ import annotations

from bot.domain.handoff import can_hand_off, hands_off
from bot.domain.reminders import OwnerSource, TrackedToken, token_key
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.services.people import Person
from bot.services.renewals import RenewDeps, rotate_tracked_token
from bot.services.request_rotation import check_may_rotate


def hands_off_request(request: TokenRequest) -> bool:
    """Would Rotate on this requested token hand off (rather than rotate in place)?"""
    return request.state is RequestState.PROVISIONED and hands_off(request.draft.token_type)


def hand_off_request_token(
    request_id: str, person: Person, *, deps: RenewDeps
) -> TokenRequest | None:
    """The renewal request of the hand-off, or None where only in-place rotation applies."""
    requests = deps.requests
    with requests.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None:
        raise RequestError(f"there is no request {request_id}")
    if not hands_off_request(request) or request.gitlab_token_id is None:
        return None
    check_may_rotate(request_id, person, requests)  # the gate, before anything is written
    token = _tracked(request, deps)
    if not can_hand_off(token):
        return None
    return rotate_tracked_token(token.key, person, deps=deps)


def _tracked(request: TokenRequest, deps: RenewDeps) -> TrackedToken:
    """The token as tokenbot tracks it, tracking it now from the request if the sync has not."""
    draft, requests = request.draft, deps.requests
    assert request.gitlab_token_id is not None  # noqa: S101 - checked by the caller
    key = token_key(draft.token_type, request.gitlab_token_id)
    with requests.uow() as uow:
        known = uow.inventory.get(key)
    if known is not None:
        return known
    namespace = requests.gitlab.namespace(draft.target)
    token = TrackedToken(
        key=key,
        token_type=draft.token_type,
        gitlab_id=request.gitlab_token_id,
        name=draft.name,
        namespace=namespace,
        scopes=tuple(s.value for s in draft.scopes),
        access_level=draft.access_level,
        expires_on=draft.expires_on,
        user_id=request.token_user_id,
        owner=request.requester,
        owner_source=OwnerSource.REQUESTER,
        request_id=request.id,
    )
    with requests.uow() as uow:
        uow.inventory.track(token, token.place_key, requests.clock())
        uow.commit()
    return token
