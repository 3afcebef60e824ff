"""What people may do from a reminder: claim the token, let it expire, revoke it now.

Only the token's owner, the namespace's approvers in GitLab (Maintainers or Owners; Owners
for group-wide tokens) and configured admins may act; claiming is for tokens without an owner.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import NamespaceKind, TokenRef
from bot.domain.reminders import OwnerSource, TrackedStatus, TrackedToken
from bot.domain.requests import RequestError
from bot.domain.tokens import AccessLevel
from bot.services.gitlab_port import GitLabGateway
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.token_requests import NotAllowedError, Person


@dataclass(frozen=True, slots=True)
class ActionDeps:
    uow: UnitOfWorkFactory
    gitlab: GitLabGateway
    clock: Clock
    admins: Collection[str] = ()


def claim_token(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    token = load_tracked(key, deps)
    if token.owner is not None:
        raise RequestError(f"<@{token.owner}> owns this token already")
    check_may_act(token, person, deps, claiming=True)
    claimed = replace(token, owner=person.chat_id, owner_source=OwnerSource.CLAIMED)
    return _save(claimed, AuditAction.CLAIMED, person.chat_id, deps)


def let_expire(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    token = load_tracked(key, deps)
    check_may_act(token, person, deps)
    return _save(replace(token, muted=True), AuditAction.LET_EXPIRE, person.chat_id, deps)


def revoke_now(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    token = load_tracked(key, deps)
    check_may_act(token, person, deps)
    if token.status is not TrackedStatus.ACTIVE:
        raise RequestError(f"this token is {token.status.value} already")
    deps.gitlab.revoke_token(
        TokenRef(token.token_type, token.gitlab_id, token.namespace, token.user_id)
    )
    revoked = replace(token, status=TrackedStatus.REVOKED)
    return _save(revoked, AuditAction.REVOKED_NOW, person.chat_id, deps)


def check_may_act(
    token: TrackedToken, person: Person, deps: ActionDeps, *, claiming: bool = False
) -> None:
    if person.chat_id == token.owner or person.chat_id in deps.admins:
        return
    needed = (
        AccessLevel.OWNER if token.namespace.kind is NamespaceKind.GROUP else AccessLevel.MAINTAINER
    )
    role = deps.gitlab.effective_role(person.gitlab_id, token.namespace.path)
    if role is None or role < needed:
        who = "claim it" if claiming else "act on it"
        raise NotAllowedError(
            f"to {who} you must own the token, be {needed.label} or higher on"
            f" {token.namespace.path} in GitLab, or be a tokenbot admin"
        )


def load_tracked(key: str, deps: ActionDeps) -> TrackedToken:
    with deps.uow() as uow:
        token = uow.inventory.get(key)
    if token is None:
        raise RequestError("tokenbot no longer tracks this token")
    return token


def _save(token: TrackedToken, action: AuditAction, actor: str, deps: ActionDeps) -> TrackedToken:
    now = deps.clock()
    with deps.uow() as uow:
        uow.inventory.update(token, now)
        uow.audit.append(
            AuditEvent(
                now,
                action,
                token.key,
                actor,
                {"token": token.name, "where": token.namespace.path},
            )
        )
        uow.commit()
    return token
