"""Which python-gitlab manager holds a tracked credential, for rotating and revoking it."""

from __future__ import annotations

from typing import Any

import gitlab
from gitlab.v4.objects import GroupServiceAccount

from bot.domain.credentials import Namespace, NamespaceKind, TokenRef
from bot.domain.tokens import TokenType
from bot.services.gitlab_errors import ValidationError

_RESOURCE_TOKENS = {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN}
_PERSONAL = {TokenType.PERSONAL_ACCESS_TOKEN, TokenType.BOT_USER_PAT}


def token_manager(gl: gitlab.Gitlab, ref: TokenRef) -> Any:
    """The manager whose `rotate`/`delete`/`get` act on `ref` (ValidationError if none)."""
    if ref.token_type in _PERSONAL:
        return gl.personal_access_tokens
    ns = need_namespace(ref)
    owner: Any = (
        gl.projects.get(ns.id, lazy=True)
        if ns.kind is NamespaceKind.PROJECT
        else gl.groups.get(ns.id, lazy=True)
    )
    if ref.token_type in _RESOURCE_TOKENS:
        return owner.access_tokens
    if ref.token_type is TokenType.SERVICE_ACCOUNT_PAT:
        if ref.user_id is None:
            raise ValidationError("a service-account token needs its account's user id")
        account = GroupServiceAccount(owner.service_accounts, {"id": ref.user_id})
        return account.access_tokens
    if ref.token_type is TokenType.DEPLOY_TOKEN:
        return owner.deploytokens
    if ref.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
        return owner.triggers
    raise ValidationError(f"tokenbot does not manage {ref.token_type.value} tokens")


def need_namespace(ref: TokenRef) -> Namespace:
    if ref.namespace is None:
        raise ValidationError(f"{ref.token_type.value} {ref.gitlab_id} has no project or group")
    return ref.namespace
