"""CI/CD job token access: one project's (or group's) jobs let into another project.

GitLab has no request or approval for this: a Maintainer of the target project edits its job
token allowlist (`POST /projects/:id/job_token_scope/allowlist` or `/groups_allowlist`). tokenbot
adds the request and the approval in front of that edit, and tracks the entry it made:

    pending --approve--> adding --GitLab added (or had it)--> allowed --remove--> removing
       |                   |                                                        |
       |                   +--GitLab refused--> failed         GitLab removed --> removed
       +--deny--> denied
       +--nobody decided in time--> expired;  no approval card posted--> withdrawn

`adding` and `removing` are recorded before GitLab is called: if the answer is lost, the
settle step reads the allowlist and finishes the entry from what GitLab holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.job_token_policies import DEFAULT_PERMISSIONS, MAX_CHOICES, JobPolicies
from bot.domain.requests import MessageRef, RequestError

REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 500
PATH_MAX_LENGTH = 255  # GitLab's full paths are at most 255 characters per level; bound it
FAILURE_MAX_LENGTH = 500


class SourceKind(StrEnum):
    PROJECT = "project"  # the jobs of one project (the project allowlist)
    GROUP = "group"  # the jobs of every project in a group (the groups allowlist)


class JobAccessState(StrEnum):
    PENDING = "pending"
    ADDING = "adding"  # approved; the allowlist entry is being added
    ALLOWED = "allowed"
    FAILED = "failed"  # GitLab refused the entry
    DENIED = "denied"
    REMOVING = "removing"  # removal asked; the entry is being removed
    REMOVED = "removed"
    WITHDRAWN = "withdrawn"  # its approval card could not be posted: nobody could decide
    EXPIRED = "expired"  # nobody decided in time

    @property
    def live(self) -> bool:
        """Holds (or may soon hold) the entry: a second request for it is a duplicate."""
        return self in _LIVE


_LIVE = frozenset(
    {JobAccessState.PENDING, JobAccessState.ADDING, JobAccessState.ALLOWED, JobAccessState.REMOVING}
)


@dataclass(frozen=True, slots=True)
class Place:
    """A project or group as GitLab names it: full path and numeric id."""

    path: str
    id: int


@dataclass(frozen=True, slots=True)
class JobAccessDraft:
    """What the requester asked: jobs of `source` need to reach the project `target`."""

    source_kind: SourceKind
    source: str
    target: str
    reason: str
    # `resource:need` choices (bot/domain/job_token_policies.py); empty: default permissions
    resources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JobTokenAccess:
    id: str
    requester: str  # chat id
    requester_gitlab_id: int
    source_kind: SourceKind
    source: Place
    target: Place  # always a project: only projects have a job token allowlist
    reason: str
    state: JobAccessState
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    removed_by: str | None = None
    finished_at: datetime | None = None
    failure: str | None = None
    card: MessageRef | None = None
    revision: int = 0
    policies: JobPolicies = DEFAULT_PERMISSIONS  # what the entry allows (GitLab's word once added)

    @property
    def entry_key(self) -> str:
        """One allowlist entry: the target, the kind and the source (numeric ids)."""
        return f"{self.target.id}:{self.source_kind.value}:{self.source.id}"

    @property
    def describe(self) -> str:
        who = "jobs of" if self.source_kind is SourceKind.PROJECT else "jobs of projects in"
        return f"{who} {self.source.path} → {self.target.path}"


@dataclass(frozen=True, slots=True)
class Allowlist:
    """A project's job token allowlist as GitLab lists it: project and group ids."""

    projects: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()

    def holds(self, kind: SourceKind, source_id: int) -> bool:
        return source_id in (self.projects if kind is SourceKind.PROJECT else self.groups)


