"""Use cases of CI/CD job token access: request, approve, deny, remove, list, settle.

Each decision asks the gate (`Action.REQUEST` on the source: the requester runs its jobs;
`Action.GRANT_JOB_TOKEN` on the target: GitLab lets only its Maintainers edit the allowlist).
The entry's intent (`adding`, `removing`) is stored before GitLab is called; `settle_job_access`
finishes what a lost answer or a crash left, from the allowlist GitLab lists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import job_token_access as jta
from bot.domain.access import Action, Outcome, Power, Subject
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.job_token_access import (
    JobAccessDraft,
    JobAccessState,
    JobTokenAccess,
    Place,
    SourceKind,
)
from bot.domain.request_policy import Problem
from bot.domain.requests import MessageRef, RequestError
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gitlab_errors import GitLabError, NotFoundError, UnavailableError
from bot.services.people import Person
from bot.services.ports import ConcurrentUpdateError, DuplicateEntryError, UnitOfWork
from bot.services.request_deps import RequestDeps, RequestRejected

log = logging.getLogger(__name__)
S = JobAccessState
LIVE = (JobAccessState.PENDING, JobAccessState.ADDING, JobAccessState.ALLOWED)
UNSETTLED = (JobAccessState.ADDING, JobAccessState.REMOVING)
# Whoever asks must be able to change the source's pipelines: Developer of the source.
_SOURCE_POWER = {
    kind: Power(TokenType.CI_JOB_TOKEN, where, AccessLevel.DEVELOPER)
    for kind, where in (
        (SourceKind.PROJECT, NamespaceKind.PROJECT),
        (SourceKind.GROUP, NamespaceKind.GROUP),
    )
}
_TARGET_POWER = Power(TokenType.CI_JOB_TOKEN, NamespaceKind.PROJECT)
Step = Callable[[JobTokenAccess, datetime], JobTokenAccess]


def submit_job_access(
    requester: Person, draft: JobAccessDraft, *, deps: RequestDeps
) -> JobTokenAccess:
    """Check the draft against GitLab and the gate, then store it as pending."""
    problems = jta.draft_problems(draft)
    if problems:
        raise _rejected(problems)
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
        id=deps.new_id(),
        requester=requester.chat_id,
        requester_gitlab_id=requester.gitlab_id,
        source_kind=draft.source_kind,
        source=source,
        target=target,
        reason=draft.reason.strip(),
        state=JobAccessState.PENDING,
        created_at=deps.clock(),
    )
    with deps.uow() as uow:
        try:
            uow.job_access.add(access)
        except DuplicateEntryError:
            uow.rollback()
            raise _rejected({"source": "This access is requested or allowed already."}) from None
        _audit(uow, access, AuditAction.REQUESTED, requester.chat_id, access.created_at)
        uow.commit()
    return access


def approve_job_access(access_id: str, approver: Person, *, deps: RequestDeps) -> JobTokenAccess:
    """A target Maintainer approves: record `adding`, then add the entry in GitLab."""
    _require_manager(load_job_access(access_id, deps), approver, deps, requester_may=False)
    access = _change(
        access_id,
        deps,
        lambda a, now: jta.approve(a, approver.chat_id, now),
        AuditAction.APPROVED,
        approver.chat_id,
    )
    return _add(access, deps)


def deny_job_access(access_id: str, by: Person, *, deps: RequestDeps) -> JobTokenAccess:
    _require_manager(load_job_access(access_id, deps), by, deps, requester_may=False)
    return _change(
        access_id, deps, lambda a, now: jta.deny(a, by.chat_id, now), AuditAction.DENIED, by.chat_id
    )


def remove_job_access(access_id: str, by: Person, *, deps: RequestDeps) -> JobTokenAccess:
    """A target Maintainer removes the entry: record `removing`, then remove it in GitLab."""
    _require_manager(load_job_access(access_id, deps), by, deps, requester_may=True)
    access = _change(
        access_id, deps, lambda a, _now: jta.start_removal(a, by.chat_id), None, by.chat_id
    )
    return _remove(access, deps)


def settle_job_access(*, deps: RequestDeps) -> list[JobTokenAccess]:
    """Finish every entry left `adding` or `removing`, from what GitLab's allowlist holds."""
    with deps.uow() as uow:
        unsettled = uow.job_access.in_states(*UNSETTLED)
    settled: list[JobTokenAccess] = []
    for access in unsettled:
        try:
            settled.append(_settle(access, deps))
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
            expired.append(_change(access.id, deps, jta.expire, AuditAction.EXPIRED, "tokenbot"))
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

    return _change(access_id, deps, step, AuditAction.CANCELLED, "tokenbot", reason=why)


