"""JSON shapes for tokens and CI/CD variables (GitLab's API entities)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.sandbox.access import highest_membership
from bot.sandbox.entities import iso_date, iso_time, user_basic
from bot.sandbox.models import AccessLevel, User
from bot.sandbox.state import SandboxState
from bot.sandbox.token_models import AccessToken, CiVariable, DeployToken, TriggerToken


def personal_token_entity(token: AccessToken, now: datetime) -> dict[str, Any]:
    """`PersonalAccessTokenWithLastUsedIps`; never includes the secret."""
    return {
        "id": token.id,
        "name": token.name,
        "revoked": token.revoked,
        "created_at": iso_time(token.created_at),
        "description": token.description,
        "scopes": list(token.scopes),
        "user_id": token.user_id,
        "last_used_at": iso_time(token.last_used_at),
        "last_used_ips": list(token.last_used_ips),
        "active": token.is_active(now),
        "expired": token.is_expired(now),
        "expires_at": iso_date(token.expires_at),
    }


def resource_token_entity(state: SandboxState, token: AccessToken) -> dict[str, Any]:
    """`ResourceAccessToken`: adds the bot's membership level and its resource."""
    bot = state.users[token.user_id]
    entity = personal_token_entity(token, state.now())
    level = AccessLevel.NO_ACCESS
    if bot.bot_source is not None:
        entity["resource_type"] = str(bot.bot_source.kind)
        entity["resource_id"] = bot.bot_source.id
        source = (state.projects if bot.bot_source.kind == "project" else state.groups).get(
            bot.bot_source.id
        )
        member = None if source is None else highest_membership(state, bot.id, source)
        level = AccessLevel.NO_ACCESS if member is None else member.access_level
    entity["access_level"] = int(level)
    return entity


def with_secret(entity: dict[str, Any], secret: str) -> dict[str, Any]:
    return {**entity, "token": secret}


def deploy_token_entity(token: DeployToken, now: datetime) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "username": token.username,
        "expires_at": iso_time(token.expires_at),
        "revoked": token.revoked,
        "expired": token.is_expired(now),
        "scopes": list(token.scopes),
    }


def trigger_entity(
    state: SandboxState, trigger: TriggerToken, viewer: User, web: str
) -> dict[str, Any]:
    """Only the owner sees the whole token; everyone else its first four characters."""
    owner = state.users.get(trigger.owner_id)
    shown = trigger.token if viewer.id == trigger.owner_id else trigger.token[:4]
    return {
        "id": trigger.id,
        "description": trigger.description,
        "created_at": iso_time(trigger.created_at),
        "updated_at": iso_time(trigger.updated_at),
        "last_used": iso_time(trigger.last_used),
        "expires_at": iso_date(trigger.expires_at),
        "token": shown,
        "owner": None if owner is None else user_basic(owner, web),
    }


def variable_entity(variable: CiVariable) -> dict[str, Any]:
    return {
        "variable_type": variable.variable_type,
        "key": variable.key,
        "value": None if variable.hidden else variable.value,
        "protected": variable.protected,
        "masked": variable.masked,
        "hidden": variable.hidden,
        "raw": variable.raw,
        "environment_scope": variable.environment_scope,
        "description": variable.description,
    }
