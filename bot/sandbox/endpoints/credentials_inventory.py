"""A GitLab.com Ultimate top-level group's credentials inventory (`/groups/:id/manage/...`).

GitLab: `ee/lib/api/manage/groups.rb`, `ee/spec/requests/api/manage/groups_spec.rb`. Every
route answers 404 off GitLab.com (`Gitlab::Saas.feature_available?(:group_credentials_
inventory)`) and 403 to anyone without `admin_group` (the group's Owners, administrators).
`personal_access_tokens` lists the PATs of the group's enterprise users and service
accounts (`user_types: [:human, :service_account]`, `impersonation: false`) as
`Entities::PersonalAccessToken`; `resource_access_tokens` lists the tokens of the group and
project bots of its hierarchy as `Entities::ResourceAccessToken` (`access_level`,
`resource_type`, `resource_id`). Both take `access_token_params` and sort `created_asc` by
default. Docs: https://docs.gitlab.com/api/groups/#group-credentials-inventory

Choices (not read in GitLab): a subgroup, or a group not on Ultimate, answers 404.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_group, has_level
from bot.sandbox.messages import ApiResponse, forbidden, not_found
from bot.sandbox.models import AccessLevel, Group, SourceKind, UserType
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.token_entities import personal_token_entity, resource_token_entity
from bot.sandbox.token_filters import filter_tokens
from bot.sandbox.token_models import AccessToken


def _group(ctx: Context) -> Group:
    if not ctx.state.offering.gitlab_com:
        raise not_found()
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    if group.parent_id is not None or not ctx.state.offering.has_credentials_inventory(group.id):
        raise not_found()
    if not has_level(ctx.state, ctx.user, group, AccessLevel.OWNER):
        raise forbidden()
    return group


def _sorted(ctx: Context, tokens: list[AccessToken]) -> list[AccessToken]:
    chosen = filter_tokens(ctx.reader(), tokens, ctx.state.now())
    if "sort" in ctx.request.params:
        return chosen
    return sorted(chosen, key=lambda t: (t.created_at, t.id))


def personal_access_tokens(ctx: Context) -> ApiResponse:
    group = _group(ctx)
    state = ctx.state
    people = set(state.offering.enterprise_user_ids.get(group.id, set()))
    people |= {
        u.id
        for u in state.users.values()
        if u.user_type is UserType.SERVICE_ACCOUNT and u.provisioned_by_group_id == group.id
    }
    now = state.now()

    def render(token: AccessToken) -> dict[str, Any]:
        entity = personal_token_entity(token, now)
        entity.pop("last_used_ips", None)  # `Entities::PersonalAccessToken` has none
        return entity

    return paginate(ctx.request, _sorted(ctx, state.tokens_of_users(people)), render)


def resource_access_tokens(ctx: Context) -> ApiResponse:
    group = _group(ctx)
    state = ctx.state
    groups = {group.id, *(g.id for g in state.descendants(group))}
    projects = {p.id for p in state.projects.values() if p.namespace_id in groups}
    bots = {
        u.id
        for u in state.users.values()
        if u.bot_source is not None
        and (u.bot_source.id in (groups if u.bot_source.kind is SourceKind.GROUP else projects))
    }

    def render(token: AccessToken) -> dict[str, Any]:
        entity = resource_token_entity(state, token)
        entity.pop("last_used_ips", None)
        return entity

    return paginate(ctx.request, _sorted(ctx, state.tokens_of_users(bots)), render)


def register(router: Router) -> None:
    router.get("/groups/{id}/manage/personal_access_tokens", personal_access_tokens)
    router.get("/groups/{id}/manage/resource_access_tokens", resource_access_tokens)
