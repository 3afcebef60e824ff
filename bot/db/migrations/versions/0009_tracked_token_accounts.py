"""Tracked tokens name the account behind them and where they were last used from
(people's personal access tokens and deploy keys join the inventory).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_tokens") as batch:
        batch.add_column(sa.Column("account", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("last_used_ips", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_tokens") as batch:
        batch.drop_column("last_used_ips")
        batch.drop_column("account")
