"""Exactly once: when a request was claimed, whether GitLab may hold more than the database
knows, and the ledger of minted credentials with its pending revokes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("unsure_since", UTCDateTime(), nullable=True))
        batch.create_index("ix_token_requests_unsure_since", ["unsure_since"])
    op.create_table(
        "minted_credentials",
        sa.Column("token_type", sa.String(64), primary_key=True),
        sa.Column("gitlab_id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("namespace_kind", sa.String(16), nullable=True),
        sa.Column("namespace_id", sa.Integer(), nullable=True),
        sa.Column("namespace_path", sa.String(512), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("exposed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_minted_credentials_request_id", "minted_credentials", ["request_id"])
    op.create_index("ix_minted_credentials_status", "minted_credentials", ["status"])


def downgrade() -> None:
    op.drop_index("ix_minted_credentials_status", "minted_credentials")
    op.drop_index("ix_minted_credentials_request_id", "minted_credentials")
    op.drop_table("minted_credentials")
    with op.batch_alter_table("token_requests") as batch:
        batch.drop_index("ix_token_requests_unsure_since")
        batch.drop_column("unsure_since")
        batch.drop_column("claimed_at")
