"""Use cases after approval: create the token exactly once, deliver its secret once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.access import Action
from bot.domain.audit import AuditAction
from bot.domain.credentials import IssuedToken, TokenRef
from bot.domain.requests import Delivery, Renewal, RequestError, RequestState, TokenRequest
from bot.services.compensation import retire
from bot.services.gate import request_subject
from bot.services.gitlab_errors import GitLabError, OutcomeUnknownError
from bot.services.minting import Attempt, mark_exposed, mint, note_exposed
from bot.services.people import NotAllowedError, Person
from bot.services.ports import ConcurrentUpdateError, UnitOfWork
from bot.services.request_checks import provisioning_refusal
from bot.services.request_deps import RequestDeps, audit
from bot.services.successors import start_handoff, track_successor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Provisioning:
    """What happened when provisioning was attempted."""

    request: TokenRequest
    started: bool  # False: another worker had it already, or it was not approved
    problem: str | None = None  # a renewal whose CI/CD variable could not be rewritten


ProvisioningObserver = Callable[[bool, float], None]
"""Told of each provisioning attempt: whether the token now exists, and how long it took (s)."""
_observers: list[ProvisioningObserver] = []


def observe_provisioning(observer: ProvisioningObserver) -> None:
    """Report every provisioning attempt to `observer` (metrics); it must not raise."""
    _observers.append(observer)


def provision_request(request_id: str, *, deps: RequestDeps) -> Provisioning:
    """Create the approved token in GitLab (or rotate it, for a renewal) exactly once.

    Only the worker that claims the request acts; every attempt is reported to the observers.
    """
    started = time.monotonic()
    result = _provision(request_id, deps=deps)
    if result.started:
        created = result.request.state is RequestState.PROVISIONED
        for observer in _observers:
            observer(created, time.monotonic() - started)
    return result


def _provision(request_id: str, *, deps: RequestDeps) -> Provisioning:
    with deps.uow() as uow:
        claimed = uow.requests.claim_for_provisioning(request_id, deps.clock())
        if claimed is None:
            current = uow.requests.get(request_id)
            if current is None:
                raise RequestError(f"there is no request {request_id}")
            return Provisioning(current, started=False)
        audit_request(uow, claimed, AuditAction.PROVISIONING, deps.clock())
        uow.commit()
    return carry_out(Attempt(claimed, deps))


def carry_out(attempt: Attempt, *, create: bool = True) -> Provisioning:
    """Everything after the claim: ask the gate again, mint (or adopt), deliver, record.

    `create=False` (the reconciler resuming a request a worker left behind) finishes only
    with what GitLab already holds, and otherwise rolls the request back to FAILED.
    """
    claimed, deps = attempt.request, attempt.deps
    assert isinstance(deps, RequestDeps)  # noqa: S101 - Attempt is built from RequestDeps
    try:
        _may_receive(claimed, deps)
        # What policy allows may have tightened since approval. A resumed attempt may find
        # what GitLab made already, and finishes it (the reconciler's job, not a new token).
        refusal = provisioning_refusal(claimed, deps) if create else None
    except (NotAllowedError, GitLabError) as exc:
        return _record_failure(attempt, str(exc))
    if refusal is not None:
        return _record_failure(attempt, refusal)
    try:
        return _mint_and_deliver(attempt, deps, create=create)
    except OutcomeUnknownError as exc:
        return _record_failure(attempt, f"{exc} {SAFE_TO_RETRY}")
    except GitLabError as exc:
        return _record_failure(attempt, str(exc))
    except ConcurrentUpdateError:
        return _taken_over(attempt)


def _mint_and_deliver(attempt: Attempt, deps: RequestDeps, *, create: bool) -> Provisioning:
    renews = attempt.request.renews
    if renews is not None and not renews.handoff:
        if not create:  # a rotation is never sent again blindly
            reason = ROTATION_UNSURE if attempt.earlier_unsure else INTERRUPTED
            return _record_failure(attempt, reason)
        return _renew(attempt, renews, deps)
    # A new token, or a hand-off's successor: created once, adopted after a lost answer.
    issued = mint(attempt, create=create)
    if issued is None:
        return _record_failure(attempt, INTERRUPTED)
    if attempt.request.draft.delivery is Delivery.CI_VARIABLE:
        if renews is not None:  # a hand-off: the old token still works, nothing is revoked
            return _finish(attempt, issued, problem=_write_beside(attempt, issued))
        _deliver_to_variable(attempt, issued)
    return _finish(attempt, issued)


def _write_beside(attempt: Attempt, issued: IssuedToken) -> str | None:
    """A hand-off's new secret into the old one's variable. If that fails (or its answer is
    lost: the variable may hold it), both tokens stay live and the secret waits behind Reveal
    token, so whatever the variable holds keeps working: nothing is revoked."""
    deps = attempt.deps
    assert isinstance(deps, RequestDeps)  # noqa: S101
    mark_exposed(attempt, issued.record)
    try:
        write_variable(attempt.request, issued, deps)
    except GitLabError as exc:
        return f"the CI/CD variable could not be updated: {exc}"
    return None


INTERRUPTED = (
    "tokenbot was interrupted while provisioning this request, and GitLab holds no token"
    " for it: Retry starts again."
)
SAFE_TO_RETRY = (
    "Retry is safe: tokenbot first looks in GitLab for a token made for this request and"
    " takes it over instead of making a second one."
)


def _finish(attempt: Attempt, issued: IssuedToken, *, problem: str | None = None) -> Provisioning:
    deps, claimed = attempt.deps, attempt.request
    assert isinstance(deps, RequestDeps)  # noqa: S101
    now = deps.clock()
    record = issued.record
    done = claimed.provisioned(record.gitlab_id, record.user_id, record.account)
    if attempt.sure:
        done = done.settled()  # else the reconciler checks GitLab once answers cannot land
    with deps.uow() as uow:
        done = uow.requests.update(done)
        if claimed.draft.delivery is Delivery.REVEAL or problem is not None:
            uow.secrets.put(claimed.id, issued.secret, expires_at=now + deps.secret_ttl)
            note_exposed(uow, claimed.id, issued.record, now)
        audit_request(
            uow, done, AuditAction.PROVISIONED, now, gitlab_token_id=str(issued.record.gitlab_id)
        )
        if problem is not None:
            audit_request(uow, done, AuditAction.FAILED, now, reason=problem)
        if claimed.renews is not None:  # a hand-off: the old token stays live beside this one
            start_handoff(uow, done, claimed.renews, issued, now, hours=deps.handoff_hours)
        uow.commit()
    return Provisioning(done, started=True, problem=problem)


def _taken_over(attempt: Attempt) -> Provisioning:
    """Another worker (the reconciler) took the request over: it finishes it, not this one."""
    log.warning("request %s was taken over while this worker provisioned it", attempt.request.id)
    with attempt.deps.uow() as uow:
        current = uow.requests.get(attempt.request.id)
    return Provisioning(current or attempt.request, started=False)


def _renew(attempt: Attempt, renews: Renewal, deps: RequestDeps) -> Provisioning:
    """Rotate the existing token (new expiry for a renewal), then track the new one.

    The old secret dies with the rotation, so a CI/CD variable that cannot be rewritten does
    not revoke the new token (as a failed first delivery does): its secret waits behind
    Reveal token instead. A rotation whose answer was lost is never sent again: rotating a
    token GitLab already revoked makes GitLab revoke its successor too.
    """
    claimed, draft = attempt.request, attempt.request.draft
    if attempt.earlier_unsure:
        return _record_failure(attempt, ROTATION_UNSURE)
    ref = TokenRef(
        draft.token_type, renews.gitlab_id, deps.gitlab.namespace(draft.target), renews.user_id
    )
    attempt.before_send()
    try:
        issued = deps.gitlab.rotate_token(ref, expires_on=draft.expires_on)
    except OutcomeUnknownError:
        attempt.ambiguous = True
        raise
    problem = None
    if draft.delivery is Delivery.CI_VARIABLE:
        try:
            write_variable(claimed, issued, deps)
        except GitLabError as exc:
            problem = f"the CI/CD variable could not be updated: {exc}"
    now = deps.clock()
    with deps.uow() as uow:
        done = uow.requests.update(
            attempt.request.provisioned(
                issued.record.gitlab_id, issued.record.user_id, issued.record.account
            ).settled()
        )
        if draft.delivery is Delivery.REVEAL or problem is not None:
            uow.secrets.put(claimed.id, issued.secret, expires_at=now + deps.secret_ttl)
        track_successor(uow, done, renews, issued, now)
        ids = {
            "old_gitlab_token_id": str(renews.gitlab_id),
            "gitlab_token_id": str(issued.record.gitlab_id),
        }
        audit_request(uow, done, AuditAction.ROTATED, now, **ids)
        if problem is not None:
            audit_request(uow, done, AuditAction.FAILED, now, reason=problem)
        uow.commit()
    return Provisioning(done, started=True, problem=problem)


ROTATION_UNSURE = (
    "GitLab did not confirm an earlier rotation of this token, so tokenbot does not rotate it"
    " again (GitLab revokes a rotated token's successor when the old one is rotated twice)."
    " After the next inventory sync, rotate the token from its reminder or in GitLab."
)


def _may_receive(request: TokenRequest, deps: RequestDeps) -> None:
    """The requester may still be handed this secret (and write its CI/CD variable): their
    live role is asked again, since approval can take days."""
    gate = deps.gate
    subject = request_subject(request, gate.power_of_request(request))
    requester = Person(request.requester, request.requester_gitlab_id)
    gate.require(Action.RECEIVE, requester, subject, request.draft.target)
    if request.break_glass:  # still allowed to break glass (not left the group meanwhile)
        gate.require(Action.BREAK_GLASS, requester, subject, request.draft.target)
    if request.draft.delivery is Delivery.CI_VARIABLE:
        where = request.draft.variable_project or ""
        gate.require(Action.DELIVER, requester, subject, where)


def _deliver_to_variable(attempt: Attempt, issued: IssuedToken) -> None:
    deps = attempt.deps
    assert isinstance(deps, RequestDeps)  # noqa: S101
    mark_exposed(attempt, issued.record)
    try:
        write_variable(attempt.request, issued, deps)
    except GitLabError:
        # A token nobody can receive must not stay alive: revoked through the ledger, so a
        # revoke GitLab does not confirm is sent again until it is.
        reason = "its CI/CD variable could not be written"
        retire(attempt.request.id, [issued.record.ref], reason, deps=deps, exposed=True)
        raise


def write_variable(request: TokenRequest, issued: IssuedToken, deps: RequestDeps) -> None:
    project, key = request.draft.variable_project or "", request.draft.variable_key or ""
    deps.gitlab.set_ci_variable(project, key, issued.secret)
    with deps.uow() as uow:
        audit_request(uow, request, AuditAction.DELIVERED, deps.clock(), project=project, key=key)
        uow.commit()


def _record_failure(attempt: Attempt, reason: str) -> Provisioning:
    """Back to FAILED, where approvers may retry; GitLab holds nothing the ledger misses
    unless a send of this request went unanswered (then the reconciler checks later)."""
    deps = attempt.deps
    log.warning("provisioning request %s failed: %s", attempt.request.id, reason)
    failed = attempt.request.failed(reason)
    if attempt.sure:
        failed = failed.settled()
    try:
        with deps.uow() as uow:
            failed = uow.requests.update(failed)
            audit_request(uow, failed, AuditAction.FAILED, deps.clock(), reason=reason)
            uow.commit()
    except ConcurrentUpdateError:
        return _taken_over(attempt)
    return Provisioning(failed, started=True)


def audit_request(
    uow: UnitOfWork,
    request: TokenRequest,
    action: AuditAction,
    now: datetime,
    actor: str = "tokenbot",
    **details: str,
) -> None:
    audit(uow, request, action, actor, now, **details)
