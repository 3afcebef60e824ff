"""The username a provisioned credential is used with (a deploy token's, a bot user's).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.add_column(
            sa.Column("token_account", sa.String(255), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.drop_column("token_account")
