"""sqlmodel tables. Rows stay in this package; repositories turn them into domain objects."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class ConversationRow(SQLModel, table=True):
    __tablename__ = "conversations"

    key: str = Field(primary_key=True, max_length=255)
    answers: list[list[str]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    tree_version: int
    revision: int = Field(default=0)
    started_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class TokenRequestRow(SQLModel, table=True):
    __tablename__ = "token_requests"

    id: str = Field(primary_key=True, max_length=64)
    requester: str = Field(max_length=64, index=True)
    requester_gitlab_id: int
    token_type: str = Field(max_length=64)
    target: str = Field(max_length=512)
    name: str = Field(max_length=255)
    scopes: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    access_level: int | None = None
    expires_on: date
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    delivery: str = Field(max_length=32)
    variable_project: str | None = Field(default=None, max_length=512)
    variable_key: str | None = Field(default=None, max_length=255)
    state: str = Field(max_length=32, index=True)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    pending_until: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    required_approvals: int
    risk_flags: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    approvals: list[list[str]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    deny_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    gitlab_token_id: int | None = None
    failure: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    revision: int = Field(default=0)


class PendingSecretRow(SQLModel, table=True):
    """A provisioned token's secret, encrypted, until its requester reveals it (or it expires)."""

    __tablename__ = "pending_secrets"

    request_id: str = Field(primary_key=True, foreign_key="token_requests.id", max_length=64)
    ciphertext: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    action: str = Field(max_length=32)
    request_id: str = Field(max_length=64, index=True)
    actor: str = Field(max_length=64)
    details: dict[str, str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
