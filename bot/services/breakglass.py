"""Use cases of break-glass: make a short-lived token at once, then have it reviewed.

A break-glass request is a token request that skips the wait for approval: it is stored
APPROVED (flagged `break-glass`) together with its review, and the caller provisions it the
usual way (`provision_request`: claimed once, minted once, revealed once). The gate decides
(`Action.BREAK_GLASS`) at submit and again at provisioning; acknowledging the review is
`Action.ACKNOWLEDGE`. The review's deadline, escalation and the token's end are swept by
`bot/services/breakglass_sweep.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from bot.domain.access import Action, Outcome, Subject
from bot.domain.audit import AuditAction
from bot.domain.breakglass import (
    BREAK_GLASS,
    BreakGlassReview,
    Lifetime,
    ReviewError,
    new_review,
)
from bot.domain.request_policy import Problem
from bot.domain.requests import (
    Delivery,
    MessageRef,
    RequestDraft,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.domain.target_kinds import kind_problem
from bot.services.gate import request_subject
from bot.services.gitlab_errors import NotFoundError
from bot.services.people import NotAllowedError, Person
from bot.services.request_checks import feasibility_problems, policy_problems
from bot.services.request_deps import RequestDeps, RequestRejected, audit, load_request

OFF = "break-glass is off here: TOKENBOT_BREAKGLASS_GROUPS names no group"


def may_break_glass(person: Person, *, deps: RequestDeps) -> bool:
    """Is this person among those the break-glass policy allows (asked of GitLab now)?
    Only to choose what to show; `submit_break_glass` decides through the gate."""
    return deps.breakglass.enabled and deps.gate.breaks_glass(person)


def submit_break_glass(
    requester: Person, draft: RequestDraft, *, deps: RequestDeps, request_id: str | None = None
) -> TokenRequest:
    """Check the draft, then store it APPROVED with its review: nothing when refused.

    NotAllowedError when the policy does not allow this person at all; RequestRejected
    (fields to fix) for the rest. Its lifetime and delivery are break-glass's, not asked.
    `request_id`: the id to store it as (see `bot.services.submissions`).
    """
    if not deps.breakglass.enabled:
        raise NotAllowedError(OFF)
    now = deps.clock()
    lifetime = deps.breakglass.lifetime(now)
    draft, problems = _at_gitlab_path(_as_break_glass(draft, lifetime), deps)
    if problems:
        raise RequestRejected(problems)
    _must_be_allowed(requester, draft, deps)
    problems = [
        *policy_problems(requester, draft, deps),
        *_open_already(requester, draft, deps),
        *feasibility_problems(draft, deps.gitlab),
    ]
    if problems:
        raise RequestRejected(problems)
    flags = deps.policy.risk_flags(draft, today=now.astimezone(UTC).date())
    request = TokenRequest(
        id=request_id or deps.new_id(),
        requester=requester.chat_id,
        requester_gitlab_id=requester.gitlab_id,
        draft=draft,
        state=RequestState.APPROVED,
        created_at=now,
        pending_until=lifetime.ends_at,
        required_approvals=0,
        risk_flags=(BREAK_GLASS, *(f for f in flags if f != BREAK_GLASS)),
    )
    with deps.uow() as uow:
        uow.requests.add(request)
        uow.reviews.add(
            new_review(request.id, requester.chat_id, draft.target, now, deps.breakglass)
        )
        audit(
            uow,
            request,
            AuditAction.BREAK_GLASS_REQUESTED,
            requester.chat_id,
            now,
            type=draft.token_type.value,
            target=draft.target,
            scopes=",".join(draft.scopes),
            role=draft.access_level.label if draft.access_level else "",
            expires_on=draft.expires_on.isoformat() if draft.expires_on else "",
            ends_at=lifetime.ends_at.isoformat(),
        )
        uow.commit()
    return request


def known_problems(draft: RequestDraft, *, deps: RequestDeps) -> list[Problem]:
    """What the policy says against the draft without asking GitLab (said in the form's ack;
    `submit_break_glass` checks all of it again, with the rest)."""
    if not deps.breakglass.enabled:
        return []
    now = deps.clock()
    shaped = _as_break_glass(draft, deps.breakglass.lifetime(now))
    return deps.policy.shape_problems(shaped, today=now.astimezone(UTC).date())


def _as_break_glass(draft: RequestDraft, lifetime: Lifetime) -> RequestDraft:
    """Its lifetime and delivery are break-glass's, whatever the draft said."""
    return replace(
        draft,
        expires_on=lifetime.expires_on,
        delivery=Delivery.REVEAL,
        variable_project=None,
        variable_key=None,
    )


