"""CI/CD job token scope: the inbound switch and the project and group allowlists."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import can_see_group, can_see_project, find_project, has_level
from bot.sandbox.entities import project_basic
from bot.sandbox.messages import ApiResponse, bad_request, forbidden, no_content, not_found
from bot.sandbox.models import AccessLevel, Group, Project
from bot.sandbox.pagination import paginate
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


def add_project(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    target_id = reader.integer("target_project_id", required=True)
    reader.check()
    project = _project(ctx)
    target = ctx.state.projects.get(target_id or 0)
    if target is None or not can_see_project(ctx.state, ctx.user, target):
        raise not_found("target_project_id not found")
    _add(project.job_token_project_allowlist, target.id, "project")
    return ApiResponse(201, {"source_project_id": project.id, "target_project_id": target.id})


def remove_project(ctx: Context) -> ApiResponse:
    return _remove(ctx, _project(ctx).job_token_project_allowlist, "project")


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
    reader = ctx.reader()
    target_id = reader.integer("target_group_id", required=True)
    reader.check()
    project = _project(ctx)
    target = ctx.state.groups.get(target_id or 0)
    if target is None or not can_see_group(ctx.state, ctx.user, target):
        raise not_found("target_group_id not found")
    _add(project.job_token_group_allowlist, target.id, "group")
    return ApiResponse(201, {"source_project_id": project.id, "target_group_id": target.id})


def remove_group(ctx: Context) -> ApiResponse:
    return _remove(ctx, _project(ctx).job_token_group_allowlist, "group")


def _add(allowlist: list[int], target_id: int, word: str) -> None:
    if target_id in allowlist:
        raise bad_request(f"Target {word} is already in the job token scope")
    allowlist.append(target_id)


def _remove(ctx: Context, allowlist: list[int], word: str) -> ApiResponse:
    raw = ctx.args["target_id"]
    if not raw.isdigit() or int(raw) not in allowlist:
        raise bad_request(f"Target {word} is not in the job token scope")
    allowlist.remove(int(raw))
    return no_content()


def register(router: Router) -> None:
    router.get(_BASE, show_scope)
    router.patch(_BASE, update_scope)
    router.get(f"{_BASE}/allowlist", list_project_allowlist)
    router.post(f"{_BASE}/allowlist", add_project)
    router.delete(f"{_BASE}/allowlist/{{target_id}}", remove_project)
    router.get(f"{_BASE}/groups_allowlist", list_group_allowlist)
    router.post(f"{_BASE}/groups_allowlist", add_group)
    router.delete(f"{_BASE}/groups_allowlist/{{target_id}}", remove_group)
