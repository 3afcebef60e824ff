"""The simulator's endpoint families, each registering its routes on one router."""

from __future__ import annotations

from bot.sandbox.endpoints import (
    application_settings,
    applications,
    credentials_inventory,
    deploy_keys,
    deploy_tokens,
    group_hooks,
    job_token_scope,
    member_writes,
    members,
    metadata,
    namespaces,
    personal_tokens,
    project_service_accounts,
    resource_token_rotation,
    resource_tokens,
    service_accounts,
    triggers,
    users,
    variables,
)
from bot.sandbox.routing import Router

_FAMILIES = (
    metadata,
    users,
    namespaces,
    members,
    member_writes,
    resource_tokens,
    resource_token_rotation,
    personal_tokens,
    service_accounts,
    project_service_accounts,
    deploy_tokens,
    deploy_keys,
    credentials_inventory,
    triggers,
    job_token_scope,
    variables,
    application_settings,
    applications,
    group_hooks,
)


def build_router() -> Router:
    router = Router()
    for family in _FAMILIES:
        family.register(router)
    return router
