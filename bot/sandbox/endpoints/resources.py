"""Helpers shared by the project and group access-token endpoints."""

from __future__ import annotations

from bot.sandbox.access import effective_level, find_group, find_project
from bot.sandbox.messages import ApiError, not_found
from bot.sandbox.models import AccessLevel, Group, Project
from bot.sandbox.routing import Context
from bot.sandbox.state import source_ref
from bot.sandbox.token_models import AccessToken


def resource_of(ctx: Context) -> Project | Group:
    """The `:id` project or group, 404 when it is missing or invisible to the caller."""
    if ctx.request.path.lstrip("/").startswith("projects/"):
        return find_project(ctx.state, ctx.user, ctx.args["id"])
    return find_group(ctx.state, ctx.user, ctx.args["id"])


def kind_word(resource: Project | Group) -> str:
    return "project" if isinstance(resource, Project) else "group"


def manage_level(resource: Project | Group) -> AccessLevel:
    """Maintainers manage project tokens; group tokens need an Owner."""
    return AccessLevel.MAINTAINER if isinstance(resource, Project) else AccessLevel.OWNER


def caller_level(ctx: Context, resource: Project | Group) -> AccessLevel:
    if ctx.user.is_admin:
        return AccessLevel.ADMIN
    return effective_level(ctx.state, ctx.user, resource)


def can_manage(ctx: Context, resource: Project | Group) -> bool:
    return caller_level(ctx, resource) >= manage_level(resource)


def resource_token(ctx: Context, resource: Project | Group, raw_id: str) -> AccessToken | None:
    """A token of one of this resource's bots, or None."""
    token = ctx.state.tokens.get(int(raw_id)) if raw_id.isdigit() else None
    if token is None:
        return None
    bot = ctx.state.users[token.user_id]
    return token if bot.bot_source == source_ref(resource) else None


def token_not_found(resource: Project | Group) -> ApiError:
    return not_found(f"{kind_word(resource)} Access Token")


def token_level(ctx: Context, resource: Project | Group, token: AccessToken) -> AccessLevel:
    return effective_level(ctx.state, ctx.state.users[token.user_id], resource)
