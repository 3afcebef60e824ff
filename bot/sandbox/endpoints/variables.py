"""Project CI/CD variables, with GitLab's key and masking validations."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.sandbox.access import find_project, has_level
from bot.sandbox.messages import (
    ApiResponse,
    conflict,
    forbidden,
    model_errors,
    no_content,
    not_found,
)
from bot.sandbox.models import AccessLevel, Project
from bot.sandbox.pagination import paginate
from bot.sandbox.params import ParamReader
from bot.sandbox.routing import Context, Router
from bot.sandbox.token_entities import variable_entity
from bot.sandbox.token_models import CiVariable

_BASE = "/projects/{id}/variables"
_KEY = re.compile(r"\A[a-zA-Z0-9_]{1,255}\Z")
# `Ci::Maskable`: expanded values use a Base64-like alphabet; raw values any non-space.
_MASKED = re.compile(r"\A[a-zA-Z0-9_+=/@:.~-]{8,}\Z")
_MASKED_RAW = re.compile(r"\A\S{8,}\Z")
_TYPES = ("env_var", "file")


def _project(ctx: Context) -> Project:
    project = find_project(ctx.state, ctx.user, ctx.args["id"])
    if not has_level(ctx.state, ctx.user, project, AccessLevel.MAINTAINER):
        raise forbidden()
    return project


def _validate(ctx: Context, variable: CiVariable, *, creating: bool) -> None:
    errors: dict[str, list[str]] = {}
    if not _KEY.match(variable.key):
        errors["key"] = ["can contain only letters, digits and '_'."]
    elif creating and any(
        v.project_id == variable.project_id
        and v.key == variable.key
        and v.environment_scope == variable.environment_scope
        for v in ctx.state.variables
    ):
        errors["key"] = [f"({variable.key}) has already been taken"]
    pattern = _MASKED_RAW if variable.raw else _MASKED
    if variable.masked and not pattern.match(variable.value):
        errors["value"] = ["is invalid"]
    if errors:
        raise model_errors(errors)


def _apply(reader: ParamReader, variable: CiVariable) -> None:
    value = reader.string("value")
    variable.value = variable.value if value is None else value
    variable.variable_type = reader.choice("variable_type", _TYPES) or variable.variable_type
    variable.environment_scope = reader.string("environment_scope") or variable.environment_scope
    variable.description = reader.string("description") or variable.description
    for flag in ("protected", "masked", "raw"):
        enabled = reader.boolean(flag)
        if enabled is not None:
            setattr(variable, flag, enabled)


def _find(ctx: Context, project: Project) -> CiVariable:
    scope_filter = ctx.request.params.get("filter")
    scope = scope_filter.get("environment_scope") if isinstance(scope_filter, dict) else None
    matches = [
        v
        for v in ctx.state.variables
        if v.project_id == project.id
        and v.key == ctx.args["key"]
        and (scope is None or v.environment_scope == scope)
    ]
    if not matches:
        raise not_found("Variable")
    if len(matches) > 1:
        raise conflict(
            "There are multiple variables with provided parameters. "
            "Please use 'filter[environment_scope]'"
        )
    return matches[0]


def list_variables(ctx: Context) -> ApiResponse:
    project = _project(ctx)
    found = [v for v in ctx.state.variables if v.project_id == project.id]
    return paginate(ctx.request, found, variable_entity)


def show_variable(ctx: Context) -> ApiResponse:
    return ApiResponse(200, variable_entity(_find(ctx, _project(ctx))))


def create_variable(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    key = reader.string("key", required=True)
    reader.string("value", required=True)
    hidden = bool(reader.boolean("masked_and_hidden"))
    draft = CiVariable(project_id=0, key=key or "", value="")
    _apply(reader, draft)
    reader.check()
    variable = replace(draft, project_id=_project(ctx).id, hidden=hidden)
    variable.masked = variable.masked or hidden
    _validate(ctx, variable, creating=True)
    ctx.state.variables.append(variable)
    return ApiResponse(201, variable_entity(variable))


def update_variable(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    variable = _find(ctx, _project(ctx))
    draft = replace(variable)
    _apply(reader, draft)
    reader.check()
    _validate(ctx, draft, creating=False)
    ctx.state.variables[ctx.state.variables.index(variable)] = draft
    return ApiResponse(200, variable_entity(draft))


def delete_variable(ctx: Context) -> ApiResponse:
    variable = _find(ctx, _project(ctx))
    ctx.state.variables.remove(variable)
    return no_content()


def register(router: Router) -> None:
    router.get(_BASE, list_variables, paginated=True)
    router.post(_BASE, create_variable)
    router.get(f"{_BASE}/{{key}}", show_variable)
    router.put(f"{_BASE}/{{key}}", update_variable)
    router.delete(f"{_BASE}/{{key}}", delete_variable)
