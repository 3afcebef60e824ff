"""Deploy tokens: instance list (admin), project and group list/get/create/delete."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.access import has_level
from bot.sandbox.endpoints.resources import resource_of
from bot.sandbox.messages import ApiError, ApiResponse, forbidden, no_content, record_not_found
from bot.sandbox.models import AccessLevel, Group, Project
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.scopes import DEPLOY_TOKEN_SCOPES
from bot.sandbox.state import source_ref
from bot.sandbox.token_entities import deploy_token_entity, with_secret
from bot.sandbox.token_models import DeployToken
from bot.sandbox.token_store import issue_deploy_token

_USERNAME = re.compile(r"\A[a-zA-Z0-9.+_-]+\Z")


def _require(ctx: Context, resource: Project | Group, *, write: bool) -> None:
    """Maintainers read and manage project tokens; group tokens need an Owner to change."""
    needed = AccessLevel.OWNER if write and isinstance(resource, Group) else AccessLevel.MAINTAINER
    if not has_level(ctx.state, ctx.user, resource, needed):
        raise forbidden()


def _page(ctx: Context, tokens: list[DeployToken]) -> ApiResponse:
    reader = ctx.reader()
    active = reader.boolean("active")
    reader.check()
    now = ctx.state.now()
    chosen = [t for t in tokens if not active or t.is_active(now)]

    def render(token: DeployToken) -> dict[str, Any]:
        return deploy_token_entity(token, now)

    return paginate(ctx.request, sorted(chosen, key=lambda t: t.id), render)


def list_all(ctx: Context) -> ApiResponse:
    if not ctx.user.is_admin:
        raise forbidden()
    return _page(ctx, list(ctx.state.deploy_tokens.values()))


def list_tokens(ctx: Context) -> ApiResponse:
    resource = resource_of(ctx)
    _require(ctx, resource, write=False)
    ref = source_ref(resource)
    return _page(ctx, [t for t in ctx.state.deploy_tokens.values() if t.source == ref])


def _token(ctx: Context, resource: Project | Group) -> DeployToken:
    raw = ctx.args["token_id"]
    token = ctx.state.deploy_tokens.get(int(raw)) if raw.isdigit() else None
    if token is None or token.source != source_ref(resource):
        raise record_not_found()
    return token


def show_token(ctx: Context) -> ApiResponse:
    resource = resource_of(ctx)
    _require(ctx, resource, write=False)
    return ApiResponse(200, deploy_token_entity(_token(ctx, resource), ctx.state.now()))


def _check_model(name: str, username: str | None, scopes: list[str]) -> None:
    """Model validations, rendered by `render_api_error!` without a status prefix."""
    if not name:
        raise ApiError(400, {"message": "Name can't be blank"})
    if username and (len(username) > 255 or not _USERNAME.match(username)):
        message = "Username can contain only letters, digits, '_', '-', '+', and '.'"
        raise ApiError(400, {"message": message})
    if not scopes:
        raise ApiError(400, {"message": "Scopes can't be blank"})


def create_token(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    name = reader.string("name", required=True) or ""
    scopes = reader.string_list(
        "scopes", required=True, values=DEPLOY_TOKEN_SCOPES, comma_separated=True
    )
    expires_at = reader.timestamp("expires_at")
    username = reader.string("username")
    reader.check()
    resource = resource_of(ctx)
    _require(ctx, resource, write=True)
    _check_model(name, username, scopes or [])
    token, secret = issue_deploy_token(
        ctx.state,
        resource,
        name=name,
        scopes=scopes or [],
        expires_at=expires_at,
        username=username,
    )
    return ApiResponse(201, with_secret(deploy_token_entity(token, ctx.state.now()), secret))


def delete_token(ctx: Context) -> ApiResponse:
    resource = resource_of(ctx)
    _require(ctx, resource, write=True)
    token = _token(ctx, resource)
    del ctx.state.deploy_tokens[token.id]
    ctx.state.deploy_token_ids_by_digest.pop(token.digest, None)
    return no_content()


def register(router: Router) -> None:
    router.get("/deploy_tokens", list_all, paginated=True)
    for kind in ("projects", "groups"):
        base = f"/{kind}/{{id}}/deploy_tokens"
        router.get(base, list_tokens, paginated=True)
        router.post(base, create_token)
        router.get(f"{base}/{{token_id}}", show_token)
        router.delete(f"{base}/{{token_id}}", delete_token)
