"""What people may do from a reminder: claim the token, let it expire, revoke it now.

Who may is the authorization decision's (bot.domain.access): the namespace's Maintainers, or
Owners for group-wide and Owner-level tokens, and configured admins; the owner may also let
it expire or revoke it. Claiming is for tokens without an owner, and decides who is told.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

from bot.domain.access import Action, Subject, Verdict
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import TokenRef
from bot.domain.reminders import OwnerSource, TrackedStatus, TrackedToken
from bot.domain.requests import RequestError
from bot.domain.tokens import TokenType
from bot.services.gate import BotIdentitySource, Gate
from bot.services.gitlab_port import GitLabGateway
from bot.services.people import Person
from bot.services.ports import Clock, UnitOfWorkFactory

# Credentials tokenbot watches but does not revoke from a reminder: a person's own PAT (their
# own to revoke, or an administrator's in GitLab) and deploy keys (tokenbot holds no path to
# remove them). Their reminders offer Let it expire and Claim only.
WATCH_ONLY = frozenset({TokenType.PERSONAL_ACCESS_TOKEN, TokenType.DEPLOY_KEY})


def can_revoke(token: TrackedToken) -> bool:
    """Whether Revoke now applies to this kind of token at all (who may: the gate)."""
    return token.token_type not in WATCH_ONLY


@dataclass(frozen=True, slots=True)
class ActionDeps:
    uow: UnitOfWorkFactory
    gitlab: GitLabGateway
    clock: Clock
    admins: Collection[str] = ()
    gate: Gate = field(default=None)  # type: ignore[assignment]  # built from gitlab if absent

    def __post_init__(self) -> None:
        given: Gate | None = self.gate
        if given is None:
            identity = BotIdentitySource(self.gitlab.bot_credential)
            object.__setattr__(self, "gate", Gate(self.gitlab, identity, self.admins))


def claim_token(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    token = load_tracked(key, deps)
    if token.owner is not None:
        raise RequestError("this token has an owner already; the reminder names them")
    check_may_act(Action.CLAIM, token, person, deps)
    claimed = replace(token, owner=person.chat_id, owner_source=OwnerSource.CLAIMED)
    return _save(claimed, AuditAction.CLAIMED, person.chat_id, deps)


def let_expire(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    token = load_tracked(key, deps)
    check_may_act(Action.LET_EXPIRE, token, person, deps)
    return _save(replace(token, muted=True), AuditAction.LET_EXPIRE, person.chat_id, deps)


def revoke_now(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    token = load_tracked(key, deps)
    if not can_revoke(token):
        raise RequestError("tokenbot does not revoke this kind of credential; do it in GitLab")
    check_may_act(Action.REVOKE, token, person, deps)
    if token.status is not TrackedStatus.ACTIVE:
        raise RequestError(f"this token is {token.status.value} already")
    with deps.uow() as uow:
        if uow.handoffs.active_for(key) is not None:  # its buttons end it (docs/handoff.md)
            raise RequestError(
                "a hand-off of this token is under way: end it from its message (Revoke the"
                " old one now, or Cancel hand-off to revoke the new one)"
            )
    deps.gitlab.revoke_token(
        TokenRef(token.token_type, token.gitlab_id, token.namespace, token.user_id)
    )
    revoked = replace(token, status=TrackedStatus.REVOKED)
    return _save(revoked, AuditAction.REVOKED_NOW, person.chat_id, deps)


def check_may_act(action: Action, token: TrackedToken, person: Person, deps: ActionDeps) -> Verdict:
    """The decision on `action` for this tracked token; NotAllowedError if it says no."""
    gate = deps.gate
    subject = Subject(
        gate.power_of_tracked(token),
        owner=token.owner,
        break_glass=_made_by_break_glass(token, deps),
    )
    return gate.require(action, person, subject, token.namespace.path)


def _made_by_break_glass(token: TrackedToken, deps: ActionDeps) -> bool:
    """Did a break-glass request make this token (then it is never rotated or renewed)?"""
    if token.request_id is None:
        return False
    with deps.uow() as uow:
        request = uow.requests.get(token.request_id)
    return request is not None and request.break_glass


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
