"""Rotating and revoking a credential over python-gitlab.

GitLab rotates project, group, service-account and personal access tokens in place (a new
secret, the old one revoked). Deploy and trigger tokens have no rotate API: a twin with the
same name, scopes and (deploy) username is created, then the old one revoked.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import gitlab

from bot.domain.credentials import IssuedToken, Secret, TokenRef, TokenSpec
from bot.domain.tokens import TokenType
from bot.gitlab import mapping
from bot.gitlab.creation import ChangeCaller
from bot.gitlab.token_managers import need_namespace, token_manager
from bot.services.gitlab_errors import ValidationError

_ROTATABLE = {
    TokenType.PROJECT_ACCESS_TOKEN,
    TokenType.GROUP_ACCESS_TOKEN,
    TokenType.SERVICE_ACCOUNT_PAT,
    TokenType.PERSONAL_ACCESS_TOKEN,
    TokenType.BOT_USER_PAT,
}


class Creator(ChangeCaller, Protocol):
    def create_token(self, spec: TokenSpec) -> IssuedToken: ...


def rotate(
    gateway: Creator, gl: gitlab.Gitlab, ref: TokenRef, *, expires_on: date | None
) -> IssuedToken:
    expires = expires_on.isoformat() if expires_on else None
    what = f"{ref.token_type.value} {ref.gitlab_id}"
    if ref.token_type in _ROTATABLE:
        manager = token_manager(gl, ref)
        data = gateway.call(
            what,
            lambda: manager.rotate(ref.gitlab_id, expires_at=expires),
            change=f"the rotation of {what} (the old token may be revoked)",
        )
        record = mapping.access_token(data, ref.token_type, ref.namespace)
        return IssuedToken(record, Secret(str(data["token"])))
    if ref.token_type in {TokenType.DEPLOY_TOKEN, TokenType.PIPELINE_TRIGGER_TOKEN}:
        return _replace(gateway, gl, ref, expires_on)
    raise ValidationError(f"tokenbot cannot rotate a {ref.token_type.value}")


def _replace(
    gateway: Creator, gl: gitlab.Gitlab, ref: TokenRef, expires_on: date | None
) -> IssuedToken:
    """Deploy and trigger tokens have no rotate API: create a twin, then revoke the old."""
    ns = need_namespace(ref)
    manager = token_manager(gl, ref)
    old = gateway.call(
        f"{ref.token_type.value} {ref.gitlab_id}", lambda: manager.get(ref.gitlab_id)
    ).attributes
    spec = TokenSpec(
        ref.token_type,
        ns.path,  # a path names one place; a number id could be a project or a group
        str(old.get("name") or old.get("description") or "rotated"),
        tuple(old.get("scopes") or ()),
        expires_on=expires_on or mapping.to_date(old.get("expires_at")),
        deploy_username=_custom_username(old),
    )
    issued = gateway.create_token(spec)
    revoke(gateway, gl, ref)
    return issued


def revoke(gateway: ChangeCaller, gl: gitlab.Gitlab, ref: TokenRef) -> None:
    manager = token_manager(gl, ref)
    gateway.call(f"{ref.token_type.value} {ref.gitlab_id}", lambda: manager.delete(ref.gitlab_id))


def _custom_username(attrs: dict[str, Any]) -> str | None:
    username = str(attrs.get("username") or "")
    return None if not username or username.startswith("gitlab+deploy-token-") else username
