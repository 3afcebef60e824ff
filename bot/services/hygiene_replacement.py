"""Replace with a narrower token: the advisor's narrower choice for a flagged credential, and the
hand-off of the old one to the new one once it is made.

Who may replace a token is decided by the gate's REPLACE: who may rotate it, except where
rotating it would wait for more senior approvers than the narrower request gets (an
Owner-level token in a project: only its Owners replace it), since the replacement retires
the old token. The request itself is an ordinary request (policy, approvals); it hands the old
token off only when it is a narrower token of the same kind in the same place (scopes among the
old ones or their read counterparts, a role no higher), and the type can hand off. Anything
wider, or elsewhere, is just a new request: the old token stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.access import Action
from bot.domain.handoff import can_hand_off
from bot.domain.hygiene import narrower_scopes
from bot.domain.reminders import TrackedStatus, TrackedToken
from bot.domain.requests import Renewal, RequestDraft, RequestError
from bot.domain.tokens import AccessLevel, Scope
from bot.services.people import Person
from bot.services.reminder_actions import ActionDeps, check_may_act, load_tracked

REPLACEMENT_ROLE = AccessLevel.DEVELOPER  # the advisor's default: Developer, never above
_SCOPE_VALUES = frozenset(s.value for s in Scope)


@dataclass(frozen=True, slots=True)
class NarrowerChoice:
    """What the request form is filled in with."""

    scopes: tuple[Scope, ...]
    role: AccessLevel | None


def narrower_choice(token: TrackedToken) -> NarrowerChoice:
    """Read instead of write, and a role no higher than Developer."""
    scopes = tuple(Scope(s) for s in narrower_scopes(token.scopes) if s in _SCOPE_VALUES)
    role = token.access_level
    if role is not None and role > REPLACEMENT_ROLE:
        role = REPLACEMENT_ROLE
    return NarrowerChoice(scopes, role)


def check_may_replace(key: str, person: Person, *, deps: ActionDeps) -> TrackedToken:
    """The token, if this person may replace it (NotAllowedError or RequestError if not)."""
    token = load_tracked(key, deps)
    check_may_act(Action.REPLACE, token, person, deps)
    if token.status is not TrackedStatus.ACTIVE:
        raise RequestError(f"this token is {token.status.value} already; nothing to replace")
    return token


def replacement_of(
    key: str, person: Person, draft: RequestDraft, *, deps: ActionDeps
) -> Renewal | None:
    """The hand-off the request `draft` starts once provisioned, or None (a new token only).

    Decided again at the submit, from the database and the gate: the form's memory of which
    token it replaces is only a key.
    """
    token = check_may_replace(key, person, deps=deps)
    if not (_same_place(token, draft) and _no_wider(token, draft) and can_hand_off(token)):
        return None
    with deps.uow() as uow:
        if uow.handoffs.active_for(token.key) is not None:
            raise RequestError("a hand-off of this token is under way already")
        if any(r.renews is not None and r.renews.key == key for r in uow.requests.open_requests()):
            raise RequestError("a rotation or replacement of this token is under way already")
    asked_by = None if token.owner in {None, person.chat_id} else person.chat_id
    return Renewal(token.key, token.gitlab_id, token.user_id, asked_by=asked_by, handoff=True)


def _same_place(token: TrackedToken, draft: RequestDraft) -> bool:
    same_path = draft.target.strip("/").casefold() == token.namespace.path.casefold()
    return draft.token_type is token.token_type and same_path


def _no_wider(token: TrackedToken, draft: RequestDraft) -> bool:
    allowed = set(token.scopes) | set(narrower_scopes(token.scopes))
    if any(scope.value not in allowed for scope in draft.scopes):
        return False
    old, new = token.access_level, draft.access_level
    return old is None or new is None or new <= old
