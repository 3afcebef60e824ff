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
from dataclasses import dataclass, field

from bot.domain.audit import AuditAction
from bot.domain.credentials import TokenRef
from bot.domain.handoff import Handoff, HandoffError, HandoffOutcome
from bot.services.compensation import revoke_now
from bot.services.gitlab_errors import GitLabError
from bot.services.handoff_cancel import end_keeping_the_old
from bot.services.handoff_steps import (
    HandoffDeps,
    HandoffNotifier,
    allowed,
    audit_step,
    mark_revoked,
    revoke_pending,
    tell_safely,
)
from bot.services.minting import spec_of
from bot.services.people import Person
from bot.services.ports import ConcurrentUpdateError

log = logging.getLogger(__name__)
__all__ = ["HandoffDeps", "HandoffNotifier", "advance_handoffs", "finish", "revoke_old_now"]


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
        found = _look_for_use(handoff, deps, progress)
        if found is None:
            return  # the successor is gone: the hand-off ended keeping the old token
        handoff = found
    with deps.requests.uow() as uow:
        waiting = uow.secrets.expiry(handoff.request_id) is not None
    outcome = handoff.due(deps.requests.clock(), delivered=not waiting)
    if outcome is not None and finish(handoff, outcome, "tokenbot", deps=deps) is not None:
        progress.completed.append(handoff.request_id)


def _look_for_use(handoff: Handoff, deps: HandoffDeps, progress: HandoffProgress) -> Handoff | None:
    """Record the first use GitLab reports (it writes `last_used_at` at most every 10 min).
    None when GitLab no longer lists the successor (revoked in GitLab, or by its leak
    detection): the hand-off then ends keeping the old token, which is all that works."""
    requests = deps.requests
    with requests.uow() as uow:
        request = uow.requests.get(handoff.request_id)
    if request is None:
        return handoff
    listed = requests.gitlab.marked_tokens(spec_of(request), request.id)
    successor = next((r for r in listed if r.gitlab_id == handoff.successor_gitlab_id), None)
    if successor is None:
        _successor_gone(handoff, deps)
        return None
    if not handoff.seen_in_use(successor.last_used_at):
        return handoff
    assert successor.last_used_at is not None  # noqa: S101 - seen_in_use checked it
    try:
        with requests.uow() as uow:
            seen = uow.handoffs.update(handoff.used(successor.last_used_at))
            audit_step(uow, seen, AuditAction.HANDOFF_SUCCESSOR_USED, "tokenbot")
            uow.commit()
    except ConcurrentUpdateError:  # another replica saw it first, and told the owner
        with requests.uow() as uow:
            return uow.handoffs.get(handoff.request_id) or handoff
    progress.seen_used.append(handoff.request_id)
    notify = deps.notify
    if notify is not None:
        tell_safely(lambda: notify.successor_used(seen), seen)
    return seen


def _successor_gone(handoff: Handoff, deps: HandoffDeps) -> None:
    log.warning("hand-off %s: GitLab no longer lists its new token", handoff.request_id)
    done = end_keeping_the_old(handoff, HandoffOutcome.GONE, "tokenbot", deps=deps, revoke=False)
    notify = deps.notify
    if done is not None and notify is not None:
        tell_safely(lambda: notify.successor_gone(done), done)


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
            entry = revoke_pending(uow, done, ref, reason)
            mark_revoked(uow, done.old_key, requests.clock())
            audit_step(uow, done, AuditAction.HANDOFF_COMPLETED, by, outcome=outcome.value)
            uow.commit()
    except ConcurrentUpdateError:
        return None
    revoke_now(entry, deps=requests)  # unconfirmed, it stays pending for the reconciler
    notify = deps.notify
    if notify is not None:
        tell_safely(lambda: notify.old_revoked(done), done)
    return done


def revoke_old_now(request_id: str, person: Person, *, deps: HandoffDeps) -> Handoff:
    """ "Revoke the old one now": the hand-off ends as if the successor had been seen."""
    handoff = allowed(request_id, person, deps)
    done = finish(handoff, HandoffOutcome.NOW, person.chat_id, deps=deps)
    if done is None:
        raise HandoffError("this hand-off ended meanwhile")
    return done
