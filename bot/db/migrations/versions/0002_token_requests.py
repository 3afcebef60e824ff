"""Token requests, secrets waiting to be revealed, and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_requests",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("requester", sa.String(64), nullable=False, index=True),
        sa.Column("requester_gitlab_id", sa.Integer(), nullable=False),
        sa.Column("token_type", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("access_level", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("delivery", sa.String(32), nullable=False),
        sa.Column("variable_project", sa.String(512), nullable=True),
        sa.Column("variable_key", sa.String(255), nullable=True),
        sa.Column("state", sa.String(32), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("pending_until", UTCDateTime(), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("risk_flags", sa.JSON(), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("deny_reason", sa.Text(), nullable=True),
        sa.Column("gitlab_token_id", sa.Integer(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_table(
        "pending_secrets",
        sa.Column(
            "request_id", sa.String(64), sa.ForeignKey("token_requests.id"), primary_key=True
        ),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("pending_secrets")
    op.drop_table("token_requests")