def _must_be_allowed(requester: Person, draft: RequestDraft, deps: RequestDeps) -> None:
    """The gate's verdict: not allowed at all raises NotAllowedError; too much, a field."""
    gate = deps.gate
    subject = Subject(gate.power_of_draft(draft), owner=requester.chat_id)
    verdict = gate.check(Action.BREAK_GLASS, requester, subject, draft.target)
    if verdict.outcome is not Outcome.DENY:
        return
    if not gate.breaks_glass(requester):
        raise NotAllowedError(verdict.reason)
    raise RequestRejected([Problem(_field_of(draft, verdict.reason), verdict.reason)])


def _field_of(draft: RequestDraft, reason: str) -> str:
    if "not a member" in reason:
        return "target"
    if draft.access_level is not None:
        return "role"
    return "scopes" if draft.scopes else "token_type"


def _open_already(requester: Person, draft: RequestDraft, deps: RequestDeps) -> list[Problem]:
    """A second submit of the same break-glass (a retried form) is refused, not made twice."""
    with deps.uow() as uow:
        mine = uow.requests.of_requester(requester.chat_id)
    busy = {RequestState.PROVISIONING}
    for request in mine:
        same = request.draft.target == draft.target and request.draft.name == draft.name
        if same and (request.state.open or request.state in busy):
            return [Problem("name", f"you have an open request for '{draft.name}' there already")]
    return []


def acknowledge_review(request_id: str, approver: Person, *, deps: RequestDeps) -> BreakGlassReview:
    """Record that an approver reviewed this break-glass (once; ReviewError after that)."""
    request = load_request(request_id, deps)
    if not request.break_glass:
        raise RequestError("this is not a break-glass request")
    gate = deps.gate
    subject = request_subject(request, gate.power_of_request(request))
    gate.require(Action.ACKNOWLEDGE, approver, subject, request.draft.target)
    with deps.uow() as uow:
        now = deps.clock()
        review = uow.reviews.get(request_id)
        if review is None:
            raise RequestError(f"break-glass request {request_id} has no review")
        done = review.acknowledge(approver.chat_id, now)
        if not uow.reviews.acknowledge(request_id, approver.chat_id, now):
            raise ReviewError("someone acknowledged it a moment ago")
        audit(uow, request, AuditAction.BREAK_GLASS_ACKNOWLEDGED, approver.chat_id, now)
        uow.commit()
    return done


def review_of(request_id: str, *, deps: RequestDeps) -> BreakGlassReview | None:
    with deps.uow() as uow:
        return uow.reviews.get(request_id)


def attach_review_card(request_id: str, channel: str, ts: str, *, deps: RequestDeps) -> None:
    with deps.uow() as uow:
        uow.reviews.attach_card(request_id, MessageRef(channel, ts))
        uow.commit()


def _at_gitlab_path(draft: RequestDraft, deps: RequestDeps) -> tuple[RequestDraft, list[Problem]]:
    """The draft at GitLab's own full path for its target, or why it cannot be made there."""
    try:
        where = deps.gitlab.namespace(draft.target)
    except NotFoundError as exc:
        return draft, [Problem("target", str(exc))]
    mismatch = kind_problem(draft.token_type, where.kind, where.path, deps.offered().types)
    if mismatch is not None:
        return draft, [mismatch]
    return replace(draft, target=where.path), []
