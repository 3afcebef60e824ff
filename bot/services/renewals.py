"""Rotate and Renew from an expiry reminder: an existing token gets a fresh secret.

Both become a token request whose provisioning rotates the existing GitLab token instead of
creating one, so approval, the one-time delivery and the audit trail are the request flow's.

- **Rotate** keeps the expiry date. It needs no approval: nothing the token may do changes,
  and the old secret stops working at once.
- **Renew** rotates with a new expiry date, checked against the request policy. Whether it
  needs approval is a setting: never, when the renewed token carries a risk flag, or always.

Who may is the authorization decision's (bot.domain.access). The new secret goes to whoever
clicked, who must hold a role that covers the token, and who owns its successor; a rotation
above the clicker's role is a request like any other and waits for approvers who could hold
the token (Owners for an Owner-level one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from enum import StrEnum

from bot.domain.access import ABOVE_ROLE, Action, Outcome, Subject, Verdict
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.expiry import shown_expiry
from bot.domain.handoff import can_hand_off
from bot.domain.reminders import TrackedStatus, TrackedToken
from bot.domain.request_policy import Problem
from bot.domain.requests import (
    Delivery,
    Renewal,
    RequestDraft,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import Scope, TokenType
from bot.services.people import Person
from bot.services.ports import ConcurrentUpdateError
from bot.services.reminder_actions import ActionDeps, check_may_act, load_tracked
from bot.services.request_checks import policy_problems
from bot.services.token_requests import RequestDeps, RequestRejected

# Kinds of credential a reminder can rotate: GitLab has a rotate endpoint for the first four;
# deploy and trigger tokens are replaced (a twin is created, then the old one revoked).
ROTATABLE = frozenset(
    {
        TokenType.PROJECT_ACCESS_TOKEN,
        TokenType.GROUP_ACCESS_TOKEN,
        TokenType.SERVICE_ACCOUNT_PAT,
        TokenType.BOT_USER_PAT,
        TokenType.DEPLOY_TOKEN,
        TokenType.PIPELINE_TRIGGER_TOKEN,
    }
)


_SCOPES = frozenset(s.value for s in Scope)
UNDER_WAY = "a rotation or renewal of this token is under way already"
HANDING_OFF = (
    "a hand-off of this token is under way: finish it first (Revoke the old one now) or cancel it"
)


class RenewApproval(StrEnum):
    NEVER = "never"
    RISKY = "risky"  # when the renewed token would carry a risk flag
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class RenewDeps:
    actions: ActionDeps
    requests: RequestDeps
    approval: RenewApproval = RenewApproval.RISKY


def can_rotate(token: TrackedToken) -> bool:
    """Whether Rotate and Renew apply to this kind of token at all (who may: the gate)."""
    return token.token_type in ROTATABLE and token.status is TrackedStatus.ACTIVE


def rotate_tracked_token(
    key: str, person: Person, *, deps: RenewDeps, in_place: bool = False
) -> TokenRequest:
    """A fresh secret for the clicker: by hand-off where the type allows one (the old token
    stays live until the new one is used), else in place with the same expiry; at once,
    unless it is above their role (or, for a hand-off's new expiry, the renew setting)."""
    token, verdict = _actionable(key, person, deps)
    assert token.expires_on is not None  # noqa: S101 - _actionable refuses undated tokens
    if not in_place and can_hand_off(token):
        return _hand_off(token, verdict, person, deps)
    draft = _draft(token, token.expires_on, "fresh secret asked for from a reminder", deps)
    _may_deliver(token, draft, person, deps)
    above = verdict.outcome is Outcome.APPROVAL
    flags = _flags(draft, deps) if above else ()
    return _store(token, draft, person, needs_approval=above, flags=flags, deps=deps)


def renew_tracked_token(
    key: str,
    person: Person,
    *,
    expires_on: date,
    reason: str,
    deps: RenewDeps,
    request_id: str | None = None,
) -> TokenRequest:
    """Rotate with a new expiry date within policy; RequestRejected names the fields to fix.
    `request_id`: the id to store the renewal as (see `bot.services.submissions`)."""
    token, verdict = _actionable(key, person, deps)
    unknown = [s for s in token.scopes if s not in _SCOPES]
    if unknown:
        raise RequestError(
            f"this token has scopes tokenbot's policy does not cover ({', '.join(unknown)});"
            " renew it in GitLab, or request a new one"
        )
    draft = _draft(token, expires_on, reason.strip(), deps)
    problems = policy_problems(person, draft, deps.requests)
    if token.expires_on is not None and expires_on <= token.expires_on:
        problems.append(
            Problem("expires_on", f"choose a date after {token.expires_on.isoformat()}")
        )
    if problems:
        raise RequestRejected(problems)
    _may_deliver(token, draft, person, deps)
    above = verdict.outcome is Outcome.APPROVAL
    flags = _flags(draft, deps, above=above)
    needs = (
        above
        or deps.approval is RenewApproval.ALWAYS
        or (deps.approval is RenewApproval.RISKY and bool(flags))
    )
    return _store(
        token, draft, person, needs_approval=needs, flags=flags, deps=deps, request_id=request_id
    )


def _hand_off(
    token: TrackedToken, verdict: Verdict, person: Person, deps: RenewDeps
) -> TokenRequest:
    """A successor that outlives the old token where that needs nobody's approval: within
    today's policy, not above the clicker's role, and not what the renew setting sends to
    approvers. Otherwise it keeps the old expiry: Rotate then asks no more than an in-place
    rotation does (not held to a tighter policy either); Renew is how to extend with approval.
    """
    assert token.expires_on is not None  # noqa: S101 - _actionable refuses undated tokens
    reason = "hand-off rotation asked for from tokenbot"
    above = verdict.outcome is Outcome.APPROVAL
    draft = _draft(token, successor_expiry(token, deps.requests), reason, deps)
    if above or _extension_needs_approval(person, draft, deps):
        draft = _draft(token, token.expires_on, reason, deps)
    _may_deliver(token, draft, person, deps)
    flags = _flags(draft, deps) if above else ()
    return _store(token, draft, person, needs_approval=above, flags=flags, deps=deps, handoff=True)


def _extension_needs_approval(person: Person, draft: RequestDraft, deps: RenewDeps) -> bool:
    if policy_problems(person, draft, deps.requests):
        return True
    if deps.approval is RenewApproval.ALWAYS:
        return True
    return deps.approval is RenewApproval.RISKY and bool(_flags(draft, deps, above=False))


def successor_expiry(token: TrackedToken, deps: RequestDeps) -> date:
    """The later of the old token's expiry and the type's default lifetime from today,
    within the type's maximum: a successor should outlive the token it replaces."""
    today = deps.clock().astimezone(UTC).date()
    rule = deps.policy.rules.get(token.token_type)
    if rule is None:  # not requestable today: the policy check says so
        return token.expires_on or today
    wanted = max(token.expires_on or today, today + timedelta(days=rule.lifetime_default))
    return min(wanted, today + timedelta(days=rule.max_lifetime_days))


def _actionable(key: str, person: Person, deps: RenewDeps) -> tuple[TrackedToken, Verdict]:
    token = load_tracked(key, deps.actions)
    verdict = check_may_act(Action.ROTATE, token, person, deps.actions)
    if not can_rotate(token):
        if token.status is not TrackedStatus.ACTIVE:
            raise RequestError(f"this token is {token.status.value}; nothing to rotate")
        raise RequestError("tokenbot cannot rotate this kind of token from a reminder")
    today = deps.requests.clock().astimezone(UTC).date()
    if token.expires_on is None:
        raise RequestError("this token never expires; rotate it in GitLab if you must")
    if today >= token.expires_on:
        raise RequestError(
            f"this token expired on {token.expires_on.isoformat()} and cannot be rotated;"
            " request a new one"
        )
    with deps.requests.uow() as uow:
        open_renewals = [
            r
            for r in uow.requests.open_requests()
            if r.renews is not None and r.renews.key == token.key
        ]
        handoff = uow.handoffs.active_for(token.key)
    if open_renewals:
        raise RequestError(UNDER_WAY)
    if handoff is not None:
        raise RequestError(HANDING_OFF)
    return token, verdict


def _may_deliver(token: TrackedToken, draft: RequestDraft, person: Person, deps: RenewDeps) -> None:
    """A secret tokenbot keeps in a CI/CD variable is rewritten there by the clicker's right."""
    if draft.delivery is Delivery.CI_VARIABLE:
        gate = deps.actions.gate
        subject = Subject(gate.power_of_tracked(token), owner=token.owner)
        gate.require(Action.DELIVER, person, subject, draft.variable_project or "")


def _flags(draft: RequestDraft, deps: RenewDeps, *, above: bool = True) -> tuple[str, ...]:
    """The risk flags a new token like this would carry, and the grant above the clicker's role."""
    today = deps.requests.clock().astimezone(UTC).date()
    flags = deps.requests.policy.risk_flags(draft, today=today)
    return (*flags, ABOVE_ROLE) if above else flags


def _draft(token: TrackedToken, expires_on: date, reason: str, deps: RenewDeps) -> RequestDraft:
    """The token as it is, with the new expiry; a CI/CD variable tokenbot filled stays so."""
    delivery, project, variable = Delivery.REVEAL, None, None
    if token.request_id is not None:
        with deps.requests.uow() as uow:
            origin = uow.requests.get(token.request_id)
        if origin is not None and origin.draft.delivery is Delivery.CI_VARIABLE:
            delivery = Delivery.CI_VARIABLE
            project, variable = origin.draft.variable_project, origin.draft.variable_key
    return RequestDraft(
        token_type=token.token_type,
        target=token.namespace.path,
        name=token.name,
        scopes=tuple(Scope(s) for s in token.scopes if s in _SCOPES),
        access_level=token.access_level,
        expires_on=expires_on,
        reason=reason,
        delivery=delivery,
        variable_project=project,
        variable_key=variable,
    )


def _store(
    token: TrackedToken,
    draft: RequestDraft,
    person: Person,
    *,
    needs_approval: bool,
    flags: tuple[str, ...],
    deps: RenewDeps,
    handoff: bool = False,
    request_id: str | None = None,
) -> TokenRequest:
    now = deps.requests.clock()
    policy = deps.requests.policy
    counted = tuple(f for f in flags if f != ABOVE_ROLE)  # as many approvals as a new token
    request = TokenRequest(
        id=request_id or deps.requests.new_id(),
        requester=person.chat_id,
        requester_gitlab_id=person.gitlab_id,
        draft=draft,
        state=RequestState.PENDING if needs_approval else RequestState.APPROVED,
        created_at=now,
        pending_until=now + timedelta(days=policy.pending_days),
        required_approvals=(
            policy.required_approvals(counted, draft.token_type) if needs_approval else 0
        ),
        risk_flags=flags,
        renews=Renewal(
            token.key,
            token.gitlab_id,
            token.user_id,
            asked_by=None if token.owner in {None, person.chat_id} else person.chat_id,
            handoff=handoff,
        ),
    )
    renewing = draft.expires_on != token.expires_on
    with deps.requests.uow() as uow:
        try:
            uow.requests.add(request)  # refused while another renewal of the token is open
        except ConcurrentUpdateError:
            raise RequestError(UNDER_WAY) from None
        uow.audit.append(
            AuditEvent(
                now,
                AuditAction.RENEWAL_REQUESTED if renewing else AuditAction.ROTATION_REQUESTED,
                request.id,
                person.chat_id,
                {
                    "state": request.state.value,
                    "token": token.key,
                    "where": token.namespace.path,
                    "expires_on": shown_expiry(draft.expires_on),
                    "risk": ",".join(flags),
                },
            )
        )
        uow.commit()
    return request
