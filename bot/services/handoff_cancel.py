"""Ending a hand-off the other way: the successor goes, the old token stays.

"Cancel hand-off" (by the owner or a manager, through the gate's revoke rule); a successor
GitLab no longer lists (revoked in GitLab, or by GitLab's leak detection); a successor whose
secret nobody revealed in time. A hand-off that delivered into a CI/CD variable cannot be
cancelled: the variable holds the new secret, and tokenbot never had the old one to put back.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.audit import AuditAction
from bot.domain.credentials import TokenRef
from bot.domain.handoff import Handoff, HandoffError, HandoffOutcome
from bot.domain.minted import MintedCredential
from bot.domain.requests import Delivery
from bot.services.compensation import revoke_now
from bot.services.handoff_steps import (
    HandoffDeps,
    allowed,
    audit_step,
    mark_revoked,
    revoke_pending,
)
from bot.services.people import Person
from bot.services.ports import ConcurrentUpdateError, UnitOfWork

NOT_IN_A_VARIABLE = (
    "this hand-off wrote the new secret into its CI/CD variable, and tokenbot never had the"
    " old one to put back: cancelling would leave the variable with a revoked token. Use"
    " Revoke the old one now, or let the hand-off finish"
)


def cancel_handoff(request_id: str, person: Person, *, deps: HandoffDeps) -> Handoff:
    """ "Cancel hand-off": revoke the successor (and any secret still waiting), keep the old."""
    handoff = allowed(request_id, person, deps)
    with deps.requests.uow() as uow:
        request = uow.requests.get(request_id)
    if request is not None and request.draft.delivery is Delivery.CI_VARIABLE:
        raise HandoffError(NOT_IN_A_VARIABLE)
    done = end_keeping_the_old(
        handoff, HandoffOutcome.CANCELLED, person.chat_id, deps=deps, revoke=True
    )
    if done is None:
        raise HandoffError("this hand-off ended meanwhile")
    return done


def end_keeping_the_old(
    handoff: Handoff, outcome: HandoffOutcome, by: str, *, deps: HandoffDeps, revoke: bool
) -> Handoff | None:
    """End the hand-off with the old token kept; `revoke`: the successor still exists in
    GitLab and must go. None when another worker ended it first."""
    requests = deps.requests
    now = requests.clock()
    ref = _successor_ref(handoff, deps) if revoke else None
    try:
        with requests.uow() as uow:
            done = uow.handoffs.update(handoff.cancelled(now, by, outcome))
            entry = _revoke_successor(uow, done, ref, outcome)
            mark_revoked(uow, done.successor_key, now)
            uow.secrets.take(done.request_id, now=now)  # a secret nobody may reveal now
            audit_step(uow, done, AuditAction.HANDOFF_CANCELLED, by, outcome=outcome.value)
            uow.commit()
    except ConcurrentUpdateError:
        return None
    if entry is not None:
        revoke_now(entry, deps=requests)  # unconfirmed, it stays pending for the reconciler
    return done


def cancel_unrevealed(uow: UnitOfWork, request_id: str, now: datetime) -> MintedCredential | None:
    """In the transaction that discards an unrevealed secret: a hand-off whose new secret
    nobody saw ends keeping the old token, and its successor goes (the ledger entry to send)."""
    handoff = uow.handoffs.get(request_id)
    if handoff is None or not handoff.active:
        return None
    done = uow.handoffs.update(handoff.cancelled(now, "tokenbot", HandoffOutcome.UNREVEALED))
    ref = TokenRef(done.token_type, done.successor_gitlab_id, None, done.successor_user_id)
    entry = revoke_pending(uow, done, ref, f"hand-off {done.request_id}: secret not revealed")
    mark_revoked(uow, done.successor_key, now)
    outcome = HandoffOutcome.UNREVEALED.value
    audit_step(uow, done, AuditAction.HANDOFF_CANCELLED, "tokenbot", outcome=outcome)
    return entry


def _successor_ref(handoff: Handoff, deps: HandoffDeps) -> TokenRef:
    namespace = deps.requests.gitlab.namespace(handoff.target)
    return TokenRef(
        handoff.token_type, handoff.successor_gitlab_id, namespace, handoff.successor_user_id
    )


def _revoke_successor(
    uow: UnitOfWork, handoff: Handoff, ref: TokenRef | None, outcome: HandoffOutcome
) -> MintedCredential | None:
    if ref is None:
        return None
    return revoke_pending(uow, handoff, ref, f"hand-off {handoff.request_id} {outcome.value}")
