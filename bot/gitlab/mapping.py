"""From GitLab's JSON (python-gitlab object attributes) to domain records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from bot.domain.credentials import GitLabUser, Namespace, NamespaceKind, TokenRecord
from bot.domain.tokens import AccessLevel, TokenType


def namespace(attrs: Mapping[str, Any], kind: NamespaceKind) -> Namespace:
    path = attrs.get("path_with_namespace") if kind is NamespaceKind.PROJECT else None
    return Namespace(
        kind,
        int(attrs["id"]),
        str(path or attrs.get("full_path") or ""),
        str(attrs.get("web_url") or ""),
    )


def access_token(
    attrs: Mapping[str, Any], token_type: TokenType, where: Namespace | None
) -> TokenRecord:
    """Project, group, service-account and personal access tokens share one shape."""
    revoked = bool(attrs.get("revoked", False))
    return TokenRecord(
        token_type=token_type,
        gitlab_id=int(attrs["id"]),
        name=str(attrs.get("name") or ""),
        namespace=where,
        scopes=tuple(str(s) for s in attrs.get("scopes") or ()),
        access_level=role(attrs.get("access_level")),
        expires_on=to_date(attrs.get("expires_at")),
        created_at=to_datetime(attrs.get("created_at")),
        last_used_at=to_datetime(attrs.get("last_used_at")),
        revoked=revoked,
        active=bool(attrs.get("active", not revoked)),
        user_id=_int(attrs.get("user_id")),
        description=str(attrs.get("description") or ""),
        last_used_ips=tuple(str(ip) for ip in attrs.get("last_used_ips") or ()),
    )


def personal_token(
    attrs: Mapping[str, Any], where: Namespace, member: Mapping[str, Any] | None
) -> TokenRecord:
    """A person's PAT, kept under a watched group; `member` is their membership there."""
    record = access_token(attrs, TokenType.PERSONAL_ACCESS_TOKEN, where)
    if member is None:
        return record
    return replace(
        record,
        access_level=role(member.get("access_level")),
        account=str(member.get("username") or ""),
    )


def deploy_key(attrs: Mapping[str, Any], where: Namespace) -> TokenRecord:
    """`DeployKeysProject` (lib/api/entities/deploy_keys_project.rb): an SSH key with
    `expires_at` (a timestamp, or null) and `can_push`; GitLab shows no last use or owner."""
    expires_on = to_date(attrs.get("expires_at"))
    return TokenRecord(
        token_type=TokenType.DEPLOY_KEY,
        gitlab_id=int(attrs["id"]),
        name=str(attrs.get("title") or f"deploy key {attrs['id']}"),
        namespace=where,
        scopes=("write_repository",) if attrs.get("can_push") else ("read_repository",),
        expires_on=expires_on,
        created_at=to_datetime(attrs.get("created_at")),
        description=str(attrs.get("fingerprint_sha256") or attrs.get("fingerprint") or ""),
    )


def deploy_token(attrs: Mapping[str, Any], where: Namespace) -> TokenRecord:
    revoked = bool(attrs.get("revoked", False))
    expired = bool(attrs.get("expired", False))
    return TokenRecord(
        token_type=TokenType.DEPLOY_TOKEN,
        gitlab_id=int(attrs["id"]),
        name=str(attrs.get("name") or ""),
        namespace=where,
        scopes=tuple(str(s) for s in attrs.get("scopes") or ()),
        expires_on=to_date(attrs.get("expires_at")),
        revoked=revoked,
        active=not revoked and not expired,
        description=str(attrs.get("username") or ""),
        account=str(attrs.get("username") or ""),  # what it is used with, besides the token
    )


def trigger_token(attrs: Mapping[str, Any], where: Namespace) -> TokenRecord:
    owner = attrs.get("owner") or {}
    return TokenRecord(
        token_type=TokenType.PIPELINE_TRIGGER_TOKEN,
        gitlab_id=int(attrs["id"]),
        name=str(attrs.get("description") or f"trigger {attrs['id']}"),
        namespace=where,
        expires_on=to_date(attrs.get("expires_at")),
        created_at=to_datetime(attrs.get("created_at")),
        last_used_at=to_datetime(attrs.get("last_used")),
        user_id=_int(owner.get("id")) if isinstance(owner, Mapping) else None,
        description=str(attrs.get("description") or ""),
    )


def user(attrs: Mapping[str, Any]) -> GitLabUser:
    return GitLabUser(
        id=int(attrs["id"]),
        username=str(attrs.get("username") or ""),
        name=str(attrs.get("name") or ""),
        state=str(attrs.get("state") or "active"),
        bot=bool(attrs.get("bot", False)),
        email=attrs.get("email") or attrs.get("public_email") or None,
    )


def role(value: object) -> AccessLevel | None:
    """GitLab's access level; roles tokenbot has no name for count as the next lower one."""
    if not isinstance(value, int) or value < AccessLevel.GUEST:
        return None
    return max(level for level in AccessLevel if level <= value)


def to_date(value: object) -> date | None:
    """GitLab dates come as `YYYY-MM-DD` (access tokens) or timestamps (deploy tokens)."""
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = to_datetime(text)
    return moment.astimezone(UTC).date() if moment else None


def to_datetime(value: object) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def int_or_none(value: object) -> int | None:
    return _int(value)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
