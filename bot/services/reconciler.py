"""The reconciler: the database and GitLab agree on every request, whatever got lost.

Each run, under a lease so that replicas take turns:

1. revokes that must happen and GitLab did not confirm are sent again;
2. a request left in PROVISIONING longer than the timeout (its worker died or hangs) is taken
   over: what GitLab made for it is adopted and delivered, or the request goes back to
   FAILED, where Retry starts it again; so is one left APPROVED that long (its worker died
   before it claimed it: nothing was sent), which goes back to FAILED;
3. a request whose last send went unanswered is checked once no answer can still land
   (the timeout again): every credential bearing its mark that it does not account for is
   revoked if nobody can have received its secret, and reported with a Revoke button if
   someone might have.

Between 2 and 3, a rotation left in ROTATING that long is taken over (rotation_recovery.py):
back to PROVISIONED on the token GitLab holds live, its requester told when the old secret
no longer works.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import TokenRecord
from bot.domain.minted import MintedStatus
from bot.domain.requests import RequestState, TokenRequest
from bot.services.compensation import retire, retry_revokes
from bot.services.gitlab_errors import GitLabError
from bot.services.leases import run_exclusively
from bot.services.minting import Attempt, matches, spec_of
from bot.services.ports import ConcurrentUpdateError
from bot.services.provisioning import Provisioning, audit_request, carry_out
from bot.services.rotation_recovery import recover_rotations
from bot.services.token_requests import RequestDeps

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = timedelta(seconds=300)
LEASE = "reconciler"
LONGEST_RUN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Orphan:
    """A live credential bearing a request's mark that tokenbot cannot account for, and whose
    secret may have reached someone: people decide (Revoke), tokenbot does not."""

    request: TokenRequest
    record: TokenRecord
    why: str


class ReconcileNotifier(Protocol):
    def finished(self, outcome: Provisioning) -> None:
        """A request the reconciler took over is provisioned or back to FAILED: tell people."""

    def orphan(self, orphan: Orphan) -> None:
        """Report a credential people must decide on (the approvals channel)."""

    def rotation_interrupted(self, request: TokenRequest) -> None:
        """GitLab rotated the token of a rotation left behind, and its new secret was lost:
        tell the requester the old secret no longer works and Rotate gives a fresh one."""


@dataclass(frozen=True, slots=True)
class ReconcileDeps:
    requests: RequestDeps
    timeout: timedelta = DEFAULT_TIMEOUT  # TOKENBOT_PROVISIONING_TIMEOUT_SECONDS
    notify: ReconcileNotifier | None = None


@dataclass
class Reconciliation:
    """What one run did."""

    finished: list[str] = field(default_factory=list)  # taken over and provisioned
    rolled_back: list[str] = field(default_factory=list)  # taken over, back to FAILED
    rotations: list[str] = field(default_factory=list)  # left rotating, back to provisioned
    settled: int = 0  # unsure requests GitLab now agrees with
    revoked: int = 0  # revokes GitLab confirmed
    revokes_pending: int = 0  # revokes GitLab still did not confirm
    reported: int = 0  # orphans left to people
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def reconcile(*, deps: ReconcileDeps) -> Reconciliation:
    """One run of the three steps (see the module docstring)."""
    started = time.monotonic()
    done = Reconciliation()
    requests = deps.requests
    confirmed, _ = retry_revokes(deps=requests)
    done.revoked += confirmed
    _take_over_stale(deps, done)
    _recover_rotations(deps, done)
    _settle_unsure(deps, done)
    with requests.uow() as uow:
        done.revokes_pending = len(uow.minted.to_revoke())
    done.seconds = time.monotonic() - started
    return done


def reconcile_exclusively(*, deps: ReconcileDeps) -> Reconciliation | None:
    """`reconcile` if no other process is running it (None then)."""
    requests = deps.requests
    return run_exclusively(
        LEASE,
        lambda: reconcile(deps=deps),
        uow=requests.uow,
        clock=requests.clock,
        longest=LONGEST_RUN,
    )


def _take_over_stale(deps: ReconcileDeps, done: Reconciliation) -> None:
    requests = deps.requests
    now = requests.clock()
    before = now - deps.timeout
    with requests.uow() as uow:
        stale = uow.requests.stale_provisioning(before)
        unclaimed = [r for r in uow.requests.open_requests() if _approved_before(r, before)]
    for request in stale:
        with requests.uow() as uow:
            taken = uow.requests.reclaim_stale(request.id, before, now)
            uow.commit()
        _resume(deps, done, taken, "left in provisioning")
    for request in unclaimed:
        # Approved, and no worker ever claimed it (the process died between the approval and
        # the claim): nothing was sent, so it goes to FAILED, where Retry starts it. The claim
        # is the same conditional UPDATE a click makes: of the two, only one goes on.
        with requests.uow() as uow:
            taken = uow.requests.claim_for_provisioning(request.id, now)
            uow.commit()
        _resume(deps, done, taken, "approved but never provisioned")


def _recover_rotations(deps: ReconcileDeps, done: Reconciliation) -> None:
    for recovered in recover_rotations(deps.requests, deps.timeout, done.errors):
        done.rotations.append(recovered.request.id)
        if recovered.lost:
            _tell(deps, partial(_interrupted, request=recovered.request))


def _approved_before(request: TokenRequest, before: datetime) -> bool:
    if request.state is not RequestState.APPROVED:
        return False
    approved_at = request.approvals[-1].at if request.approvals else request.created_at
    return approved_at < before


def _resume(
    deps: ReconcileDeps, done: Reconciliation, taken: TokenRequest | None, why: str
) -> None:
    """Finish a request taken over with what GitLab holds for it, or roll it back to FAILED."""
    requests = deps.requests
    if taken is None:
        return  # it moved on, or another reconciler has it
    log.warning("request %s was %s; the reconciler takes it over", taken.id, why)
    outcome = carry_out(Attempt(taken, requests), create=False)
    finished = outcome.request.state is RequestState.PROVISIONED
    (done.finished if finished else done.rolled_back).append(taken.id)
    with requests.uow() as uow:
        audit_request(uow, outcome.request, AuditAction.RECONCILED, requests.clock())
        uow.commit()
    _tell(deps, partial(_finished, outcome=outcome))


def _settle_unsure(deps: ReconcileDeps, done: Reconciliation) -> None:
    requests = deps.requests
    before = requests.clock() - deps.timeout
    with requests.uow() as uow:
        unsure = uow.requests.unsettled(before)
    for request in unsure:
        if request.renews is not None and not request.renews.handoff:
            continue  # an unconfirmed rotation stays unsure: it is never sent again blindly
        try:
            _settle(request, deps, done)
        except ConcurrentUpdateError:
            continue  # someone acted on it meanwhile: the next run looks again
        except GitLabError as exc:
            done.errors.append(f"request {request.id}: {exc}")
            log.warning("could not check request %s with GitLab: %s", request.id, exc)


def _settle(request: TokenRequest, deps: ReconcileDeps, done: Reconciliation) -> None:
    requests = deps.requests
    spec = spec_of(request)
    found = requests.gitlab.marked_tokens(spec, request.id)
    held = {RequestState.PROVISIONED, RequestState.ROTATING}
    accounted = request.gitlab_token_id if request.state in held else None
    to_revoke, to_report = [], []
    with requests.uow() as uow:
        current = uow.requests.get(request.id)
        if current is None or current.revision != request.revision:
            return  # someone acted on it meanwhile: the next run looks again
        for record in found:
            if record.gitlab_id == accounted:
                continue
            known = uow.minted.get(record.token_type, record.gitlab_id)
            if known is not None and known.status is MintedStatus.REVOKING:
                continue  # step 1 sends it again
            if not matches(record, spec):
                to_report.append(Orphan(request, record, NOT_AS_APPROVED))
            elif known is not None and known.exposed:
                to_report.append(Orphan(request, record, MAY_BE_HELD))
            else:
                to_revoke.append(record.ref)
    revoked = retire(request.id, to_revoke, NOBODY_HOLDS, deps=requests)
    done.revoked += sum(1 for r in revoked if r.status is MintedStatus.REVOKED)
    for orphan in to_report:
        _report(orphan, deps)
        done.reported += 1
    with requests.uow() as uow:
        current = uow.requests.get(request.id)
        if current is not None and current.revision == request.revision:
            uow.requests.update(current.settled())
            uow.commit()
            done.settled += 1


NOBODY_HOLDS = "GitLab made it although its answer was lost; nobody received its secret"
NOT_AS_APPROVED = "it bears this request's mark but is not what was approved"
MAY_BE_HELD = "its secret left tokenbot (a CI/CD variable or Reveal) and it is not in use"


def _report(orphan: Orphan, deps: ReconcileDeps) -> None:
    requests = deps.requests
    details = {
        "token_type": orphan.record.token_type.value,
        "gitlab_token_id": str(orphan.record.gitlab_id),
        "reason": orphan.why,
    }
    with requests.uow() as uow:
        event = AuditEvent(
            requests.clock(), AuditAction.ORPHAN_REPORTED, orphan.request.id, "tokenbot", details
        )
        uow.audit.append(event)
        uow.commit()
    _tell(deps, lambda n: n.orphan(orphan))


def _finished(notify: ReconcileNotifier, *, outcome: Provisioning) -> None:
    notify.finished(outcome)


def _interrupted(notify: ReconcileNotifier, *, request: TokenRequest) -> None:
    notify.rotation_interrupted(request)


def _tell(deps: ReconcileDeps, send: Callable[[ReconcileNotifier], None]) -> None:
    """Tell people; a failed notice is logged, never lets the reconciler stop half-way."""
    if deps.notify is None:
        return
    try:
        send(deps.notify)
    except Exception:
        log.exception("a reconciler notice could not be sent")
