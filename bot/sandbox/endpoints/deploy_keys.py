"""Deploy keys: a project's list and one key (Maintainers), and the admin-only instance list.

GitLab: `lib/api/deploy_keys.rb` (project routes behind `authorize_admin_project`, the
instance list behind `authenticated_as_admin!`), entities `lib/api/entities/ssh_key.rb`
(`id`, `title`, `created_at`, `expires_at`, `key`), `lib/api/entities/deploy_key.rb`
(`fingerprint`, `fingerprint_sha256`, and on the instance list `projects_with_write_access`
and `projects_with_readonly_access`), `lib/api/entities/deploy_keys_project.rb` (`can_push`).
Docs: https://docs.gitlab.com/api/deploy_keys/
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_project, has_level
from bot.sandbox.deploy_key_models import DeployKey
from bot.sandbox.entities import iso_time, project_basic
from bot.sandbox.messages import ApiResponse, forbidden, record_not_found
from bot.sandbox.models import AccessLevel, Project
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router


def deploy_key_entity(key: DeployKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "title": key.title,
        "created_at": iso_time(key.created_at),
        "expires_at": iso_time(key.expires_at),
        "key": key.key,
        "fingerprint_sha256": key.fingerprint_sha256,
    }


def _project(ctx: Context) -> Project:
    project = find_project(ctx.state, ctx.user, ctx.args["id"])
    if not has_level(ctx.state, ctx.user, project, AccessLevel.MAINTAINER):
        raise forbidden()
    return project


def _keys_of(ctx: Context, project: Project) -> list[DeployKey]:
    keys = ctx.state.deploy_keys.values()
    return sorted((k for k in keys if project.id in k.projects), key=lambda k: k.id)


def list_project_keys(ctx: Context) -> ApiResponse:
    project = _project(ctx)

    def render(key: DeployKey) -> dict[str, Any]:
        return {**deploy_key_entity(key), "can_push": key.projects[project.id]}

    return paginate(ctx.request, _keys_of(ctx, project), render)


def show_project_key(ctx: Context) -> ApiResponse:
    project = _project(ctx)
    raw = ctx.args["key_id"]
    key = ctx.state.deploy_keys.get(int(raw)) if raw.isdigit() else None
    if key is None or project.id not in key.projects:
        raise record_not_found()  # `find_by!` raises RecordNotFound: "404 Not found"
    return ApiResponse(200, {**deploy_key_entity(key), "can_push": key.projects[project.id]})


def list_all(ctx: Context) -> ApiResponse:
    if not ctx.user.is_admin:
        raise forbidden()
    state, web = ctx.state, ctx.web

    def projects(key: DeployKey, *, push: bool) -> list[dict[str, Any]]:
        chosen = [state.projects[p] for p, can in sorted(key.projects.items()) if can is push]
        return [_identity(project_basic(state, p, web)) for p in chosen]

    def render(key: DeployKey) -> dict[str, Any]:
        return {
            **deploy_key_entity(key),
            "projects_with_write_access": projects(key, push=True),
            "projects_with_readonly_access": projects(key, push=False),
        }

    return paginate(ctx.request, sorted(state.deploy_keys.values(), key=lambda k: k.id), render)


def _identity(project: dict[str, Any]) -> dict[str, Any]:
    """`Entities::ProjectIdentity`."""
    fields = ("id", "description", "name", "name_with_namespace", "path", "path_with_namespace")
    return {name: project[name] for name in (*fields, "created_at")}


def register(router: Router) -> None:
    router.get("/deploy_keys", list_all)
    router.get("/projects/{id}/deploy_keys", list_project_keys)
    router.get("/projects/{id}/deploy_keys/{key_id}", show_project_key)
