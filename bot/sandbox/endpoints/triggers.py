"""Pipeline trigger tokens of a project."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_project, has_level
from bot.sandbox.messages import ApiResponse, no_content, param_error, record_not_found
from bot.sandbox.messages import forbidden as forbidden_error
from bot.sandbox.models import AccessLevel, Project
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.scopes import TokenPrefix
from bot.sandbox.token_entities import trigger_entity
from bot.sandbox.token_models import TriggerToken
from bot.sandbox.token_store import new_secret

_BASE = "/projects/{id}/triggers"


def _project(ctx: Context) -> Project:
    project = find_project(ctx.state, ctx.user, ctx.args["id"])
    if not has_level(ctx.state, ctx.user, project, AccessLevel.MAINTAINER):
        raise forbidden_error()
    return project


def _trigger_id(ctx: Context) -> int:
    """Grape's `requires :trigger_id, type: Integer`, checked before the endpoint body runs."""
    raw = ctx.args["trigger_id"]
    if not raw.isdigit():
        raise param_error("trigger_id is invalid")
    return int(raw)


def _trigger(ctx: Context, project: Project, trigger_id: int) -> TriggerToken:
    """`user_project.triggers.find(id)`: a miss (also a deleted trigger) is ActiveRecord's
    RecordNotFound, which the API renders as `404 {"message": "404 Not found"}`."""
    trigger = ctx.state.triggers.get(trigger_id)
    if trigger is None or trigger.project_id != project.id:
        raise record_not_found()
    return trigger


def _render(ctx: Context, trigger: TriggerToken) -> dict[str, Any]:
    return trigger_entity(ctx.state, trigger, ctx.user, ctx.web)


def list_triggers(ctx: Context) -> ApiResponse:
    project = _project(ctx)
    triggers = sorted(
        (t for t in ctx.state.triggers.values() if t.project_id == project.id), key=lambda t: t.id
    )
    return paginate(ctx.request, triggers, lambda t: _render(ctx, t))


def show_trigger(ctx: Context) -> ApiResponse:
    trigger_id = _trigger_id(ctx)
    return ApiResponse(200, _render(ctx, _trigger(ctx, _project(ctx), trigger_id)))


def create_trigger(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    description = reader.string("description", required=True)
    expires_at = reader.day("expires_at")
    reader.check()
    project = _project(ctx)
    now = ctx.state.now()
    trigger = TriggerToken(
        id=ctx.state.next_id("ci_triggers"),
        project_id=project.id,
        owner_id=ctx.user.id,
        description=description or "",
        token=new_secret(TokenPrefix.TRIGGER),
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )
    ctx.state.triggers[trigger.id] = trigger
    return ApiResponse(201, _render(ctx, trigger))


def update_trigger(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    description = reader.string("description")
    trigger_id = _trigger_id(ctx)
    reader.check()
    trigger = _trigger(ctx, _project(ctx), trigger_id)
    if trigger.owner_id != ctx.user.id:
        # `Ci::PipelineTriggers::UpdateService` needs `admin_trigger`: the owner's alone.
        raise forbidden_error(
            "The current user is not authorized to update the pipeline trigger token"
        )
    if description is not None:
        trigger.description = description
        trigger.updated_at = ctx.state.now()
    return ApiResponse(200, _render(ctx, trigger))


def delete_trigger(ctx: Context) -> ApiResponse:
    """`destroy_conditionally!`: the row is deleted, so deleting it again is a 404."""
    trigger_id = _trigger_id(ctx)
    trigger = _trigger(ctx, _project(ctx), trigger_id)
    del ctx.state.triggers[trigger.id]
    return no_content()


def register(router: Router) -> None:
    router.get(_BASE, list_triggers, paginated=True)
    router.post(_BASE, create_trigger)
    router.get(f"{_BASE}/{{trigger_id}}", show_trigger)
    router.put(f"{_BASE}/{{trigger_id}}", update_trigger)
    router.delete(f"{_BASE}/{{trigger_id}}", delete_trigger)