def draft_problems(draft: JobAccessDraft) -> dict[str, str]:
    """Field -> message for what cannot be right whatever GitLab says."""
    problems: dict[str, str] = {}
    for field, value in (("source", draft.source), ("target", draft.target)):
        if not value.strip():
            problems[field] = "Give the full path of a project or group, like acme/platform/api."
        elif len(value) > PATH_MAX_LENGTH or any(c.isspace() for c in value.strip()):
            problems[field] = "That is not a GitLab path: no spaces, at most 255 characters."
    reason = draft.reason.strip()
    if len(reason) < REASON_MIN_LENGTH:
        problems["reason"] = f"Say why the jobs need it (at least {REASON_MIN_LENGTH} characters)."
    elif len(reason) > REASON_MAX_LENGTH:
        problems["reason"] = f"Keep the reason under {REASON_MAX_LENGTH} characters."
    if len(draft.resources) > MAX_CHOICES:
        problems["resources"] = f"Choose at most {MAX_CHOICES} resources."
    if not problems and draft.source.strip().lower() == draft.target.strip().lower():
        problems["target"] = "A project's own jobs can always reach it: name another project."
    return problems


def approve(access: JobTokenAccess, by: str, now: datetime) -> JobTokenAccess:
    """Approval: the entry is about to be added (recorded before GitLab is called)."""
    _expect(access, JobAccessState.PENDING, "approve")
    if by == access.requester:
        raise RequestError("you cannot approve your own request")
    return replace(access, state=JobAccessState.ADDING, decided_by=by, decided_at=now)


def deny(access: JobTokenAccess, by: str, now: datetime) -> JobTokenAccess:
    _expect(access, JobAccessState.PENDING, "deny")
    if by == access.requester:
        raise RequestError("you cannot decide on your own request")
    return replace(access, state=JobAccessState.DENIED, decided_by=by, decided_at=now)


def withdraw(access: JobTokenAccess, why: str, now: datetime) -> JobTokenAccess:
    _expect(access, JobAccessState.PENDING, "withdraw")
    failure = why[:FAILURE_MAX_LENGTH]
    return replace(access, state=JobAccessState.WITHDRAWN, finished_at=now, failure=failure)


def expire(access: JobTokenAccess, now: datetime) -> JobTokenAccess:
    _expect(access, JobAccessState.PENDING, "expire")
    return replace(access, state=JobAccessState.EXPIRED, finished_at=now)


def added(
    access: JobTokenAccess, now: datetime, confirmed: JobPolicies | None = None
) -> JobTokenAccess:
    """GitLab holds the entry; `confirmed`: the permissions GitLab lists for it, kept (with a
    note) if they are not what was asked, so the card shows what the jobs can really do."""
    _expect(access, JobAccessState.ADDING, "mark as allowed")
    policies = access.policies if confirmed is None else confirmed
    note = None
    if policies != access.policies:
        note = f"GitLab set {policies.describe} instead of {access.policies.describe}"
    return replace(
        access,
        state=JobAccessState.ALLOWED,
        finished_at=now,
        failure=note[:FAILURE_MAX_LENGTH] if note else None,
        policies=policies,
    )


def refused(access: JobTokenAccess, why: str, now: datetime) -> JobTokenAccess:
    _expect(access, JobAccessState.ADDING, "mark as failed")
    failure = why[:FAILURE_MAX_LENGTH]
    return replace(access, state=JobAccessState.FAILED, finished_at=now, failure=failure)


def start_removal(access: JobTokenAccess, by: str) -> JobTokenAccess:
    _expect(access, JobAccessState.ALLOWED, "remove")
    return replace(access, state=JobAccessState.REMOVING, removed_by=by)


def removal_refused(access: JobTokenAccess, why: str) -> JobTokenAccess:
    """GitLab refused the removal outright: the entry stays, and so does the record."""
    _expect(access, JobAccessState.REMOVING, "keep")
    return replace(access, state=JobAccessState.ALLOWED, failure=why[:FAILURE_MAX_LENGTH])


def removed(access: JobTokenAccess, now: datetime) -> JobTokenAccess:
    _expect(access, JobAccessState.REMOVING, "mark as removed")
    return replace(access, state=JobAccessState.REMOVED, finished_at=now)


def _expect(access: JobTokenAccess, state: JobAccessState, verb: str) -> None:
    if access.state is not state:
        raise RequestError(f"cannot {verb} it: this job token access is {access.state.value}")
