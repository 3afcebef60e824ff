"""Use cases of a token request's decision phase: submit, approve, deny, cancel, expire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import NamespaceKind
from bot.domain.request_policy import Problem, RequestPolicy, approver_role
from bot.domain.requests import (
    MessageRef,
    RequestDraft,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.gitlab_errors import NotFoundError
from bot.services.gitlab_port import GitLabGateway
from bot.services.ports import Clock, ConcurrentUpdateError, UnitOfWork, UnitOfWorkFactory

DEFAULT_SECRET_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone acting through the bot: their chat id and their linked GitLab user."""

    chat_id: str
    gitlab_id: int


@dataclass(frozen=True, slots=True)
class RequestDeps:
    uow: UnitOfWorkFactory
    gitlab: GitLabGateway
    policy: RequestPolicy
    clock: Clock
    new_id: Callable[[], str]
    secret_ttl: timedelta = DEFAULT_SECRET_TTL  # how long a secret waits to be revealed


class RequestRejected(ValueError):
    """The draft cannot be submitted; `problems` name the fields to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class NotAllowedError(RequestError):
    """The person may not do this (not an approver, not the requester)."""


# The least role whose holder could use each scope; a request may not reach above its requester.
_SCOPE_ROLES = {
    Scope.READ_API: AccessLevel.REPORTER,
    Scope.READ_REPOSITORY: AccessLevel.REPORTER,
    Scope.READ_REGISTRY: AccessLevel.REPORTER,
    Scope.READ_PACKAGE_REGISTRY: AccessLevel.REPORTER,
    Scope.API: AccessLevel.DEVELOPER,
    Scope.WRITE_REPOSITORY: AccessLevel.DEVELOPER,
    Scope.WRITE_REGISTRY: AccessLevel.DEVELOPER,
    Scope.WRITE_PACKAGE_REGISTRY: AccessLevel.DEVELOPER,
    Scope.K8S_PROXY: AccessLevel.DEVELOPER,
    Scope.CREATE_RUNNER: AccessLevel.MAINTAINER,
    Scope.MANAGE_RUNNER: AccessLevel.MAINTAINER,
}
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
        problems = _duplicate(requester, draft, deps)
    if not problems:
        problems = gitlab_problems(requester, draft, deps.gitlab)
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
            expires_on=draft.expires_on.isoformat(),
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


def gitlab_problems(person: Person, draft: RequestDraft, gitlab: GitLabGateway) -> list[Problem]:
    """What live GitLab says against the draft: target, membership, no escalation."""
    try:
        where = gitlab.namespace(draft.target)
    except NotFoundError as exc:
        return [Problem("target", str(exc))]
    kind = _KIND.get(draft.token_type)
    if kind is not None and where.kind is not kind:
        return [Problem("target", f"a {draft.token_type.value} needs a {kind.value} path")]
    role = gitlab.effective_role(person.gitlab_id, draft.target)
    if role is None:
        return [Problem("target", f"you are not a member of {draft.target} in GitLab")]
    wanted = max(
        [
            draft.access_level or AccessLevel.GUEST,
            *(_SCOPE_ROLES.get(s, AccessLevel.GUEST) for s in draft.scopes),
        ]
    )
    if wanted > role:
        field = "role" if draft.access_level and draft.access_level > role else "scopes"
        return [
            Problem(
                field,
                f"you are {role.label} on {draft.target}; a token cannot get"
                f" more than you have ({wanted.label} needed)",
            )
        ]
    if draft.variable_project:
        holder = gitlab.effective_role(person.gitlab_id, draft.variable_project)
        if holder is None or holder < AccessLevel.MAINTAINER:
            return [Problem("variable_project", "you must be Maintainer of that project")]
    return []


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
    roles: dict[str, AccessLevel | None] = {}
    mine = []
    for request in candidates:
        if approver.chat_id not in deps.policy.approvers:
            target = request.draft.target
            if target not in roles:
                roles[target] = deps.gitlab.effective_role(approver.gitlab_id, target)
            role = roles[target]
            if role is None or role < approver_role(request.draft):
                continue
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
    if approver.chat_id == request.requester:
        raise NotAllowedError("you cannot decide on your own request")
    if approver.chat_id in deps.policy.approvers:
        return
    needed = approver_role(request.draft)
    role = deps.gitlab.effective_role(approver.gitlab_id, request.draft.target)
    if role is None or role < needed:
        raise NotAllowedError(
            f"deciding on this request needs {needed.label} or higher on"
            f" {request.draft.target} in GitLab"
        )


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
