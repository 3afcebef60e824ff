"""Fine-grained job token permissions: the GitLab policies of a tracked allowlist entry.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL (every entry before this revision): GitLab's default permissions
    with op.batch_alter_table("job_token_access") as batch:
        batch.add_column(sa.Column("job_token_policies", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_token_access") as batch:
        batch.drop_column("job_token_policies")
