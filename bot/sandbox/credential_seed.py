"""Direct state setup for deploy keys and for a GitLab.com-like Ultimate group."""

from __future__ import annotations

import base64
import secrets
import struct
from collections.abc import Iterable
from datetime import datetime

from bot.sandbox.deploy_key_models import DeployKey
from bot.sandbox.models import Group, Project, User
from bot.sandbox.state import SandboxState


def add_deploy_key(
    state: SandboxState,
    project: Project,
    *,
    title: str,
    can_push: bool = False,
    expires_at: datetime | None = None,
    added_by: User | None = None,
) -> DeployKey:
    """A new deploy key enabled in `project` (a random ed25519 public key)."""
    with state.lock:
        key = DeployKey(
            id=state.next_id("keys"),
            title=title,
            key=_public_key(title),
            created_at=state.now(),
            expires_at=expires_at,
            user_id=None if added_by is None else added_by.id,
        )
        key.projects[project.id] = can_push
        state.deploy_keys[key.id] = key
        return key


def enable_deploy_key(key: DeployKey, project: Project, *, can_push: bool = False) -> None:
    """The same key in another project (GitLab joins an existing key instead of copying it)."""
    key.projects[project.id] = can_push


def make_ultimate_on_gitlab_com(
    state: SandboxState, group: Group, *, enterprise_users: Iterable[User] = ()
) -> None:
    """Turn the instance into GitLab.com and `group` (top-level) into an Ultimate group whose
    enterprise users are `enterprise_users`: its credentials inventory API answers."""
    with state.lock:
        state.offering.gitlab_com = True
        state.offering.ultimate_group_ids.add(group.id)
        claimed = state.offering.enterprise_user_ids.setdefault(group.id, set())
        claimed.update(user.id for user in enterprise_users)


def _public_key(comment: str) -> str:
    kind = b"ssh-ed25519"
    blob = struct.pack(">I", len(kind)) + kind + struct.pack(">I", 32) + secrets.token_bytes(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"
