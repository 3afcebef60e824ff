"""CI/CD job token scope: the inbound switch and the project and group allowlists.

GitLab's `lib/api/project_job_token_scope.rb` declares `requires :id, type: Integer` on the four
routes that change an allowlist, and `target_project_id` / `target_group_id` as Integer too:
there a project path (or any non-integer) is Grape's `400 {"error": "id is invalid"}`, checked
before anything is looked up. Only the two GETs and the PATCH take a URL-encoded path for `:id`.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import can_see_group, can_see_project, find_project, has_level
from bot.sandbox.entities import project_basic
from bot.sandbox.messages import ApiResponse, bad_request, forbidden, no_content, not_found
from bot.sandbox.models import AccessLevel, Group, Project
from bot.sandbox.pagination import paginate
from bot.sandbox.params import ParamReader
from bot.sandbox.routing import Context, Router

_BASE = "/projects/{id}/job_token_scope"


def _project(ctx: Context) -> Project:
    project = find_project(ctx.state, ctx.user, ctx.args["id"])
    if not has_level(ctx.state, ctx.user, project, AccessLevel.MAINTAINER):
        raise forbidden()
    return project


def show_scope(ctx: Context) -> ApiResponse:
    project = _project(ctx)
    body = {"inbound_enabled": project.job_token_inbound_enabled, "outbound_enabled": False}
    return ApiResponse(200, body)


def update_scope(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    enabled = reader.boolean("enabled", required=True)
    reader.check()
    project = _project(ctx)
    project.job_token_inbound_enabled = bool(enabled)
    return no_content()


def list_project_allowlist(ctx: Context) -> ApiResponse:
    project = _project(ctx)
    # A project's own jobs are always allowed, so GitLab lists the project itself first.
    ids = [project.id, *(i for i in project.job_token_project_allowlist if i != project.id)]
    targets = [ctx.state.projects[i] for i in ids if i in ctx.state.projects]

    def render(target: Project) -> dict[str, Any]:
        return project_basic(ctx.state, target, ctx.web)

    return paginate(ctx.request, targets, render)


def _numeric_ids(ctx: Context, target: str) -> tuple[int, int]:
    """Grape's Integer coercion of `:id` and the target id (from the path or the body)."""
    given = {
        "id": ctx.args["id"],
        target: ctx.args.get("target_id", ctx.request.params.get(target)),
    }
    reader = ParamReader(given)
    project_id = reader.integer("id", required=True, allow_blank=False)
    target_id = reader.integer(target, required=True, allow_blank=False)
    reader.check()
    return project_id or 0, target_id or 0


def _project_by_id(ctx: Context, project_id: int) -> Project:
    return find_project(ctx.state, ctx.user, str(project_id))


def _admin_project(ctx: Context, project_id: int) -> Project:
    project = _project_by_id(ctx, project_id)
    if not has_level(ctx.state, ctx.user, project, AccessLevel.MAINTAINER):
        raise forbidden()
    return project


def add_project(ctx: Context) -> ApiResponse:
    project_id, target_id = _numeric_ids(ctx, "target_project_id")
    project = _admin_project(ctx, project_id)
    target = ctx.state.projects.get(target_id)
    if target is None or not can_see_project(ctx.state, ctx.user, target):
        raise not_found("target_project_id not found")
    _add(project.job_token_project_allowlist, target.id, "project")
    project.job_token_entry_permissions.pop(f"project:{target.id}", None)
    return ApiResponse(201, {"source_project_id": project.id, "target_project_id": target.id})


def remove_project(ctx: Context) -> ApiResponse:
    """`find_project!` on the target (404 if unknown or unseen), then `RemoveProjectService`."""
    project_id, target_id = _numeric_ids(ctx, "target_project_id")
    project = _project_by_id(ctx, project_id)
    target = find_project(ctx.state, ctx.user, str(target_id))
    _may_edit_scope(ctx, project)
    if target.id == project.id:
        raise bad_request("Source project cannot be removed from the job token scope")
    project.job_token_entry_permissions.pop(f"project:{target.id}", None)
    return _remove(project.job_token_project_allowlist, target.id, "project")


def list_group_allowlist(ctx: Context) -> ApiResponse:
    project = _project(ctx)
    groups = [
        ctx.state.groups[i] for i in project.job_token_group_allowlist if i in ctx.state.groups
    ]

    def render(group: Group) -> dict[str, Any]:
        return {
            "id": group.id,
            "web_url": f"{ctx.web}/groups/{group.full_path}",
            "name": group.name,
        }

    return paginate(ctx.request, groups, render)


def add_group(ctx: Context) -> ApiResponse:
    project_id, target_id = _numeric_ids(ctx, "target_group_id")
    project = _admin_project(ctx, project_id)
    target = ctx.state.groups.get(target_id)
    if target is None or not can_see_group(ctx.state, ctx.user, target):
        raise not_found("target_group_id not found")
    _add(project.job_token_group_allowlist, target.id, "group")
    project.job_token_entry_permissions.pop(f"group:{target.id}", None)
    return ApiResponse(201, {"source_project_id": project.id, "target_group_id": target.id})


def remove_group(ctx: Context) -> ApiResponse:
    """`Group.find_by_id` on the target (404 only if it does not exist), then the service."""
    project_id, target_id = _numeric_ids(ctx, "target_group_id")
    project = _project_by_id(ctx, project_id)
    if target_id not in ctx.state.groups:
        raise not_found("target_group_id not found")
    _may_edit_scope(ctx, project)
    project.job_token_entry_permissions.pop(f"group:{target_id}", None)
    return _remove(project.job_token_group_allowlist, target_id, "group")


def _add(allowlist: list[int], target_id: int, word: str) -> None:
    if target_id in allowlist:
        raise bad_request(f"Target {word} is already in the job token scope")
    allowlist.append(target_id)


def _may_edit_scope(ctx: Context, project: Project) -> None:
    """The DELETE routes leave the check to the services' `validate_group_remove!`
    (app/services/ci/job_token_scope/edit_scope_validations.rb), answered as a 403."""
    if not has_level(ctx.state, ctx.user, project, AccessLevel.MAINTAINER):
        raise forbidden("Insufficient permissions to modify the job token scope")


def _remove(allowlist: list[int], target_id: int, word: str) -> ApiResponse:
    if target_id not in allowlist:
        raise bad_request(f"Target {word} is not in the job token scope")
    allowlist.remove(target_id)
    return no_content()


def register(router: Router) -> None:
    router.get(_BASE, show_scope)
    router.patch(_BASE, update_scope)
    router.get(f"{_BASE}/allowlist", list_project_allowlist, paginated=True)
    router.post(f"{_BASE}/allowlist", add_project)
    router.delete(f"{_BASE}/allowlist/{{target_id}}", remove_project)
    router.get(f"{_BASE}/groups_allowlist", list_group_allowlist, paginated=True)
    router.post(f"{_BASE}/groups_allowlist", add_group)
    router.delete(f"{_BASE}/groups_allowlist/{{target_id}}", remove_group)
