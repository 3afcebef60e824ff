"""Personal access tokens: list, get, revoke, rotate, and admin creation for a user."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_user
from bot.sandbox.messages import (
    ApiResponse,
    bad_request,
    forbidden,
    no_content,
    not_found,
    record_not_found,
    unauthorized,
)
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.scopes import PERSONAL_SCOPES
from bot.sandbox.token_entities import personal_token_entity, with_secret
from bot.sandbox.token_filters import filter_tokens
from bot.sandbox.token_models import AccessToken
from bot.sandbox.token_store import issue_token, resolve_personal_token, rotate_token

_SELF_ROTATE = ("self_rotate",)
# GitLab's `SelfInformation` API lets a token of any scope read and revoke itself.
_ANY_SCOPE = tuple(sorted(PERSONAL_SCOPES))


def _visible_token(ctx: Context, raw_id: str) -> AccessToken:
    """`self`, or a token id: others' and unknown ids are 401 to users, 404 to admins."""
    if raw_id == "self":
        return ctx.caller.personal_token
    token = ctx.state.tokens.get(int(raw_id)) if raw_id.isdigit() else None
    if ctx.user.is_admin:
        if token is None:
            raise not_found()
        return token
    if token is None or token.user_id != ctx.user.id:
        raise unauthorized()
    return token


def list_tokens(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    user_id = reader.integer("user_id")
    reader.check()
    if not ctx.user.is_admin and user_id is not None and user_id != ctx.user.id:
        raise unauthorized()
    if ctx.user.is_admin and user_id is not None and user_id not in ctx.state.users:
        raise not_found()
    owner = ctx.user.id if not ctx.user.is_admin else user_id
    tokens = sorted(ctx.state.tokens.values(), key=lambda t: t.id)
    if owner is not None:
        tokens = ctx.state.tokens_of_users({owner})
    now = ctx.state.now()

    def render(token: AccessToken) -> dict[str, Any]:
        return personal_token_entity(token, now)

    return paginate(ctx.request, filter_tokens(reader, tokens, now), render)


def show_token(ctx: Context) -> ApiResponse:
    token = _visible_token(ctx, ctx.args["token_id"])
    return ApiResponse(200, personal_token_entity(token, ctx.state.now()))


def revoke_token(ctx: Context) -> ApiResponse:
    raw_id = ctx.args["token_id"]
    if raw_id == "self":
        ctx.caller.personal_token.revoked = True
        return no_content()
    token = ctx.state.tokens.get(int(raw_id)) if raw_id.isdigit() else None
    if token is None:
        raise record_not_found()
    if not ctx.user.is_admin and token.user_id != ctx.user.id:
        raise bad_request()
    token.revoked = True
    return no_content()


def rotate(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    expires_at = reader.day("expires_at")
    reader.check()
    token = _visible_token(ctx, ctx.args.get("token_id", "self"))
    new_token, secret = rotate_token(ctx.state, token, expires_at)
    entity = personal_token_entity(new_token, ctx.state.now())
    return ApiResponse(200, with_secret(entity, secret))


def create_for_user(ctx: Context) -> ApiResponse:
    if not ctx.user.is_admin:
        raise forbidden()
    reader = ctx.reader()
    name = reader.string("name", required=True) or ""
    # lib/api/users.rb: `coerce_with: CommaSeparatedToArray.coerce`, so "api,read_user" works.
    scopes = reader.string_list(
        "scopes", required=True, values=PERSONAL_SCOPES, comma_separated=True
    )
    description = reader.string("description", max_length=255)
    expires_at = reader.day("expires_at")
    reader.check()
    user = find_user(ctx.state, ctx.args["user_id"])
    expires = resolve_personal_token(name, expires_at, ctx.state.today())
    token, secret = issue_token(
        ctx.state, user, name=name, scopes=scopes or [], expires_at=expires, description=description
    )
    return ApiResponse(201, with_secret(personal_token_entity(token, ctx.state.now()), secret))


def show_own_token(ctx: Context) -> ApiResponse:
    return ApiResponse(200, personal_token_entity(ctx.caller.personal_token, ctx.state.now()))


def revoke_own_token(ctx: Context) -> ApiResponse:
    ctx.caller.personal_token.revoked = True
    return no_content()


def register(router: Router) -> None:
    router.get("/personal_access_tokens", list_tokens, paginated=True)
    router.get("/personal_access_tokens/{token_id}", show_token)
    router.delete("/personal_access_tokens/{token_id}", revoke_token)
    router.post("/personal_access_tokens/{token_id}/rotate", rotate)
    router.post("/personal_access_tokens/self/rotate", rotate, extra_scopes=_SELF_ROTATE)
    router.post("/users/{user_id}/personal_access_tokens", create_for_user)
    router.get("/personal_access_tokens/self", show_own_token, extra_scopes=_ANY_SCOPE)
    router.add("DELETE", "/personal_access_tokens/self", revoke_own_token, extra_scopes=_ANY_SCOPE)
