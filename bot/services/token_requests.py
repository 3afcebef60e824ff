"""Use cases of a token request's decision phase: submit, approve, deny, cancel, expire."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.access import Action
from bot.domain.audit import AuditAction
from bot.domain.handoff import HandoffState
from bot.domain.requests import (
    MessageRef,
    Renewal,
    RequestDraft,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.services.gate import approval_subject
from bot.services.people import NotAllowedError, Person
from bot.services.ports import ConcurrentUpdateError, UnitOfWork
from bot.services.request_checks import approvals_needed, policy_refusal
from bot.services.request_deps import (
    RequestDeps,
    RequestRejected,
    audit,
    change_request,
    load_request,
)
from bot.services.request_review import review_draft

__all__ = ["NotAllowedError", "Person", "RequestDeps", "RequestRejected"]


def submit_request(requester: Person, draft: RequestDraft, *, deps: RequestDeps) -> TokenRequest:
    """Check the draft against policy and live GitLab, then store it as PENDING."""
    return submit_once(requester, draft, deps=deps)[0]


def submit_once(
    requester: Person,
    draft: RequestDraft,
    *,
    deps: RequestDeps,
    submission: str | None = None,
    replaces: Renewal | None = None,
) -> tuple[TokenRequest, bool]:
    """As `submit_request`, once per `submission` (a key the front end gives each submit,
    the same when the same submit arrives again): the request, and whether this call stored
    it. The request's id comes from the key, so the database's primary key keeps a second
    arrival, even one checked at the same moment in another process, from storing another.
    `replaces`: the token the new one takes over from by hand-off once it is made (Replace
    with a narrower token, bot/services/hygiene_replacement.py)."""
    keyed = submission_id(submission) if submission else None
    stored = _stored(keyed, deps) if keyed else None
    if stored is not None:
        return stored, False
    draft, problems = review_draft(requester, draft, deps, request_id=keyed)
    if problems:
        raise RequestRejected(problems)
    request = _pending(keyed or deps.new_id(), requester, draft, deps, replaces)
    try:
        _store(request, requester, deps)
    except ConcurrentUpdateError:
        stored = _stored(keyed, deps) if keyed else None
        if stored is None:
            raise
        return stored, False
    return request, True


def submission_id(submission: str) -> str:
    """The request id a submit key stands for (as long as a generated one)."""
    return hashlib.sha256(f"submission:{submission}".encode()).hexdigest()[:32]


def _stored(request_id: str, deps: RequestDeps) -> TokenRequest | None:
    with deps.uow() as uow:
        return uow.requests.get(request_id)


def _pending(
    request_id: str,
    requester: Person,
    draft: RequestDraft,
    deps: RequestDeps,
    replaces: Renewal | None = None,
) -> TokenRequest:
    now = deps.clock()
    flags = deps.policy.risk_flags(draft, today=now.astimezone(UTC).date())
    return TokenRequest(
        id=request_id,
        requester=requester.chat_id,
        requester_gitlab_id=requester.gitlab_id,
        draft=draft,
        state=RequestState.PENDING,
        created_at=now,
        pending_until=now + timedelta(days=deps.policy.pending_days),
        required_approvals=deps.policy.required_approvals(flags, draft.token_type),
        risk_flags=flags,
        renews=replaces,
    )


def _store(request: TokenRequest, requester: Person, deps: RequestDeps) -> None:
    draft = request.draft
    with deps.uow() as uow:
        uow.requests.add(request)
        audit(
            uow,
            request,
            AuditAction.REQUESTED,
            requester.chat_id,
            request.created_at,
            type=draft.token_type.value,
            target=draft.target,
            scopes=",".join(draft.scopes),
            role=draft.access_level.label if draft.access_level else "",
            expires_on=draft.expires_on.isoformat() if draft.expires_on else "",
            risk=",".join(request.risk_flags),
        )
        uow.commit()


def approve_request(request_id: str, approver: Person, *, deps: RequestDeps) -> TokenRequest:
    """Record an approval by someone allowed to give it; policy is checked again here.

    A policy that now asks more approvals than when the request was made raises its count.
    """
    request = load_request(request_id, deps)
    refusal = policy_refusal(request, deps)
    if refusal is not None:
        raise RequestError(refusal)
    _must_be_approver(request, approver, deps)
    need = approvals_needed(request, deps) if request.renews is None else 0

    def approve(current: TokenRequest, now: datetime) -> TokenRequest:
        required = max(current.required_approvals, need)
        return replace(current, required_approvals=required).approved_by(approver.chat_id, now=now)

    return change_request(request_id, deps, approve, AuditAction.APPROVED, approver.chat_id)


def deny_request(
    request_id: str, approver: Person, reason: str, *, deps: RequestDeps
) -> TokenRequest:
    request = load_request(request_id, deps)
    _must_be_approver(request, approver, deps)
    return change_request(
        request_id,
        deps,
        lambda r, now: r.denied_by(approver.chat_id, reason),
        AuditAction.DENIED,
        approver.chat_id,
        reason=reason.strip(),
    )


def cancel_request(request_id: str, requester: str, *, deps: RequestDeps) -> TokenRequest:
    return change_request(
        request_id, deps, lambda r, now: r.cancelled_by(requester), AuditAction.CANCELLED, requester
    )


def withdraw_request(request_id: str, reason: str, *, deps: RequestDeps) -> TokenRequest:
    """Close a request nobody could be asked about: storing it and its card are one outcome."""
    return change_request(
        request_id,
        deps,
        lambda r, now: r.withdrawn(reason),
        AuditAction.CANCELLED,
        "tokenbot",
        reason=reason,
    )


def expire_requests(*, deps: RequestDeps) -> list[TokenRequest]:
    """Close every pending request nobody decided on in time."""
    now = deps.clock()
    with deps.uow() as uow:
        due = [
            r
            for r in uow.requests.open_requests()
            if r.state is RequestState.PENDING and now >= r.pending_until
        ]
    expired = []
    for request in due:
        try:
            expired.append(
                change_request(
                    request.id,
                    deps,
                    lambda r, at: r.expired(now=at),
                    AuditAction.EXPIRED,
                    "tokenbot",
                )
            )
        except RequestError:
            continue  # decided meanwhile
    return expired


def check_approver(request_id: str, approver: Person, *, deps: RequestDeps) -> TokenRequest:
    """The request, if `approver` may decide on it (and retry it); NotAllowedError if not."""
    request = load_request(request_id, deps)
    _must_be_approver(request, approver, deps)
    return request


def waiting_for(approver: Person, *, deps: RequestDeps) -> list[TokenRequest]:
    """Open requests this person may decide on (or retry) and has not approved yet."""
    with deps.uow() as uow:
        candidates = [
            r
            for r in uow.requests.open_requests()
            if r.state in {RequestState.PENDING, RequestState.FAILED}
            and r.requester != approver.chat_id
            # a failed request waits for a retry, also by those who approved it
            and (
                r.state is RequestState.FAILED
                or all(a.approver != approver.chat_id for a in r.approvals)
            )
        ]
    gate = deps.gate.remembering()  # one GitLab look-up per place, not per request
    mine = []
    for request in candidates:
        subject = approval_subject(request, gate.power_of_request(request), approver)
        if gate.check(Action.APPROVE, approver, subject, request.draft.target).allowed:
            mine.append(request)
    return mine


def requests_of(requester: str, *, deps: RequestDeps) -> list[TokenRequest]:
    """Everything this person asked for, newest first.

    A token later rotated by a renewal (Rotate or Renew on a reminder) is shown once: as the
    renewal, which holds the live token.
    """
    with deps.uow() as uow:
        mine = uow.requests.of_requester(requester)
        # A cancelled hand-off's new token is revoked, and the old one is live again.
        mine = [r for r in mine if not _handoff_cancelled(uow, r)]
    done = {RequestState.PROVISIONED, RequestState.ROTATING}
    renewed = {r.renews.gitlab_id for r in mine if r.renews is not None and r.state in done}
    return sorted(
        (r for r in mine if not (r.state in done and r.gitlab_token_id in renewed)),
        key=lambda r: r.created_at,
        reverse=True,
    )


def _handoff_cancelled(uow: UnitOfWork, request: TokenRequest) -> bool:
    if request.renews is None or not request.renews.handoff:
        return False
    handoff = uow.handoffs.get(request.id)
    return handoff is not None and handoff.state is HandoffState.CANCELLED


def attach_card(request_id: str, card: MessageRef, *, deps: RequestDeps) -> None:
    with deps.uow() as uow:
        uow.requests.attach_card(request_id, card)
        uow.commit()


def _must_be_approver(request: TokenRequest, approver: Person, deps: RequestDeps) -> None:
    gate = deps.gate
    subject = approval_subject(request, gate.power_of_request(request), approver)
    gate.require(Action.APPROVE, approver, subject, request.draft.target)
