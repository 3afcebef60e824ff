"""Use cases of CI/CD job token access: request, approve, deny, remove, list, settle.

Each decision asks the gate (`Action.REQUEST` on the source: the requester runs its jobs;
`Action.GRANT_JOB_TOKEN` on the target: GitLab lets only its Maintainers edit the allowlist).
The entry's intent (`adding`, `removing`) is stored before GitLab is called; `settle_job_access`
finishes what a lost answer or a crash left, from the allowlist GitLab lists.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import job_token_access as jta
from bot.domain.access import Action, Outcome, Power, Subject
from bot.domain.audit import AuditAction
from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.gitlab_features import Feature, Verdict
from bot.domain.job_token_access import (
    JobAccessDraft,
    JobAccessState,
    JobTokenAccess,
    Place,
    SourceKind,
)
from bot.domain.job_token_policies import (
    DEFAULT_PERMISSIONS,
    JobPolicies,
    PolicyChoiceError,
    least_policies,
)
from bot.domain.request_policy import Problem
from bot.domain.requests import MessageRef, RequestError
from bot.domain.token_availability import feature_verdict
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gitlab_errors import GitLabError, NotFoundError
from bot.services.job_token_steps import (
    UNSETTLED,
    add_entry,
    audit,
    change,
    load_job_access,
    remove_entry,
    settle_entry,
)
from bot.services.people import NotAllowedError, Person
from bot.services.ports import ConcurrentUpdateError, DuplicateEntryError
from bot.services.request_deps import RequestDeps, RequestRejected

log = logging.getLogger(__name__)
S = JobAccessState
LIVE = (JobAccessState.PENDING, JobAccessState.ADDING, JobAccessState.ALLOWED)
# Whoever asks must be able to change the source's pipelines: Developer of the source.
_SOURCE_POWER = {
    kind: Power(TokenType.CI_JOB_TOKEN, where, AccessLevel.DEVELOPER)
    for kind, where in (
        (SourceKind.PROJECT, NamespaceKind.PROJECT),
        (SourceKind.GROUP, NamespaceKind.GROUP),
    )
}
_TARGET_POWER = Power(TokenType.CI_JOB_TOKEN, NamespaceKind.PROJECT)


def submit_job_access(
    requester: Person, draft: JobAccessDraft, *, deps: RequestDeps, access_id: str | None = None
) -> JobTokenAccess:
    """Check the draft against GitLab and the gate, then store it as pending (as `access_id`
    when given: see `bot.services.submissions`)."""
    problems = jta.draft_problems(draft)
    if problems:
        raise _rejected(problems)
    policies = _policies(draft, deps)
    source, target = _places(draft, deps)
    verdict = deps.gate.check(
        Action.REQUEST,
        requester,
        Subject(_SOURCE_POWER[draft.source_kind], owner=requester.chat_id),
        source.path,
    )
    if verdict.outcome is Outcome.DENY:
        raise _rejected({"source": f"Not requested: {verdict.reason}."})
    if deps.gitlab.job_token_allowlist(target.id).holds(draft.source_kind, source.id):
        raise _rejected({"source": f"{source.path} is on {target.path}'s allowlist already."})
    access = JobTokenAccess(
        id=access_id or deps.new_id(),
        requester=requester.chat_id,
        requester_gitlab_id=requester.gitlab_id,
        source_kind=draft.source_kind,
        source=source,
        target=target,
        reason=draft.reason.strip(),
        state=JobAccessState.PENDING,
        created_at=deps.clock(),
        policies=policies,
    )
    with deps.uow() as uow:
        try:
            uow.job_access.add(access)
        except DuplicateEntryError:
            uow.rollback()
            raise _rejected({"source": "This access is requested or allowed already."}) from None
        audit(uow, access, AuditAction.REQUESTED, requester.chat_id, access.created_at)
        uow.commit()
    return access


def approve_job_access(access_id: str, approver: Person, *, deps: RequestDeps) -> JobTokenAccess:
    """A target Maintainer approves: record `adding`, then add the entry in GitLab."""
    _require_manager(load_job_access(access_id, deps), approver, deps, requester_may=False)
    access = change(
        access_id,
        deps,
        lambda a, now: jta.approve(a, approver.chat_id, now),
        AuditAction.APPROVED,
        approver.chat_id,
    )
    return add_entry(access, deps)


def deny_job_access(access_id: str, by: Person, *, deps: RequestDeps) -> JobTokenAccess:
    _require_manager(load_job_access(access_id, deps), by, deps, requester_may=False)
    return change(
        access_id, deps, lambda a, now: jta.deny(a, by.chat_id, now), AuditAction.DENIED, by.chat_id
    )


def remove_job_access(access_id: str, by: Person, *, deps: RequestDeps) -> JobTokenAccess:
    """A target Maintainer removes the entry: record `removing`, then remove it in GitLab."""
    _require_manager(load_job_access(access_id, deps), by, deps, requester_may=True)
    access = change(
        access_id, deps, lambda a, _now: jta.start_removal(a, by.chat_id), None, by.chat_id
    )
    return remove_entry(access, deps)


def settle_job_access(*, deps: RequestDeps) -> list[JobTokenAccess]:
    """Finish every entry left `adding` or `removing`, from what GitLab's allowlist holds."""
    with deps.uow() as uow:
        unsettled = uow.job_access.in_states(*UNSETTLED)
    settled: list[JobTokenAccess] = []
    for access in unsettled:
        try:
            settled.append(settle_entry(access, deps))
        except (GitLabError, RequestError, ConcurrentUpdateError) as exc:
            log.warning("job token access %s is not settled yet: %s", access.id, exc)
    return settled


