"""JSON shapes for users, groups, projects and members (GitLab's API entities)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.sandbox.models import Group, Membership, Project, User
from bot.sandbox.state import SandboxState


def iso_time(moment: datetime | None) -> str | None:
    """GitLab's timestamp style: `2021-01-20T22:11:48.151Z`."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def iso_date(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def user_basic(user: User, web: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": user.state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{web}/{user.username}",
    }


def user_public(user: User, web: str) -> dict[str, Any]:
    return {
        **user_basic(user, web),
        "created_at": iso_time(user.created_at),
        "bio": "",
        "bot": user.is_bot,
        "public_email": user.public_email,
    }


def service_account_entity(user: User) -> dict[str, Any]:
    """`API::Entities::ServiceAccount`: id, username, name, email, public_email."""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "public_email": user.public_email,
    }


def user_private(user: User, web: str) -> dict[str, Any]:
    """What the user sees about themselves, and admins about anyone."""
    return {
        **user_public(user, web),
        "email": user.email,
        "is_admin": user.is_admin,
        "can_create_group": not user.is_bot,
        "external": False,
        "two_factor_enabled": False,
    }


def group_entity(state: SandboxState, group: Group, web: str) -> dict[str, Any]:
    names = [g.name for g in reversed(state.ancestors(group))]
    return {
        "id": group.id,
        "web_url": f"{web}/groups/{group.full_path}",
        "name": group.name,
        "path": group.path,
        "description": group.description,
        "visibility": "private",
        "full_name": " / ".join(names),
        "full_path": group.full_path,
        "parent_id": group.parent_id,
        "created_at": iso_time(group.created_at),
        "avatar_url": None,
    }


def namespace_entity(state: SandboxState, group: Group, web: str) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "path": group.path,
        "kind": "group",
        "full_path": group.full_path,
        "parent_id": group.parent_id,
        "avatar_url": None,
        "web_url": f"{web}/groups/{group.full_path}",
    }


def project_basic(state: SandboxState, project: Project, web: str) -> dict[str, Any]:
    """`BasicProjectDetails`, as listed in job-token allowlists."""
    group = state.groups[project.namespace_id]
    names = [g.name for g in reversed(state.ancestors(group))]
    host = web.split("://", 1)[-1]
    return {
        "id": project.id,
        "description": project.description,
        "name": project.name,
        "name_with_namespace": " / ".join([*names, project.name]),
        "path": project.path,
        "path_with_namespace": project.path_with_namespace,
        "created_at": iso_time(project.created_at),
        "default_branch": project.default_branch,
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": f"git@{host}:{project.path_with_namespace}.git",
        "http_url_to_repo": f"{web}/{project.path_with_namespace}.git",
        "web_url": f"{web}/{project.path_with_namespace}",
        "avatar_url": None,
        "star_count": 0,
        "last_activity_at": iso_time(project.created_at),
        "namespace": namespace_entity(state, group, web),
    }


def project_entity(state: SandboxState, project: Project, web: str) -> dict[str, Any]:
    return {**project_basic(state, project, web), "visibility": "private", "archived": False}


def member_entity(state: SandboxState, member: Membership, web: str) -> dict[str, Any]:
    creator = state.users.get(member.created_by_id) if member.created_by_id else None
    return {
        **user_basic(state.users[member.user_id], web),
        "access_level": int(member.access_level),
        "created_at": iso_time(member.created_at),
        "created_by": None if creator is None else user_basic(creator, web),
        "expires_at": iso_date(member.expires_at),
        "membership_state": "active",
        "group_saml_identity": None,
    }
