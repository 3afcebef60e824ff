"""What a request form learns from GitLab while it is filled in (the target's kind and path,
the requester's role there), and what those facts already say against a draft.

The form asks GitLab when the person gives the target (Slack: Enter in the path field, or a
type chosen after it), so the types and roles it offers fit that place. At submit the facts
let every problem they show be said before the ack, at once with the rest; they only ever
refuse. The submit's own check asks GitLab again (request_review.py): facts may be stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.access import Action, Outcome, Power, Subject
from bot.domain.credentials import NamespaceKind
from bot.domain.request_policy import Problem
from bot.domain.requests import RequestDraft
from bot.domain.target_kinds import kind_problem
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gitlab_errors import GitLabError
from bot.services.people import Person
from bot.services.request_checks import field_of
from bot.services.request_deps import RequestDeps


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """The target as GitLab answered for one requester."""

    typed: str  # the path as the person gave it (facts hold for that text only)
    path: str  # GitLab's full path
    kind: NamespaceKind
    requester: Person
    role: AccessLevel | None  # the requester's role there (None: not a member)

    def fits(self, draft: RequestDraft, chat_id: str) -> bool:
        """Do these facts describe this draft's target, for this person?"""
        return self.requester.chat_id == chat_id and self.typed == typed_path(draft.target)


def typed_path(text: str) -> str:
    return text.strip().strip("/")


def learn_target(person: Person, typed: str, deps: RequestDeps) -> TargetFacts | None:
    """Ask GitLab about the target (None: no path yet, or GitLab could not say)."""
    path = typed_path(typed)
    if not path:
        return None
    try:
        where = deps.gitlab.namespace(path)
        role = deps.gitlab.effective_role(person.gitlab_id, where.path)
    except GitLabError:
        return None  # the submit's check says what is wrong with it
    return TargetFacts(path, where.path, where.kind, person, role)


def roles_up_to(roles: Sequence[AccessLevel], facts: TargetFacts | None) -> list[AccessLevel]:
    """The roles a token may get there: none above the requester's own (unknown: all)."""
    if facts is None or facts.role is None:
        return list(roles)
    ceiling = facts.role
    return [r for r in roles if r <= ceiling]


def known_problems(
    draft: RequestDraft, facts: TargetFacts | None, chat_id: str, deps: RequestDeps
) -> list[Problem]:
    """What the facts say against the draft, asking GitLab nothing: a type that cannot live
    there, and the authorization decision on the role known. Empty when the facts are about
    another path or person, or cannot judge (a trigger token runs as tokenbot's account)."""
    if facts is None or not facts.fits(draft, chat_id):
        return []
    mismatch = kind_problem(draft.token_type, facts.kind, facts.path, deps.offered().types)
    if mismatch is not None:
        return [mismatch]
    if draft.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
        return []
    power = Power(draft.token_type, facts.kind, draft.access_level, tuple(draft.scopes))
    subject = Subject(power, owner=chat_id)
    verdict = deps.gate.check_known(
        Action.REQUEST, facts.requester, facts.role, subject, facts.path
    )
    if verdict.outcome is Outcome.DENY:
        return [Problem(field_of(draft, verdict.reason, power.level), verdict.reason)]
    return []