def expire_job_access(*, deps: RequestDeps) -> list[JobTokenAccess]:
    """Pending requests nobody decided on within the policy's pending days expire."""
    cutoff = deps.clock() - timedelta(days=deps.policy.pending_days)
    with deps.uow() as uow:
        stale = [a for a in uow.job_access.in_states(S.PENDING) if a.created_at < cutoff]
    expired = []
    for access in stale:
        try:
            expired.append(change(access.id, deps, jta.expire, AuditAction.EXPIRED, "tokenbot"))
        except RequestError:
            continue  # decided meanwhile
    return expired


def job_access_for(person: Person, *, deps: RequestDeps) -> list[JobTokenAccess]:
    """Live entries the person asked for, or may remove (Maintainer of the target)."""
    with deps.uow() as uow:
        live = uow.job_access.in_states(*LIVE)
    gate = deps.gate.remembering()

    def manages(access: JobTokenAccess) -> bool:
        subject = Subject(_TARGET_POWER, place=access.target.path)
        verdict = gate.check(Action.GRANT_JOB_TOKEN, person, subject, access.target.path)
        return verdict.allowed

    return [a for a in live if a.requester == person.chat_id or manages(a)]


def withdraw_job_access(access_id: str, why: str, *, deps: RequestDeps) -> JobTokenAccess:
    """Nobody can decide on it (its card was not posted): free the entry for a new request."""

    def step(access: JobTokenAccess, now: datetime) -> JobTokenAccess:
        return jta.withdraw(access, why, now)

    return change(access_id, deps, step, AuditAction.CANCELLED, "tokenbot", reason=why)


def attach_job_card(access_id: str, card: MessageRef, *, deps: RequestDeps) -> JobTokenAccess:
    return change(access_id, deps, lambda a, _now: replace(a, card=card), None, "tokenbot")


def fine_grained_verdict(deps: RequestDeps) -> Verdict:
    """May a request name the resources its jobs need (GitLab 18.3's fine-grained permissions)?"""
    return feature_verdict(Feature.FINE_GRAINED_JOB_TOKENS, deps.platform())


# ------------------------------------------------------------------------------ plumbing
def _policies(draft: JobAccessDraft, deps: RequestDeps) -> JobPolicies:
    """The least policies for the chosen resources; none chosen: GitLab's defaults."""
    if not draft.resources:
        return DEFAULT_PERMISSIONS
    verdict = fine_grained_verdict(deps)
    if not verdict.yes:
        raise _rejected(
            {
                "resources": f"Fine-grained job token permissions {verdict.reason}: leave the"
                " resources empty for GitLab's default permissions."
            }
        )
    try:
        return least_policies(draft.resources)
    except PolicyChoiceError as exc:
        raise _rejected({"resources": str(exc)}) from None


def _places(draft: JobAccessDraft, deps: RequestDeps) -> tuple[Place, Place]:
    target = _find(draft.target.strip(), "target", deps)
    if target.kind is not NamespaceKind.PROJECT:
        raise _rejected({"target": "Only a project has a job token allowlist: name a project."})
    source = _find(draft.source.strip(), "source", deps)
    wanted = (
        NamespaceKind.PROJECT if draft.source_kind is SourceKind.PROJECT else NamespaceKind.GROUP
    )
    if source.kind is not wanted:
        raise _rejected(
            {"source": f"{source.path} is a {source.kind.value}, not a {wanted.value}."}
        )
    if source.kind is NamespaceKind.PROJECT and source.id == target.id:
        raise _rejected({"target": "A project's own jobs can always reach it."})
    return Place(source.path, source.id), Place(target.path, target.id)


def _find(path: str, field: str, deps: RequestDeps) -> Namespace:
    try:
        return deps.gitlab.namespace(path)
    except NotFoundError:
        raise _rejected({field: "tokenbot cannot find that project or group in GitLab."}) from None


def _require_manager(
    access: JobTokenAccess, person: Person, deps: RequestDeps, *, requester_may: bool
) -> None:
    owner = None if requester_may else access.requester
    if not requester_may and person.gitlab_id == access.requester_gitlab_id:
        owner = person.chat_id  # the same GitLab user from another surface (shell, Slack)
    subject = Subject(_TARGET_POWER, owner=owner, place=access.target.path)
    deps.gate.require(Action.GRANT_JOB_TOKEN, person, subject, access.target.path)
    try:
        now_there = deps.gitlab.namespace(access.target.path).id
    except NotFoundError:
        now_there = None
    if now_there != access.target.id:  # the role was read at a path another project holds now
        raise NotAllowedError(
            f"{access.target.path} is no longer the project this request named (it was moved"
            " or renamed): ask for job-token access again"
        )


def _rejected(problems: dict[str, str]) -> RequestRejected:
    return RequestRejected([Problem(field, message) for field, message in problems.items()])
