"""Group service accounts and their personal access tokens.

Who may do what (ee/lib/api/group_service_accounts.rb, ee/app/policies/ee/group_policy.rb,
ee/app/services/namespaces/service_accounts/*): every route needs `admin_service_accounts`
(group Owner or admin, else 403). Creating and deleting an account also needs
`create_service_account` / `delete_service_account`: an admin, or an Owner when the instance
setting `allow_top_level_group_owners_to_create_service_accounts` is on; in a subgroup only
while the feature flag `allow_subgroups_to_create_service_accounts` is on (18.10).
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.access import find_group, has_level
from bot.sandbox.entities import service_account_entity
from bot.sandbox.messages import (
    ApiResponse,
    bad_request,
    forbidden,
    no_content,
    not_found,
    record_not_found,
)
from bot.sandbox.models import AccessLevel, Group, User, UserType
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.scopes import SERVICE_ACCOUNT_SCOPES
from bot.sandbox.token_entities import personal_token_entity, with_secret
from bot.sandbox.token_filters import filter_tokens
from bot.sandbox.token_models import AccessToken
from bot.sandbox.token_store import issue_token, resolve_personal_token, rotate_token

_BASE = "/groups/{id}/service_accounts"
NO_PERMISSION = "User does not have permission to create a service account in this group."


def _owned_group(ctx: Context) -> Group:
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    if ctx.user.is_resource_bot or not has_level(ctx.state, ctx.user, group, AccessLevel.OWNER):
        raise forbidden()
    return group


def _account(ctx: Context, group: Group) -> User:
    raw = ctx.args["user_id"]
    user = ctx.state.users.get(int(raw)) if raw.isdigit() else None
    if user is None or user.provisioned_by_group_id != group.id:
        raise not_found("User")
    return user


def _account_token(ctx: Context, account: User) -> AccessToken:
    raw = ctx.args["token_id"]
    token = ctx.state.tokens.get(int(raw)) if raw.isdigit() else None
    if token is None or token.user_id != account.id:
        raise record_not_found()
    return token


def may_create_or_delete(ctx: Context, group: Group) -> bool:
    """`create_service_account` (and `delete_service_account`) for a caller who already holds
    `admin_service_accounts` on `group`."""
    state = ctx.state
    in_subgroup = group.parent_id is not None
    if in_subgroup and not state.features.allow_subgroups_to_create_service_accounts:
        return False
    owners_may = state.settings.allow_top_level_group_owners_to_create_service_accounts
    return ctx.user.is_admin or owners_may


def list_accounts(ctx: Context) -> ApiResponse:
    group = _owned_group(ctx)
    reader = ctx.reader()
    order_by = reader.choice("order_by", ("id", "username")) or "id"
    sort = reader.choice("sort", ("asc", "desc")) or "desc"
    reader.check()
    accounts = [u for u in ctx.state.users.values() if u.provisioned_by_group_id == group.id]
    accounts.sort(key=lambda u: getattr(u, order_by), reverse=sort == "desc")
    return paginate(ctx.request, accounts, service_account_entity)


def create_account(ctx: Context) -> ApiResponse:
    group = _owned_group(ctx)
    if not may_create_or_delete(ctx, group):
        raise bad_request(NO_PERMISSION)
    reader = ctx.reader()
    name = reader.string("name") or "Service account user"
    username = (
        reader.string("username") or f"service_account_group_{group.id}_{secrets.token_hex(16)}"
    )
    email = reader.string("email") or f"{username}@noreply.{ctx.state.host}"
    reader.check()
    if any(u.email.lower() == email.lower() for u in ctx.state.users.values()):
        raise bad_request("Email has already been taken")
    account = ctx.state.add_user(
        username, name=name, email=email, user_type=UserType.SERVICE_ACCOUNT
    )
    account.provisioned_by_group_id = group.id
    return ApiResponse(201, service_account_entity(account))


def delete_account(ctx: Context) -> ApiResponse:
    """Always 204: `destroy_conditionally!` ignores the DeleteService's refusal, so an Owner
    without the setting gets 204 and the account stays."""
    group = _owned_group(ctx)
    account = _account(ctx, group)
    if may_create_or_delete(ctx, group):
        ctx.state.delete_user(account.id)
    return no_content()


def list_account_tokens(ctx: Context) -> ApiResponse:
    account = _account(ctx, _owned_group(ctx))
    now = ctx.state.now()
    tokens = filter_tokens(ctx.reader(), ctx.state.tokens_of_users({account.id}), now)

    def render(token: AccessToken) -> dict[str, Any]:
        return personal_token_entity(token, now)

    return paginate(ctx.request, tokens, render)


def create_account_token(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    name = reader.string("name", required=True) or ""
    # ee/lib/api/group_service_accounts.rb coerces with CommaSeparatedToArray, as lib/api/users.rb.
    scopes = reader.string_list(
        "scopes", required=True, values=SERVICE_ACCOUNT_SCOPES, comma_separated=True
    )
    description = reader.string("description", max_length=255)
    expires_at = reader.day("expires_at")
    reader.check()
    account = _account(ctx, _owned_group(ctx))
    expires = resolve_personal_token(name, expires_at, ctx.state.today())
    token, secret = issue_token(
        ctx.state,
        account,
        name=name,
        scopes=scopes or [],
        expires_at=expires,
        description=description,
    )
    return ApiResponse(201, with_secret(personal_token_entity(token, ctx.state.now()), secret))


def revoke_account_token(ctx: Context) -> ApiResponse:
    token = _account_token(ctx, _account(ctx, _owned_group(ctx)))
    token.revoked = True
    return no_content()


def rotate_account_token(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    expires_at = reader.day("expires_at")
    reader.check()
    token = _account_token(ctx, _account(ctx, _owned_group(ctx)))
    new_token, secret = rotate_token(ctx.state, token, expires_at)
    return ApiResponse(200, with_secret(personal_token_entity(new_token, ctx.state.now()), secret))


def register(router: Router) -> None:
    router.get(_BASE, list_accounts, paginated=True)
    router.post(_BASE, create_account)
    router.delete(f"{_BASE}/{{user_id}}", delete_account)
    tokens = f"{_BASE}/{{user_id}}/personal_access_tokens"
    router.get(tokens, list_account_tokens, paginated=True)
    router.post(tokens, create_account_token)
    router.delete(f"{tokens}/{{token_id}}", revoke_account_token)
    router.post(f"{tokens}/{{token_id}}/rotate", rotate_account_token)
