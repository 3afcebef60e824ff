"""What every hand-off step shares: its dependencies, who may end one early (the gate), the
revoke written to the ledger in the step's own commit, the tracked token marked revoked, the
audit event, a notice that may fail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.domain.access import Action
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import TokenRef
from bot.domain.handoff import Handoff, HandoffError, ended
from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.reminders import TrackedStatus
from bot.services.gate import request_subject
from bot.services.people import NotAllowedError, Person
from bot.services.ports import UnitOfWork
from bot.services.request_deps import RequestDeps

log = logging.getLogger(__name__)


class HandoffNotifier(Protocol):
    def successor_used(self, handoff: Handoff) -> None:
        """Tell the owner GitLab saw the new token in use (once per hand-off)."""

    def old_revoked(self, handoff: Handoff) -> None:
        """Tell the owner the old token was revoked, and why."""

    def successor_gone(self, handoff: Handoff) -> None:
        """Tell the owner the new token is gone from GitLab and the old one was kept."""


@dataclass(frozen=True, slots=True)
class HandoffDeps:
    requests: RequestDeps
    notify: HandoffNotifier | None = None


def allowed(request_id: str, person: Person, deps: HandoffDeps) -> Handoff:
    """The active hand-off, if the gate lets `person` revoke its tokens (owner or manager)."""
    requests = deps.requests
    with requests.uow() as uow:
        handoff = uow.handoffs.get(request_id)
        request = uow.requests.get(request_id)
    if handoff is None or request is None:
        raise HandoffError(f"there is no hand-off {request_id}")
    if not handoff.active:
        raise HandoffError(ended(handoff))
    gate = requests.gate
    subject = replace(request_subject(request, gate.power_of_request(request)), owner=handoff.owner)
    verdict = gate.require(Action.REVOKE, person, subject, handoff.target)
    if not verdict.allowed:
        raise NotAllowedError(verdict.reason)
    return handoff


def revoke_pending(
    uow: UnitOfWork, handoff: Handoff, ref: TokenRef, reason: str
) -> MintedCredential:
    """Write the revoke to the ledger in the step's own commit: a crash cannot lose it."""
    known = uow.minted.get(ref.token_type, ref.gitlab_id)
    now = handoff.finished_at or handoff.started_at
    entry = MintedCredential(
        request_id=handoff.request_id,
        ref=ref if ref.namespace is not None or known is None else known.ref,
        status=MintedStatus.REVOKING,
        recorded_at=known.recorded_at if known else now,
        exposed=True,  # its secret was handed out: it was the live token until now
        reason=reason,
        attempts=known.attempts if known else 0,
    )
    uow.minted.put(entry)
    return entry


def mark_revoked(uow: UnitOfWork, key: str, now: datetime) -> None:
    """Reminders and the Home tab stop showing it at once; the next sync agrees."""
    tracked = uow.inventory.get(key)
    if tracked is not None and tracked.status is TrackedStatus.ACTIVE:
        uow.inventory.update(replace(tracked, status=TrackedStatus.REVOKED), now)


def audit_step(
    uow: UnitOfWork, handoff: Handoff, action: AuditAction, actor: str, **details: str
) -> None:
    at = handoff.finished_at or handoff.successor_used_at or handoff.started_at
    ids = {
        "old_gitlab_token_id": str(handoff.old_gitlab_id),
        "gitlab_token_id": str(handoff.successor_gitlab_id),
        "where": handoff.target,
    }
    uow.audit.append(AuditEvent(at, action, handoff.request_id, actor, {**ids, **details}))


def tell_safely(send: Callable[[], object], handoff: Handoff) -> None:
    """A notice that fails is logged; the hand-off has moved on all the same."""
    try:
        send()
    except Exception:  # the chat's failure must not undo or repeat a committed step
        log.exception("telling the owner of hand-off %s failed", handoff.request_id)
