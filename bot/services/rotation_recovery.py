"""Rotations a dead process left in ROTATING: the reconciler asks GitLab what became of them.

The Rotate button claims the request (ROTATING, `claimed_at`), records `unsure_since` just
before the rotate is sent, and sets it back to PROVISIONED when the answer comes. A process
killed in between leaves it ROTATING, and Rotate would refuse it for ever. Once the
provisioning timeout has passed since the claim and the send (no answer can still land), the
live credential bearing the request's mark tells what GitLab did:

- the old token is still live: GitLab never rotated it; back to PROVISIONED, the requester's
  secret still works;
- the old token is gone and a successor is live: GitLab rotated it and the new secret was
  lost with the process; PROVISIONED with the successor's id, so the next Rotate acts on the
  live token, and the requester is told that the old secret no longer works.

No secret is revealed or stored here; tokenbot never rotates on its own. When GitLab cannot
be asked, the request stays as it is for the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.audit import AuditAction
from bot.domain.credentials import TokenRecord
from bot.domain.requests import TokenRequest
from bot.services.gitlab_errors import GitLabError
from bot.services.minting import spec_of
from bot.services.provisioning import audit_request
from bot.services.request_deps import RequestDeps

log = logging.getLogger(__name__)

NEVER_ROTATED = "the rotation was interrupted before GitLab rotated the token; the old one works"
ROTATED_UNSEEN = "GitLab rotated the token, and its new secret was lost when tokenbot was stopped"


@dataclass(frozen=True, slots=True)
class RecoveredRotation:
    request: TokenRequest  # PROVISIONED again
    lost: bool  # GitLab rotated it: the old secret no longer works, nobody holds the new one


def recover_rotations(
    deps: RequestDeps, timeout: timedelta, errors: list[str]
) -> list[RecoveredRotation]:
    """Take over every rotation left ROTATING longer than `timeout`; GitLab's errors are
    added to `errors` (those requests are left for the next run)."""
    before = deps.clock() - timeout
    with deps.uow() as uow:
        stale = uow.requests.stale_rotations(before)
    recovered = []
    for request in stale:
        try:
            live = deps.gitlab.marked_tokens(spec_of(request), request.id)
        except GitLabError as exc:
            errors.append(f"request {request.id}: {exc}")
            log.warning("could not ask GitLab about the rotation of %s: %s", request.id, exc)
            continue
        done = _take_over(request, live, deps, timeout)
        if done is not None:
            recovered.append(done)
    return recovered


def _take_over(
    request: TokenRequest, live: list[TokenRecord], deps: RequestDeps, timeout: timedelta
) -> RecoveredRotation | None:
    """One conditional UPDATE takes it over and, in the same commit, records the outcome:
    of two reconcilers only one acts (None for the other, or when the rotation moved on)."""
    now = deps.clock()
    with deps.uow() as uow:
        taken = uow.requests.reclaim_rotation(request.id, now - timeout, now)
        if taken is None:
            return None
        successor = _successor(taken, live)
        old_id = str(taken.gitlab_token_id)
        if successor is None:
            done = uow.requests.update(taken.rotation_failed(unsure_since=taken.unsure_since))
            audit_request(uow, done, AuditAction.ROTATION_FAILED, now, reason=NEVER_ROTATED)
        else:
            done = uow.requests.update(
                taken.rotated(successor.gitlab_id, successor.user_id, successor.account)
            )
        reason = NEVER_ROTATED if successor is None else ROTATED_UNSEEN
        ids = {"old_gitlab_token_id": old_id, "gitlab_token_id": str(done.gitlab_token_id)}
        audit_request(uow, done, AuditAction.RECONCILED, now, reason=reason, **ids)
        uow.commit()
    log.warning("request %s was left rotating; the reconciler took it over: %s", done.id, reason)
    # unsure_since stays: the next step checks GitLab's list against the id recorded here.
    return RecoveredRotation(done, lost=successor is not None)


def _successor(request: TokenRequest, live: list[TokenRecord]) -> TokenRecord | None:
    """The live credential GitLab made by rotating the request's token, if it did (the old
    one is gone and one bearing the mark is live; the newest, as Rotate would pick)."""
    if not live or any(r.gitlab_id == request.gitlab_token_id for r in live):
        return None  # not rotated (or a token made before tokens carried a mark)
    return max(live, key=lambda r: r.gitlab_id)
