"""The JSON GitLab sends for expiring tokens, built from the simulator's state.

Shapes from `doc/user/project/integrations/webhook_events.md` ("Project and group access token
events", "Project and group deploy token events") and the builders in gitlab-org/gitlab
(`lib/gitlab/data_builder/resource_access_token_payload.rb` and
`resource_deploy_token_payload.rb`): `object_kind`, the `project` (its `hook_attrs`) or
`group` (`group_name`, `group_path`, `group_id`, `full_path`), `object_attributes` and
`event_name`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.sandbox.models import Group, Project
from bot.sandbox.state import SandboxState
from bot.sandbox.token_models import AccessToken, DeployToken

ACCESS_TOKEN_HOOK = "Resource Access Token Hook"  # noqa: S105 - a header value
DEPLOY_TOKEN_HOOK = "Resource Deploy Token Hook"  # noqa: S105 - a header value


def _utc(moment: datetime) -> str:
    """GitLab's hook timestamps: `2024-01-24 16:27:40 UTC`."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def place_attrs(state: SandboxState, place: Project | Group) -> tuple[str, dict[str, Any]]:
    """("project", Project#hook_attrs) or ("group", the group's hook attributes)."""
    web = f"https://{state.host}"
    if isinstance(place, Group):
        return "group", {
            "group_name": place.name,
            "group_path": place.path,
            "group_id": place.id,
            "full_path": place.full_path,
        }
    path = place.path_with_namespace
    ssh = f"ssh://git@{state.host}/{path}.git"
    namespace = state.groups.get(place.namespace_id)
    return "project", {
        "id": place.id,
        "name": place.name,
        "description": place.description or None,
        "web_url": f"{web}/{path}",
        "avatar_url": None,
        "git_ssh_url": ssh,
        "git_http_url": f"{web}/{path}.git",
        "namespace": namespace.name if namespace is not None else "",
        "visibility_level": 0,
        "path_with_namespace": path,
        "default_branch": place.default_branch,
        "ci_config_path": None,
        "homepage": f"{web}/{path}",
        "url": ssh,
        "ssh_url": ssh,
        "http_url": f"{web}/{path}.git",
    }


def access_token_payload(
    state: SandboxState, place: Project | Group, token: AccessToken
) -> dict[str, Any]:
    key, attrs = place_attrs(state, place)
    return {
        "object_kind": "access_token",
        key: attrs,
        "object_attributes": {
            "user_id": token.user_id,
            "created_at": _utc(token.created_at),
            "id": token.id,
            "name": token.name,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            "last_used_at": _utc(token.last_used_at) if token.last_used_at else None,
        },
        "event_name": "expiring_access_token",
    }


def deploy_token_payload(
    state: SandboxState, place: Project | Group, token: DeployToken
) -> dict[str, Any]:
    key, attrs = place_attrs(state, place)
    return {
        "object_kind": "deploy_token",
        key: attrs,
        "object_attributes": {
            "id": token.id,
            "name": token.name,
            "expires_at": _utc(token.expires_at) if token.expires_at else None,
            "created_at": _utc(token.created_at),
            "revoked": token.revoked,
            "deploy_token_type": f"{key}_type",
        },
        "event_name": "expiring_deploy_token",
    }
