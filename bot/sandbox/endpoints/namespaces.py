"""Groups, subgroups and projects: reads only."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import (
    can_see_group,
    can_see_project,
    effective_level,
    find_group,
    find_project,
)
from bot.sandbox.entities import group_entity, project_entity
from bot.sandbox.messages import ApiResponse
from bot.sandbox.models import MEMBER_LEVELS, AccessLevel, Group, Project
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router

_LEVELS = {int(level) for level in MEMBER_LEVELS}


def _group_page(ctx: Context, groups: list[Group]) -> ApiResponse:
    visible = sorted(
        (g for g in groups if can_see_group(ctx.state, ctx.user, g)), key=lambda g: g.name.lower()
    )

    def render(group: Group) -> dict[str, Any]:
        return group_entity(ctx.state, group, ctx.web)

    return paginate(ctx.request, visible, render)


def _project_page(ctx: Context, projects: list[Project]) -> ApiResponse:
    reader = ctx.reader()
    search = reader.string("search")
    membership = reader.boolean("membership")
    min_level = reader.integer("min_access_level", values=_LEVELS)
    reader.check()
    needle = (search or "").lower()
    # Admins see everything, but `membership`/`min_access_level` ask about real roles.
    wanted = AccessLevel(min_level or (AccessLevel.GUEST if membership else 0))
    chosen = [
        p
        for p in sorted(projects, key=lambda p: -p.id)
        if needle in p.path_with_namespace.lower()
        and can_see_project(ctx.state, ctx.user, p)
        and (wanted == 0 or effective_level(ctx.state, ctx.user, p) >= wanted)
    ]

    def render(project: Project) -> dict[str, Any]:
        return project_entity(ctx.state, project, ctx.web)

    return paginate(ctx.request, chosen, render)


def list_groups(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    search = (reader.string("search") or "").lower()
    top_level_only = reader.boolean("top_level_only")
    reader.check()
    groups = [
        g
        for g in ctx.state.groups.values()
        if search in g.full_path.lower() and not (top_level_only and g.parent_id is not None)
    ]
    return _group_page(ctx, groups)


def show_group(ctx: Context) -> ApiResponse:
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    return ApiResponse(200, group_entity(ctx.state, group, ctx.web))


def list_subgroups(ctx: Context) -> ApiResponse:
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    return _group_page(ctx, [g for g in ctx.state.groups.values() if g.parent_id == group.id])


def list_descendant_groups(ctx: Context) -> ApiResponse:
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    return _group_page(ctx, ctx.state.descendants(group))


def list_group_projects(ctx: Context) -> ApiResponse:
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    reader = ctx.reader()
    include_subgroups = reader.boolean("include_subgroups")
    reader.check()
    namespaces = {group.id}
    if include_subgroups:
        namespaces |= {g.id for g in ctx.state.descendants(group)}
    return _project_page(
        ctx, [p for p in ctx.state.projects.values() if p.namespace_id in namespaces]
    )


def show_project(ctx: Context) -> ApiResponse:
    project = find_project(ctx.state, ctx.user, ctx.args["id"])
    return ApiResponse(200, project_entity(ctx.state, project, ctx.web))


def list_projects(ctx: Context) -> ApiResponse:
    return _project_page(ctx, list(ctx.state.projects.values()))


def register(router: Router) -> None:
    router.get("/groups", list_groups, paginated=True)
    router.get("/groups/{id}", show_group)
    router.get("/groups/{id}/subgroups", list_subgroups, paginated=True)
    router.get("/groups/{id}/descendant_groups", list_descendant_groups, paginated=True)
    router.get("/groups/{id}/projects", list_group_projects, paginated=True)
    router.get("/projects", list_projects, paginated=True)
    router.get("/projects/{id}", show_project)