def attach_job_card(access_id: str, card: MessageRef, *, deps: RequestDeps) -> JobTokenAccess:
    return _change(access_id, deps, lambda a, _now: replace(a, card=card), None, "tokenbot")


def load_job_access(access_id: str, deps: RequestDeps) -> JobTokenAccess:
    with deps.uow() as uow:
        access = uow.job_access.get(access_id)
    if access is None:
        raise RequestError("there is no such job token access request")
    return access


# ------------------------------------------------------------------------------ GitLab steps
def _add(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    target, kind, source = access.target.id, access.source_kind, access.source.id
    try:
        fresh = deps.gitlab.add_job_token_source(target, kind, source)
    except UnavailableError as exc:  # answer lost or GitLab away: stays `adding`, settled later
        log.warning("job token access %s: %s; it is settled later", access.id, exc)
        return access
    except GitLabError as exc:
        why = str(exc)

        def refuse(a: JobTokenAccess, now: datetime) -> JobTokenAccess:
            return jta.refused(a, why, now)

        return _finish(access.id, deps, refuse, AuditAction.FAILED, "tokenbot", failure=why)
    return _finish(
        access.id, deps, jta.added, AuditAction.JOB_TOKEN_ALLOWED, "tokenbot", new=_yes(fresh)
    )


def _remove(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    target, kind, source = access.target.id, access.source_kind, access.source.id
    try:
        there = deps.gitlab.remove_job_token_source(target, kind, source)
    except UnavailableError as exc:
        log.warning("job token access %s: %s; it is settled later", access.id, exc)
        return access
    except GitLabError as exc:
        why = str(exc)
        _finish(access.id, deps, lambda a, _now: jta.removal_refused(a, why), None, "tokenbot")
        raise
    by = access.removed_by or "tokenbot"
    return _finish(
        access.id, deps, jta.removed, AuditAction.JOB_TOKEN_REMOVED, by, was_listed=_yes(there)
    )


def _settle(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    there = deps.gitlab.job_token_allowlist(access.target.id).holds(
        access.source_kind, access.source.id
    )
    if access.state is JobAccessState.ADDING:
        if not there:
            return _add(access, deps)  # never reached GitLab: add it now (idempotent)
        action, step, by = AuditAction.JOB_TOKEN_ALLOWED, jta.added, "tokenbot"
    elif there:
        return _remove(access, deps)
    else:
        action, step, by = AuditAction.JOB_TOKEN_REMOVED, jta.removed, access.removed_by or ""
    return _finish(access.id, deps, step, action, by or "tokenbot", settled="yes")


def _finish(
    access_id: str,
    deps: RequestDeps,
    step: Step,
    action: AuditAction | None,
    actor: str,
    **details: str,
) -> JobTokenAccess:
    """End an intent; if another worker (a second click, the settle job) ended it first,
    its result stands."""
    try:
        return _change(access_id, deps, step, action, actor, **details)
    except RequestError:
        current = load_job_access(access_id, deps)
        if current.state in UNSETTLED:
            raise
        return current


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ------------------------------------------------------------------------------ plumbing
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
    subject = Subject(_TARGET_POWER, owner=owner, place=access.target.path)
    deps.gate.require(Action.GRANT_JOB_TOKEN, person, subject, access.target.path)


def _change(
    access_id: str,
    deps: RequestDeps,
    step: Step,
    action: AuditAction | None,
    actor: str,
    **details: str,
) -> JobTokenAccess:
    """Apply `step` with the revision guard; a lost race re-reads and re-checks."""
    for _attempt in range(3):
        with deps.uow() as uow:
            now = deps.clock()
            current = uow.job_access.get(access_id)
            if current is None:
                raise RequestError("there is no such job token access request")
            try:
                saved = uow.job_access.update(step(current, now))
            except ConcurrentUpdateError:
                uow.rollback()
                continue
            if action is not None:
                _audit(uow, saved, action, actor, now, **details)
            uow.commit()
            return saved
    raise ConcurrentUpdateError(f"job token access {access_id} kept changing; try again")


def _audit(
    uow: UnitOfWork,
    access: JobTokenAccess,
    action: AuditAction,
    actor: str,
    now: datetime,
    **details: str,
) -> None:
    event = AuditEvent(
        now,
        action,
        access.id,
        actor,
        {
            "state": access.state.value,
            "kind": "job_token_access",
            "source_kind": access.source_kind.value,
            "source": access.source.path,
            "target": access.target.path,
            **details,
        },
    )
    uow.audit.append(event)


def _rejected(problems: dict[str, str]) -> RequestRejected:
    return RequestRejected([Problem(field, message) for field, message in problems.items()])
