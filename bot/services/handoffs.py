"""Hand-offs after the successor exists: seen in use, then the old token revoked, exactly once.

`advance_handoffs` (run after every inventory sync, so `tokenbot sync` finishes a due one)
asks GitLab whether each active hand-off's successor was used since it was made, tells the
owner the first time it was, and revokes the old token once it was used or the deadline
passed. "Revoke the old one now" and "Cancel hand-off" are the same step on request.

Exactly once across restarts and replicas: a step is one transaction that moves the hand-off
on by a conditional update of its version and, in the same commit, writes the revoke it needs
to the ledger (bot/services/compensation.py) before the revoke is sent. Of two workers only
one commits; a crash after the commit leaves the revoke pending, and the reconciler sends it
again until GitLab confirms. Nothing is decided from memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from bot.domain.access import Action
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import TokenRef
from bot.domain.handoff import Handoff, HandoffError, HandoffOutcome, ended
from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.reminders import TrackedStatus
from bot.services.compensation import revoke_now
from bot.services.gate import request_subject
from bot.services.gitlab_errors import GitLabError
from bot.services.minting import spec_of
from bot.services.people import NotAllowedError, Person
from bot.services.ports import ConcurrentUpdateError, UnitOfWork
from bot.services.request_deps import RequestDeps

log = logging.getLogger(__name__)


class HandoffNotifier(Protocol):
    def successor_used(self, handoff: Handoff) -> None:
        """Tell the owner GitLab saw the new token in use (once per hand-off)."""

    def old_revoked(self, handoff: Handoff) -> None:
        """Tell the owner the old token was revoked, and why."""


@dataclass(frozen=True, slots=True)
class HandoffDeps:
    requests: RequestDeps
    notify: HandoffNotifier | None = None


@dataclass
class HandoffProgress:
    """What one `advance_handoffs` run did."""

    seen_used: list[str] = field(default_factory=list)  # request ids
    completed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def advance_handoffs(*, deps: HandoffDeps) -> HandoffProgress:
    progress = HandoffProgress()
    with deps.requests.uow() as uow:
        active = uow.handoffs.active()
    for handoff in active:
        try:
            _advance(handoff, deps, progress)
        except GitLabError as exc:  # one GitLab outage must not stop the others
            progress.errors.append(f"hand-off {handoff.request_id}: {exc}")
            log.warning("advancing hand-off %s failed: %s", handoff.request_id, exc)
    return progress


def _advance(handoff: Handoff, deps: HandoffDeps, progress: HandoffProgress) -> None:
    if handoff.successor_used_at is None:
        handoff = _look_for_use(handoff, deps, progress)
    outcome = handoff.due(deps.requests.clock())
    if outcome is not None and finish(handoff, outcome, "tokenbot", deps=deps) is not None:
        progress.completed.append(handoff.request_id)


def _look_for_use(handoff: Handoff, deps: HandoffDeps, progress: HandoffProgress) -> Handoff:
    """Record the first use GitLab reports (it writes `last_used_at` at most every 10 min)."""
    requests = deps.requests
    with requests.uow() as uow:
        request = uow.requests.get(handoff.request_id)
    if request is None:
        return handoff
    listed = requests.gitlab.marked_tokens(spec_of(request), request.id)
    successor = next((r for r in listed if r.gitlab_id == handoff.successor_gitlab_id), None)
    if successor is None or not handoff.seen_in_use(successor.last_used_at):
        return handoff
    assert successor.last_used_at is not None  # noqa: S101 - seen_in_use checked it
    try:
        with requests.uow() as uow:
            seen = uow.handoffs.update(handoff.used(successor.last_used_at))
            _audit(uow, seen, AuditAction.HANDOFF_SUCCESSOR_USED, "tokenbot")
            uow.commit()
    except ConcurrentUpdateError:  # another replica saw it first, and told the owner
        with requests.uow() as uow:
            return uow.handoffs.get(handoff.request_id) or handoff
    progress.seen_used.append(handoff.request_id)
    notify = deps.notify
    if notify is not None:
        _tell(lambda: notify.successor_used(seen), seen)
    return seen


def finish(
    handoff: Handoff, outcome: HandoffOutcome, by: str, *, deps: HandoffDeps
) -> Handoff | None:
    """Revoke the old token and end the hand-off; None when another worker ended it first."""
    requests = deps.requests
    ref = TokenRef(
        handoff.token_type,
        handoff.old_gitlab_id,
        requests.gitlab.namespace(handoff.target),
        handoff.old_user_id,
    )
    reason = f"hand-off {handoff.request_id} ended ({outcome.value})"
    try:
        with requests.uow() as uow:
            done = uow.handoffs.update(handoff.completed(outcome, requests.clock(), by))
            entry = _revoke_pending(uow, done, ref, reason)
            _mark_revoked(uow, done.old_key, requests.clock())
            _audit(uow, done, AuditAction.HANDOFF_COMPLETED, by, outcome=outcome.value)
            uow.commit()
    except ConcurrentUpdateError:
        return None
    revoke_now(entry, deps=requests)  # unconfirmed, it stays pending for the reconciler
    notify = deps.notify
    if notify is not None:
        _tell(lambda: notify.old_revoked(done), done)
    return done


def revoke_old_now(request_id: str, person: Person, *, deps: HandoffDeps) -> Handoff:
    """ "Revoke the old one now": the hand-off ends as if the successor had been seen."""
    handoff = _allowed(request_id, person, deps)
    done = finish(handoff, HandoffOutcome.NOW, person.chat_id, deps=deps)
    if done is None:
        raise HandoffError("this hand-off ended meanwhile")
    return done


def cancel_handoff(request_id: str, person: Person, *, deps: HandoffDeps) -> Handoff:
    """ "Cancel hand-off": revoke the successor (and any secret still waiting), keep the old."""
    handoff = _allowed(request_id, person, deps)
    requests = deps.requests
    ref = TokenRef(
        handoff.token_type,
        handoff.successor_gitlab_id,
        requests.gitlab.namespace(handoff.target),
        handoff.successor_user_id,
    )
    now = requests.clock()
    try:
        with requests.uow() as uow:
            done = uow.handoffs.update(handoff.cancelled(now, person.chat_id))
            entry = _revoke_pending(uow, done, ref, f"hand-off {done.request_id} cancelled")
            _mark_revoked(uow, done.successor_key, now)
            uow.secrets.take(done.request_id, now=now)  # a secret nobody may reveal now
            _audit(uow, done, AuditAction.HANDOFF_CANCELLED, person.chat_id)
            uow.commit()
    except ConcurrentUpdateError:
        raise HandoffError("this hand-off ended meanwhile") from None
    revoke_now(entry, deps=requests)
    return done


def _allowed(request_id: str, person: Person, deps: HandoffDeps) -> Handoff:
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


def _revoke_pending(
    uow: UnitOfWork, handoff: Handoff, ref: TokenRef, reason: str
) -> MintedCredential:
    """Write the revoke to the ledger in the step's own commit: a crash cannot lose it."""
    known = uow.minted.get(ref.token_type, ref.gitlab_id)
    now = handoff.finished_at or handoff.started_at
    entry = MintedCredential(
        request_id=handoff.request_id,
        ref=ref,
        status=MintedStatus.REVOKING,
        recorded_at=known.recorded_at if known else now,
        exposed=True,  # its secret was handed out: it was the live token until now
        reason=reason,
        attempts=known.attempts if known else 0,
    )
    uow.minted.put(entry)
    return entry


def _mark_revoked(uow: UnitOfWork, key: str, now: datetime) -> None:
    """Reminders and the Home tab stop showing it at once; the next sync agrees."""
    tracked = uow.inventory.get(key)
    if tracked is not None and tracked.status is TrackedStatus.ACTIVE:
        uow.inventory.update(replace(tracked, status=TrackedStatus.REVOKED), now)


def _audit(
    uow: UnitOfWork, handoff: Handoff, action: AuditAction, actor: str, **details: str
) -> None:
    at = handoff.finished_at or handoff.successor_used_at or handoff.started_at
    ids = {
        "old_gitlab_token_id": str(handoff.old_gitlab_id),
        "gitlab_token_id": str(handoff.successor_gitlab_id),
        "where": handoff.target,
    }
    uow.audit.append(AuditEvent(at, action, handoff.request_id, actor, {**ids, **details}))


def _tell(send: Callable[[], object], handoff: Handoff) -> None:
    """A notice that fails is logged; the hand-off has moved on all the same."""
    try:
        send()
    except Exception:  # the chat's failure must not undo or repeat a committed step
        log.exception("telling the owner of hand-off %s failed", handoff.request_id)
