"""Hand-off rotations: a successor minted beside a live old token, until one of them goes;
requests say whether they rotate in place or hand off.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.add_column(
            sa.Column("renews_handoff", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("renewal_lock", sa.String(96), nullable=True))
        batch.create_unique_constraint("uq_token_requests_renewal_lock", ["renewal_lock"])
    op.create_table(
        "handoffs",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("token_type", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("old_key", sa.String(96), nullable=False),
        sa.Column("old_gitlab_id", sa.Integer(), nullable=False),
        sa.Column("old_user_id", sa.Integer(), nullable=True),
        sa.Column("successor_key", sa.String(96), nullable=False),
        sa.Column("successor_gitlab_id", sa.Integer(), nullable=False),
        sa.Column("successor_user_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("successor_used_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("finished_by", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.create_index("ix_handoffs_state", "handoffs", ["state"])
    op.create_index("ix_handoffs_old_key", "handoffs", ["old_key"])
    op.create_index("ix_handoffs_successor_key", "handoffs", ["successor_key"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_successor_key", "handoffs")
    op.drop_index("ix_handoffs_old_key", "handoffs")
    op.drop_index("ix_handoffs_state", "handoffs")
    op.drop_table("handoffs")
    with op.batch_alter_table("token_requests") as batch:
        batch.drop_constraint("uq_token_requests_renewal_lock", type_="unique")
        batch.drop_column("renewal_lock")
        batch.drop_column("renews_handoff")
