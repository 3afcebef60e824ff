"""Use cases of a token request's decision phase: submit, approve, deny, cancel, expire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.domain.access import Action, Outcome, Subject
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import NamespaceKind
from bot.domain.request_policy import Problem, RequestPolicy
from bot.domain.requests import (
    MessageRef,
    RequestDraft,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gate import BotIdentitySource, Gate, request_subject
from bot.services.gitlab_errors import NotFoundError
from bot.services.gitlab_port import GitLabGateway
from bot.services.people import NotAllowedError, Person
from bot.services.ports import Clock, ConcurrentUpdateError, UnitOfWork, UnitOfWorkFactory

__all__ = ["NotAllowedError", "Person", "RequestDeps", "RequestRejected"]

DEFAULT_SECRET_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class RequestDeps:
    uow: UnitOfWorkFactory
    gitlab: GitLabGateway
    policy: RequestPolicy
    clock: Clock
    new_id: Callable[[], str]
    secret_ttl: timedelta = DEFAULT_SECRET_TTL  # how long a secret waits to be revealed
    gate: Gate = field(default=None)  # type: ignore[assignment]  # built from gitlab if absent

    def __post_init__(self) -> None:
        given: Gate | None = self.gate
        if given is None:
            gate = Gate(
                self.gitlab,
                BotIdentitySource(self.gitlab.bot_credential),
                approvers=self.policy.approvers,
            )
            object.__setattr__(self, "gate", gate)


class RequestRejected(ValueError):
    """The draft cannot be submitted; `problems` name the fields to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


_KIND = {
    TokenType.PROJECT_ACCESS_TOKEN: NamespaceKind.PROJECT,
    TokenType.PIPELINE_TRIGGER_TOKEN: NamespaceKind.PROJECT,
    TokenType.GROUP_ACCESS_TOKEN: NamespaceKind.GROUP,
    TokenType.SERVICE_ACCOUNT_PAT: NamespaceKind.GROUP,
}


def submit_request(requester: Person, draft: RequestDraft, *, deps: RequestDeps) -> TokenRequest:
    """Check the draft against policy and live GitLab, then store it as PENDING."""
    now = deps.clock()
    today = now.astimezone(UTC).date()
    problems = deps.policy.check(draft, requester=requester.chat_id, today=today)
    if not problems:
        draft, problems = canonical_draft(draft, deps.gitlab)
    if not problems:
        problems = _duplicate(requester, draft, deps)
    if not problems:
        problems = gitlab_problems(requester, draft, deps.gate)
    if not problems:
        problems = feasibility_problems(draft, deps.gitlab)
    if problems:
        raise RequestRejected(problems)
    flags = deps.policy.risk_flags(draft, today=today)
    request = TokenRequest(
        id=deps.new_id(),
        requester=requester.chat_id,
        requester_gitlab_id=requester.gitlab_id,
        draft=draft,
        state=RequestState.PENDING,
        created_at=now,
        pending_until=now + timedelta(days=deps.policy.pending_days),
        required_approvals=deps.policy.required_approvals(flags),
        risk_flags=flags,
    )
    with deps.uow() as uow:
        uow.requests.add(request)
        _audit(
            uow,
            request,
            AuditAction.REQUESTED,
            requester.chat_id,
            now,
            type=draft.token_type.value,
            target=draft.target,
            scopes=",".join(draft.scopes),
            role=draft.access_level.label if draft.access_level else "",
            expires_on=draft.expires_on.isoformat() if draft.expires_on else "",
            risk=",".join(flags),
        )
        uow.commit()
    return request


def _duplicate(requester: Person, draft: RequestDraft, deps: RequestDeps) -> list[Problem]:
    """A second submit of the same request (a retried form) is refused, not stored twice."""
    with deps.uow() as uow:
        mine = uow.requests.of_requester(requester.chat_id)
    for request in mine:
        if (
            request.state.open
            and request.draft.target == draft.target
            and request.draft.name == draft.name
        ):
            return [Problem("name", f"you have an open request for '{draft.name}' there already")]
    return []


def canonical_draft(
    draft: RequestDraft, gitlab: GitLabGateway
) -> tuple[RequestDraft, list[Problem]]:
    """The draft with GitLab's own full paths for its target and variable project.

    However the person typed them (another case, a numeric id, slashes around), routing,
    cards, duplicate checks and the audit see the one path GitLab uses.
    """
    try:
        where = gitlab.namespace(draft.target)
    except NotFoundError as exc:
        return draft, [Problem("target", str(exc))]
    kind = _KIND.get(draft.token_type)
    if kind is not None and where.kind is not kind:
        what = "project" if kind is NamespaceKind.PROJECT else "group"
        return draft, [Problem("target", f"this token type lives in a {what}; give a {what} path")]
    variable_project = draft.variable_project
    if variable_project:
        try:
            variable_project = gitlab.namespace(variable_project).path
        except NotFoundError as exc:
            return draft, [Problem("variable_project", str(exc))]
    return replace(draft, target=where.path, variable_project=variable_project), []


