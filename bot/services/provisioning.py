"""Use cases after approval: create the token exactly once, deliver its secret once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import IssuedToken, Secret, TokenSpec
from bot.domain.requests import Delivery, RequestError, RequestState, TokenRequest
from bot.domain.tokens import TokenType
from bot.services.gitlab_errors import GitLabError
from bot.services.ports import UnitOfWork
from bot.services.token_requests import RequestDeps

log = logging.getLogger(__name__)
SECRET_TTL = timedelta(hours=1)
GONE = (
    "The token's secret was already revealed, or an hour passed and it was discarded;"
    " ask for a rotation to get a fresh one."
)


@dataclass(frozen=True, slots=True)
class Provisioning:
    """What happened when provisioning was attempted."""

    request: TokenRequest
    started: bool  # False: another worker had it already, or it was not approved


def provision_request(
    request_id: str, *, deps: RequestDeps, secret_ttl: timedelta = SECRET_TTL
) -> Provisioning:
    """Create the approved token in GitLab; only the worker that claims the request acts."""
    with deps.uow() as uow:
        claimed = uow.requests.claim_for_provisioning(request_id)
        if claimed is None:
            current = uow.requests.get(request_id)
            if current is None:
                raise RequestError(f"there is no request {request_id}")
            return Provisioning(current, started=False)
        _audit(uow, claimed, AuditAction.PROVISIONING, deps.clock())
        uow.commit()
    try:
        issued = deps.gitlab.create_token(_spec(claimed))
        if claimed.draft.delivery is Delivery.CI_VARIABLE:
            _deliver_to_variable(claimed, issued, deps)
    except GitLabError as exc:
        return Provisioning(_record_failure(claimed, str(exc), deps), started=True)
    now = deps.clock()
    with deps.uow() as uow:
        done = uow.requests.update(claimed.provisioned(issued.record.gitlab_id))
        if claimed.draft.delivery is Delivery.REVEAL:
            uow.secrets.put(claimed.id, issued.secret, expires_at=now + secret_ttl)
        _audit(
            uow, done, AuditAction.PROVISIONED, now, gitlab_token_id=str(issued.record.gitlab_id)
        )
        uow.commit()
    return Provisioning(done, started=True)


def reveal_secret(request_id: str, who: str, *, deps: RequestDeps) -> tuple[TokenRequest, Secret]:
    """The secret, once, to the requester only; it is deleted as it is read."""
    now = deps.clock()
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
        if request is None or request.requester != who:
            raise RequestError("only the requester can reveal this token")
        if request.state is not RequestState.PROVISIONED:
            raise RequestError(f"this request is {request.state.value}")
        secret = uow.secrets.take(request_id, now=now)
        if secret is None:
            raise RequestError(GONE)
        _audit(uow, request, AuditAction.REVEALED, now, actor=who)
        uow.commit()
    return request, secret


def discard_unrevealed(*, deps: RequestDeps) -> list[str]:
    """Delete secrets nobody revealed in time (default one hour)."""
    now = deps.clock()
    with deps.uow() as uow:
        gone = uow.secrets.discard_expired(now=now)
        for request_id in gone:
            uow.audit.append(AuditEvent(now, AuditAction.SECRET_DISCARDED, request_id, "tokenbot"))
        uow.commit()
    return gone


def _deliver_to_variable(request: TokenRequest, issued: IssuedToken, deps: RequestDeps) -> None:
    project, key = request.draft.variable_project or "", request.draft.variable_key or ""
    try:
        deps.gitlab.set_ci_variable(project, key, issued.secret)
    except GitLabError:
        # A token nobody can receive must not stay alive.
        deps.gitlab.revoke_token(issued.record.ref)
        raise
    with deps.uow() as uow:
        _audit(uow, request, AuditAction.DELIVERED, deps.clock(), project=project, key=key)
        uow.commit()


def _record_failure(request: TokenRequest, reason: str, deps: RequestDeps) -> TokenRequest:
    log.warning("provisioning request %s failed: %s", request.id, reason)
    with deps.uow() as uow:
        failed = uow.requests.update(request.failed(reason))
        _audit(uow, failed, AuditAction.FAILED, deps.clock(), reason=reason)
        uow.commit()
    return failed


def _spec(request: TokenRequest) -> TokenSpec:
    draft = request.draft
    return TokenSpec(
        token_type=draft.token_type,
        where=draft.target,
        name=draft.name,
        scopes=draft.scopes,
        access_level=draft.access_level,
        expires_on=draft.expires_on,
        description=f"requested via tokenbot ({request.id}): {draft.reason}"[:255],
        service_account=draft.name if draft.token_type is TokenType.SERVICE_ACCOUNT_PAT else None,
    )


def _audit(
    uow: UnitOfWork,
    request: TokenRequest,
    action: AuditAction,
    now: datetime,
    actor: str = "tokenbot",
    **details: str,
) -> None:
    uow.audit.append(
        AuditEvent(now, action, request.id, actor, {"state": request.state.value, **details})
    )
