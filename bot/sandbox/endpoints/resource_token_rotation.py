"""Rotating project and group access tokens, by id or by the token itself (`self`)."""

from __future__ import annotations

from bot.sandbox.endpoints.resources import (
    caller_level,
    can_manage,
    resource_of,
    resource_token,
    token_level,
    token_not_found,
)
from bot.sandbox.messages import ApiResponse, bad_request, not_allowed, unauthorized
from bot.sandbox.models import UserType
from bot.sandbox.routing import Context, Router
from bot.sandbox.token_entities import resource_token_entity, with_secret
from bot.sandbox.token_store import rotate_token

_SELF_ROTATE = ("self_rotate",)


def rotate_by_id(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    expires_at = reader.day("expires_at")
    reader.check()
    resource = resource_of(ctx)
    # GitLab answers 401 both for "not allowed" and "no such token", except to admins.
    if ctx.user.is_resource_bot or not can_manage(ctx, resource):
        raise unauthorized()
    token = resource_token(ctx, resource, ctx.args["token_id"])
    if token is None:
        raise token_not_found(resource) if ctx.user.is_admin else unauthorized()
    if token_level(ctx, resource, token) > caller_level(ctx, resource):
        raise bad_request("Not eligible to rotate tokens with permissions not held by the user")
    new_token, secret = rotate_token(ctx.state, token, expires_at)
    return ApiResponse(200, with_secret(resource_token_entity(ctx.state, new_token), secret))


def rotate_self(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    expires_at = reader.day("expires_at")
    reader.check()
    resource = resource_of(ctx)
    if ctx.user.user_type is not UserType.PROJECT_BOT:
        raise not_allowed()
    token = resource_token(ctx, resource, str(ctx.caller.personal_token.id))
    if token is None:
        raise unauthorized()
    new_token, secret = rotate_token(ctx.state, token, expires_at)
    return ApiResponse(200, with_secret(resource_token_entity(ctx.state, new_token), secret))


def register(router: Router) -> None:
    for kind in ("projects", "groups"):
        base = f"/{kind}/{{id}}/access_tokens"
        router.post(f"{base}/{{token_id}}/rotate", rotate_by_id)
        router.post(f"{base}/self/rotate", rotate_self, extra_scopes=_SELF_ROTATE)
