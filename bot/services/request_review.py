"""One round of checks for a draft: every problem the policy, GitLab and the authorization
decision find, said together. Submit asks all of them before it stores anything; a check
that needs an earlier one's answer (the target's kind before the role there) is skipped only
when that answer is missing, never because another field has a problem."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from bot.domain.credentials import Namespace
from bot.domain.request_policy import Problem
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.target_kinds import kind_problem
from bot.services.gitlab_errors import NotFoundError
from bot.services.people import Person
from bot.services.request_checks import (
    feasibility_problems,
    gitlab_problems,
    member_groups,
    platform_problems,
)
from bot.services.request_deps import RequestDeps


def review_draft(
    person: Person, draft: RequestDraft, deps: RequestDeps, *, request_id: str | None = None
) -> tuple[RequestDraft, list[Problem]]:
    """The draft with GitLab's own paths, and every problem with it (empty: it may be stored).

    `request_id`: the id this submit will store under; a request already stored under it is
    this same submit arriving again, not a duplicate of it.
    """
    draft = without_unused_delivery(draft)
    today = deps.clock().astimezone(UTC).date()
    problems = [*platform_problems(draft, deps), *deps.policy.shape_problems(draft, today=today)]
    groups = member_groups(person, draft.token_type, deps.policy, deps.gitlab)
    problems += deps.policy.requester_problems(draft.token_type, groups)
    target = _place(draft.target, "target", problems, deps)
    mismatch = None
    if target is not None:
        offered = deps.offered().types
        mismatch = kind_problem(draft.token_type, target.kind, target.path, offered)
        problems += [mismatch] if mismatch else []
        draft = replace(draft, target=target.path)
    variable = _place(draft.variable_project or "", "variable_project", problems, deps)
    if variable is not None:
        draft = replace(draft, variable_project=variable.path)
    if target is not None and mismatch is None:
        problems += _checks_at_target(person, draft, deps, request_id, deliver=variable is not None)
    return draft, merged(problems)


def without_unused_delivery(draft: RequestDraft) -> RequestDraft:
    """Variable fields mean nothing unless the secret goes into a variable: dropped, unread."""
    if draft.delivery is Delivery.CI_VARIABLE:
        return draft
    return replace(draft, variable_project=None, variable_key=None)


def merged(problems: list[Problem]) -> list[Problem]:
    """One problem per field (Slack shows one message a field), in the order found."""
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        said = by_field.setdefault(problem.field, [])
        if problem.message not in said:
            said.append(problem.message)
    return [Problem(name, "; ".join(messages)) for name, messages in by_field.items()]


def _place(path: str, field: str, problems: list[Problem], deps: RequestDeps) -> Namespace | None:
    """GitLab's namespace at `path` (None when empty or unknown, which adds its problem)."""
    if not path.strip():
        return None
    try:
        return deps.gitlab.namespace(path)
    except NotFoundError as exc:
        problems.append(Problem(field, str(exc)))
        return None


def _checks_at_target(
    person: Person, draft: RequestDraft, deps: RequestDeps, request_id: str | None, *, deliver: bool
) -> list[Problem]:
    """What needs the target to exist: an open duplicate, the decision, GitLab's ability."""
    problems = _duplicate(person, draft, deps, request_id)
    checked = draft if deliver else replace(draft, variable_project=None)
    problems += gitlab_problems(person, checked, deps.gate)
    problems += feasibility_problems(draft, deps.gitlab)
    return problems


def _duplicate(
    requester: Person, draft: RequestDraft, deps: RequestDeps, request_id: str | None
) -> list[Problem]:
    """A second request for the same name in the same place is refused, not stored twice."""
    with deps.uow() as uow:
        mine = uow.requests.of_requester(requester.chat_id)
    for request in mine:
        if (
            request.id != request_id
            and request.state.open
            and request.draft.target == draft.target
            and request.draft.name == draft.name
        ):
            return [Problem("name", f"you have an open request for '{draft.name}' there already")]
    return []
