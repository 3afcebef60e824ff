"""Which token scopes exist and which each kind of token may carry."""

from __future__ import annotations

from enum import StrEnum

API_SCOPES = (
    "api",
    "read_api",
    "read_user",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "self_rotate",
)
REPOSITORY_SCOPES = ("read_repository", "write_repository")
REGISTRY_SCOPES = ("read_registry", "write_registry")
VIRTUAL_REGISTRY_SCOPES = ("read_virtual_registry", "write_virtual_registry")
OBSERVABILITY_SCOPES = ("read_observability", "write_observability")
AI_FEATURES_SCOPES = ("ai_features",)
ADMIN_SCOPES = ("sudo", "admin_mode", "read_service_ping")

NON_ADMIN_SCOPES = frozenset(
    API_SCOPES
    + REPOSITORY_SCOPES
    + REGISTRY_SCOPES
    + VIRTUAL_REGISTRY_SCOPES
    + OBSERVABILITY_SCOPES
    + AI_FEATURES_SCOPES
)
PERSONAL_SCOPES = NON_ADMIN_SCOPES | frozenset(ADMIN_SCOPES)
# `Gitlab::Auth.resource_bot_scopes`: everything non-admin except read_user.
RESOURCE_BOT_SCOPES = NON_ADMIN_SCOPES - {"read_user"}
# Service accounts are ordinary (non-admin) users.
SERVICE_ACCOUNT_SCOPES = NON_ADMIN_SCOPES

DEPLOY_TOKEN_SCOPES = frozenset(
    {
        "read_repository",
        "read_registry",
        "write_registry",
        "read_package_registry",
        "write_package_registry",
        "read_virtual_registry",
        "write_virtual_registry",
    }
)


class TokenPrefix(StrEnum):
    """Secret prefixes GitLab uses per token family."""

    PERSONAL = "glpat-"
    DEPLOY = "gldt-"
    TRIGGER = "glptt-"