def gitlab_problems(person: Person, draft: RequestDraft, gate: Gate) -> list[Problem]:
    """What the authorization decision says against the draft, tied to a form field."""
    power = gate.power_of_draft(draft)
    verdict = gate.check(Action.REQUEST, person, Subject(power, owner=person.chat_id), draft.target)
    if verdict.outcome is Outcome.DENY:
        return [Problem(_field_of(draft, verdict.reason, power.level), verdict.reason)]
    if draft.variable_project:
        where = draft.variable_project
        verdict = gate.check(Action.DELIVER, person, Subject(power, person.chat_id), where)
        if verdict.outcome is Outcome.DENY:
            return [Problem("variable_project", verdict.reason)]
    return []


def feasibility_problems(draft: RequestDraft, gitlab: GitLabGateway) -> list[Problem]:
    """Can GitLab make what is asked at all? A service account needs tokenbot to be allowed to
    create one there (domain/service_accounts.py); better said now than after approval."""
    if draft.token_type is not TokenType.SERVICE_ACCOUNT_PAT:
        return []
    verdict = gitlab.service_account_creation(draft.target)
    return [Problem("target", verdict.reason)] if verdict.refused else []


def _field_of(draft: RequestDraft, reason: str, level: AccessLevel) -> str:
    if "not a member" in reason:
        return "target"
    if draft.access_level is not None and draft.access_level >= level:
        return "role"
    return "scopes" if draft.scopes else "token_type"


def approve_request(request_id: str, approver: Person, *, deps: RequestDeps) -> TokenRequest:
    """Record an approval by someone allowed to give it; policy is checked again here."""
    request = _load(request_id, deps)
    today = deps.clock().astimezone(UTC).date()
    problems = deps.policy.check(request.draft, requester=request.requester, today=today)
    if problems:
        raise RequestError(
            "policy no longer allows this request: " + "; ".join(p.message for p in problems)
        )
    _must_be_approver(request, approver, deps)
    return _change(
        request_id,
        deps,
        lambda r, now: r.approved_by(approver.chat_id, now=now),
        AuditAction.APPROVED,
        approver.chat_id,
    )


def deny_request(
    request_id: str, approver: Person, reason: str, *, deps: RequestDeps
) -> TokenRequest:
    request = _load(request_id, deps)
    _must_be_approver(request, approver, deps)
    return _change(
        request_id,
        deps,
        lambda r, now: r.denied_by(approver.chat_id, reason),
        AuditAction.DENIED,
        approver.chat_id,
        reason=reason.strip(),
    )


def cancel_request(request_id: str, requester: str, *, deps: RequestDeps) -> TokenRequest:
    return _change(
        request_id, deps, lambda r, now: r.cancelled_by(requester), AuditAction.CANCELLED, requester
    )


def withdraw_request(request_id: str, reason: str, *, deps: RequestDeps) -> TokenRequest:
    """Close a request nobody could be asked about: storing it and its card are one outcome."""
    return _change(
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
                _change(
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
    request = _load(request_id, deps)
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
        subject = request_subject(request, gate.power_of_request(request))
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
    done = {RequestState.PROVISIONED, RequestState.ROTATING}
    renewed = {r.renews.gitlab_id for r in mine if r.renews is not None and r.state in done}
    return sorted(
        (r for r in mine if not (r.state in done and r.gitlab_token_id in renewed)),
        key=lambda r: r.created_at,
        reverse=True,
    )


def attach_card(request_id: str, card: MessageRef, *, deps: RequestDeps) -> None:
    with deps.uow() as uow:
        uow.requests.attach_card(request_id, card)
        uow.commit()


def _must_be_approver(request: TokenRequest, approver: Person, deps: RequestDeps) -> None:
    gate = deps.gate
    subject = request_subject(request, gate.power_of_request(request))
    gate.require(Action.APPROVE, approver, subject, request.draft.target)


def _load(request_id: str, deps: RequestDeps) -> TokenRequest:
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None:
        raise RequestError(f"there is no request {request_id}")
    return request


def _change(
    request_id: str,
    deps: RequestDeps,
    step: Callable[[TokenRequest, datetime], TokenRequest],
    action: AuditAction,
    actor: str,
    **details: str,
) -> TokenRequest:
    """Apply a state change with the revision guard; a lost race re-reads and re-checks."""
    for _attempt in range(3):
        with deps.uow() as uow:
            now = deps.clock()
            current = uow.requests.get(request_id)
            if current is None:
                raise RequestError(f"there is no request {request_id}")
            updated = step(current, now)
            try:
                saved = uow.requests.update(updated)
            except ConcurrentUpdateError:
                uow.rollback()
                continue
            _audit(uow, saved, action, actor, now, **details)
            uow.commit()
            return saved
    raise ConcurrentUpdateError(f"request {request_id} kept changing; try again")


def _audit(
    uow: UnitOfWork,
    request: TokenRequest,
    action: AuditAction,
    actor: str,
    now: datetime,
    **details: str,
) -> None:
    uow.audit.append(
        AuditEvent(now, action, request.id, actor, {"state": request.state.value, **details})
    )
