"""Where a request's approval card lives in chat, and the user behind a created token.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.add_column(sa.Column("token_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("card_channel", sa.String(64), nullable=True))
        batch.add_column(sa.Column("card_ts", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.drop_column("card_ts")
        batch.drop_column("card_channel")
        batch.drop_column("token_user_id")
