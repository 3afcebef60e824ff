"""Handing a waiting secret over once: to its requester, while their role still covers it;
and discarding the secrets nobody revealed in time."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.access import Action
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import Secret
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.services.compensation import revoke_now
from bot.services.gate import request_subject
from bot.services.handoff_cancel import cancel_unrevealed
from bot.services.people import NotAllowedError, Person
from bot.services.provisioning import audit_request
from bot.services.token_requests import RequestDeps

GONE = (
    "The token's secret was already revealed, or nobody revealed it in time and it was"
    " discarded; rotate the token to get a fresh one."
)


ShowSecret = Callable[[TokenRequest, Secret], None]


def reveal_secret(
    request_id: str, person: Person, *, show: ShowSecret, deps: RequestDeps
) -> TokenRequest:
    """Show the secret once, to the requester only, while their role still covers it.

    It leaves the database as `show` is called and comes back unchanged if `show` raises (the
    modal did not open): a failed reveal leaves the button working, and only a shown secret is
    audited as revealed.
    """
    request = _revealable(request_id, person, deps)
    now = deps.clock()
    with deps.uow() as uow:
        until = uow.secrets.expiry(request_id)
        secret = uow.secrets.take(request_id, now=now)
        uow.commit()
    if secret is None or until is None:
        raise RequestError(GONE)
    try:
        show(request, secret)
    except BaseException:
        with deps.uow() as uow:
            uow.secrets.put(request_id, secret, expires_at=until)
            uow.commit()
        raise
    with deps.uow() as uow:
        audit_request(uow, request, AuditAction.REVEALED, deps.clock(), actor=person.chat_id)
        uow.commit()
    return request


def _revealable(request_id: str, person: Person, deps: RequestDeps) -> TokenRequest:
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None or request.requester != person.chat_id:
        raise NotAllowedError("only the requester can reveal this token")
    if request.state is not RequestState.PROVISIONED:
        raise RequestError(f"this request is {request.state.value}")
    gate = deps.gate
    subject = request_subject(request, gate.power_of_request(request))
    gate.require(Action.RECEIVE, person, subject, request.draft.target)
    return request


def discard_unrevealed(*, deps: RequestDeps) -> list[str]:
    """Delete secrets nobody revealed in time (default one hour). A hand-off whose new
    secret nobody saw ends in the same commit keeping the old token; its successor goes."""
    now = deps.clock()
    with deps.uow() as uow:
        gone = uow.secrets.discard_expired(now=now)
        revokes = []
        for request_id in gone:
            uow.audit.append(AuditEvent(now, AuditAction.SECRET_DISCARDED, request_id, "tokenbot"))
            revoke = cancel_unrevealed(uow, request_id, now)
            if revoke is not None:
                revokes.append(revoke)
        uow.commit()
    for entry in revokes:
        revoke_now(entry, deps=deps)  # unconfirmed, it stays pending for the reconciler
    return gone
