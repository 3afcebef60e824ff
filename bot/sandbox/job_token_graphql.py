"""Fine-grained job token permissions in GraphQL: add with policies, update them, read them.

From gitlab-org/gitlab:
- `ciJobTokenScopeAddGroupOrProject` and `ciJobTokenScopeUpdatePolicies`
  (app/graphql/mutations/ci/job_token_scope/): `authorize :admin_project` on `projectPath`
  (a top-level RESOURCE_ACCESS_ERROR otherwise), the target found by full path (group first),
  refusals as the payload's `errors` (app/services/ci/job_token_scope/*_service.rb and
  edit_scope_validations.rb: "Target project is already in the job token scope", "The group
  or project does not exist.", TARGET_PROJECT_UNAUTHORIZED_OR_UNFOUND).
- `jobTokenPolicies` are `CiJobTokenScopePolicies` values: lib/ci/job_token/policies.rb's
  POLICIES upper-cased; another value is a variable error, before anything is resolved.
- `Project.ciJobTokenScopeAllowlist { projectsAllowlist groupsAllowlist }`: connections of
  entries (types/ci/job_token_scope/allowlist_entry_type.rb), `null` with an error for a caller
  who is not a Maintainer (the resolver authorizes `admin_project`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from bot.sandbox.access import can_see_group, can_see_project, has_level
from bot.sandbox.graphql import RESOURCE_ACCESS_ERROR, GraphqlError, Operation, Resolver
from bot.sandbox.models import AccessLevel, Group, Project

# lib/ci/job_token/policies.rb (POLICIES), as the GraphQL enum names them
POLICIES = frozenset(
    name.upper()
    for name in (
        "read_deployments", "admin_deployments", "read_environments", "admin_environments",
        "read_jobs", "admin_jobs", "read_merge_requests", "read_packages", "admin_packages",
        "read_pipelines", "admin_pipelines", "read_releases", "admin_releases",
        "read_repositories", "read_secure_files", "admin_secure_files",
        "read_terraform_state", "admin_terraform_state", "read_work_items",
    )
)  # fmt: skip
_MAX_PAGE = 100
_TARGET_UNSEEN = {
    "project": "The target_project that you are attempting to access does not exist or you"
    " don't have permission to perform this action",
    "group": "The target_group that you are attempting to access does not exist or you"
    " don't have permission to perform this action",
}


def permissions_key(kind: str, source_id: int) -> str:
    return f"{kind}:{source_id}"


def add_group_or_project(op: Operation) -> dict[str, Any]:
    given = _input(op, "CiJobTokenScopeAddGroupOrProjectInput")
    policies = _policies(given.get("jobTokenPolicies") or [])
    project = _admin_project(op, given.get("projectPath"), "ciJobTokenScopeAddGroupOrProject")
    found = _target(op, given.get("targetPath"))
    if isinstance(found, str):
        return _refused(found)
    kind, target = found
    allowlist = _allowlist(project, kind)
    if target.id in allowlist:
        return _refused(f"Target {kind} is already in the job token scope")
    allowlist.append(target.id)
    default = given.get("defaultPermissions", True) is not False
    project.job_token_entry_permissions[permissions_key(kind, target.id)] = (
        default,
        () if default else policies,
    )
    return {"ciJobTokenScopeAllowlistEntry": _entry(project, kind, target), "errors": []}


def update_policies(op: Operation) -> dict[str, Any]:
    given = _input(op, "CiJobTokenScopeUpdatePoliciesInput")
    policies = _policies(given.get("jobTokenPolicies") or [])
    project = _admin_project(op, given.get("projectPath"), "ciJobTokenScopeUpdatePolicies")
    found = _target(op, given.get("targetPath"))
    if isinstance(found, str):
        return _refused(found)
    kind, target = found
    if target.id not in _allowlist(project, kind):
        return _refused("Unable to find a job token scope link for the target")
    default = given.get("defaultPermissions") is True
    project.job_token_entry_permissions[permissions_key(kind, target.id)] = (
        default,
        () if default else policies,
    )
    return {"ciJobTokenScopeAllowlistEntry": _entry(project, kind, target), "errors": []}


def project_allowlist(op: Operation) -> dict[str, Any] | None:
    """`project(fullPath:) { ciJobTokenScopeAllowlist { ... } }`; null for an unseen project."""
    path = op.argument("fullPath")
    project = op.state.project_by_full_path(str(path or ""))
    if project is None or not can_see_project(op.state, op.caller.user, project):
        return None
    if not has_level(op.state, op.caller.user, project, AccessLevel.MAINTAINER):
        raise GraphqlError(RESOURCE_ACCESS_ERROR, field="project")
    allowlist: dict[str, Any] = {}
    for kind, name in (("project", "projectsAllowlist"), ("group", "groupsAllowlist")):
        if op.asks(name):
            allowlist[name] = _connection(op, project, kind)
    return {"ciJobTokenScopeAllowlist": allowlist}


RESOLVERS: dict[str, Resolver] = {
    "ciJobTokenScopeAddGroupOrProject": add_group_or_project,
    "ciJobTokenScopeUpdatePolicies": update_policies,
    "project": project_allowlist,
}


def _input(op: Operation, type_name: str) -> Mapping[str, Any]:
    given = op.argument("input")
    if not isinstance(given, Mapping):
        raise GraphqlError(f"Variable $input of type {type_name}! was provided invalid value")
    return given


def _policies(raw: object) -> tuple[str, ...]:
    values = raw if isinstance(raw, list) else [raw]
    for index, value in enumerate(values):
        if value not in POLICIES:
            expected = ", ".join(sorted(POLICIES))
            raise GraphqlError(
                f"Variable $input was provided invalid value for jobTokenPolicies.{index}"
                f" (Expected {str(value)[:40]!r} to be one of: {expected})"
            )
    return tuple(sorted({str(v) for v in values}))


def _admin_project(op: Operation, path: object, field: str) -> Project:
    project = op.state.project_by_full_path(str(path or ""))
    user = op.caller.user
    if project is None or not has_level(op.state, user, project, AccessLevel.MAINTAINER):
        raise GraphqlError(RESOURCE_ACCESS_ERROR, field=field)
    return project


def _target(op: Operation, path: object) -> tuple[str, Project | Group] | str:
    """`Group.find_by_full_path || Project.find_by_full_path`; a message when refused."""
    wanted = str(path or "")
    group = op.state.group_by_full_path(wanted)
    if group is not None:
        seen = can_see_group(op.state, op.caller.user, group)
        return ("group", group) if seen else _TARGET_UNSEEN["group"]
    project = op.state.project_by_full_path(wanted)
    if project is None:
        return "The group or project does not exist."
    seen = can_see_project(op.state, op.caller.user, project)
    return ("project", project) if seen else _TARGET_UNSEEN["project"]


def _allowlist(project: Project, kind: str) -> list[int]:
    if kind == "group":
        return project.job_token_group_allowlist
    return project.job_token_project_allowlist


def _refused(message: str) -> dict[str, Any]:
    return {"ciJobTokenScopeAllowlistEntry": None, "errors": [message]}


def _entry(project: Project, kind: str, target: Project | Group) -> dict[str, Any]:
    default, policies = project.job_token_entry_permissions.get(
        permissions_key(kind, target.id), (True, ())
    )
    full_path = target.full_path if isinstance(target, Group) else target.path_with_namespace
    typename = "CiJobTokenAccessibleGroup" if kind == "group" else "CiJobTokenAccessibleProject"
    return {
        "defaultPermissions": default,
        "jobTokenPolicies": list(policies),
        "target": {"__typename": typename, "id": str(target.id), "fullPath": full_path},
    }


def _connection(op: Operation, project: Project, kind: str) -> dict[str, Any]:
    """Ordered by id; `first` (at most 100) and an opaque `after` cursor."""
    first = op.argument("first")
    size = min(first if isinstance(first, int) and first > 0 else _MAX_PAGE, _MAX_PAGE)
    after = op.argument("after")
    start = _offset(after) if isinstance(after, str) and after else 0
    state = op.state
    ids = [i for i in _allowlist(project, kind) if kind == "group" or i != project.id]
    targets: list[Project | Group] = [
        *(state.groups[i] for i in ids if kind == "group" and i in state.groups),
        *(state.projects[i] for i in ids if kind == "project" and i in state.projects),
    ]
    page = targets[start : start + size]
    end = start + len(page)
    return {
        "nodes": [_entry(project, kind, t) for t in page],
        "pageInfo": {"hasNextPage": end < len(targets), "endCursor": _cursor(end)},
    }


def _cursor(offset: int) -> str:
    return base64.b64encode(f'{{"offset":{offset}}}'.encode()).decode()


def _offset(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        return max(int(text.split(":", 1)[1].rstrip("}")), 0)
    except (ValueError, IndexError):
        raise GraphqlError("Invalid cursor provided") from None
