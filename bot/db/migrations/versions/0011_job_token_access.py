"""CI/CD job token access: allowlist entries requested, added and removed through tokenbot.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_token_access",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("requester_gitlab_id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("live_key", sa.String(96), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("removed_by", sa.String(64), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("card_channel", sa.String(64), nullable=True),
        sa.Column("card_ts", sa.String(64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_job_token_access_requester", "job_token_access", ["requester"])
    op.create_index("ix_job_token_access_state", "job_token_access", ["state"])
    op.create_index("ix_job_token_access_live_key", "job_token_access", ["live_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_job_token_access_live_key", "job_token_access")
    op.drop_index("ix_job_token_access_state", "job_token_access")
    op.drop_index("ix_job_token_access_requester", "job_token_access")
    op.drop_table("job_token_access")
