"""What makes a draft acceptable: the request policy (with the requester's GitLab groups),
GitLab's own paths, the authorization decision and what GitLab can make at all.

Submit asks all of it, in one round (request_review.py); approval and provisioning ask the
policy again (`policy_refusal`), so a request stored under an older policy is refused once
the policy no longer allows it.
"""

from __future__ import annotations

from datetime import UTC

from bot.domain.access import Action, Outcome, Subject
from bot.domain.request_policy import Problem, RequestPolicy
from bot.domain.requests import RequestDraft, TokenRequest
from bot.domain.token_availability import availability, needs
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gate import Gate
from bot.services.gitlab_errors import NotFoundError
from bot.services.gitlab_port import GitLabGateway
from bot.services.people import Person
from bot.services.request_deps import RequestDeps


def policy_problems(person: Person, draft: RequestDraft, deps: RequestDeps) -> list[Problem]:
    """What the request policy says against the draft today, for this requester."""
    today = deps.clock().astimezone(UTC).date()
    groups = member_groups(person, draft.token_type, deps.policy, deps.gitlab)
    return [
        *platform_problems(draft, deps),
        *deps.policy.check(draft, today=today, member_of=groups),
    ]


def platform_problems(draft: RequestDraft, deps: RequestDeps) -> list[Problem]:
    """A type this GitLab certainly cannot make (its version, offering or tier)."""
    platform = deps.platform()
    if availability(draft.token_type, platform) is not False:
        return []
    return [Problem("token_type", needs(draft.token_type, platform))]


def policy_refusal(request: TokenRequest, deps: RequestDeps) -> str | None:
    """Why the policy no longer allows a stored request (None: it still does)."""
    requester = Person(request.requester, request.requester_gitlab_id)
    problems = policy_problems(requester, request.draft, deps)
    if not problems:
        return None
    return "policy no longer allows this request: " + "; ".join(p.message for p in problems)


def approvals_needed(request: TokenRequest, deps: RequestDeps) -> int:
    """How many approvals the policy asks today for a request like this one."""
    today = deps.clock().astimezone(UTC).date()
    flags = deps.policy.risk_flags(request.draft, today=today)
    return deps.policy.required_approvals(flags, request.draft.token_type)


def provisioning_refusal(request: TokenRequest, deps: RequestDeps) -> str | None:
    """Why an approved new token may not be made, or a renewal (its Retry too) carried out,
    under today's policy (None: it may). A renewal the settings let through without approval
    is not held to the approval count; a rotation (same expiry, same power) is not checked."""
    if request.renews is not None:
        return policy_refusal(request, deps) if _extends(request, deps) else None
    refusal = policy_refusal(request, deps)
    if request.break_glass:  # no approvals: the gate's BREAK_GLASS verdict stands for them
        return refusal
    need, given = approvals_needed(request, deps), len(request.approvals)
    if refusal is None and given < need:
        refusal = f"policy now asks {need} approvals for this request and it has {given}"
    return refusal


def _extends(request: TokenRequest, deps: RequestDeps) -> bool:
    """Does this renewal move the token's expiry past what the inventory knows?"""
    assert request.renews is not None  # noqa: S101 - only asked of renewals
    with deps.uow() as uow:
        token = uow.inventory.get(request.renews.key)
    wanted = request.draft.expires_on
    if token is None or token.expires_on is None or wanted is None:
        return True  # nothing to compare with: hold it to the policy
    return wanted > token.expires_on


def member_groups(
    person: Person, token_type: TokenType, policy: RequestPolicy, gitlab: GitLabGateway
) -> frozenset[str]:
    """The groups among those that may request this type that the person belongs to in
    GitLab (directly or through a parent group); asked only when the policy names any."""
    rule = policy.rules.get(token_type)
    found = set()
    for group in rule.requesters if rule else ():
        try:
            if gitlab.effective_role(person.gitlab_id, group) is not None:
                found.add(group)
        except NotFoundError:
            continue  # a group GitLab does not show tokenbot has no members it can see
    return frozenset(found)


def gitlab_problems(person: Person, draft: RequestDraft, gate: Gate) -> list[Problem]:
    """What the authorization decision says against the draft, each tied to a form field:
    the token itself, and (when it goes into a variable) writing that variable."""
    problems = []
    power = gate.power_of_draft(draft)
    verdict = gate.check(Action.REQUEST, person, Subject(power, owner=person.chat_id), draft.target)
    if verdict.outcome is Outcome.DENY:
        problems.append(Problem(field_of(draft, verdict.reason, power.level), verdict.reason))
    if draft.variable_project:
        where = draft.variable_project
        verdict = gate.check(Action.DELIVER, person, Subject(power, person.chat_id), where)
        if verdict.outcome is Outcome.DENY:
            problems.append(Problem("variable_project", verdict.reason))
    return problems


def feasibility_problems(draft: RequestDraft, gitlab: GitLabGateway) -> list[Problem]:
    """Can GitLab make what is asked at all? A service account needs tokenbot to be allowed to
    create one there (domain/service_accounts.py); better said now than after approval."""
    if draft.token_type is not TokenType.SERVICE_ACCOUNT_PAT:
        return []
    verdict = gitlab.service_account_creation(draft.target)
    return [Problem("target", verdict.reason)] if verdict.refused else []


def field_of(draft: RequestDraft, reason: str, level: AccessLevel) -> str:
    if "not a member" in reason:
        return "target"
    if draft.access_level is not None and draft.access_level >= level:
        return "role"
    return "scopes" if draft.scopes else "token_type"
