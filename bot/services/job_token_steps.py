"""The steps of a job token allowlist entry that talk to GitLab, and the guarded write of
one entry with its audit event: what the use cases in `job_token_access` share."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.domain import job_token_access as jta
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.job_token_access import JobAccessState, JobTokenAccess
from bot.domain.job_token_policies import JobPolicies
from bot.domain.requests import RequestError
from bot.services.gitlab_errors import GitLabError, UnavailableError
from bot.services.ports import ConcurrentUpdateError, UnitOfWork
from bot.services.request_deps import RequestDeps

log = logging.getLogger(__name__)
UNSETTLED = (JobAccessState.ADDING, JobAccessState.REMOVING)
Step = Callable[[JobTokenAccess, datetime], JobTokenAccess]


def load_job_access(access_id: str, deps: RequestDeps) -> JobTokenAccess:
    with deps.uow() as uow:
        access = uow.job_access.get(access_id)
    if access is None:
        raise RequestError("there is no such job token access request")
    return access


def add_entry(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    """Add the entry: over REST with GitLab's default permissions, or in one GraphQL mutation
    with exactly its fine-grained policies (then GitLab's listing of them is what is kept)."""
    confirmed: JobPolicies | None = None
    try:
        if access.policies.default:
            fresh = deps.gitlab.add_job_token_source(
                access.target.id, access.source_kind, access.source.id
            )
        else:
            confirmed = deps.gitlab.add_job_token_source_with_policies(
                access.target, access.source_kind, access.source, access.policies
            )
            fresh = confirmed is not None
    except UnavailableError as exc:  # answer lost or GitLab away: stays `adding`, settled later
        log.warning("job token access %s: %s; it is settled later", access.id, exc)
        return access
    except GitLabError as exc:
        why = str(exc)

        def refuse(a: JobTokenAccess, now: datetime) -> JobTokenAccess:
            return jta.refused(a, why, now)

        return finish(access.id, deps, refuse, AuditAction.FAILED, "tokenbot", failure=why)
    if not fresh:  # someone added it in GitLab meanwhile: not tokenbot's to track or remove
        return finish(
            access.id,
            deps,
            lambda a, now: jta.refused(a, ALREADY_THERE, now),
            AuditAction.FAILED,
            "tokenbot",
            failure=ALREADY_THERE,
        )
    return _allowed(access, deps, confirmed, new="yes")


def _allowed(
    access: JobTokenAccess, deps: RequestDeps, confirmed: JobPolicies | None, **details: str
) -> JobTokenAccess:
    def step(a: JobTokenAccess, now: datetime) -> JobTokenAccess:
        return jta.added(a, now, confirmed)

    if not access.policies.default:
        details["policies"] = ",".join((confirmed or access.policies).policies) or "none"
    return finish(access.id, deps, step, AuditAction.JOB_TOKEN_ALLOWED, "tokenbot", **details)


ALREADY_THERE = (
    "GitLab lists this source on the target's job token allowlist already: someone added it"
    " there since the request, so tokenbot neither tracks nor removes that entry"
)


def remove_entry(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    target, kind, source = access.target.id, access.source_kind, access.source.id
    try:
        there = deps.gitlab.remove_job_token_source(target, kind, source)
    except UnavailableError as exc:
        log.warning("job token access %s: %s; it is settled later", access.id, exc)
        return access
    except GitLabError as exc:
        why = str(exc)
        finish(access.id, deps, lambda a, _now: jta.removal_refused(a, why), None, "tokenbot")
        raise
    by = access.removed_by or "tokenbot"
    return finish(
        access.id, deps, jta.removed, AuditAction.JOB_TOKEN_REMOVED, by, was_listed=_yes(there)
    )


def settle_entry(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    if access.state is JobAccessState.ADDING and not access.policies.default:
        return _settle_fine_grained_add(access, deps)
    there = deps.gitlab.job_token_allowlist(access.target.id).holds(
        access.source_kind, access.source.id
    )
    if access.state is JobAccessState.ADDING:
        if not there:
            return add_entry(access, deps)  # never reached GitLab: add it now (idempotent)
        return _allowed(access, deps, None, settled="yes")
    if there:
        return remove_entry(access, deps)
    by = access.removed_by or "tokenbot"
    return finish(access.id, deps, jta.removed, AuditAction.JOB_TOKEN_REMOVED, by, settled="yes")


def _settle_fine_grained_add(access: JobTokenAccess, deps: RequestDeps) -> JobTokenAccess:
    """An add with policies whose answer was lost: GitLab's entry is tokenbot's only if it
    carries exactly the policies asked for; any other entry is not taken over."""
    listed = deps.gitlab.job_token_entry_policies(access.target, access.source_kind, access.source)
    if listed is None:
        return add_entry(access, deps)  # never reached GitLab: add it now
    if listed != access.policies:
        why = f"{ALREADY_THERE} (with {listed.describe})"
        return finish(
            access.id,
            deps,
            lambda a, now: jta.refused(a, why, now),
            AuditAction.FAILED,
            "tokenbot",
            failure=why,
        )
    return _allowed(access, deps, listed, settled="yes")


def finish(
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
        return change(access_id, deps, step, action, actor, **details)
    except RequestError:
        current = load_job_access(access_id, deps)
        if current.state in UNSETTLED:
            raise
        return current


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def change(
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
                audit(uow, saved, action, actor, now, **details)
            uow.commit()
            return saved
    raise ConcurrentUpdateError(f"job token access {access_id} kept changing; try again")


def audit(
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
