"""Project and group access tokens: list, get, create and revoke."""

from __future__ import annotations

from typing import Any

from bot.sandbox.endpoints.resources import (
    caller_level,
    can_manage,
    kind_word,
    resource_of,
    resource_token,
    token_not_found,
)
from bot.sandbox.messages import ApiResponse, bad_request, no_content, unauthorized
from bot.sandbox.models import MEMBER_LEVELS, AccessLevel
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.scopes import RESOURCE_BOT_SCOPES
from bot.sandbox.state import source_ref
from bot.sandbox.token_entities import resource_token_entity, with_secret
from bot.sandbox.token_filters import filter_tokens
from bot.sandbox.token_models import AccessToken
from bot.sandbox.token_store import (
    CREATE_DEFAULT_DAYS,
    create_bot_user,
    issue_token,
    resolve_expiry,
)

_LEVELS = sorted(int(level) for level in MEMBER_LEVELS)


def list_tokens(ctx: Context) -> ApiResponse:
    resource = resource_of(ctx)
    if not can_manage(ctx, resource):
        raise unauthorized()
    bots = {bot.id for bot in ctx.state.bots_of(source_ref(resource))}
    tokens = filter_tokens(ctx.reader(), ctx.state.tokens_of_users(bots), ctx.state.now())

    def render(token: AccessToken) -> dict[str, Any]:
        return resource_token_entity(ctx.state, token)

    # lib/api/resource_access_tokens.rb lists without `use :pagination`: Kaminari alone.
    return paginate(ctx.request, tokens, render, declared=False)


def show_token(ctx: Context) -> ApiResponse:
    resource = resource_of(ctx)
    if not can_manage(ctx, resource):
        raise unauthorized()
    token = resource_token(ctx, resource, ctx.args["token_id"])
    if token is None:
        raise token_not_found(resource)
    return ApiResponse(200, resource_token_entity(ctx.state, token))


def create_token(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    name = reader.string("name", required=True)
    # lib/api/resource_access_tokens.rb: plain `Array[String]`, no comma coercion, so a bare
    # string is Grape's "scopes is invalid" here (unlike PATs, service accounts, deploy tokens).
    scopes = reader.string_list("scopes", required=True, values=RESOURCE_BOT_SCOPES)
    description = reader.string("description", max_length=255)
    expires_at = reader.day("expires_at")
    level = reader.integer("access_level", values=_LEVELS)
    reader.check()
    resource = resource_of(ctx)
    word = kind_word(resource)
    if ctx.user.is_resource_bot or not can_manage(ctx, resource):
        raise bad_request(f"User does not have permission to create {word} access token")
    wanted = AccessLevel(AccessLevel.MAINTAINER if level is None else level)
    if wanted > caller_level(ctx, resource):
        raise bad_request(
            "Access level of the token contains permissions not held by the creating user"
        )
    if not name:
        raise bad_request("Name can't be blank")
    expires = resolve_expiry(expires_at, ctx.state.today(), default_days=CREATE_DEFAULT_DAYS)
    bot = create_bot_user(ctx.state, resource, name=name, level=wanted)
    token, secret = issue_token(
        ctx.state, bot, name=name, scopes=scopes or [], expires_at=expires, description=description
    )
    return ApiResponse(201, with_secret(resource_token_entity(ctx.state, token), secret))


def revoke_token(ctx: Context) -> ApiResponse:
    resource = resource_of(ctx)
    token = resource_token(ctx, resource, ctx.args["token_id"])
    if token is None:
        raise token_not_found(resource)
    if not can_manage(ctx, resource):
        bot = ctx.state.users[token.user_id]
        raise bad_request(f"{ctx.user.name} cannot delete {bot.name}")
    token.revoked = True
    return no_content()


def register(router: Router) -> None:
    for kind in ("projects", "groups"):
        base = f"/{kind}/{{id}}/access_tokens"
        router.get(base, list_tokens)
        router.post(base, create_token)
        router.get(f"{base}/{{token_id}}", show_token)
        router.delete(f"{base}/{{token_id}}", revoke_token)
