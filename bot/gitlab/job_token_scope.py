"""The job token allowlist of a project, over python-gitlab's `project.job_token_scope`.

GitLab's routes (lib/api/project_job_token_scope.rb): `GET|POST /projects/:id/job_token_scope/
allowlist` (`target_project_id`), `.../groups_allowlist` (`target_group_id`) and `DELETE
.../allowlist/:target_project_id`; all want numeric ids and Maintainer on `:id`. An entry that
exists already is refused with 400 "Target project is already in the job token scope"
(`Ci::JobTokenScope::AddProjectService` rescues `RecordNotUnique`; the route answers
`bad_request!(result[:message])`), one that is not there with 400 "... is not in the job token
scope" (`RemoveProjectService`). Both are settled here by reading the allowlist again, not by
matching GitLab's wording.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import gitlab

from bot.domain.job_token_access import Allowlist, SourceKind
from bot.services.gitlab_errors import ValidationError

T = TypeVar("T")


class Caller(Protocol):
    """The gateway's guarded call; `change` names a write whose answer may be lost."""

    def call(self, what: str, operation: Callable[[], T], *, change: str | None = None) -> T: ...


_FIELD = {SourceKind.PROJECT: "target_project_id", SourceKind.GROUP: "target_group_id"}


def allowlist(caller: Caller, gl: gitlab.Gitlab, project_id: int) -> Allowlist:
    scope = _scope(caller, gl, project_id)
    what = f"the job token allowlist of project {project_id}"
    projects = caller.call(what, lambda: list(scope.allowlist.list(iterator=True)))
    groups = caller.call(what, lambda: list(scope.groups_allowlist.list(iterator=True)))
    return Allowlist(
        frozenset(int(p.get_id() or 0) for p in projects) - {project_id},
        frozenset(int(g.get_id() or 0) for g in groups),
    )


def add(
    caller: Caller, gl: gitlab.Gitlab, project_id: int, kind: SourceKind, source_id: int
) -> bool:
    """Add the source; False if GitLab had it already. OutcomeUnknownError if the answer was
    lost (the entry may be there: read the allowlist to know)."""
    manager = _manager(_scope(caller, gl, project_id), kind)
    try:
        caller.call(
            f"the job token allowlist of project {project_id}",
            lambda: manager.create({_FIELD[kind]: source_id}),
            change=f"adding {kind.value} {source_id} to the job token allowlist",
        )
    except ValidationError:
        if allowlist(caller, gl, project_id).holds(kind, source_id):
            return False
        raise
    return True


def remove(
    caller: Caller, gl: gitlab.Gitlab, project_id: int, kind: SourceKind, source_id: int
) -> bool:
    """Remove the source; False if it was not there."""
    manager = _manager(_scope(caller, gl, project_id), kind)
    try:
        caller.call(
            f"the job token allowlist of project {project_id}",
            lambda: manager.delete(source_id),
            change=f"removing {kind.value} {source_id} from the job token allowlist",
        )
    except ValidationError:
        if not allowlist(caller, gl, project_id).holds(kind, source_id):
            return False
        raise
    return True


def _scope(caller: Caller, gl: gitlab.Gitlab, project_id: int) -> Any:
    project = gl.projects.get(project_id, lazy=True)
    return caller.call(f"the job token scope of project {project_id}", project.job_token_scope.get)


def _manager(scope: Any, kind: SourceKind) -> Any:
    return scope.allowlist if kind is SourceKind.PROJECT else scope.groups_allowlist
