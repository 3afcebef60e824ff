"""Requests for credentials GitLab does not expire (pipeline trigger tokens) carry no date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_requests") as batch:
        batch.alter_column("expires_on", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    # A request without a date cannot go back to a schema that needs one: give it today's.
    op.execute("UPDATE token_requests SET expires_on = CURRENT_DATE WHERE expires_on IS NULL")
    with op.batch_alter_table("token_requests") as batch:
        batch.alter_column("expires_on", existing_type=sa.Date(), nullable=False)
