"""Tracked-token rows and the domain `TrackedToken`: the mapping both ways, and who owns one.

Shared by the inventory (`inventory_repositories.py`) and the reminder log
(`reminder_repositories.py`), which both read tracked tokens.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.db.tables import TrackedTokenRow
from bot.domain.credentials import Namespace, NamespaceKind, TokenRecord
from bot.domain.reminders import OwnerSource, TrackedStatus, TrackedToken
from bot.domain.tokens import AccessLevel, TokenType

# What a sync may change; owner fields follow their own rules, muted is never touched.
_SYNCED = (
    "name",
    "namespace_path",
    "namespace_url",
    "scopes",
    "access_level",
    "expires_on",
    "last_used_at",
    "user_id",
    "status",
    "account",
    "last_used_ips",
    "created_at",
)


TOKENS: Any = TrackedTokenRow.__table__  # type: ignore[attr-defined]
# The columns a TrackedToken is made of.
TOKEN_FIELDS = (
    "key",
    "token_type",
    "gitlab_id",
    "name",
    "namespace_kind",
    "namespace_id",
    "namespace_path",
    "namespace_url",
    "scopes",
    "access_level",
    "expires_on",
    "last_used_at",
    "user_id",
    "status",
    "owner",
    "owner_source",
    "muted",
    "request_id",
    "account",
    "last_used_ips",
)


def synced_values(record: TokenRecord, where: Namespace) -> dict[str, Any]:
    status = TrackedStatus.REVOKED if record.revoked else TrackedStatus.ACTIVE
    return {
        "name": record.name,
        "namespace_path": where.path,
        "namespace_url": where.web_url,
        "scopes": list(record.scopes),
        "access_level": int(record.access_level) if record.access_level else None,
        "expires_on": record.expires_on,
        "last_used_at": record.last_used_at,
        "user_id": record.user_id,
        "status": status.value,
        "account": record.account,
        "last_used_ips": list(record.last_used_ips) or None,
        "created_at": record.created_at,
    }


def set_owner(
    row: TrackedTokenRow,
    creator: tuple[str, str] | None,
    configured: str | None,
    account_holder: str | None = None,
) -> bool:
    """Who owns it: its requester, else a claim, else the person whose own token it is
    (their GitLab account is linked), else the namespace's configured owner."""
    if creator is not None:
        owner, source, request_id = creator[0], OwnerSource.REQUESTER.value, creator[1]
    elif row.owner_source == OwnerSource.CLAIMED.value:
        return False
    elif account_holder is not None:
        owner, source, request_id = account_holder, OwnerSource.ACCOUNT.value, None
    elif configured is not None:
        owner, source, request_id = configured, OwnerSource.CONFIGURED.value, None
    else:
        owner, source, request_id = None, None, None
    if (row.owner, row.owner_source, row.request_id) == (owner, source, request_id):
        return False
    row.owner, row.owner_source, row.request_id = owner, source, request_id
    return True


def token_of(row: TrackedTokenRow | sa.Row[Any]) -> TrackedToken:
    """The domain token of an ORM row, or of a plain row of the `TOKEN_FIELDS` columns."""
    return TrackedToken(
        key=row.key,
        token_type=TokenType(row.token_type),
        gitlab_id=row.gitlab_id,
        name=row.name,
        namespace=Namespace(
            NamespaceKind(row.namespace_kind),
            row.namespace_id,
            row.namespace_path,
            row.namespace_url,
        ),
        scopes=tuple(row.scopes),
        access_level=AccessLevel(row.access_level) if row.access_level else None,
        expires_on=row.expires_on,
        last_used_at=row.last_used_at,
        user_id=row.user_id,
        status=TrackedStatus(row.status),
        owner=row.owner,
        owner_source=OwnerSource(row.owner_source) if row.owner_source else None,
        muted=row.muted,
        request_id=row.request_id,
        account=row.account or "",
        last_used_ips=tuple(row.last_used_ips or ()),
    )
