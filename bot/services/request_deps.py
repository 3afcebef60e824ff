"""What the token request use cases share: their collaborators, the refusal that names form
fields, and the guarded read-change-write of one request with its audit event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.breakglass import BreakGlassPolicy
from bot.domain.platform import Platform
from bot.domain.request_policy import Problem, RequestPolicy
from bot.domain.requests import RequestError, TokenRequest
from bot.domain.token_availability import availability
from bot.services.gate import BotIdentitySource, Gate
from bot.services.gitlab_port import GitLabGateway
from bot.services.ports import Clock, ConcurrentUpdateError, UnitOfWork, UnitOfWorkFactory

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
    platform: Callable[[], Platform] = Platform  # the GitLab as best known now
    handoff_hours: int = 72  # TOKENBOT_HANDOFF_HOURS: how long a hand-off keeps the old token
    breakglass: BreakGlassPolicy = field(default_factory=BreakGlassPolicy)  # default: nobody
    gitlab_url: str = ""  # GITLAB_URL: the host in the commands shown with a new secret

    def offered(self) -> RequestPolicy:
        """The policy for the types this GitLab can make: what the forms offer."""
        platform = self.platform()
        return self.policy.restricted_to(
            [t for t in self.policy.types if availability(t, platform) is not False]
        )

    def __post_init__(self) -> None:
        given: Gate | None = self.gate
        if given is None:
            gate = Gate(
                self.gitlab,
                BotIdentitySource(self.gitlab.bot_credential),
                approvers=self.policy.approvers,
                breakglass_groups=self.breakglass.groups,
            )
            object.__setattr__(self, "gate", gate)


class RequestRejected(ValueError):
    """The draft cannot be submitted; `problems` name the fields to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def load_request(request_id: str, deps: RequestDeps) -> TokenRequest:
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None:
        raise RequestError(f"there is no request {request_id}")
    return request


def change_request(
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
            audit(uow, saved, action, actor, now, **details)
            uow.commit()
            return saved
    raise ConcurrentUpdateError(f"request {request_id} kept changing; try again")


def audit(
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
