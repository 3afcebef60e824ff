"""Pipeline trigger tokens of a project."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_project, has_level
from bot.sandbox.messages import ApiResponse, no_content, not_found
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


def _trigger(ctx: Context, project: Project) -> TriggerToken:
    raw = ctx.args["trigger_id"]
    trigger = ctx.state.triggers.get(int(raw)) if raw.isdigit() else None
    if trigger is None or trigger.project_id != project.id:
        raise not_found("Trigger")
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
    return ApiResponse(200, _render(ctx, _trigger(ctx, _project(ctx))))


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
    reader.check()
    trigger = _trigger(ctx, _project(ctx))
    if description is not None:
        trigger.description = description
        trigger.updated_at = ctx.state.now()
    return ApiResponse(200, _render(ctx, trigger))


def delete_trigger(ctx: Context) -> ApiResponse:
    trigger = _trigger(ctx, _project(ctx))
    del ctx.state.triggers[trigger.id]
    return no_content()


def register(router: Router) -> None:
    router.get(_BASE, list_triggers)
    router.post(_BASE, create_trigger)
    router.get(f"{_BASE}/{{trigger_id}}", show_trigger)
    router.put(f"{_BASE}/{{trigger_id}}", update_trigger)
    router.delete(f"{_BASE}/{{trigger_id}}", delete_trigger)
